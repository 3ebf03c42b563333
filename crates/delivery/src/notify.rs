//! The notification seam: after each delivered log file, trails with an SNS topic tell it where the
//! file is. The server implements [`Notifier`] over its SNS crate; this module only defines the
//! message (reference §5: `{"s3Bucket":"<bucket>","s3ObjectKey":["<key>", …]}`).
//!
//! Retrying failed notifications and reporting them is the worker's job, not the notifier's.

use opentrail_control::TrailConfig;
use serde_json::json;

use crate::error::DestinationError;

/// Publishes "log files delivered" notices to a trail's SNS topic.
pub trait Notifier: Send + Sync {
    /// Publishes [`notification_message`] for `keys` in `bucket` to `trail`'s topic
    /// (`trail.trail.sns_topic_arn`). Called from a blocking thread, so it may block.
    fn notify(
        &self,
        trail: &TrailConfig,
        bucket: &str,
        keys: &[String],
    ) -> Result<(), DestinationError>;
}

/// A notifier that accepts everything and sends nothing (no SNS configured).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn notify(&self, _: &TrailConfig, _: &str, _: &[String]) -> Result<(), DestinationError> {
        Ok(())
    }
}

/// The SNS `Message` CloudTrail publishes for delivered log files.
pub fn notification_message(bucket: &str, keys: &[String]) -> String {
    json!({ "s3Bucket": bucket, "s3ObjectKey": keys }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_bucket_and_keys() {
        assert_eq!(
            notification_message("b", &["AWSLogs/1/k.json.gz".to_owned()]),
            r#"{"s3Bucket":"b","s3ObjectKey":["AWSLogs/1/k.json.gz"]}"#
        );
    }
}
