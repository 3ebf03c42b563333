//! The domain vocabulary of CloudWatch metrics and alarms: dimensions and metric identity,
//! datums as the programmatic path receives them, alarm states, comparison operators, missing-data
//! treatments and units, each with its wire spelling in one place.
//!
//! Nothing here does IO or reads a clock; validation of datums takes the time it is checked at.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// A metric dimension: one name/value pair that is part of a metric's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dimension {
    /// The dimension name, e.g. `BucketName`.
    pub name: String,
    /// The dimension value.
    pub value: String,
}

impl Dimension {
    /// A dimension.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Dimension {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// What identifies one metric within an account and region: namespace, name and the set of
/// dimensions (kept sorted by name, so the order a caller lists them in does not matter).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MetricKey {
    /// The namespace, e.g. `CloudTrailMetrics`.
    pub namespace: String,
    /// The metric name.
    pub metric_name: String,
    /// The dimensions, sorted by name then value.
    pub dimensions: Vec<Dimension>,
}

impl MetricKey {
    /// A key; the dimensions are sorted.
    pub fn new(namespace: &str, metric_name: &str, mut dimensions: Vec<Dimension>) -> Self {
        dimensions.sort();
        MetricKey {
            namespace: namespace.to_owned(),
            metric_name: metric_name.to_owned(),
            dimensions,
        }
    }

    /// The canonical text of the dimension set, as stored and compared.
    pub fn dimensions_text(&self) -> String {
        serde_json::to_string(&self.dimensions).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Reads the canonical dimension text back.
    pub fn parse_dimensions(text: &str) -> Option<Vec<Dimension>> {
        serde_json::from_str(text).ok()
    }
}

/// How a datum carries its values.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    /// One value (`Value`).
    Single(f64),
    /// Several values, each counted `counts[i]` times (`Values`, `Counts`; counts default to 1).
    Values {
        /// The values.
        values: Vec<f64>,
        /// How often each value occurred; empty means once each.
        counts: Vec<f64>,
    },
    /// A pre-aggregated set (`StatisticValues`); percentiles are not available over it.
    StatisticSet(StatisticSet),
}

/// A pre-aggregated statistic set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatisticSet {
    /// How many samples the set summarises.
    pub sample_count: f64,
    /// Their sum.
    pub sum: f64,
    /// Their minimum.
    pub minimum: f64,
    /// Their maximum.
    pub maximum: f64,
}

/// One datum for [`crate::Monitoring::put_metric_data`] (the metric filters' path).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDatum {
    /// The namespace, e.g. `CloudTrailMetrics`.
    pub namespace: String,
    /// The metric name.
    pub metric_name: String,
    /// The dimensions (at most 30).
    pub dimensions: Vec<Dimension>,
    /// When the value was observed (at most two weeks ago, at most two hours ahead).
    pub timestamp: DateTime<Utc>,
    /// The value or values.
    pub value: MetricValue,
    /// One of CloudWatch's standard units (`Count`, `Bytes`, ...); `None` stores `None`.
    pub unit: Option<String>,
}

/// The standard units (`StandardUnit` of the model).
pub const STANDARD_UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Checks a unit against [`STANDARD_UNITS`].
pub fn check_unit(member: &str, unit: &str) -> Result<(), ApiError> {
    if STANDARD_UNITS.contains(&unit) {
        Ok(())
    } else {
        Err(ApiError::constraint(
            member,
            unit,
            &format!(
                "Member must satisfy enum value set: [{}]",
                STANDARD_UNITS.join(", ")
            ),
        ))
    }
}

/// CloudWatch refuses values whose magnitude exceeds 2^360.
const MAX_MAGNITUDE: f64 = 2.348_542_582_773_833_2e108;

/// Checks one datum as PutMetricData does; `path` names it (`MetricData.member.1`).
pub fn check_datum(datum: &MetricDatum, path: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    check_length(&format!("{path}.MetricName"), &datum.metric_name, 1, 255)?;
    if datum.dimensions.len() > 30 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!("The collection {path}.Dimensions must not have a size greater than 30."),
        ));
    }
    for (index, dimension) in datum.dimensions.iter().enumerate() {
        let at = format!("{path}.Dimensions.member.{}", index + 1);
        check_length(&format!("{at}.Name"), &dimension.name, 1, 255)?;
        check_length(&format!("{at}.Value"), &dimension.value, 1, 1024)?;
    }
    if let Some(unit) = &datum.unit {
        check_unit(&format!("{path}.Unit"), unit)?;
    }
    check_timestamp(&format!("{path}.Timestamp"), datum.timestamp, now)?;
    check_values(path, &datum.value)
}

fn check_timestamp(
    parameter: &str,
    time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if time < now - Duration::days(14) || time > now + Duration::hours(2) {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!(
                "The parameter {parameter} must specify a time no more than two weeks in the past and no more than two hours in the future."
            ),
        ));
    }
    Ok(())
}

fn check_values(path: &str, value: &MetricValue) -> Result<(), ApiError> {
    match value {
        MetricValue::Single(number) => check_number(&format!("{path}.Value"), *number),
        MetricValue::Values { values, counts } => {
            if values.len() > 150 {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameterValue,
                    format!("The collection {path}.Values must not have a size greater than 150."),
                ));
            }
            if !counts.is_empty() && counts.len() != values.len() {
                return Err(ApiError::new(
                    ErrorCode::InvalidParameterValue,
                    format!(
                        "The parameters {path}.Values and {path}.Counts must be of the same size."
                    ),
                ));
            }
            for number in values {
                check_number(&format!("{path}.Values"), *number)?;
            }
            for count in counts {
                if !count.is_finite() || *count < 0.0 {
                    return Err(ApiError::invalid_value(&format!("{path}.Counts"), count));
                }
            }
            Ok(())
        }
        MetricValue::StatisticSet(set) => check_statistic_set(path, set),
    }
}

fn check_statistic_set(path: &str, set: &StatisticSet) -> Result<(), ApiError> {
    let at = format!("{path}.StatisticValues");
    check_number(&format!("{at}.SampleCount"), set.sample_count)?;
    check_number(&format!("{at}.Sum"), set.sum)?;
    check_number(&format!("{at}.Minimum"), set.minimum)?;
    check_number(&format!("{at}.Maximum"), set.maximum)?;
    if set.sample_count <= 0.0 || set.minimum > set.maximum {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!(
                "The parameter {at} must have a positive SampleCount and a Minimum not greater than its Maximum."
            ),
        ));
    }
    Ok(())
}

fn check_number(parameter: &str, number: f64) -> Result<(), ApiError> {
    if !number.is_finite() || number.abs() > MAX_MAGNITUDE {
        let shown = if number.is_nan() {
            "NaN".to_owned()
        } else {
            number.to_string()
        };
        return Err(ApiError::invalid_value(parameter, shown));
    }
    Ok(())
}

/// Checks a string's length as the model's `min`/`max` do.
pub fn check_length(member: &str, text: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let length = text.chars().count();
    if length < min {
        return Err(ApiError::constraint(
            member,
            text,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if length > max {
        return Err(ApiError::constraint(
            member,
            text,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

/// The state of an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StateValue {
    /// Within the threshold.
    #[serde(rename = "OK")]
    Ok,
    /// Outside the threshold.
    #[serde(rename = "ALARM")]
    Alarm,
    /// Not enough data to decide (every new alarm starts here).
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl StateValue {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StateValue::Ok => "OK",
            StateValue::Alarm => "ALARM",
            StateValue::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// Parses the wire spelling, answering the model's enum error otherwise.
    pub fn parse(member: &str, text: &str) -> Result<StateValue, ApiError> {
        match text {
            "OK" => Ok(StateValue::Ok),
            "ALARM" => Ok(StateValue::Alarm),
            "INSUFFICIENT_DATA" => Ok(StateValue::InsufficientData),
            other => Err(ApiError::constraint(
                member,
                other,
                "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]",
            )),
        }
    }
}

/// How a statistic is compared with the threshold.
#[allow(clippy::enum_variant_names)] // The variants are the wire spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComparisonOperator {
    /// `>=`
    GreaterThanOrEqualToThreshold,
    /// `>`
    GreaterThanThreshold,
    /// `<`
    LessThanThreshold,
    /// `<=`
    LessThanOrEqualToThreshold,
}

/// The operators the model knows, including the anomaly-band ones OpenTrail does not evaluate.
const ALL_OPERATORS: &str = "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold";

impl ComparisonOperator {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            ComparisonOperator::GreaterThanThreshold => "GreaterThanThreshold",
            ComparisonOperator::LessThanThreshold => "LessThanThreshold",
            ComparisonOperator::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Result<ComparisonOperator, ApiError> {
        match text {
            "GreaterThanOrEqualToThreshold" => {
                Ok(ComparisonOperator::GreaterThanOrEqualToThreshold)
            }
            "GreaterThanThreshold" => Ok(ComparisonOperator::GreaterThanThreshold),
            "LessThanThreshold" => Ok(ComparisonOperator::LessThanThreshold),
            "LessThanOrEqualToThreshold" => Ok(ComparisonOperator::LessThanOrEqualToThreshold),
            "LessThanLowerOrGreaterThanUpperThreshold"
            | "LessThanLowerThreshold"
            | "GreaterThanUpperThreshold" => Err(ApiError::validation(format!(
                "The comparison operator {text} needs an anomaly detection band (Metrics and ThresholdMetricId), which OpenTrail does not support."
            ))),
            other => Err(ApiError::constraint(
                "ComparisonOperator",
                other,
                &format!("Member must satisfy enum value set: [{ALL_OPERATORS}]"),
            )),
        }
    }

    /// Whether `value` breaches `threshold`.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// Whether the operator alarms on high values.
    pub fn is_greater(self) -> bool {
        matches!(
            self,
            ComparisonOperator::GreaterThanOrEqualToThreshold
                | ComparisonOperator::GreaterThanThreshold
        )
    }

    /// How state reasons word the comparison (`greater than or equal to`).
    pub fn phrase(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "greater than or equal to",
            ComparisonOperator::GreaterThanThreshold => "greater than",
            ComparisonOperator::LessThanThreshold => "less than",
            ComparisonOperator::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

/// How an alarm treats periods without data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TreatMissingData {
    /// Missing periods are neither breaching nor not breaching (the default).
    #[serde(rename = "missing")]
    Missing,
    /// Like `missing`, but no data at all keeps the current state.
    #[serde(rename = "ignore")]
    Ignore,
    /// Missing periods count as breaching.
    #[serde(rename = "breaching")]
    Breaching,
    /// Missing periods count as not breaching.
    #[serde(rename = "notBreaching")]
    NotBreaching,
}

impl TreatMissingData {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::Ignore => "ignore",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::NotBreaching => "notBreaching",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Result<TreatMissingData, ApiError> {
        match text {
            "missing" => Ok(TreatMissingData::Missing),
            "ignore" => Ok(TreatMissingData::Ignore),
            "breaching" => Ok(TreatMissingData::Breaching),
            "notBreaching" => Ok(TreatMissingData::NotBreaching),
            other => Err(ApiError::validation(format!(
                "Option {other} is not supported. Supported options for parameter TreatMissingData are missing, ignore, breaching and notBreaching."
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap()
    }

    fn datum(value: MetricValue) -> MetricDatum {
        MetricDatum {
            namespace: "N".into(),
            metric_name: "M".into(),
            dimensions: vec![],
            timestamp: now(),
            value,
            unit: None,
        }
    }

    #[test]
    fn metric_keys_ignore_dimension_order() {
        let a = MetricKey::new(
            "N",
            "M",
            vec![Dimension::new("b", "2"), Dimension::new("a", "1")],
        );
        let b = MetricKey::new(
            "N",
            "M",
            vec![Dimension::new("a", "1"), Dimension::new("b", "2")],
        );
        assert_eq!(a, b);
        assert_eq!(
            a.dimensions_text(),
            r#"[{"name":"a","value":"1"},{"name":"b","value":"2"}]"#
        );
        assert_eq!(
            MetricKey::parse_dimensions(&a.dimensions_text()),
            Some(a.dimensions.clone())
        );
    }

    #[test]
    fn datums_are_checked_as_put_metric_data_checks_them() {
        let check = |datum: MetricDatum, expected: Option<(ErrorCode, &str)>| {
            let result = check_datum(&datum, "MetricData.member.1", now());
            match (result, expected) {
                (Ok(()), None) => {}
                (Err(error), Some((code, message))) => {
                    assert_eq!(error.code, code, "{datum:?}");
                    assert_eq!(error.message, message, "{datum:?}");
                }
                (other, expected) => panic!("{datum:?}: {other:?}, expected {expected:?}"),
            }
        };
        check(datum(MetricValue::Single(1.0)), None);
        check(
            datum(MetricValue::Single(f64::NAN)),
            Some((
                ErrorCode::InvalidParameterValue,
                "The value NaN for parameter MetricData.member.1.Value is invalid.",
            )),
        );
        check(
            datum(MetricValue::Values {
                values: vec![1.0, 2.0],
                counts: vec![1.0],
            }),
            Some((
                ErrorCode::InvalidParameterValue,
                "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.",
            )),
        );
        let mut old = datum(MetricValue::Single(1.0));
        old.timestamp = now() - Duration::days(15);
        check(
            old,
            Some((
                ErrorCode::InvalidParameterValue,
                "The parameter MetricData.member.1.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.",
            )),
        );
        let mut unit = datum(MetricValue::Single(1.0));
        unit.unit = Some("Apples".into());
        let result = check_datum(&unit, "MetricData.member.1", now()).unwrap_err();
        assert_eq!(result.code, ErrorCode::ValidationError);
        assert!(result.message.starts_with(
            "1 validation error detected: Value 'Apples' at 'metricData.member.1.Unit'"
        ));
        let mut nameless = datum(MetricValue::Single(1.0));
        nameless.metric_name = String::new();
        assert_eq!(
            check_datum(&nameless, "MetricData.member.1", now())
                .unwrap_err()
                .code,
            ErrorCode::ValidationError
        );
    }

    #[test]
    fn operators_compare_and_parse() {
        let check = |op: &str, value: f64, breaches: bool| {
            let operator = ComparisonOperator::parse(op).unwrap();
            assert_eq!(operator.breaches(value, 1.0), breaches, "{op} {value}");
            assert_eq!(operator.as_str(), op);
        };
        check("GreaterThanOrEqualToThreshold", 1.0, true);
        check("GreaterThanOrEqualToThreshold", 0.5, false);
        check("GreaterThanThreshold", 1.0, false);
        check("GreaterThanThreshold", 1.5, true);
        check("LessThanThreshold", 1.0, false);
        check("LessThanThreshold", 0.5, true);
        check("LessThanOrEqualToThreshold", 1.0, true);
        check("LessThanOrEqualToThreshold", 1.5, false);
        assert_eq!(
            ComparisonOperator::parse("Bigger").unwrap_err().code,
            ErrorCode::ValidationError
        );
        assert!(
            ComparisonOperator::parse("LessThanLowerThreshold")
                .unwrap_err()
                .message
                .contains("anomaly detection band")
        );
    }

    #[test]
    fn missing_data_treatments_parse() {
        for text in ["missing", "ignore", "breaching", "notBreaching"] {
            assert_eq!(TreatMissingData::parse(text).unwrap().as_str(), text);
        }
        assert_eq!(
            TreatMissingData::parse("sometimes").unwrap_err().message,
            "Option sometimes is not supported. Supported options for parameter TreatMissingData are missing, ignore, breaching and notBreaching."
        );
    }
}
