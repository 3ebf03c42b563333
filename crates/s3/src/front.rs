//! [`S3Front`]: the one entry point the server calls, wiring s3s, the store, auth, access and audit.
//!
//! `handle` observes the request, lets s3s serve it, settles the response (error shape, request id
//! headers), and awaits the audit sink before returning, so no response leaves without its record.
//! It does not listen on sockets or know routes; the server does.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use s3s::service::{S3Service, S3ServiceBuilder};

use crate::access::{AccessDecider, AccessGate};
use crate::audit::{RequestContext, S3AuditSink, S3CallRecord};
use crate::aws_errors;
use crate::error::S3Error;
use crate::handlers::S3Handlers;
use crate::hosts::VirtualHostDomains;
use crate::identity::{CredentialAuth, CredentialStore};
use crate::index::{BucketRow, ObjectAttributes, PutMode};
use crate::multipart::MIN_PART_SIZE;
use crate::observe::{CallProbe, CountingBody, RequestFacts, settle_response, stamp_request_id};
use crate::policy_access::BucketPolicyAccess;
use crate::store::{BucketStore, StoreSettings, system_time};

/// Settings of the S3 front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Base domains for virtual-hosted-style addressing: `<bucket>.<domain>` addresses the bucket.
    /// Requests to any other host (IP addresses, `localhost`) are path-style.
    pub virtual_host_domains: Vec<String>,
    /// The region of buckets created without a LocationConstraint, and the `awsRegion` of account-level calls.
    pub default_region: String,
    /// The minimum size of every multipart part but the last (AWS: 5 MiB).
    pub min_part_size: u64,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            virtual_host_domains: Vec::new(),
            default_region: "us-east-1".to_owned(),
            min_part_size: MIN_PART_SIZE,
        }
    }
}

/// What the control plane needs to know about a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    /// The bucket name.
    pub name: String,
    /// The owning account.
    pub owner_account_id: String,
    /// The bucket's region.
    pub region: String,
    /// The bucket policy, verbatim as put.
    pub policy: Option<String>,
    /// When the bucket was created.
    pub creation_date: DateTime<Utc>,
}

impl From<BucketRow> for BucketInfo {
    fn from(row: BucketRow) -> Self {
        Self {
            creation_date: DateTime::<Utc>::from(system_time(row.created_ms)),
            name: row.name,
            owner_account_id: row.owner_account_id,
            region: row.region,
            policy: row.policy,
        }
    }
}

/// The S3-compatible API over the buckets of one data directory.
#[derive(Clone)]
pub struct S3Front {
    pipeline: Arc<Pipeline>,
}

/// Everything one request passes through; shared with the task that serves it.
struct Pipeline {
    service: S3Service,
    credentials: Arc<dyn CredentialStore>,
    store: Arc<BucketStore>,
    audit: Arc<dyn S3AuditSink>,
    domains: VirtualHostDomains,
    default_region: String,
}

impl std::fmt::Debug for S3Front {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Front")
            .field("store", &self.pipeline.store)
            .field("domains", &self.pipeline.domains)
            .finish_non_exhaustive()
    }
}

impl S3Front {
    /// Opens the S3 data directory (`index.db`, `blobs/`), enforcing bucket policies.
    pub fn open(
        data_dir: &Path,
        config: S3Config,
        credentials: Arc<dyn CredentialStore>,
        audit: Arc<dyn S3AuditSink>,
    ) -> Result<Self, S3Error> {
        Self::open_with_access(
            data_dir,
            config,
            credentials,
            audit,
            Arc::new(BucketPolicyAccess::new()),
        )
    }

    /// Like [`S3Front::open`], with another access decider (bucket-policy enforcement).
    pub fn open_with_access(
        data_dir: &Path,
        config: S3Config,
        credentials: Arc<dyn CredentialStore>,
        audit: Arc<dyn S3AuditSink>,
        decider: Arc<dyn AccessDecider>,
    ) -> Result<Self, S3Error> {
        let domains = VirtualHostDomains::new(&config.virtual_host_domains)?;
        let settings = StoreSettings {
            default_region: config.default_region.clone(),
            min_part_size: config.min_part_size,
        };
        let store = Arc::new(BucketStore::open(data_dir, settings)?);
        let mut builder = S3ServiceBuilder::new(S3Handlers {
            store: Arc::clone(&store),
            decider: Arc::clone(&decider),
        });
        builder.set_auth(CredentialAuth {
            credentials: Arc::clone(&credentials),
        });
        builder.set_access(AccessGate {
            credentials: Arc::clone(&credentials),
            store: Arc::clone(&store),
            decider,
        });
        builder.set_host(domains.clone());
        let pipeline = Pipeline {
            service: builder.build(),
            credentials,
            store,
            audit,
            domains,
            default_region: config.default_region,
        };
        Ok(Self {
            pipeline: Arc::new(pipeline),
        })
    }

    /// Serves one S3 request and records it through the audit sink before answering.
    ///
    /// The server should put a [`RequestContext`] into the request's extensions; without one a fresh
    /// request id and the unspecified address are used. The request is served on its own task, so a
    /// client that disconnects mid-request cannot cancel an operation between its effect and its record.
    pub async fn handle<B>(&self, request: http::Request<B>) -> http::Response<axum::body::Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let (mut parts, body) = request.into_parts();
        let context = parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| fallback_context(&parts));
        let request_id = context.request_id.clone();
        parts.extensions.insert(context);
        let pipeline = Arc::clone(&self.pipeline);
        let request = http::Request::from_parts(parts, body);
        match tokio::spawn(async move { pipeline.serve(request).await }).await {
            Ok(response) => response,
            Err(error) => {
                let mut response =
                    internal_error_response(&format!("s3 request task failed: {error}"));
                stamp_request_id(response.headers_mut(), &request_id);
                response.map(axum::body::Body::new)
            }
        }
    }

    /// The bucket `name`, for the trail control plane (existence, owner, policy).
    pub fn bucket_info(&self, name: &str) -> Option<BucketInfo> {
        match self.pipeline.store.bucket_now(name) {
            Ok(row) => row.map(BucketInfo::from),
            Err(error) => {
                tracing::error!(%error, bucket = name, "bucket lookup failed");
                None
            }
        }
    }

    /// Writes an object as the service principal (trail delivery), never overwriting: an existing key
    /// is [`S3Error::ObjectExists`]. Bypasses authorization and is not audited; the caller decides.
    pub async fn put_object_internal(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        content_type: &str,
        metadata: &[(String, String)],
    ) -> Result<(), S3Error> {
        let attributes = ObjectAttributes {
            content_type: Some(content_type.to_owned()),
            headers: Default::default(),
            metadata: metadata
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        };
        self.pipeline
            .store
            .put_bytes(bucket, key, body, attributes, PutMode::IfAbsent)
            .await?;
        Ok(())
    }
}

impl Pipeline {
    async fn serve<B>(&self, request: http::Request<B>) -> http::Response<axum::body::Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let (mut parts, body) = request.into_parts();
        let context = parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| fallback_context(&parts));
        let facts = RequestFacts::observe(&parts, &self.domains);
        let probe = Arc::new(CallProbe::default());
        parts.extensions.insert(Arc::clone(&probe));
        let bytes_in = Arc::new(AtomicU64::new(0));
        let body = CountingBody::new(body, Arc::clone(&bytes_in));
        let request = http::Request::from_parts(parts, s3s::Body::http_body_unsync(body));
        let mut response = match self.service.call(request).await {
            Ok(response) => response,
            Err(error) => internal_error_response(&format!("{error:?}")),
        };
        let outcome = settle_response(&mut response, &context.request_id, &facts);
        let record = self.assemble_record(
            &facts,
            &probe,
            outcome,
            bytes_in.load(Ordering::Relaxed),
            &context,
        );
        if let Err(error) = self.audit.record(record, &context).await {
            tracing::error!(%error, request_id = %context.request_id, "s3 audit record could not be written");
            let mut failed = internal_error_response("audit sink failed");
            settle_response(&mut failed, &context.request_id, &facts);
            return failed.map(axum::body::Body::new);
        }
        response.map(axum::body::Body::new)
    }

    fn assemble_record(
        &self,
        facts: &RequestFacts,
        probe: &CallProbe,
        outcome: crate::observe::ResponseOutcome,
        bytes_in: u64,
        context: &RequestContext,
    ) -> S3CallRecord {
        let learned = probe.take();
        let traits = learned
            .operation
            .unwrap_or_else(|| facts.guessed_operation());
        let aws_region = learned
            .bucket_region
            .clone()
            .or_else(|| facts.signing_region.clone())
            .unwrap_or_else(|| self.default_region.clone());
        let key_owner = learned.principal.clone().or_else(|| {
            let access_key_id = facts.access_key_id.as_deref()?;
            self.credentials
                .lookup(access_key_id)
                .map(|(owner, _)| owner)
        });
        S3CallRecord {
            operation: traits.event_name,
            category: traits.category,
            read_only: traits.read_only,
            principal: learned.principal,
            key_owner,
            access_key_id: facts.access_key_id.clone(),
            bucket: facts.addressed.bucket.clone(),
            key: facts.addressed.key.clone(),
            bucket_owner_account_id: learned.bucket_owner_account_id,
            aws_region,
            http_status: outcome.status,
            error_code: outcome.error_code,
            error_message: outcome.error_message,
            request_id: context.request_id.clone(),
            host_id: context.request_id.clone(),
            host_header: facts.host.clone(),
            request_parameters: facts.request_parameters(learned.request_parameters),
            response_elements: learned.response_elements,
            bytes_in,
            bytes_out: outcome.bytes_out,
            auth_method: facts.auth_method,
            signature_version: facts.signature_version,
            event_time: Utc::now(),
        }
    }
}

pub(crate) fn fallback_context(parts: &http::request::Parts) -> RequestContext {
    RequestContext {
        request_id: uuid::Uuid::new_v4().simple().to_string().to_uppercase()[..16].to_owned(),
        source_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        tls: None,
        host: parts
            .headers
            .get(http::header::HOST)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
    }
}

fn internal_error_response(detail: &str) -> http::Response<s3s::Body> {
    let error = aws_errors::internal(detail);
    let body = format!(
        "<Error><Code>{}</Code><Message>{}</Message></Error>",
        error.code().as_str(),
        error.message().unwrap_or_default()
    );
    http::Response::builder()
        .status(http::StatusCode::INTERNAL_SERVER_ERROR)
        .body(s3s::Body::from(body))
        .unwrap_or_default()
}
