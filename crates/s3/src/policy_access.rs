//! [`BucketPolicyAccess`], the default [`AccessDecider`]: S3's rules with bucket policies enforced.
//!
//! A request is allowed when every IAM action its operation needs (`s3:GetObject` for HeadObject,
//! `s3:ListBucket` for ListObjects, ...) is allowed by `opentrail_policy::s3::decide`: an explicit
//! Deny in the bucket policy refuses anyone (the bucket owner's root keeps Get/Put/DeleteBucketPolicy,
//! as on AWS); the owner's account is otherwise allowed; other accounts need an explicit Allow.
//! Requests for buckets that do not exist, and CreateBucket, are let through so that they answer
//! `NoSuchBucket` / `BucketAlreadyExists` as S3 does. Policies are parsed once per distinct text.
//! It does not model identity policies (an account's users have full rights in their account),
//! ACLs or Block Public Access.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use opentrail_policy::s3::{S3Decision, actions_for, decide, resource_arn};
use opentrail_policy::{BucketPolicy, PolicyRequest, RequestPrincipal, SignatureLocation};
use percent_encoding::percent_decode_str;

use crate::access::{AccessDecider, AccessDecision, AccessRequest};
use crate::identity::Principal;

/// A bucket's policy text and what it parsed to (`None`: it did not parse).
type CachedPolicy = (String, Option<Arc<BucketPolicy>>);

/// Enforces bucket policies (see the module documentation).
#[derive(Debug, Default)]
pub struct BucketPolicyAccess {
    parsed: Mutex<HashMap<String, CachedPolicy>>,
}

impl BucketPolicyAccess {
    /// A decider with an empty policy cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The parsed policy of `bucket`, from the cache while its text is unchanged. A stored policy
    /// that no longer parses (written before enforcement) grants and denies nothing.
    fn policy(&self, bucket: &str, text: &str) -> Option<Arc<BucketPolicy>> {
        let mut parsed = self
            .parsed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((cached_text, policy)) = parsed.get(bucket)
            && cached_text == text
        {
            return policy.clone();
        }
        let policy = match BucketPolicy::parse(text, bucket) {
            Ok(policy) => Some(Arc::new(policy)),
            Err(error) => {
                tracing::warn!(%error, bucket, "stored bucket policy does not parse; ignoring it");
                None
            }
        };
        parsed.insert(bucket.to_owned(), (text.to_owned(), policy.clone()));
        policy
    }
}

impl AccessDecider for BucketPolicyAccess {
    fn decide(&self, request: &AccessRequest<'_>) -> AccessDecision {
        let (Some(info), Some(bucket)) = (request.bucket_info, request.bucket) else {
            return AccessDecision::Allow;
        };
        if request.operation == "CreateBucket" {
            return AccessDecision::Allow;
        }
        let policy = info
            .policy
            .as_deref()
            .and_then(|text| self.policy(bucket, text));
        let principal = request_principal(request.principal);
        let resource = resource_arn(request.operation, bucket, request.key);
        let fallback = [format!("s3:{}", request.operation)];
        let actions: Vec<&str> = match actions_for(request.operation) {
            [] => fallback.iter().map(String::as_str).collect(),
            known => known.to_vec(),
        };
        for action in actions {
            let policy_request = policy_request(request, principal.clone(), action, &resource);
            if decide(policy.as_deref(), &info.owner_account_id, &policy_request)
                == S3Decision::Deny
            {
                return AccessDecision::Deny;
            }
        }
        AccessDecision::Allow
    }
}

fn request_principal(principal: &Principal) -> RequestPrincipal {
    match (&principal.user_name, principal.is_root) {
        (Some(user), false) => {
            RequestPrincipal::iam_user(&principal.account_id, user, &principal.principal_id)
        }
        _ => RequestPrincipal::account_root(&principal.account_id),
    }
}

/// The policy question for one action: principal, resource and the condition keys S3 fills.
fn policy_request(
    request: &AccessRequest<'_>,
    principal: RequestPrincipal,
    action: &str,
    resource: &str,
) -> PolicyRequest {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let query = query_pairs(request.query);
    let query_value = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let presigned = query_value("X-Amz-Signature").is_some() || query_value("Signature").is_some();
    let mut builder = PolicyRequest::builder(principal, action, resource)
        .source_ip(request.source_ip)
        .secure_transport(request.secure_transport)
        .current_time(Utc::now())
        .signature(if presigned {
            SignatureLocation::QueryString
        } else {
            SignatureLocation::Header
        });
    if let Some(value) = header("user-agent") {
        builder = builder.user_agent(value);
    }
    if let Some(value) = header("referer") {
        builder = builder.referer(value);
    }
    if let Some(value) = header("x-amz-acl") {
        builder = builder.acl(value);
    }
    if let Some(value) = header("x-amz-server-side-encryption") {
        builder = builder.server_side_encryption(value);
    }
    if let Some(value) = header("x-amz-storage-class") {
        builder = builder.storage_class(value);
    }
    if let Some(value) = header("x-amz-content-sha256") {
        builder = builder.content_sha256(value);
    }
    if let Some(prefix) = query_value("prefix") {
        builder = builder.prefix(prefix);
    }
    if let Some(delimiter) = query_value("delimiter") {
        builder = builder.delimiter(delimiter);
    }
    if let Some(max_keys) = query_value("max-keys").and_then(|value| value.parse().ok()) {
        builder = builder.max_keys(max_keys);
    }
    builder.build()
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| {
                percent_decode_str(&text.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(name), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use http::HeaderMap;

    use super::*;
    use crate::front::BucketInfo;
    use crate::identity::InMemoryCredentialStore;

    const SEED_003: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Statement1","Effect":"Deny",
        "Principal":"*","Action":["s3:PutObject"],"Resource":"arn:aws:s3:::test-blog-12345/*",
        "Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.7/32"}}}]}"#;

    const CROSS_ACCOUNT_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::test-blog-12345/*"},
        {"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"s3:ListBucket",
        "Resource":"arn:aws:s3:::test-blog-12345","Condition":{"StringLike":{"s3:prefix":["public/*",""]}}}]}"#;

    fn bucket(policy: Option<&str>) -> BucketInfo {
        BucketInfo {
            name: "test-blog-12345".into(),
            owner_account_id: "111111111111".into(),
            region: "ap-northeast-1".into(),
            policy: policy.map(str::to_owned),
            creation_date: Utc::now(),
        }
    }

    #[test]
    fn policies_allow_and_deny_as_s3_does() {
        let access = BucketPolicyAccess::new();
        let headers = HeaderMap::new();
        let check = |policy: Option<&str>,
                     account: &str,
                     operation: &'static str,
                     key: Option<&str>,
                     query: &str,
                     ip: [u8; 4],
                     expected: AccessDecision| {
            let principal = InMemoryCredentialStore::root_principal(account, "AK");
            let info = bucket(policy);
            let request = AccessRequest {
                principal: &principal,
                operation,
                bucket: Some("test-blog-12345"),
                key,
                bucket_info: Some(&info),
                source_ip: IpAddr::V4(Ipv4Addr::from(ip)),
                secure_transport: false,
                headers: &headers,
                query,
            };
            assert_eq!(
                access.decide(&request),
                expected,
                "{account} {operation} {key:?} {query} {ip:?}"
            );
        };
        use AccessDecision::{Allow, Deny};
        let owner = "111111111111";
        let other = "222222222222";
        check(
            None,
            owner,
            "PutObject",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Allow,
        );
        check(None, other, "GetObject", Some("k"), "", [10, 0, 0, 1], Deny);
        check(
            Some(SEED_003),
            owner,
            "PutObject",
            Some("k"),
            "",
            [192, 0, 2, 7],
            Allow,
        );
        check(
            Some(SEED_003),
            owner,
            "PutObject",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Deny,
        );
        check(
            Some(SEED_003),
            owner,
            "GetObject",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Allow,
        );
        check(
            Some(SEED_003),
            owner,
            "CompleteMultipartUpload",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Deny,
        );
        check(
            Some(CROSS_ACCOUNT_READ),
            other,
            "GetObject",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Allow,
        );
        check(
            Some(CROSS_ACCOUNT_READ),
            other,
            "HeadObject",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Allow,
        );
        check(
            Some(CROSS_ACCOUNT_READ),
            other,
            "PutObject",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Deny,
        );
        check(
            Some(CROSS_ACCOUNT_READ),
            other,
            "ListObjects",
            None,
            "prefix=public%2Fa",
            [10, 0, 0, 1],
            Allow,
        );
        check(
            Some(CROSS_ACCOUNT_READ),
            other,
            "ListObjects",
            None,
            "prefix=private%2F",
            [10, 0, 0, 1],
            Deny,
        );
        check(
            Some(CROSS_ACCOUNT_READ),
            "333333333333",
            "GetObject",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Deny,
        );
        check(
            Some("not json"),
            owner,
            "GetObject",
            Some("k"),
            "",
            [10, 0, 0, 1],
            Allow,
        );
    }
}
