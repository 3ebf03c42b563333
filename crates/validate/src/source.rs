//! Where digests, log files, trails and public keys come from: the [`Source`] trait and the shapes of
//! the five calls `validate-logs` makes (DescribeTrails, ListPublicKeys, GetBucketLocation,
//! ListObjects v1, GetObject) plus DescribeOrganization for organization trails.
//!
//! A source answers single calls; it does not cache, retry at the validation level, or decide what an
//! error means for the report — that is the traversal's job, which mirrors the CLI's call order.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use chrono::{DateTime, Utc};

/// One entry of DescribeTrails' `trailList` (only the members the CLI reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailDescription {
    /// `TrailARN`.
    pub trail_arn: Option<String>,
    /// `S3BucketName`.
    pub s3_bucket_name: Option<String>,
    /// `S3KeyPrefix`.
    pub s3_key_prefix: Option<String>,
    /// `IsOrganizationTrail`.
    pub is_organization_trail: bool,
}

/// A bucket together with the Region its S3 client is made for (the CLI's `S3ClientProvider`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInRegion<'a> {
    /// The bucket name.
    pub bucket: &'a str,
    /// `LocationConstraint`, with `None` mapped to `us-east-1`.
    pub region: &'a str,
}

/// One page of ListObjects (v1) with keys already URL-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectListing {
    /// `Contents[*].Key`, in listing order.
    pub keys: Vec<String>,
    /// `IsTruncated`.
    pub is_truncated: bool,
    /// `NextMarker` when present.
    pub next_marker: Option<String>,
}

/// A whole object with its user metadata (`x-amz-meta-*` without the prefix, lower-case names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredObject {
    /// The stored bytes.
    pub body: Vec<u8>,
    /// User metadata.
    pub metadata: BTreeMap<String, String>,
}

/// One entry of ListPublicKeys' `PublicKeyList`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeyEntry {
    /// `Fingerprint`.
    pub fingerprint: Option<String>,
    /// `Value`: base64 text of the PKCS#1 DER, exactly as on the wire.
    pub value: Option<String>,
    /// `ValidityStartTime`.
    pub validity_start: Option<DateTime<Utc>>,
    /// `ValidityEndTime`.
    pub validity_end: Option<DateTime<Utc>>,
}

/// A failed call, carrying what the CLI would print for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// The service answered with an error (botocore `ClientError`).
    Service {
        /// The operation name, e.g. `GetObject`.
        operation: String,
        /// The error code, e.g. `NoSuchKey` (or the HTTP status when the body had none).
        code: String,
        /// The error message.
        message: String,
        /// Retries made before giving up (botocore mentions them when the last attempt was retryable).
        retries: u32,
    },
    /// No connection could be made (botocore `EndpointConnectionError`).
    Connection {
        /// The request URL.
        url: String,
    },
    /// The endpoint did not answer in time (botocore `ReadTimeoutError`).
    ReadTimeout {
        /// The request URL.
        url: String,
    },
    /// No credentials are configured (botocore `NoCredentialsError`).
    NoCredentials,
    /// Any other failure, by its text (a read error, a malformed response, a local file problem).
    Other(String),
}

impl SourceError {
    /// True for an error response from a service (`ClientError`).
    pub fn is_client_error(&self) -> bool {
        matches!(self, SourceError::Service { .. })
    }

    /// True for a `ClientError` with code `NoSuchKey`.
    pub fn is_no_such_key(&self) -> bool {
        matches!(self, SourceError::Service { code, .. } if code == "NoSuchKey")
    }

    /// A `NoSuchKey` error for `GetObject`.
    pub fn no_such_key() -> SourceError {
        SourceError::Service {
            operation: "GetObject".to_owned(),
            code: "NoSuchKey".to_owned(),
            message: "The specified key does not exist.".to_owned(),
            retries: 0,
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Service {
                operation,
                code,
                message,
                retries,
            } => {
                let retried = if *retries > 0 {
                    format!(" (reached max retries: {retries})")
                } else {
                    String::new()
                };
                write!(
                    formatter,
                    "An error occurred ({code}) when calling the {operation} operation{retried}: {message}"
                )
            }
            SourceError::Connection { url } => {
                write!(
                    formatter,
                    "Could not connect to the endpoint URL: \"{url}\""
                )
            }
            SourceError::ReadTimeout { url } => {
                write!(formatter, "Read timeout on endpoint URL: \"{url}\"")
            }
            SourceError::NoCredentials => write!(formatter, "Unable to locate credentials"),
            SourceError::Other(text) => formatter.write_str(text),
        }
    }
}

impl std::error::Error for SourceError {}

/// A streaming object body.
pub type ObjectReader = Box<dyn Read + Send>;

/// The calls `validate-logs` makes. Implementations must be usable from several threads at once
/// (log files are fetched in parallel).
pub trait Source: Send + Sync {
    /// CloudTrail `DescribeTrails` with an empty request.
    fn describe_trails(&self) -> Result<Vec<TrailDescription>, SourceError>;

    /// Organizations `DescribeOrganization`: the organization id.
    fn describe_organization_id(&self) -> Result<String, SourceError>;

    /// S3 `GetBucketLocation` made from a client in `client_region` (`None` = the source's default
    /// Region): the `LocationConstraint` (`None` when empty).
    fn bucket_location(
        &self,
        bucket: &str,
        client_region: Option<&str>,
    ) -> Result<Option<String>, SourceError>;

    /// S3 `ListObjects` (v1) with `EncodingType=url`, keys strictly after `marker`.
    fn list_objects(
        &self,
        bucket: BucketInRegion<'_>,
        prefix: &str,
        marker: &str,
    ) -> Result<ObjectListing, SourceError>;

    /// S3 `GetObject`, whole body plus user metadata.
    fn get_object(
        &self,
        bucket: BucketInRegion<'_>,
        key: &str,
    ) -> Result<StoredObject, SourceError>;

    /// S3 `GetObject` as a stream (log files are never held whole).
    fn open_object(
        &self,
        bucket: BucketInRegion<'_>,
        key: &str,
    ) -> Result<ObjectReader, SourceError>;

    /// CloudTrail `ListPublicKeys(StartTime, EndTime)`; `None` when the response had no
    /// `PublicKeyList` member.
    fn list_public_keys(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<Vec<PublicKeyEntry>>, SourceError>;

    /// True when digest objects may have lost their signature metadata (a local copy of a bucket):
    /// the validation may then take a digest's signature from the newer digest that names it in
    /// `previousDigestSignature` (see the crate documentation).
    fn signatures_may_be_missing(&self) -> bool {
        false
    }

    /// Where a digest's signature sidecar would be, for messages (local sources only).
    fn sidecar_hint(&self, _bucket: &str, _key: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_render_like_botocore() {
        let table = [
            (
                SourceError::no_such_key(),
                "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.",
            ),
            (
                SourceError::Service {
                    operation: "ListObjects".to_owned(),
                    code: "InternalError".to_owned(),
                    message: "boom".to_owned(),
                    retries: 4,
                },
                "An error occurred (InternalError) when calling the ListObjects operation (reached max retries: 4): boom",
            ),
            (
                SourceError::Connection {
                    url: "http://127.0.0.1:9/".to_owned(),
                },
                "Could not connect to the endpoint URL: \"http://127.0.0.1:9/\"",
            ),
        ];
        for (error, expected) in table {
            assert_eq!(error.to_string(), expected);
        }
    }
}
