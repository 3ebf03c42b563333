//! The request a policy is asked about: principal, action, resource and condition keys, plus a
//! builder that fills the keys AWS puts in an S3 request context.
//!
//! Condition keys are compared case-insensitively ("condition key names are not case-sensitive",
//! IAM "Elements: Condition"); each holds one or more string values. The builder takes every fact
//! as an argument (time included): this module reads no clock and no request. It does not fill
//! `s3:ExistingObjectTag/*` (object tags are not looked up) nor keys of roles, sessions,
//! organizations or VPCs, which OpenTrail does not have.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::principal::RequestPrincipal;

/// Condition keys and their values, keys compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionContext {
    /// Lower-cased key to values.
    entries: BTreeMap<String, Vec<String>>,
}

impl ConditionContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to the single `value`, replacing earlier values.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.entries
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    /// Sets `key` to `values` (a multi-valued key), replacing earlier values.
    pub fn set_values<V: Into<String>>(&mut self, key: &str, values: impl IntoIterator<Item = V>) {
        self.entries.insert(
            key.to_ascii_lowercase(),
            values.into_iter().map(Into::into).collect(),
        );
    }

    /// Appends `value` to the values of `key`.
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.entries
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.into());
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.entries.remove(&key.to_ascii_lowercase());
    }

    /// [`Self::set`], for chaining.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// [`Self::set_values`], for chaining.
    pub fn with_values<V: Into<String>>(
        mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.set_values(key, values);
        self
    }

    /// The values of `key`; `None` when the key is absent or has no value (AWS treats both alike).
    pub fn values(&self, key: &str) -> Option<&[String]> {
        self.lowercase_values(&key.to_ascii_lowercase())
    }

    /// [`Self::values`] for a key already in lower case.
    pub(crate) fn lowercase_values(&self, key: &str) -> Option<&[String]> {
        self.entries
            .get(key)
            .map(Vec::as_slice)
            .filter(|values| !values.is_empty())
    }

    /// Every key (lower-cased) and its values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries
            .iter()
            .map(|(key, values)| (key.as_str(), values.as_slice()))
    }
}

/// One authorization question: may `principal` perform `action` on `resource` in `context`?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRequest {
    /// Who asks.
    pub principal: RequestPrincipal,
    /// The IAM action, e.g. `s3:PutObject` (compared case-insensitively).
    pub action: String,
    /// The resource ARN, e.g. `arn:aws:s3:::bucket/key` (compared case-sensitively).
    pub resource: String,
    /// Condition keys; also the source of policy variables such as `${aws:username}`.
    pub context: ConditionContext,
}

impl PolicyRequest {
    /// A request with exactly `context`; nothing is filled in.
    pub fn new(
        principal: RequestPrincipal,
        action: impl Into<String>,
        resource: impl Into<String>,
        context: ConditionContext,
    ) -> Self {
        PolicyRequest {
            principal,
            action: action.into(),
            resource: resource.into(),
            context,
        }
    }

    /// A builder whose context already holds the principal's keys (see [`PolicyRequestBuilder`]).
    pub fn builder(
        principal: RequestPrincipal,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> PolicyRequestBuilder {
        let context = principal_keys(&principal);
        PolicyRequestBuilder {
            request: PolicyRequest::new(principal, action, resource, context),
        }
    }
}

/// How a SigV4 request carried its signature (`s3:authType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// `Authorization` header: `REST-HEADER`.
    Header,
    /// Presigned URL: `REST-QUERY-STRING`.
    QueryString,
    /// Browser POST form: `POST`.
    PostForm,
}

impl SignatureLocation {
    /// The `s3:authType` value.
    pub fn auth_type(self) -> &'static str {
        match self {
            SignatureLocation::Header => "REST-HEADER",
            SignatureLocation::QueryString => "REST-QUERY-STRING",
            SignatureLocation::PostForm => "POST",
        }
    }
}

/// Fills the standard condition keys of an S3 request.
///
/// [`PolicyRequest::builder`] starts with the principal's keys: `aws:PrincipalType` (`Account` for
/// a root, `User` for an IAM user, `Anonymous`), `aws:PrincipalAccount`, `aws:PrincipalArn`,
/// `aws:userid` (the account id for a root, the user's unique id otherwise), `aws:username` (IAM
/// users only), and for services `aws:PrincipalServiceName`; `aws:PrincipalIsAWSService` is set
/// for every authenticated principal. Each other key is set only when its method is called, so a
/// fact the caller does not know stays absent, as AWS leaves it absent.
#[derive(Debug, Clone)]
pub struct PolicyRequestBuilder {
    request: PolicyRequest,
}

impl PolicyRequestBuilder {
    /// `aws:SourceIp`; an IPv4-mapped IPv6 address is recorded as IPv4.
    pub fn source_ip(self, ip: IpAddr) -> Self {
        self.key("aws:SourceIp", ip.to_canonical().to_string())
    }

    /// `aws:SecureTransport`: `true` when the request came over TLS.
    pub fn secure_transport(self, tls: bool) -> Self {
        self.key("aws:SecureTransport", tls.to_string())
    }

    /// `aws:CurrentTime` (ISO 8601, UTC) and `aws:EpochTime` (seconds).
    pub fn current_time(self, now: DateTime<Utc>) -> Self {
        let iso = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        self.key("aws:CurrentTime", iso)
            .key("aws:EpochTime", now.timestamp().to_string())
    }

    /// `aws:UserAgent`.
    pub fn user_agent(self, user_agent: &str) -> Self {
        self.key("aws:UserAgent", user_agent)
    }

    /// `aws:Referer`.
    pub fn referer(self, referer: &str) -> Self {
        self.key("aws:Referer", referer)
    }

    /// `s3:x-amz-acl` (the canned ACL header).
    pub fn acl(self, canned_acl: &str) -> Self {
        self.key("s3:x-amz-acl", canned_acl)
    }

    /// `s3:x-amz-server-side-encryption`.
    pub fn server_side_encryption(self, algorithm: &str) -> Self {
        self.key("s3:x-amz-server-side-encryption", algorithm)
    }

    /// `s3:x-amz-storage-class`.
    pub fn storage_class(self, storage_class: &str) -> Self {
        self.key("s3:x-amz-storage-class", storage_class)
    }

    /// `s3:x-amz-content-sha256` (a hex digest or `UNSIGNED-PAYLOAD`).
    pub fn content_sha256(self, content_sha256: &str) -> Self {
        self.key("s3:x-amz-content-sha256", content_sha256)
    }

    /// `s3:prefix` of a listing.
    pub fn prefix(self, prefix: &str) -> Self {
        self.key("s3:prefix", prefix)
    }

    /// `s3:delimiter` of a listing.
    pub fn delimiter(self, delimiter: &str) -> Self {
        self.key("s3:delimiter", delimiter)
    }

    /// `s3:max-keys` of a listing.
    pub fn max_keys(self, max_keys: u32) -> Self {
        self.key("s3:max-keys", max_keys.to_string())
    }

    /// `s3:signatureversion` (`AWS4-HMAC-SHA256`) and `s3:authType`.
    pub fn signature(self, location: SignatureLocation) -> Self {
        self.key("s3:signatureversion", "AWS4-HMAC-SHA256")
            .key("s3:authType", location.auth_type())
    }

    /// `s3:TlsVersion`, e.g. `TLSv1.3`.
    pub fn tls_version(self, version: &str) -> Self {
        self.key("s3:TlsVersion", version)
    }

    /// Any other key.
    pub fn key(mut self, key: &str, value: impl Into<String>) -> Self {
        self.request.context.set(key, value);
        self
    }

    /// The request.
    pub fn build(self) -> PolicyRequest {
        self.request
    }
}

fn principal_keys(principal: &RequestPrincipal) -> ConditionContext {
    let mut context = ConditionContext::new();
    match principal {
        RequestPrincipal::Account {
            account_id,
            arn,
            user_id,
            user_name,
        } => {
            let kind = if principal.is_account_root() {
                "Account"
            } else {
                "User"
            };
            context.set("aws:PrincipalType", kind);
            context.set("aws:PrincipalAccount", account_id.as_str());
            context.set("aws:PrincipalArn", arn.as_str());
            context.set("aws:userid", user_id.as_str());
            if let Some(name) = user_name {
                context.set("aws:username", name.as_str());
            }
            context.set("aws:PrincipalIsAWSService", "false");
        }
        RequestPrincipal::Service(name) => {
            context.set("aws:PrincipalServiceName", name.as_str());
            context.set("aws:PrincipalIsAWSService", "true");
        }
        RequestPrincipal::Anonymous => context.set("aws:PrincipalType", "Anonymous"),
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn keys_are_case_insensitive() {
        let mut context = ConditionContext::new().with("AWS:SourceIp", "1.2.3.4");
        assert_eq!(
            context.values("aws:sourceip"),
            Some(&["1.2.3.4".to_owned()][..])
        );
        context.push("aws:SOURCEIP", "5.6.7.8");
        assert_eq!(context.values("aws:SourceIp").map(<[String]>::len), Some(2));
        context.set_values("s3:prefix", Vec::<String>::new());
        assert_eq!(context.values("s3:prefix"), None);
        context.remove("Aws:SourceIP");
        assert_eq!(context.values("aws:SourceIp"), None);
    }

    #[test]
    fn builder_fills_standard_keys() {
        let check = |request: PolicyRequest, expected: &[(&str, Option<&str>)]| {
            for (key, value) in expected {
                let got = request.context.values(key).map(|values| values[0].as_str());
                assert_eq!(got, *value, "{key} for {:?}", request.principal);
            }
        };
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let user = RequestPrincipal::iam_user("111122223333", "alice", "AIDAEXAMPLE");
        check(
            PolicyRequest::builder(user, "s3:ListBucket", "arn:aws:s3:::b")
                .source_ip(IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped()))
                .secure_transport(true)
                .current_time(now)
                .user_agent("aws-cli/2")
                .referer("https://example.com/")
                .acl("private")
                .server_side_encryption("AES256")
                .storage_class("STANDARD")
                .content_sha256("UNSIGNED-PAYLOAD")
                .prefix("logs/")
                .delimiter("/")
                .max_keys(100)
                .signature(SignatureLocation::QueryString)
                .tls_version("TLSv1.3")
                .build(),
            &[
                ("aws:PrincipalType", Some("User")),
                ("aws:PrincipalAccount", Some("111122223333")),
                (
                    "aws:PrincipalArn",
                    Some("arn:aws:iam::111122223333:user/alice"),
                ),
                ("aws:userid", Some("AIDAEXAMPLE")),
                ("aws:username", Some("alice")),
                ("aws:PrincipalIsAWSService", Some("false")),
                ("aws:SourceIp", Some("10.0.0.1")),
                ("aws:SecureTransport", Some("true")),
                ("aws:CurrentTime", Some("2023-11-14T22:13:20Z")),
                ("aws:EpochTime", Some("1700000000")),
                ("aws:UserAgent", Some("aws-cli/2")),
                ("aws:Referer", Some("https://example.com/")),
                ("s3:x-amz-acl", Some("private")),
                ("s3:x-amz-server-side-encryption", Some("AES256")),
                ("s3:x-amz-storage-class", Some("STANDARD")),
                ("s3:x-amz-content-sha256", Some("UNSIGNED-PAYLOAD")),
                ("s3:prefix", Some("logs/")),
                ("s3:delimiter", Some("/")),
                ("s3:max-keys", Some("100")),
                ("s3:signatureversion", Some("AWS4-HMAC-SHA256")),
                ("s3:authType", Some("REST-QUERY-STRING")),
                ("s3:TlsVersion", Some("TLSv1.3")),
            ],
        );
        check(
            PolicyRequest::builder(
                RequestPrincipal::account_root("111122223333"),
                "s3:GetObject",
                "arn:aws:s3:::b/k",
            )
            .source_ip(IpAddr::V6(Ipv6Addr::LOCALHOST))
            .signature(SignatureLocation::Header)
            .build(),
            &[
                ("aws:PrincipalType", Some("Account")),
                ("aws:userid", Some("111122223333")),
                ("aws:username", None),
                ("aws:SourceIp", Some("::1")),
                ("s3:authType", Some("REST-HEADER")),
                ("aws:SecureTransport", None),
            ],
        );
        check(
            PolicyRequest::builder(
                RequestPrincipal::service("cloudtrail.amazonaws.com"),
                "s3:PutObject",
                "arn:aws:s3:::b/k",
            )
            .signature(SignatureLocation::PostForm)
            .build(),
            &[
                ("aws:PrincipalServiceName", Some("cloudtrail.amazonaws.com")),
                ("aws:PrincipalIsAWSService", Some("true")),
                ("aws:PrincipalAccount", None),
                ("s3:authType", Some("POST")),
            ],
        );
        check(
            PolicyRequest::builder(
                RequestPrincipal::Anonymous,
                "s3:GetObject",
                "arn:aws:s3:::b/k",
            )
            .build(),
            &[
                ("aws:PrincipalType", Some("Anonymous")),
                ("aws:PrincipalIsAWSService", None),
            ],
        );
    }
}
