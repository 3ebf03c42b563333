//! Glue between trail delivery (crate `opentrail-delivery`) and the rest of the server: embedded
//! buckets and configured upstream S3-compatible endpoints as destinations, SNS topics as the
//! notifier, and the buckets an operator maps to upstreams as trusted trail destinations.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use opentrail_delivery::{
    BoxFuture, Destination, DestinationError, DestinationResolver, Notifier,
    S3CompatibleDestination, S3Endpoint,
};
use opentrail_s3::{S3Error, S3Front};

use crate::config::UpstreamConfig;

/// Embedded buckets as a delivery destination (write-once internal puts).
#[derive(Debug)]
pub struct EmbeddedDestination(pub Arc<S3Front>);

impl Destination for EmbeddedDestination {
    fn put_object<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Bytes,
        content_type: &'a str,
        metadata: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<(), DestinationError>> {
        Box::pin(async move {
            match self
                .0
                .put_object_internal(bucket, key, body, content_type, metadata)
                .await
            {
                Ok(()) => Ok(()),
                Err(S3Error::ObjectExists { .. }) => Err(DestinationError::already_exists(
                    format!("{bucket}/{key} exists"),
                )),
                Err(S3Error::NoSuchBucket { .. }) => Err(DestinationError::permanent(format!(
                    "The specified bucket does not exist: {bucket}"
                ))),
                Err(error) => Err(DestinationError::retryable(error.to_string())),
            }
        })
    }
}

/// Picks, per bucket, the configured upstream endpoint (by name, or the `"*"` upstream for buckets
/// that are not embedded) or else the embedded buckets.
pub struct Destinations {
    embedded_front: Arc<S3Front>,
    embedded: Arc<dyn Destination>,
    by_bucket: HashMap<String, Arc<dyn Destination>>,
    wildcard: Option<Arc<dyn Destination>>,
}

impl std::fmt::Debug for Destinations {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Destinations")
            .field(
                "upstream_buckets",
                &self.by_bucket.keys().collect::<Vec<_>>(),
            )
            .field("wildcard", &self.wildcard.is_some())
            .finish()
    }
}

impl Destinations {
    /// Builds the resolver from the config's `[[upstreams]]`.
    pub fn new(embedded: Arc<S3Front>, upstreams: &[UpstreamConfig]) -> Self {
        let mut by_bucket: HashMap<String, Arc<dyn Destination>> = HashMap::new();
        let mut wildcard = None;
        for upstream in upstreams {
            let destination: Arc<dyn Destination> =
                Arc::new(S3CompatibleDestination::new(S3Endpoint {
                    endpoint_url: Some(upstream.endpoint.clone()),
                    region: upstream.region.clone(),
                    access_key_id: upstream.access_key_id.clone(),
                    secret_access_key: upstream.secret_access_key.clone(),
                    path_style: true,
                }));
            for bucket in &upstream.buckets {
                if bucket == "*" {
                    wildcard = Some(destination.clone());
                } else {
                    by_bucket.insert(bucket.clone(), destination.clone());
                }
            }
        }
        Self {
            embedded: Arc::new(EmbeddedDestination(embedded.clone())),
            embedded_front: embedded,
            by_bucket,
            wildcard,
        }
    }

    /// Whether `bucket` lives on an upstream the operator configured (trails may deliver there;
    /// its policy is the operator's business, not visible to OpenTrail).
    pub fn is_upstream(&self, bucket: &str) -> bool {
        self.by_bucket.contains_key(bucket)
            || (self.wildcard.is_some() && self.embedded_front.bucket_info(bucket).is_none())
    }
}

impl DestinationResolver for Destinations {
    fn destination_for(&self, bucket: &str) -> Arc<dyn Destination> {
        if let Some(destination) = self.by_bucket.get(bucket) {
            return destination.clone();
        }
        match (&self.wildcard, self.embedded_front.bucket_info(bucket)) {
            (Some(upstream), None) => upstream.clone(),
            _ => self.embedded.clone(),
        }
    }
}

/// Trail notifications through OpenTrail's own SNS topics.
#[derive(Debug, Clone)]
pub struct SnsNotifier(pub opentrail_sns::SnsService);

impl Notifier for SnsNotifier {
    fn notify(
        &self,
        trail: &opentrail_control::TrailConfig,
        bucket: &str,
        keys: &[String],
    ) -> Result<(), DestinationError> {
        let Some(topic) = trail.trail.sns_topic_arn.as_deref() else {
            return Ok(());
        };
        let message = opentrail_delivery::notification_message(bucket, keys);
        self.0
            .publish_internal(topic, None, &message)
            .map(|_| ())
            .map_err(|error| DestinationError::retryable(error.to_string()))
    }
}
