//! The audit seam: what the S3 front reports about every call, and the sink it reports to.
//!
//! [`S3Front::handle`](crate::S3Front::handle) builds one [`S3CallRecord`] per request that reached S3
//! handling and awaits [`S3AuditSink::record`] before the response leaves. Turning the record into a
//! CloudTrail JSON record (event id, `userIdentity`, `eventVersion`) and making it durable is the sink's
//! job; this module only gathers the S3-specific facts, plus two helpers that render the S3-shaped parts
//! (`additionalEventData`, `resources`) the way CloudTrail does.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::identity::Principal;

/// Whether CloudTrail files the call under management or data events (reference §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum S3EventCategory {
    /// Bucket- and account-level calls, always logged.
    Management,
    /// Object-level calls, logged only when a trail's selectors ask for them.
    Data,
}

impl S3EventCategory {
    /// The `eventCategory` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Management => "Management",
            Self::Data => "Data",
        }
    }
}

/// TLS facts of the connection, when the server terminated TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// e.g. `TLSv1.3`.
    pub tls_version: String,
    /// e.g. `TLS_AES_128_GCM_SHA256`.
    pub cipher_suite: String,
}

/// Per-request facts the server knows and S3 does not; the server puts it into the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The request id, echoed as `x-amz-request-id` and `x-amz-id-2` and recorded as `requestID`.
    pub request_id: String,
    /// The caller's address.
    pub source_ip: IpAddr,
    /// The User-Agent header.
    pub user_agent: Option<String>,
    /// TLS facts, `None` for plain HTTP.
    pub tls: Option<TlsInfo>,
    /// The Host header (or HTTP/2 authority).
    pub host: Option<String>,
}

/// One S3 call as the audit log needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct S3CallRecord {
    /// CloudTrail `eventName`, e.g. `CreateBucket`, `PutObject`, `ListObjects` (also for V2).
    pub operation: &'static str,
    /// Management or data event.
    pub category: S3EventCategory,
    /// CloudTrail `readOnly`.
    pub read_only: bool,
    /// The authenticated caller; `None` when authentication failed or never happened.
    pub principal: Option<Principal>,
    /// The owner of the claimed access key whenever the key is known, even if the signature failed
    /// (ADR 0006 records such failures in that account); `None` for unknown keys and unsigned requests.
    pub key_owner: Option<Principal>,
    /// The access key id the request claimed, even when it was not valid.
    pub access_key_id: Option<String>,
    /// The bucket addressed, path- or virtual-hosted style.
    pub bucket: Option<String>,
    /// The object key addressed.
    pub key: Option<String>,
    /// The account owning the bucket, when the bucket exists.
    pub bucket_owner_account_id: Option<String>,
    /// CloudTrail `awsRegion`: the bucket's region, else the signing region, else the default region.
    pub aws_region: String,
    /// The HTTP status sent.
    pub http_status: u16,
    /// The S3 error code, on failures.
    pub error_code: Option<String>,
    /// The S3 error message, on failures.
    pub error_message: Option<String>,
    /// Equal to [`RequestContext::request_id`].
    pub request_id: String,
    /// The `x-amz-id-2` value sent.
    pub host_id: String,
    /// The Host header as the client sent it.
    pub host_header: Option<String>,
    /// CloudTrail `requestParameters` as S3 records them: `bucketName`, `key`, `Host`, query parameters
    /// (sub-resource markers as `""`), a few request headers, and body-derived members such as
    /// `CreateBucketConfiguration` and `bucketPolicy`.
    pub request_parameters: Value,
    /// CloudTrail `responseElements` (`None` is recorded as null).
    pub response_elements: Option<Value>,
    /// Request body bytes read from the wire.
    pub bytes_in: u64,
    /// Response body bytes announced (the body of a GetObject streams after the record is written).
    pub bytes_out: u64,
    /// `AuthHeader` or `QueryString`; `None` for unsigned requests.
    pub auth_method: Option<&'static str>,
    /// `SigV4` or `SigV2`; `None` for unsigned requests.
    pub signature_version: Option<&'static str>,
    /// When the response was ready (CloudTrail's `eventTime` is the completion time).
    pub event_time: DateTime<Utc>,
}

impl S3CallRecord {
    /// CloudTrail's S3 `additionalEventData` for this call.
    pub fn additional_event_data(&self, tls: Option<&TlsInfo>) -> Value {
        let mut data = serde_json::Map::new();
        if let Some(version) = self.signature_version {
            data.insert("SignatureVersion".into(), json!(version));
        }
        if let Some(tls) = tls {
            data.insert("CipherSuite".into(), json!(tls.cipher_suite));
        }
        data.insert("bytesTransferredIn".into(), json!(self.bytes_in));
        if let Some(method) = self.auth_method {
            data.insert("AuthenticationMethod".into(), json!(method));
        }
        data.insert("x-amz-id-2".into(), json!(self.host_id));
        data.insert("bytesTransferredOut".into(), json!(self.bytes_out));
        Value::Object(data)
    }

    /// CloudTrail's `resources` for this call, or `None` for account-level calls such as ListBuckets.
    ///
    /// Object calls name the object (without account) and the bucket (with its owner). Bucket-level
    /// data events (ListObjects, ListObjectVersions, HeadBucket, DeleteObjects, ListMultipartUploads)
    /// name an `ARNPrefix` instead of the object: the bucket plus the listed prefix (empty when none),
    /// which is what object-ARN selectors are matched against. Management calls name the bucket only.
    pub fn resources(&self) -> Option<Value> {
        let bucket = self.bucket.as_deref()?;
        let mut resources = Vec::new();
        match (self.key.as_deref(), self.category) {
            (Some(key), _) => resources.push(
                json!({"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")}),
            ),
            (None, S3EventCategory::Data) => {
                let prefix = self
                    .request_parameters
                    .get("prefix")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                resources.push(json!({"type": "AWS::S3::Object",
                    "ARNPrefix": format!("arn:aws:s3:::{bucket}/{prefix}")}));
            }
            (None, S3EventCategory::Management) => {}
        }
        let mut bucket_resource = serde_json::Map::new();
        if let Some(owner) = &self.bucket_owner_account_id {
            bucket_resource.insert("accountId".into(), json!(owner));
        }
        bucket_resource.insert("type".into(), json!("AWS::S3::Bucket"));
        bucket_resource.insert("ARN".into(), json!(format!("arn:aws:s3:::{bucket}")));
        resources.push(Value::Object(bucket_resource));
        Some(Value::Array(resources))
    }
}

/// Where S3 call records go; the server implements it over the durable event log.
pub trait S3AuditSink: Send + Sync + 'static {
    /// Makes `call` durable. The response is held until this resolves; an `Err` turns the response into
    /// a 500 `InternalError` (the operation itself may already have taken effect).
    fn record(&self, call: S3CallRecord, ctx: &RequestContext)
    -> BoxFuture<'_, Result<(), String>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(bucket: Option<&str>, key: Option<&str>) -> S3CallRecord {
        S3CallRecord {
            operation: "GetObject",
            category: S3EventCategory::Data,
            read_only: true,
            principal: None,
            key_owner: None,
            access_key_id: None,
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            bucket_owner_account_id: Some("111122223333".into()),
            aws_region: "us-east-1".into(),
            http_status: 200,
            error_code: None,
            error_message: None,
            request_id: "R".into(),
            host_id: "H".into(),
            host_header: None,
            request_parameters: json!({}),
            response_elements: None,
            bytes_in: 0,
            bytes_out: 5,
            auth_method: Some("AuthHeader"),
            signature_version: Some("SigV4"),
            event_time: Utc::now(),
        }
    }

    #[test]
    fn resources_name_object_then_bucket_with_owner() {
        let resources = record(Some("b"), Some("k/1")).resources().unwrap();
        assert_eq!(
            resources,
            json!([
                {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/k/1"},
                {"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}
            ])
        );
        assert_eq!(record(None, None).resources(), None);
        let mut listing = record(Some("b"), None);
        listing.request_parameters = json!({"prefix": "logs/"});
        assert_eq!(
            listing.resources().unwrap()[0],
            json!({"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::b/logs/"})
        );
        listing.category = S3EventCategory::Management;
        assert_eq!(listing.resources().unwrap().as_array().unwrap().len(), 1);
    }

    #[test]
    fn additional_event_data_carries_bytes_and_auth() {
        let data = record(Some("b"), None).additional_event_data(None);
        assert_eq!(data["bytesTransferredOut"], json!(5));
        assert_eq!(data["AuthenticationMethod"], json!("AuthHeader"));
        assert_eq!(data["SignatureVersion"], json!("SigV4"));
        assert_eq!(data["x-amz-id-2"], json!("H"));
    }
}
