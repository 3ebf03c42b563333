//! Authorization: the [`AccessDecider`] seam and the s3s access hook that calls it for every request.
//!
//! The server's decider enforces bucket policies ([`crate::BucketPolicyAccess`]); [`OwnerOnlyAccess`]
//! is the plain rule without policies (a bucket and its objects are reachable only by principals of the
//! bucket's account). This module gathers what a decider needs (principal, CloudTrail operation name,
//! bucket with its policy, key, source IP, TLS, headers, query). Signatures were already verified by
//! s3s when the hook runs.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use http::HeaderMap;
use s3s::access::{S3Access, S3AccessContext};

use crate::audit::RequestContext;
use crate::aws_errors;
use crate::catalog;
use crate::front::BucketInfo;
use crate::identity::{CredentialStore, Principal};
use crate::observe::probe;
use crate::store::BucketStore;

/// Everything an access decision may look at.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// The authenticated caller.
    pub principal: &'a Principal,
    /// The CloudTrail event name of the operation (e.g. `GetObject`; `ListObjects` for V2).
    pub operation: &'static str,
    /// The bucket addressed, if any.
    pub bucket: Option<&'a str>,
    /// The key addressed, if any.
    pub key: Option<&'a str>,
    /// The bucket, when it exists (owner, region, policy).
    pub bucket_info: Option<&'a BucketInfo>,
    /// The caller's address (`aws:SourceIp`).
    pub source_ip: IpAddr,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The raw (percent-encoded) query string, without `?` (condition keys such as `s3:prefix`).
    pub query: &'a str,
}

/// The answer of an [`AccessDecider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessDecision {
    /// Go ahead.
    Allow,
    /// Answer `AccessDenied`.
    Deny,
}

/// Decides whether a principal may perform an operation; called for every authenticated S3 request
/// (and once more for the source of CopyObject, as `GetObject`).
pub trait AccessDecider: Send + Sync + 'static {
    /// Allow or deny `request`.
    fn decide(&self, request: &AccessRequest<'_>) -> AccessDecision;
}

/// The default rule: only principals of the bucket owner's account reach an existing bucket.
/// Requests for buckets that do not exist are allowed through so they answer `NoSuchBucket`, and
/// CreateBucket is always allowed so a taken name answers `BucketAlreadyExists`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OwnerOnlyAccess;

impl AccessDecider for OwnerOnlyAccess {
    fn decide(&self, request: &AccessRequest<'_>) -> AccessDecision {
        match request.bucket_info {
            Some(info)
                if request.operation != "CreateBucket"
                    && info.owner_account_id != request.principal.account_id =>
            {
                AccessDecision::Deny
            }
            _ => AccessDecision::Allow,
        }
    }
}

/// s3s's access hook: resolves the principal, records it and the operation in the call probe, and asks
/// the decider.
pub(crate) struct AccessGate {
    pub(crate) credentials: Arc<dyn CredentialStore>,
    pub(crate) store: Arc<BucketStore>,
    pub(crate) decider: Arc<dyn AccessDecider>,
}

impl AccessGate {
    async fn bucket_info(&self, bucket: Option<&str>) -> s3s::S3Result<Option<BucketInfo>> {
        let Some(bucket) = bucket else {
            return Ok(None);
        };
        Ok(self.store.bucket(bucket).await?.map(BucketInfo::from))
    }
}

#[async_trait::async_trait]
impl S3Access for AccessGate {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> s3s::S3Result<()> {
        let traits = catalog::traits_of(cx.s3_op().name());
        probe(cx.extensions_mut(), |state| state.operation = Some(traits));
        let Some(credentials) = cx.credentials() else {
            return Err(aws_errors::access_denied());
        };
        let Some((principal, _)) = self.credentials.lookup(&credentials.access_key) else {
            return Err(aws_errors::invalid_access_key_id());
        };
        let (bucket, key) = (
            cx.s3_path().get_bucket_name().map(str::to_owned),
            cx.s3_path().get_object_key().map(str::to_owned),
        );
        let bucket_info = self.bucket_info(bucket.as_deref()).await?;
        let context = cx.extensions_mut().get::<RequestContext>().cloned();
        probe(cx.extensions_mut(), |state| {
            state.principal = Some(principal.clone());
            state.bucket_owner_account_id = bucket_info
                .as_ref()
                .map(|info| info.owner_account_id.clone());
            state.bucket_region = bucket_info.as_ref().map(|info| info.region.clone());
        });
        let uri = cx.uri().clone();
        let request = AccessRequest {
            query: uri.query().unwrap_or(""),
            principal: &principal,
            operation: traits.event_name,
            bucket: bucket.as_deref(),
            key: key.as_deref(),
            bucket_info: bucket_info.as_ref(),
            source_ip: context
                .as_ref()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |context| {
                    context.source_ip
                }),
            secure_transport: context
                .as_ref()
                .is_some_and(|context| context.tls.is_some()),
            headers: cx.headers(),
        };
        let decision = self.decider.decide(&request);
        cx.extensions_mut().insert(principal);
        match decision {
            AccessDecision::Allow => Ok(()),
            AccessDecision::Deny => Err(aws_errors::access_denied()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn principal(account_id: &str) -> Principal {
        crate::identity::InMemoryCredentialStore::root_principal(account_id, "AK")
    }

    #[test]
    fn owner_only_rule() {
        let headers = HeaderMap::new();
        let info = BucketInfo {
            name: "b".into(),
            owner_account_id: "111111111111".into(),
            region: "us-east-1".into(),
            policy: None,
            creation_date: Utc::now(),
        };
        let check = |account: &str,
                     operation: &'static str,
                     bucket_info: Option<&BucketInfo>,
                     expected: AccessDecision| {
            let principal = principal(account);
            let request = AccessRequest {
                principal: &principal,
                operation,
                bucket: Some("b"),
                key: None,
                bucket_info,
                source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                secure_transport: false,
                headers: &headers,
                query: "",
            };
            assert_eq!(
                OwnerOnlyAccess.decide(&request),
                expected,
                "{account} {operation}"
            );
        };
        check(
            "111111111111",
            "GetObject",
            Some(&info),
            AccessDecision::Allow,
        );
        check(
            "222222222222",
            "GetObject",
            Some(&info),
            AccessDecision::Deny,
        );
        check(
            "222222222222",
            "CreateBucket",
            Some(&info),
            AccessDecision::Allow,
        );
        check("222222222222", "GetObject", None, AccessDecision::Allow);
    }
}
