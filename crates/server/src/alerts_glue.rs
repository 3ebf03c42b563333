//! The alerting chain's glue: trails deliver their records to CloudWatch Logs log groups (an event-log
//! consumer), metric filters' datapoints go to CloudWatch metrics, and alarm actions publish to SNS.
//!
//! ```text
//! event log -> [CloudWatchLogsDelivery] -> logs (append, metric filters) -> [MetricsFromLogs]
//!   -> monitoring (metrics, alarms evaluated on every put) -> [AlarmsToSns] -> sns outbox -> subscribers
//! ```
//! Each arrow is synchronous inside the consumer's batch, so an alarm that a record crosses fires
//! within one consumer wake-up of the record being acknowledged. This module holds the routing and
//! conversions only; the semantics live in `opentrail-logs`, `opentrail-monitoring` and `opentrail-sns`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, TimeZone, Utc};
use opentrail_control::{ControlPlane, DeliveryKind, TrailConfig};
use opentrail_delivery::RecordSummary;
use opentrail_delivery::routing::{envelope_is_candidate, file_region_for};
use opentrail_eventlog::{Consumer, ConsumerError, Entry};
use opentrail_logs::{Logs, MetricPoint, MetricSink};
use opentrail_monitoring::{AlarmActionSink, Dimension, MetricDatum, MetricValue, Monitoring};
use opentrail_record::Envelope;
use opentrail_sns::SnsService;

/// The consumer's cursor name (stable across restarts).
pub const CONSUMER_NAME: &str = "cloudwatch-logs";

/// Delivers each logging trail's records to its `CloudWatchLogsLogGroupArn`, in the stream
/// `<account>_CloudTrail_<region>`, as compact JSON with the event time as timestamp. Appends carry
/// the event-log sequence numbers, so a batch replayed after a crash adds nothing twice.
#[derive(Debug)]
pub struct CloudWatchLogsDelivery {
    /// Trails and their delivery status.
    pub control: Arc<ControlPlane>,
    /// The log groups.
    pub logs: Logs,
}

/// Where one trail's records go: (account, region, group, stream).
type StreamKey = (String, String, String, String);

/// A stream's events of one batch (event-log position, timestamp ms, message) and the trails (by
/// index) that sent them.
#[derive(Default)]
struct StreamBatch {
    events: Vec<(i64, i64, String)>,
    trails: Vec<usize>,
}

impl CloudWatchLogsDelivery {
    fn trails(&self) -> Vec<(TrailConfig, LogGroupTarget)> {
        self.control
            .trails_snapshot()
            .into_iter()
            .filter_map(|trail| {
                let target = trail
                    .trail
                    .cloudwatch_logs_log_group_arn
                    .as_deref()
                    .and_then(LogGroupTarget::parse)?;
                Some((trail, target))
            })
            .collect()
    }
}

/// A log group named by its ARN, `arn:aws:logs:<region>:<account>:log-group:<name>:*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupTarget {
    /// The group's region.
    pub region: String,
    /// The group's account.
    pub account_id: String,
    /// The group's name.
    pub name: String,
}

impl LogGroupTarget {
    /// Reads a log group ARN (with or without the trailing `:*`).
    pub fn parse(arn: &str) -> Option<Self> {
        let rest = arn.strip_prefix("arn:")?;
        let mut fields = rest.splitn(6, ':');
        let (_partition, service, region, account_id, kind) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        let name = fields.next()?;
        if service != "logs" || kind != "log-group" {
            return None;
        }
        let name = name.strip_suffix(":*").unwrap_or(name);
        (!name.is_empty()).then(|| Self {
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl Consumer for CloudWatchLogsDelivery {
    fn name(&self) -> &str {
        CONSUMER_NAME
    }

    fn apply(&mut self, batch: &[Entry]) -> Result<(), ConsumerError> {
        let trails = self.trails();
        if trails.is_empty() {
            return Ok(());
        }
        let mut streams: BTreeMap<StreamKey, StreamBatch> = BTreeMap::new();
        for entry in batch {
            let Ok(envelope) = Envelope::decode(&entry.payload) else {
                continue;
            };
            let ingest_time = Utc
                .timestamp_millis_opt(envelope.ingest_time_ms)
                .single()
                .unwrap_or_else(Utc::now);
            let mut parsed: Option<Option<(RecordSummary<'_>, i64, String)>> = None;
            for (index, (trail, target)) in trails.iter().enumerate() {
                if !envelope_is_candidate(trail, &envelope.account_id, ingest_time) {
                    continue;
                }
                let Some((summary, timestamp, message)) =
                    parsed.get_or_insert_with(|| parse_record(&envelope.record))
                else {
                    break;
                };
                let Some(region) = file_region_for(&trail.trail, summary) else {
                    continue;
                };
                let key = (
                    target.account_id.clone(),
                    target.region.clone(),
                    target.name.clone(),
                    format!("{}_CloudTrail_{region}", envelope.account_id),
                );
                let slot = streams.entry(key).or_default();
                let position = i64::try_from(entry.seq.0).unwrap_or(i64::MAX);
                slot.events.push((position, *timestamp, message.clone()));
                if !slot.trails.contains(&index) {
                    slot.trails.push(index);
                }
            }
        }
        let now = Utc::now();
        for ((account, region, group, stream), batch) in streams {
            let outcome =
                self.logs
                    .append_from_source(&account, &region, &group, &stream, &batch.events);
            let status = match &outcome {
                Ok(_) => Ok(()),
                Err(opentrail_logs::LogsError::LogGroupNotFound { .. }) => {
                    Err(format!("log group {group} does not exist"))
                }
                Err(error) => return Err(ConsumerError::transient(error.to_string())),
            };
            for index in batch.trails {
                let arn = &trails[index].0.trail.arn;
                if let Err(error) = self.control.record_delivery_status(
                    arn,
                    DeliveryKind::CloudWatchLogs,
                    now,
                    status.as_ref().map(|_| ()).map_err(String::as_str),
                ) {
                    tracing::warn!(%error, "recording the CloudWatch Logs delivery status failed");
                }
            }
        }
        Ok(())
    }
}

/// The record's summary (for routing), its event time in ms, and its compact JSON text.
fn parse_record(record: &[u8]) -> Option<(RecordSummary<'_>, i64, String)> {
    let summary = RecordSummary::parse(record)?;
    let value: serde_json::Value = serde_json::from_slice(record).ok()?;
    let timestamp = value
        .get("eventTime")
        .and_then(|time| time.as_str())
        .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
        .map_or_else(
            || Utc::now().timestamp_millis(),
            |time| time.timestamp_millis(),
        );
    let message = serde_json::to_string(&value).ok()?;
    Some((summary, timestamp, message))
}

/// The log groups, as the trail control plane checks `CloudWatchLogsLogGroupArn` against them.
#[derive(Debug)]
pub struct LogGroups(pub Logs);

impl opentrail_control::LogGroupDirectory for LogGroups {
    fn log_group_exists(&self, account_id: &str, region: &str, name: &str) -> bool {
        self.0.group_exists(account_id, region, name)
    }
}

/// Metric filters' datapoints, stored as CloudWatch metrics (alarms evaluate on each put).
#[derive(Debug)]
pub struct MetricsFromLogs(pub Monitoring);

impl MetricSink for MetricsFromLogs {
    fn put(&self, account_id: &str, region: &str, points: Vec<MetricPoint>) {
        let now = Utc::now();
        let oldest = now - ChronoDuration::days(14);
        let newest = now + ChronoDuration::hours(2);
        let data: Vec<MetricDatum> = points
            .into_iter()
            .filter_map(|point| {
                let timestamp = Utc.timestamp_millis_opt(point.timestamp_ms).single()?;
                // CloudWatch keeps no datapoints outside this window (imported old records).
                (timestamp > oldest && timestamp < newest).then(|| MetricDatum {
                    namespace: point.namespace,
                    metric_name: point.metric_name,
                    dimensions: point
                        .dimensions
                        .into_iter()
                        .map(|(name, value)| Dimension::new(name, value))
                        .collect(),
                    timestamp,
                    value: MetricValue::Single(point.value),
                    unit: point.unit,
                })
            })
            .collect();
        if data.is_empty() {
            return;
        }
        for chunk in data.chunks(1000) {
            if let Err(error) = self.0.put_metric_data(account_id, region, chunk.to_vec()) {
                tracing::warn!(%error, account_id, region, "metric filter datapoints were not stored");
            }
        }
    }
}

/// Alarm actions: SNS topic ARNs of the alarm's own account get the alarm message published (other
/// action kinds, such as Auto Scaling or EC2 actions, do not exist here and are logged, as are
/// topics of other accounts).
#[derive(Debug)]
pub struct AlarmsToSns(pub SnsService);

impl AlarmActionSink for AlarmsToSns {
    fn alarm_action(
        &self,
        account_id: &str,
        region: &str,
        action_arn: &str,
        subject: &str,
        message: &str,
    ) {
        if !is_own_topic(account_id, action_arn) {
            tracing::warn!(
                account_id,
                region,
                action_arn,
                "alarm action is not an SNS topic of the alarm's account; ignored"
            );
            return;
        }
        if let Err(error) = self.0.publish_internal(action_arn, Some(subject), message) {
            tracing::warn!(%error, action_arn, "alarm notification could not be published");
        }
    }
}

/// Whether `action_arn` is an SNS topic of `account_id`. Topics of other accounts would need a topic
/// policy granting CloudWatch; OpenTrail keeps accounts apart and publishes only within one.
fn is_own_topic(account_id: &str, action_arn: &str) -> bool {
    let fields: Vec<&str> = action_arn.split(':').collect();
    matches!(fields.as_slice(), ["arn", _, "sns", _, account, name] if *account == account_id && !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarms_publish_only_to_their_own_accounts_topics() {
        let check = |arn: &str, expected: bool| {
            assert_eq!(is_own_topic("123456789012", arn), expected, "{arn}");
        };
        check("arn:aws:sns:us-east-1:123456789012:alerts", true);
        check("arn:aws:sns:us-east-1:111122223333:alerts", false);
        check("arn:aws:automate:us-east-1:ec2:stop", false);
        check("arn:aws:sns:us-east-1:123456789012:", false);
    }

    #[test]
    fn log_group_arns_are_read_with_or_without_the_wildcard() {
        let expected = Some(LogGroupTarget {
            region: "ap-northeast-1".into(),
            account_id: "123456789012".into(),
            name: "CloudTrail/DefaultLogGroup".into(),
        });
        for arn in [
            "arn:aws:logs:ap-northeast-1:123456789012:log-group:CloudTrail/DefaultLogGroup:*",
            "arn:aws:logs:ap-northeast-1:123456789012:log-group:CloudTrail/DefaultLogGroup",
        ] {
            assert_eq!(LogGroupTarget::parse(arn), expected, "{arn}");
        }
        assert_eq!(LogGroupTarget::parse("arn:aws:s3:::bucket"), None);
        assert_eq!(
            LogGroupTarget::parse("arn:aws:logs:us-east-1:123456789012:log-group::*"),
            None
        );
    }
}
