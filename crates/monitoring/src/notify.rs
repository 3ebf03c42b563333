//! What an alarm state change sends to its actions: the subject and the JSON message CloudWatch
//! publishes to SNS (key order and spellings as CloudWatch writes them, e.g. `Statistic: "SUM"`,
//! dimensions as `{"value", "name"}`, `Unit: null`), the long region names the message uses, and
//! the Action item of the alarm history.
//!
//! Delivering the message is the [`crate::AlarmActionSink`]'s business, not this module's.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alarm::Alarm;
use crate::format::aws_timestamp;
use crate::model::StateValue;
use crate::stats::Stat;

/// One action to run for a state change.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The alarm's account.
    pub account_id: String,
    /// The alarm's region.
    pub region: String,
    /// The action ARN (usually an SNS topic).
    pub action_arn: String,
    /// The SNS subject, e.g. `ALARM: "name" in US East (N. Virginia)`.
    pub subject: String,
    /// The JSON message.
    pub message: String,
}

/// The long name CloudWatch puts in `Region` (`US East (N. Virginia)`); the code when unknown.
pub fn region_long_name(region: &str) -> &str {
    match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "af-south-1" => "Africa (Cape Town)",
        "ap-east-1" => "Asia Pacific (Hong Kong)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ap-south-2" => "Asia Pacific (Hyderabad)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-southeast-3" => "Asia Pacific (Jakarta)",
        "ap-southeast-4" => "Asia Pacific (Melbourne)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-northeast-3" => "Asia Pacific (Osaka)",
        "ca-central-1" => "Canada (Central)",
        "ca-west-1" => "Canada West (Calgary)",
        "eu-central-1" => "EU (Frankfurt)",
        "eu-central-2" => "EU (Zurich)",
        "eu-west-1" => "EU (Ireland)",
        "eu-west-2" => "EU (London)",
        "eu-west-3" => "EU (Paris)",
        "eu-north-1" => "EU (Stockholm)",
        "eu-south-1" => "EU (Milan)",
        "eu-south-2" => "EU (Spain)",
        "il-central-1" => "Israel (Tel Aviv)",
        "me-south-1" => "Middle East (Bahrain)",
        "me-central-1" => "Middle East (UAE)",
        "sa-east-1" => "South America (Sao Paulo)",
        other => other,
    }
}

/// `ALARM: "name" in US East (N. Virginia)`, cut to SNS's 100 characters.
pub fn subject(alarm: &Alarm, state: StateValue) -> String {
    let text = format!(
        "{}: \"{}\" in {}",
        state.as_str(),
        alarm.config.alarm_name,
        region_long_name(&alarm.region)
    );
    text.chars().take(100).collect()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Message<'a> {
    alarm_name: &'a str,
    alarm_description: Option<&'a str>,
    #[serde(rename = "AWSAccountId")]
    aws_account_id: &'a str,
    alarm_configuration_updated_timestamp: String,
    new_state_value: &'a str,
    new_state_reason: &'a str,
    state_change_time: String,
    region: &'a str,
    alarm_arn: String,
    old_state_value: &'a str,
    #[serde(rename = "OKActions")]
    ok_actions: &'a [String],
    alarm_actions: &'a [String],
    insufficient_data_actions: &'a [String],
    trigger: Trigger<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Trigger<'a> {
    metric_name: &'a str,
    namespace: &'a str,
    statistic_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_statistic: Option<&'a str>,
    unit: Option<&'a str>,
    dimensions: Vec<NotificationDimension<'a>>,
    period: u32,
    evaluation_periods: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    datapoints_to_alarm: Option<u32>,
    comparison_operator: &'a str,
    threshold: f64,
    treat_missing_data: &'a str,
    evaluate_low_sample_count_percentile: &'a str,
}

#[derive(Serialize)]
struct NotificationDimension<'a> {
    value: &'a str,
    name: &'a str,
}

/// The JSON message for a change of `alarm` (already in its new state) from `old_state`.
pub fn message(alarm: &Alarm, old_state: StateValue) -> String {
    let config = &alarm.config;
    let stat = config.stat();
    let (statistic_type, statistic, extended_statistic) = match &stat {
        Stat::Simple(statistic) => ("Statistic", Some(statistic.notification_name()), None),
        Stat::Percentile(percentile) => {
            ("ExtendedStatistic", None, Some(percentile.label.as_str()))
        }
    };
    let message = Message {
        alarm_name: &config.alarm_name,
        alarm_description: config.alarm_description.as_deref(),
        aws_account_id: &alarm.account_id,
        alarm_configuration_updated_timestamp: aws_timestamp(config.configuration_updated),
        new_state_value: alarm.state.value.as_str(),
        new_state_reason: &alarm.state.reason,
        state_change_time: aws_timestamp(alarm.state.updated),
        region: region_long_name(&alarm.region),
        alarm_arn: alarm.arn(),
        old_state_value: old_state.as_str(),
        ok_actions: &config.ok_actions,
        alarm_actions: &config.alarm_actions,
        insufficient_data_actions: &config.insufficient_data_actions,
        trigger: Trigger {
            metric_name: &config.metric_name,
            namespace: &config.namespace,
            statistic_type,
            statistic,
            extended_statistic,
            unit: config.unit.as_deref(),
            dimensions: config
                .dimensions
                .iter()
                .map(|d| NotificationDimension {
                    value: &d.value,
                    name: &d.name,
                })
                .collect(),
            period: config.period,
            evaluation_periods: config.evaluation_periods,
            datapoints_to_alarm: config.datapoints_to_alarm,
            comparison_operator: config.comparison_operator.as_str(),
            threshold: config.threshold,
            treat_missing_data: config.treat_missing_data.map_or("", |t| t.as_str()),
            evaluate_low_sample_count_percentile: config
                .evaluate_low_sample_count_percentile
                .as_deref()
                .unwrap_or(""),
        },
    };
    serde_json::to_string(&message).unwrap_or_else(|_| "{}".to_owned())
}

/// The HistorySummary and HistoryData of the Action item recorded when an action is handed to
/// the sink.
pub fn action_history(action_arn: &str, message: &str, at: DateTime<Utc>) -> (String, String) {
    let data = serde_json::json!({
        "actionState": "Succeeded",
        "stateUpdateTimestamp": at.timestamp_millis(),
        "notificationResource": action_arn,
        "publishedMessage": message,
    });
    (
        format!("Successfully executed action {action_arn}"),
        data.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::AlarmState;
    use crate::alarm::tests::sample_config;
    use crate::model::Dimension;
    use chrono::TimeZone;

    #[test]
    fn the_message_has_cloudwatch_keys_in_cloudwatch_order() {
        let changed = Utc.timestamp_millis_opt(1_768_046_460_250).unwrap();
        let mut config = sample_config();
        config.dimensions = vec![Dimension::new("BucketName", "secret")];
        config.datapoints_to_alarm = Some(1);
        let alarm = Alarm {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            config,
            state: AlarmState {
                value: StateValue::Alarm,
                reason: "Threshold Crossed: x".into(),
                reason_data: None,
                updated: changed,
                transitioned: changed,
            },
        };
        assert_eq!(
            message(&alarm, StateValue::InsufficientData),
            concat!(
                r#"{"AlarmName":"s3-get","AlarmDescription":null,"AWSAccountId":"123456789012","#,
                r#""AlarmConfigurationUpdatedTimestamp":"2026-01-10T12:00:00.000+0000","NewStateValue":"ALARM","#,
                r#""NewStateReason":"Threshold Crossed: x","StateChangeTime":"2026-01-10T12:01:00.250+0000","#,
                r#""Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:s3-get","#,
                r#""OldStateValue":"INSUFFICIENT_DATA","OKActions":[],"AlarmActions":["arn:aws:sns:us-east-1:123456789012:alerts"],"#,
                r#""InsufficientDataActions":[],"Trigger":{"MetricName":"GetObjectCount","Namespace":"CloudTrailMetrics","#,
                r#""StatisticType":"Statistic","Statistic":"SUM","Unit":null,"Dimensions":[{"value":"secret","name":"BucketName"}],"#,
                r#""Period":60,"EvaluationPeriods":1,"DatapointsToAlarm":1,"ComparisonOperator":"GreaterThanOrEqualToThreshold","#,
                r#""Threshold":1.0,"TreatMissingData":"","EvaluateLowSampleCountPercentile":""}}"#
            )
        );
        assert_eq!(
            subject(&alarm, StateValue::Alarm),
            "ALARM: \"s3-get\" in US East (N. Virginia)"
        );
    }

    #[test]
    fn percentile_alarms_name_their_extended_statistic() {
        let mut config = sample_config();
        config.statistic = None;
        config.extended_statistic = Some("p99".into());
        let alarm = Alarm {
            account_id: "1".into(),
            region: "mars-1".into(),
            config,
            state: AlarmState::initial(Utc::now()),
        };
        let text = message(&alarm, StateValue::Ok);
        assert!(text.contains(r#""StatisticType":"ExtendedStatistic","ExtendedStatistic":"p99","#));
        assert!(text.contains(r#""Region":"mars-1""#));
    }

    #[test]
    fn action_history_items() {
        let at = Utc.timestamp_millis_opt(1_000).unwrap();
        let (summary, data) = action_history("arn:aws:sns:us-east-1:1:t", "{}", at);
        assert_eq!(
            summary,
            "Successfully executed action arn:aws:sns:us-east-1:1:t"
        );
        let data: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(data["actionState"], "Succeeded");
        assert_eq!(data["stateUpdateTimestamp"], 1000);
    }
}
