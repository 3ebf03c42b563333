//! Glue between the S3 front (crate `opentrail-s3`) and the rest of the server: principals as its
//! credential store, self-audit as its audit sink, its buckets as the control plane's bucket
//! directory, the request context it reads from request extensions, and the routing of requests for
//! proxied buckets to their upstream (`[[upstreams]]` with `proxy = true`).
//!
//! It also serves AWS's public CloudTrail policy template (bucket `awscloudtrail-policy-<region>`),
//! which `aws cloudtrail create-subscription` downloads through whatever S3 endpoint it is given.

use std::collections::HashMap;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use opentrail_record::PrincipalIdentity;
use opentrail_s3::{
    CredentialStore, ProxyConfig, RequestContext, S3AuditSink, S3CallRecord, S3EventCategory,
    S3Front, S3Proxy,
};
use serde_json::Value;

use crate::App;
use crate::audit::{AuditedCall, Auditor};
use crate::config::ServerConfig;
use crate::context::CallContext;
use crate::identity::{Principal, PrincipalDirectory};

/// Base domains of virtual-hosted-style requests (`<bucket>.localhost:4580`).
const VIRTUAL_HOST_DOMAINS: [&str; 2] = ["localhost", "s3.localhost"];

/// Opens the S3 front over `<data-dir>/s3`.
pub fn open(
    config: &ServerConfig,
    principals: Arc<PrincipalDirectory>,
    auditor: Auditor,
) -> anyhow::Result<S3Front> {
    let s3_config = opentrail_s3::S3Config {
        virtual_host_domains: VIRTUAL_HOST_DOMAINS.map(str::to_owned).to_vec(),
        default_region: config.region.clone(),
        ..opentrail_s3::S3Config::default()
    };
    let front = S3Front::open(
        &config.data_dir.join("s3"),
        s3_config,
        Arc::new(Credentials(principals)),
        Arc::new(AuditSink(auditor)),
    )?;
    Ok(front)
}

/// The upstream servers in proxy mode, by the buckets they hold.
#[derive(Debug, Default)]
pub struct Proxies {
    by_bucket: HashMap<String, S3Proxy>,
    wildcard: Option<S3Proxy>,
}

impl Proxies {
    /// One proxy per `[[upstreams]]` entry with `proxy = true`.
    pub fn build(
        config: &ServerConfig,
        principals: Arc<PrincipalDirectory>,
        auditor: Auditor,
    ) -> anyhow::Result<Self> {
        let mut proxies = Self::default();
        for upstream in config.upstreams.iter().filter(|upstream| upstream.proxy) {
            let proxy = S3Proxy::new(
                ProxyConfig {
                    endpoint: upstream.endpoint.clone(),
                    region: upstream.region.clone(),
                    access_key_id: upstream.access_key_id.clone(),
                    secret_access_key: upstream.secret_access_key.clone(),
                    owner_account_id: upstream
                        .account_id
                        .clone()
                        .unwrap_or_else(|| config.account_id.clone()),
                    virtual_host_domains: VIRTUAL_HOST_DOMAINS.map(str::to_owned).to_vec(),
                },
                Arc::new(Credentials(principals.clone())),
                Arc::new(AuditSink(auditor.clone())),
            )?;
            for bucket in &upstream.buckets {
                if bucket == "*" {
                    proxies.wildcard = Some(proxy.clone());
                } else {
                    proxies.by_bucket.insert(bucket.clone(), proxy.clone());
                }
            }
        }
        Ok(proxies)
    }

    /// The proxy that serves `request`, if any: a named bucket's upstream, else the wildcard upstream
    /// for ListBuckets and for buckets that are not embedded.
    fn for_request(
        &self,
        front: &S3Front,
        request: &http::Request<axum::body::Body>,
    ) -> Option<&S3Proxy> {
        let any = self
            .wildcard
            .as_ref()
            .or_else(|| self.by_bucket.values().next())?;
        let (parts, ()) = clone_head(request).into_parts();
        match any.addressed_bucket(&parts) {
            Some(bucket) => self.by_bucket.get(&bucket).or_else(|| {
                self.wildcard
                    .as_ref()
                    .filter(|_| front.bucket_info(&bucket).is_none())
            }),
            None => self.wildcard.as_ref(),
        }
    }
}

fn clone_head(request: &http::Request<axum::body::Body>) -> http::Request<()> {
    let mut head = http::Request::new(());
    *head.method_mut() = request.method().clone();
    *head.uri_mut() = request.uri().clone();
    *head.headers_mut() = request.headers().clone();
    head
}

/// Serves one S3 request.
pub async fn handle(
    app: &App,
    context: CallContext,
    mut request: http::Request<axum::body::Body>,
) -> Response {
    if let Some(template) = policy_template(&request) {
        return template;
    }
    request.extensions_mut().insert(RequestContext {
        request_id: context.request_id.clone(),
        source_ip: context.source_ip,
        user_agent: context.user_agent.clone(),
        tls: context.tls.as_ref().map(|tls| opentrail_s3::TlsInfo {
            tls_version: tls.version.clone(),
            cipher_suite: tls.cipher_suite.clone(),
        }),
        host: context.host.clone(),
    });
    if let Some(proxy) = app.s3_proxies.for_request(&app.s3, &request) {
        return proxy.handle(request).await;
    }
    app.s3.handle(request).await
}

/// OpenTrail's principals, as the S3 front sees them.
#[derive(Debug)]
pub struct Credentials(pub Arc<PrincipalDirectory>);

impl CredentialStore for Credentials {
    fn lookup(&self, access_key_id: &str) -> Option<(opentrail_s3::Principal, String)> {
        let principal = self.0.lookup(access_key_id)?;
        Some((s3_principal(principal), principal.secret_access_key.clone()))
    }
}

fn s3_principal(principal: &Principal) -> opentrail_s3::Principal {
    let identity = &principal.identity;
    opentrail_s3::Principal {
        account_id: identity.account_id.clone(),
        arn: identity.arn.clone(),
        principal_id: identity.principal_id.clone(),
        user_name: identity.user_name.clone(),
        is_root: identity.identity_type == "Root",
        access_key_id: identity.access_key_id.clone(),
    }
}

fn record_identity(principal: &opentrail_s3::Principal) -> PrincipalIdentity {
    match (&principal.user_name, principal.is_root) {
        (Some(user), false) => PrincipalIdentity::iam_user(
            &principal.account_id,
            user,
            &principal.principal_id,
            &principal.access_key_id,
        ),
        _ => PrincipalIdentity::root(&principal.account_id, &principal.access_key_id),
    }
}

/// Self-audit for S3 calls: every call is recorded in the caller's account (data events too; trails
/// choose them with selectors, event history leaves them out), and in the bucket owner's account as
/// well when the caller came from another account. S3 records wrap the User-Agent in brackets, as
/// AWS's S3 records do (`"[aws-cli/2.6.3 ...]"`).
#[derive(Debug)]
pub struct AuditSink(pub Auditor);

impl S3AuditSink for AuditSink {
    fn record(
        &self,
        call: S3CallRecord,
        ctx: &RequestContext,
    ) -> BoxFuture<'_, Result<(), String>> {
        let context = CallContext {
            request_id: ctx.request_id.clone(),
            source_ip: ctx.source_ip,
            user_agent: ctx.user_agent.as_deref().map(|agent| format!("[{agent}]")),
            host: ctx.host.clone(),
            tls: ctx.tls.as_ref().map(|tls| crate::listener::TlsInfo {
                version: tls.tls_version.clone(),
                cipher_suite: tls.cipher_suite.clone(),
            }),
            received_at: call.event_time,
        };
        let additional_event_data = call.additional_event_data(ctx.tls.as_ref());
        Box::pin(async move {
            let Some(caller) = call.principal.as_ref().or(call.key_owner.as_ref()) else {
                return Ok(());
            };
            let identity = record_identity(caller);
            let error = call
                .error_code
                .as_deref()
                .map(|code| (code, call.error_message.as_deref().unwrap_or("")));
            let audited = AuditedCall {
                request_parameters: call.request_parameters.clone(),
                response_elements: call.response_elements.clone().unwrap_or(Value::Null),
                error,
                additional_event_data: Some(additional_event_data),
                resources: call.resources(),
                management_event: call.category == S3EventCategory::Management,
                shared_with: owner_copy(&call),
                ..AuditedCall::management(
                    Some(&identity),
                    &call.aws_region,
                    "s3.amazonaws.com",
                    call.operation,
                    call.read_only,
                )
            };
            self.0
                .record(&context, audited)
                .await
                .map_err(|error| error.to_string())
        })
    }
}

/// The bucket owner's account, when it also receives the record of a cross-account call: AWS gives
/// the owner a copy when the call touched its bucket and was authorized (a denied call reached
/// nothing of the owner's; see docs/adr/0012-s3-data-events.md).
fn owner_copy(call: &S3CallRecord) -> Option<&str> {
    let owner = call.bucket_owner_account_id.as_deref()?;
    let caller = call.principal.as_ref()?;
    let denied = call.error_code.as_deref() == Some("AccessDenied");
    (owner != caller.account_id && !denied).then_some(owner)
}

/// The buckets trails may deliver to, as the trail control plane sees them: embedded buckets with
/// their policies, and buckets the operator mapped to an upstream S3 server.
#[derive(Debug)]
pub struct Buckets {
    /// The embedded buckets.
    pub front: Arc<S3Front>,
    /// Where each bucket is delivered.
    pub destinations: Arc<crate::delivery_glue::Destinations>,
}

impl opentrail_control::BucketDirectory for Buckets {
    fn bucket(&self, name: &str) -> Option<opentrail_control::BucketInfo> {
        if self.destinations.is_upstream(name) {
            return Some(opentrail_control::BucketInfo {
                owner_account_id: String::new(),
                region: String::new(),
                policy: None,
                operator_trusted: true,
            });
        }
        let info = self.front.bucket_info(name)?;
        Some(opentrail_control::BucketInfo {
            owner_account_id: info.owner_account_id,
            region: info.region,
            policy: info.policy,
            operator_trusted: false,
        })
    }
}

const POLICY_TEMPLATE_KEY: &str = "policy/S3/AWSCloudTrail-S3BucketPolicy-2014-12-17.json";

/// The bucket policy template AWS publishes for CloudTrail, with its placeholders.
const S3_POLICY_TEMPLATE: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AWSCloudTrailAclCheck20131101",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": "arn:aws:s3:::<BucketName>"
        },
        {
            "Sid": "AWSCloudTrailWrite20131101",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::<BucketName>/<Prefix>/AWSLogs/<CustomerAccountID>/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
        }
    ]
}
"#;

/// Answers `GET /awscloudtrail-policy-<region>/policy/S3/...` (path style) with the template.
fn policy_template(request: &http::Request<axum::body::Body>) -> Option<Response> {
    if request.method() != http::Method::GET {
        return None;
    }
    let path = request.uri().path().strip_prefix('/')?;
    let (bucket, key) = path.split_once('/')?;
    if !bucket.starts_with("awscloudtrail-policy-") || key != POLICY_TEMPLATE_KEY {
        return None;
    }
    Some(
        (
            [(http::header::CONTENT_TYPE, "application/json")],
            S3_POLICY_TEMPLATE,
        )
            .into_response(),
    )
}
