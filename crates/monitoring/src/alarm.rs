//! A metric alarm as stored: its configuration ([`AlarmConfig`], what PutMetricAlarm set), its
//! state ([`AlarmState`]), and the three renderings CloudWatch has for it: the `MetricAlarm`
//! structure of DescribeAlarms, the alarm object inside ConfigurationUpdate history data, and the
//! state object inside StateUpdate history data.
//!
//! The configuration and state are persisted as JSON columns (see `store`); their serde names are
//! the stored format and must only grow optional fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::format::aws_timestamp;
use crate::model::{ComparisonOperator, Dimension, MetricKey, StateValue, TreatMissingData};
use crate::stats::{Percentile, Stat, Statistic};
use crate::value::{StructureBuilder, Value, string_list};

/// What PutMetricAlarm configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmConfig {
    /// The alarm name, unique per account and region.
    pub alarm_name: String,
    /// The description, if any.
    pub alarm_description: Option<String>,
    /// Whether state changes run actions.
    pub actions_enabled: bool,
    /// Actions for a change to OK.
    pub ok_actions: Vec<String>,
    /// Actions for a change to ALARM.
    pub alarm_actions: Vec<String>,
    /// Actions for a change to INSUFFICIENT_DATA.
    pub insufficient_data_actions: Vec<String>,
    /// The metric's namespace.
    pub namespace: String,
    /// The metric's name.
    pub metric_name: String,
    /// The metric's dimensions, in the order given.
    pub dimensions: Vec<Dimension>,
    /// The simple statistic, or `None` with an extended one.
    pub statistic: Option<String>,
    /// The percentile, or `None` with a simple statistic.
    pub extended_statistic: Option<String>,
    /// Seconds per period (10, 30 or a multiple of 60).
    pub period: u32,
    /// Only datapoints with this unit count, if set.
    pub unit: Option<String>,
    /// N: how many periods are evaluated.
    pub evaluation_periods: u32,
    /// M: how many of them must breach, if set (else N).
    pub datapoints_to_alarm: Option<u32>,
    /// The threshold.
    pub threshold: f64,
    /// The comparison.
    pub comparison_operator: ComparisonOperator,
    /// The missing-data treatment, if set (else `missing`).
    pub treat_missing_data: Option<TreatMissingData>,
    /// `evaluate` or `ignore`, for percentile alarms, if set.
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// When the configuration last changed.
    pub configuration_updated: DateTime<Utc>,
}

impl AlarmConfig {
    /// The metric the alarm watches.
    pub fn metric_key(&self) -> MetricKey {
        MetricKey::new(&self.namespace, &self.metric_name, self.dimensions.clone())
    }

    /// The statistic the alarm evaluates.
    pub fn stat(&self) -> Stat {
        if let Some(percentile) = self
            .extended_statistic
            .as_deref()
            .and_then(Percentile::parse)
        {
            return Stat::Percentile(percentile);
        }
        Stat::Simple(
            self.statistic
                .as_deref()
                .and_then(Statistic::parse)
                .unwrap_or(Statistic::Average),
        )
    }

    /// The missing-data treatment in force.
    pub fn treat_missing(&self) -> TreatMissingData {
        self.treat_missing_data.unwrap_or(TreatMissingData::Missing)
    }

    /// M of "M out of N".
    pub fn datapoints_required(&self) -> u32 {
        self.datapoints_to_alarm.unwrap_or(self.evaluation_periods)
    }

    /// Whether periods with too few samples leave a percentile alarm's state alone.
    pub fn ignores_low_sample_counts(&self) -> bool {
        self.evaluate_low_sample_count_percentile.as_deref() == Some("ignore")
    }
}

/// The state of an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmState {
    /// OK, ALARM or INSUFFICIENT_DATA.
    pub value: StateValue,
    /// Why (`StateReason`).
    pub reason: String,
    /// The JSON document behind the reason (`StateReasonData`), if any.
    pub reason_data: Option<String>,
    /// When the state was last written.
    pub updated: DateTime<Utc>,
    /// When the state value last changed.
    pub transitioned: DateTime<Utc>,
}

impl AlarmState {
    /// The state of a new alarm.
    pub fn initial(now: DateTime<Utc>) -> Self {
        AlarmState {
            value: StateValue::InsufficientData,
            reason: "Unchecked: Initial alarm creation".to_owned(),
            reason_data: None,
            updated: now,
            transitioned: now,
        }
    }

    /// The state object of StateUpdate history data (`oldState` / `newState`).
    pub fn history_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        object.insert("stateValue".into(), self.value.as_str().into());
        object.insert("stateReason".into(), self.reason.clone().into());
        if let Some(data) = &self.reason_data {
            let parsed = serde_json::from_str::<serde_json::Value>(data)
                .unwrap_or_else(|_| serde_json::Value::String(data.clone()));
            object.insert("stateReasonData".into(), parsed);
        }
        serde_json::Value::Object(object)
    }
}

/// An alarm of one account and region.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// The owning account.
    pub account_id: String,
    /// The region.
    pub region: String,
    /// The configuration.
    pub config: AlarmConfig,
    /// The state.
    pub state: AlarmState,
}

impl Alarm {
    /// `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`.
    pub fn arn(&self) -> String {
        alarm_arn(&self.region, &self.account_id, &self.config.alarm_name)
    }

    /// The actions configured for a state.
    pub fn actions_for(&self, state: StateValue) -> &[String] {
        match state {
            StateValue::Ok => &self.config.ok_actions,
            StateValue::Alarm => &self.config.alarm_actions,
            StateValue::InsufficientData => &self.config.insufficient_data_actions,
        }
    }

    /// The `MetricAlarm` structure of DescribeAlarms, members in the model's XML order.
    pub fn to_output(&self) -> Value {
        let config = &self.config;
        StructureBuilder::new()
            .field("AlarmName", &config.alarm_name)
            .field("AlarmArn", self.arn())
            .optional("AlarmDescription", config.alarm_description.as_ref())
            .field(
                "AlarmConfigurationUpdatedTimestamp",
                config.configuration_updated,
            )
            .field("ActionsEnabled", config.actions_enabled)
            .field("OKActions", string_list(&config.ok_actions))
            .field("AlarmActions", string_list(&config.alarm_actions))
            .field(
                "InsufficientDataActions",
                string_list(&config.insufficient_data_actions),
            )
            .field("StateValue", self.state.value.as_str())
            .field("StateReason", &self.state.reason)
            .optional("StateReasonData", self.state.reason_data.as_ref())
            .field("StateUpdatedTimestamp", self.state.updated)
            .field("MetricName", &config.metric_name)
            .field("Namespace", &config.namespace)
            .optional("Statistic", config.statistic.as_ref())
            .field("Dimensions", dimensions_output(&config.dimensions))
            .field("Period", config.period)
            .optional("Unit", config.unit.as_ref())
            .field("EvaluationPeriods", config.evaluation_periods)
            .field("Threshold", config.threshold)
            .field("ComparisonOperator", config.comparison_operator.as_str())
            .optional("ExtendedStatistic", config.extended_statistic.as_ref())
            .optional(
                "TreatMissingData",
                config.treat_missing_data.map(|t| t.as_str()),
            )
            .optional(
                "EvaluateLowSampleCountPercentile",
                config.evaluate_low_sample_count_percentile.as_ref(),
            )
            .optional("DatapointsToAlarm", config.datapoints_to_alarm)
            .field("StateTransitionedTimestamp", self.state.transitioned)
            .build()
    }

    /// The alarm object inside ConfigurationUpdate history data (`createdAlarm`, ...).
    pub fn history_json(&self) -> serde_json::Value {
        let config = &self.config;
        let mut object = serde_json::Map::new();
        let mut put = |key: &str, value: serde_json::Value| {
            object.insert(key.to_owned(), value);
        };
        put("threshold", config.threshold.into());
        put("namespace", config.namespace.clone().into());
        put("stateValue", self.state.value.as_str().into());
        put(
            "dimensions",
            serde_json::to_value(&config.dimensions).unwrap_or_default(),
        );
        put("okactions", config.ok_actions.clone().into());
        put("alarmActions", config.alarm_actions.clone().into());
        put("evaluationPeriods", config.evaluation_periods.into());
        if let Some(m) = config.datapoints_to_alarm {
            put("datapointsToAlarm", m.into());
        }
        put(
            "comparisonOperator",
            config.comparison_operator.as_str().into(),
        );
        put("metricName", config.metric_name.clone().into());
        put("period", config.period.into());
        put("alarmName", config.alarm_name.clone().into());
        if let Some(statistic) = &config.statistic {
            put("statistic", statistic.clone().into());
        }
        if let Some(extended) = &config.extended_statistic {
            put("extendedStatistic", extended.clone().into());
        }
        if let Some(unit) = &config.unit {
            put("unit", unit.clone().into());
        }
        put("alarmArn", self.arn().into());
        put(
            "alarmConfigurationUpdatedTimestamp",
            aws_timestamp(config.configuration_updated).into(),
        );
        put(
            "stateUpdatedTimestamp",
            aws_timestamp(self.state.updated).into(),
        );
        put(
            "insufficientDataActions",
            config.insufficient_data_actions.clone().into(),
        );
        if let Some(description) = &config.alarm_description {
            put("alarmDescription", description.clone().into());
        }
        if let Some(treatment) = config.treat_missing_data {
            put("treatMissingData", treatment.as_str().into());
        }
        if let Some(low) = &config.evaluate_low_sample_count_percentile {
            put("evaluateLowSampleCountPercentile", low.clone().into());
        }
        put("actionsEnabled", config.actions_enabled.into());
        serde_json::Value::Object(object)
    }
}

/// `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`.
pub fn alarm_arn(region: &str, account_id: &str, alarm_name: &str) -> String {
    format!("arn:aws:cloudwatch:{region}:{account_id}:alarm:{alarm_name}")
}

/// A list of `Dimension` structures.
pub fn dimensions_output(dimensions: &[Dimension]) -> Value {
    Value::List(
        dimensions
            .iter()
            .map(|d| {
                StructureBuilder::new()
                    .field("Name", &d.name)
                    .field("Value", &d.value)
                    .build()
            })
            .collect(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A Sum >= 1 alarm over one 60 s period, for tests across the crate.
    pub fn sample_config() -> AlarmConfig {
        AlarmConfig {
            alarm_name: "s3-get".into(),
            alarm_description: None,
            actions_enabled: true,
            ok_actions: vec![],
            alarm_actions: vec!["arn:aws:sns:us-east-1:123456789012:alerts".into()],
            insufficient_data_actions: vec![],
            namespace: "CloudTrailMetrics".into(),
            metric_name: "GetObjectCount".into(),
            dimensions: vec![],
            statistic: Some("Sum".into()),
            extended_statistic: None,
            period: 60,
            unit: None,
            evaluation_periods: 1,
            datapoints_to_alarm: None,
            threshold: 1.0,
            comparison_operator: ComparisonOperator::GreaterThanOrEqualToThreshold,
            treat_missing_data: None,
            evaluate_low_sample_count_percentile: None,
            configuration_updated: Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap(),
        }
    }

    #[test]
    fn describes_alarms_in_model_order() {
        let now = Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        let alarm = Alarm {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            config: sample_config(),
            state: AlarmState::initial(now),
        };
        let Value::Structure(members) = alarm.to_output() else {
            panic!()
        };
        let names: Vec<&str> = members.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "AlarmName",
                "AlarmArn",
                "AlarmConfigurationUpdatedTimestamp",
                "ActionsEnabled",
                "OKActions",
                "AlarmActions",
                "InsufficientDataActions",
                "StateValue",
                "StateReason",
                "StateUpdatedTimestamp",
                "MetricName",
                "Namespace",
                "Statistic",
                "Dimensions",
                "Period",
                "EvaluationPeriods",
                "Threshold",
                "ComparisonOperator",
                "StateTransitionedTimestamp"
            ]
        );
        assert_eq!(
            alarm.arn(),
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:s3-get"
        );
        let history = alarm.history_json();
        assert_eq!(history["stateValue"], "INSUFFICIENT_DATA");
        assert_eq!(history["okactions"], serde_json::json!([]));
        assert_eq!(
            history["alarmConfigurationUpdatedTimestamp"],
            "2026-01-10T12:00:00.000+0000"
        );
    }
}
