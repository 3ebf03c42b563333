//! The trail as the control plane keeps it ([`TrailRecord`], [`TrailStatusRecord`]) and its wire
//! shapes: the `Trail` structure of GetTrail/DescribeTrails, the CreateTrail/UpdateTrail response,
//! the `TrailInfo` of ListTrails and the GetTrailStatus response.
//!
//! Rendering is the only place that decides which members AWS omits when unset (prefix, topic,
//! CloudWatch Logs, KMS) and how times are written (epoch seconds as JSON numbers, plus the legacy
//! ISO-8601 strings of GetTrailStatus). Nothing here touches the database.

use chrono::{DateTime, Utc};
use opentrail_selectors::{InsightSelector, TrailSelectors};
use serde_json::{Map, Value, json};

use crate::names::TrailArn;

/// Every setting of one trail, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailRecord {
    /// Identity: account, home region and name.
    pub arn: TrailArn,
    /// Destination bucket.
    pub s3_bucket_name: String,
    /// Key prefix inside the bucket, without the `/` that separates it from `AWSLogs/`.
    pub s3_key_prefix: Option<String>,
    /// Notification topic ARN.
    pub sns_topic_arn: Option<String>,
    /// `IncludeGlobalServiceEvents`.
    pub include_global_service_events: bool,
    /// `IsMultiRegionTrail`.
    pub is_multi_region_trail: bool,
    /// `LogFileValidationEnabled`.
    pub log_file_validation_enabled: bool,
    /// `CloudWatchLogsLogGroupArn`.
    pub cloudwatch_logs_log_group_arn: Option<String>,
    /// `CloudWatchLogsRoleArn`.
    pub cloudwatch_logs_role_arn: Option<String>,
    /// `KmsKeyId`, always as an ARN.
    pub kms_key_id: Option<String>,
    /// `IsOrganizationTrail` (always false: OpenTrail has no organizations).
    pub is_organization_trail: bool,
    /// `RecursiveLogging` (botocore >= 1.44): deliver events caused by this trail's own delivery.
    pub recursive_logging: bool,
    /// Basic or advanced event selectors.
    pub selectors: TrailSelectors,
    /// Insights selectors; empty when Insights is off.
    pub insight_selectors: Vec<InsightSelector>,
    /// When the trail was created.
    pub created_at: DateTime<Utc>,
}

impl TrailRecord {
    /// A new trail as CreateTrail makes it before applying the request's options: global service
    /// events on, single-region, no validation, recursive logging on, the default event selectors.
    pub fn with_defaults(arn: TrailArn, s3_bucket_name: &str, created_at: DateTime<Utc>) -> Self {
        TrailRecord {
            arn,
            s3_bucket_name: s3_bucket_name.to_string(),
            s3_key_prefix: None,
            sns_topic_arn: None,
            include_global_service_events: true,
            is_multi_region_trail: false,
            log_file_validation_enabled: false,
            cloudwatch_logs_log_group_arn: None,
            cloudwatch_logs_role_arn: None,
            kms_key_id: None,
            is_organization_trail: false,
            recursive_logging: true,
            selectors: TrailSelectors::default_for_new_trail(),
            insight_selectors: Vec::new(),
            created_at,
        }
    }

    /// Whether the trail is visible in `region`: it lives there, or it is multi-Region (a shadow).
    pub fn is_visible_in(&self, region: &str) -> bool {
        self.arn.home_region == region || self.is_multi_region_trail
    }

    /// The topic name part of the topic ARN (the deprecated `SnsTopicName` member).
    pub fn sns_topic_name(&self) -> Option<&str> {
        self.sns_topic_arn
            .as_deref()
            .and_then(|arn| arn.rsplit(':').next())
    }

    /// The members shared by the `Trail` structure and the Create/UpdateTrail responses.
    fn common_members(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("Name".into(), json!(self.arn.name.as_str()));
        out.insert("S3BucketName".into(), json!(self.s3_bucket_name));
        insert_some(&mut out, "S3KeyPrefix", self.s3_key_prefix.as_deref());
        insert_some(&mut out, "SnsTopicName", self.sns_topic_name());
        insert_some(&mut out, "SnsTopicARN", self.sns_topic_arn.as_deref());
        out.insert(
            "IncludeGlobalServiceEvents".into(),
            json!(self.include_global_service_events),
        );
        out.insert(
            "IsMultiRegionTrail".into(),
            json!(self.is_multi_region_trail),
        );
        out.insert("TrailARN".into(), json!(self.arn.to_string()));
        out.insert(
            "LogFileValidationEnabled".into(),
            json!(self.log_file_validation_enabled),
        );
        insert_some(
            &mut out,
            "CloudWatchLogsLogGroupArn",
            self.cloudwatch_logs_log_group_arn.as_deref(),
        );
        insert_some(
            &mut out,
            "CloudWatchLogsRoleArn",
            self.cloudwatch_logs_role_arn.as_deref(),
        );
        insert_some(&mut out, "KmsKeyId", self.kms_key_id.as_deref());
        out.insert(
            "IsOrganizationTrail".into(),
            json!(self.is_organization_trail),
        );
        out.insert("RecursiveLogging".into(), json!(self.recursive_logging));
        out
    }

    /// The CreateTrail / UpdateTrail response body.
    pub fn to_write_response(&self) -> Value {
        Value::Object(self.common_members())
    }

    /// The `Trail` structure of GetTrail and DescribeTrails.
    pub fn to_trail_shape(&self) -> Value {
        let mut out = self.common_members();
        out.insert("HomeRegion".into(), json!(self.arn.home_region));
        out.insert(
            "HasCustomEventSelectors".into(),
            json!(self.selectors.is_custom()),
        );
        out.insert(
            "HasInsightSelectors".into(),
            json!(!self.insight_selectors.is_empty()),
        );
        Value::Object(out)
    }

    /// The `TrailInfo` structure of ListTrails.
    pub fn to_trail_info(&self) -> Value {
        json!({
            "TrailARN": self.arn.to_string(),
            "Name": self.arn.name.as_str(),
            "HomeRegion": self.arn.home_region,
        })
    }
}

fn insert_some(out: &mut Map<String, Value>, member: &str, value: Option<&str>) {
    if let Some(value) = value {
        out.insert(member.to_string(), json!(value));
    }
}

/// Logging state and the latest delivery outcomes of one trail, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailStatusRecord {
    /// `IsLogging`.
    pub is_logging: bool,
    /// Last StartLogging that turned logging on.
    pub start_logging_time: Option<DateTime<Utc>>,
    /// Last StopLogging that turned logging off.
    pub stop_logging_time: Option<DateTime<Utc>>,
    /// Last successful log-file delivery.
    pub latest_delivery_time: Option<DateTime<Utc>>,
    /// Last log-file delivery attempt, successful or not.
    pub latest_delivery_attempt_time: Option<DateTime<Utc>>,
    /// Error of the last failed log-file delivery, cleared by a success.
    pub latest_delivery_error: Option<String>,
    /// Last successful SNS notification.
    pub latest_notification_time: Option<DateTime<Utc>>,
    /// Last notification attempt.
    pub latest_notification_attempt_time: Option<DateTime<Utc>>,
    /// Error of the last failed notification, cleared by a success.
    pub latest_notification_error: Option<String>,
    /// Last successful CloudWatch Logs delivery.
    pub latest_cloudwatch_logs_delivery_time: Option<DateTime<Utc>>,
    /// Error of the last failed CloudWatch Logs delivery, cleared by a success.
    pub latest_cloudwatch_logs_delivery_error: Option<String>,
    /// Last successful digest delivery.
    pub latest_digest_delivery_time: Option<DateTime<Utc>>,
    /// Error of the last failed digest delivery, cleared by a success.
    pub latest_digest_delivery_error: Option<String>,
}

impl TrailStatusRecord {
    /// The GetTrailStatus response: unset times and errors are omitted, the six legacy string
    /// members are always present (`""` when unset), as AWS returns them.
    pub fn to_status_response(&self) -> Value {
        let mut out = Map::new();
        out.insert("IsLogging".into(), json!(self.is_logging));
        insert_some(
            &mut out,
            "LatestDeliveryError",
            self.latest_delivery_error.as_deref(),
        );
        insert_some(
            &mut out,
            "LatestNotificationError",
            self.latest_notification_error.as_deref(),
        );
        insert_time(&mut out, "LatestDeliveryTime", self.latest_delivery_time);
        insert_time(
            &mut out,
            "LatestNotificationTime",
            self.latest_notification_time,
        );
        insert_time(&mut out, "StartLoggingTime", self.start_logging_time);
        insert_time(&mut out, "StopLoggingTime", self.stop_logging_time);
        insert_some(
            &mut out,
            "LatestCloudWatchLogsDeliveryError",
            self.latest_cloudwatch_logs_delivery_error.as_deref(),
        );
        insert_time(
            &mut out,
            "LatestCloudWatchLogsDeliveryTime",
            self.latest_cloudwatch_logs_delivery_time,
        );
        insert_time(
            &mut out,
            "LatestDigestDeliveryTime",
            self.latest_digest_delivery_time,
        );
        insert_some(
            &mut out,
            "LatestDigestDeliveryError",
            self.latest_digest_delivery_error.as_deref(),
        );
        out.insert(
            "LatestDeliveryAttemptTime".into(),
            legacy_time(self.latest_delivery_attempt_time),
        );
        out.insert(
            "LatestNotificationAttemptTime".into(),
            legacy_time(self.latest_notification_attempt_time),
        );
        out.insert(
            "LatestNotificationAttemptSucceeded".into(),
            legacy_time(self.latest_notification_time),
        );
        out.insert(
            "LatestDeliveryAttemptSucceeded".into(),
            legacy_time(self.latest_delivery_time),
        );
        out.insert(
            "TimeLoggingStarted".into(),
            legacy_time(self.start_logging_time),
        );
        out.insert(
            "TimeLoggingStopped".into(),
            legacy_time(self.stop_logging_time),
        );
        Value::Object(out)
    }
}

/// Which delivery a consumer reports with [`crate::ControlPlane::record_delivery_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// A log file written to the trail's bucket (`LatestDelivery*`).
    LogFile,
    /// A digest file written to the trail's bucket (`LatestDigestDelivery*`).
    Digest,
    /// An SNS notification about a delivered log file (`LatestNotification*`).
    Notification,
    /// Events sent to the trail's CloudWatch Logs log group (`LatestCloudWatchLogsDelivery*`).
    CloudWatchLogs,
}

/// A timestamp as AWS JSON 1.1 writes it: epoch seconds, milliseconds as the fraction.
pub fn epoch_seconds(time: DateTime<Utc>) -> Value {
    json!(time.timestamp_millis() as f64 / 1000.0)
}

fn insert_time(out: &mut Map<String, Value>, member: &str, time: Option<DateTime<Utc>>) {
    if let Some(time) = time {
        out.insert(member.to_string(), epoch_seconds(time));
    }
}

/// The legacy GetTrailStatus string form (`2016-01-28T23:02:24Z`), or `""` when unset.
fn legacy_time(time: Option<DateTime<Utc>>) -> Value {
    json!(
        time.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn status_of_a_trail_that_never_logged() {
        let status = TrailStatusRecord::default().to_status_response();
        assert_eq!(
            status,
            json!({
                "IsLogging": false,
                "LatestDeliveryAttemptTime": "",
                "LatestNotificationAttemptTime": "",
                "LatestNotificationAttemptSucceeded": "",
                "LatestDeliveryAttemptSucceeded": "",
                "TimeLoggingStarted": "",
                "TimeLoggingStopped": "",
            })
        );
    }

    #[test]
    fn status_times_are_epoch_numbers_and_legacy_strings() {
        let started = Utc.timestamp_millis_opt(1_446_834_998_695).unwrap();
        let status = TrailStatusRecord {
            is_logging: true,
            start_logging_time: Some(started),
            ..Default::default()
        };
        let out = status.to_status_response();
        assert_eq!(out["StartLoggingTime"], json!(1_446_834_998.695));
        assert_eq!(out["TimeLoggingStarted"], json!("2015-11-06T18:36:38Z"));
        assert!(out.get("StopLoggingTime").is_none());
    }
}
