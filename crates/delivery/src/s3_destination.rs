//! [`S3CompatibleDestination`]: delivery to any S3-compatible endpoint (AWS S3, MinIO, Ceph,
//! Garage, SeaweedFS, s3s-fs) through `object_store` 0.13, one client per bucket.
//!
//! Every put is write-once (`PutMode::Create`, i.e. `If-None-Match: *`); a taken key answers
//! `AlreadyExists`. User metadata travels as `x-amz-meta-*` headers. The client's own retries are
//! kept short: the delivery worker owns the long backoff, so one stuck request must not hold a
//! trail for minutes. Nothing here knows trails or keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectStore, PutMode, PutOptions, PutPayload, RetryConfig,
};

use crate::destination::{BoxFuture, Destination};
use crate::error::{DeliveryError, DestinationError};

/// How to reach an S3-compatible endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Endpoint {
    /// Endpoint URL, e.g. `http://127.0.0.1:9000`; `None` for AWS S3 itself.
    pub endpoint_url: Option<String>,
    /// Signing region.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Path-style requests (`<endpoint>/<bucket>/<key>`) instead of virtual-hosted style.
    pub path_style: bool,
}

/// Write-once delivery to the buckets of one S3-compatible endpoint.
#[derive(Debug)]
pub struct S3CompatibleDestination {
    endpoint: S3Endpoint,
    clients: Mutex<HashMap<String, Arc<AmazonS3>>>,
}

impl S3CompatibleDestination {
    /// A destination for `endpoint`; clients are built per bucket on first use.
    pub fn new(endpoint: S3Endpoint) -> Self {
        S3CompatibleDestination {
            endpoint,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, bucket: &str) -> Result<Arc<AmazonS3>, DeliveryError> {
        let mut clients = self.clients.lock().expect("client map lock poisoned");
        if let Some(client) = clients.get(bucket) {
            return Ok(client.clone());
        }
        let client = Arc::new(self.build(bucket)?);
        clients.insert(bucket.to_owned(), client.clone());
        Ok(client)
    }

    fn build(&self, bucket: &str) -> Result<AmazonS3, DeliveryError> {
        let endpoint = &self.endpoint;
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(20),
            ..RetryConfig::default()
        };
        let options = ClientOptions::new()
            .with_timeout(Duration::from_secs(60))
            .with_allow_http(true);
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&endpoint.region)
            .with_access_key_id(&endpoint.access_key_id)
            .with_secret_access_key(&endpoint.secret_access_key)
            .with_virtual_hosted_style_request(!endpoint.path_style)
            .with_retry(retry)
            .with_client_options(options);
        if let Some(url) = &endpoint.endpoint_url {
            builder = builder.with_endpoint(url);
        }
        builder
            .build()
            .map_err(|error| DeliveryError::DestinationSetup {
                bucket: bucket.to_owned(),
                message: error.to_string(),
            })
    }

    async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        content_type: &str,
        metadata: &[(String, String)],
    ) -> Result<(), DestinationError> {
        let client = self
            .client(bucket)
            .map_err(|error| DestinationError::permanent(error.to_string()))?;
        let path = Path::parse(key).map_err(|error| {
            DestinationError::permanent(format!("object key '{key}' is not usable: {error}"))
        })?;
        let options = PutOptions {
            mode: PutMode::Create,
            attributes: attributes(content_type, metadata),
            ..PutOptions::default()
        };
        client
            .put_opts(&path, PutPayload::from(body), options)
            .await
            .map(drop)
            .map_err(|error| destination_error(bucket, key, error))
    }
}

fn attributes(content_type: &str, metadata: &[(String, String)]) -> Attributes {
    let mut attributes = Attributes::new();
    attributes.insert(Attribute::ContentType, content_type.to_owned().into());
    for (name, value) in metadata {
        attributes.insert(
            Attribute::Metadata(name.clone().into()),
            value.clone().into(),
        );
    }
    attributes
}

fn destination_error(bucket: &str, key: &str, error: object_store::Error) -> DestinationError {
    let message = format!("put of '{key}' into bucket '{bucket}' failed: {error}");
    match error {
        object_store::Error::AlreadyExists { .. } => DestinationError::already_exists(message),
        object_store::Error::NotFound { .. }
        | object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. }
        | object_store::Error::NotImplemented { .. }
        | object_store::Error::InvalidPath { .. } => DestinationError::permanent(message),
        _ => DestinationError::retryable(message),
    }
}

impl Destination for S3CompatibleDestination {
    fn put_object<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Bytes,
        content_type: &'a str,
        metadata: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<(), DestinationError>> {
        Box::pin(self.put(bucket, key, body, content_type, metadata))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DestinationErrorKind;

    #[test]
    fn object_store_errors_map_to_destination_kinds() {
        let source = || Box::<dyn std::error::Error + Send + Sync>::from("x");
        let check = |error: object_store::Error, expected: DestinationErrorKind| {
            let mapped = destination_error("b", "k", error);
            assert_eq!(mapped.kind, expected, "{}", mapped.message);
            assert!(mapped.message.contains("'k'") && mapped.message.contains("'b'"));
        };
        check(
            object_store::Error::AlreadyExists {
                path: "k".into(),
                source: source(),
            },
            DestinationErrorKind::AlreadyExists,
        );
        check(
            object_store::Error::NotFound {
                path: "k".into(),
                source: source(),
            },
            DestinationErrorKind::Permanent,
        );
        check(
            object_store::Error::Generic {
                store: "S3",
                source: source(),
            },
            DestinationErrorKind::Retryable,
        );
    }

    #[test]
    fn metadata_becomes_user_metadata_attributes() {
        let attributes = attributes("application/x-gzip", &[("signature".into(), "abc".into())]);
        assert_eq!(
            attributes.get(&Attribute::ContentType).map(|v| v.as_ref()),
            Some("application/x-gzip")
        );
        assert_eq!(
            attributes
                .get(&Attribute::Metadata("signature".into()))
                .map(|v| v.as_ref()),
            Some("abc")
        );
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_a_retryable_failure() {
        let destination = S3CompatibleDestination::new(S3Endpoint {
            endpoint_url: Some("http://127.0.0.1:1".into()),
            region: "us-east-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".into(),
            path_style: true,
        });
        let error = destination
            .put_object("bucket", "AWSLogs/k.json.gz", Bytes::from("x"), "t", &[])
            .await
            .unwrap_err();
        assert!(error.is_retryable(), "{error:?}");
    }
}
