//! Lenient, typed reading of a decoded request ([`Value`]) with CloudWatch's error wording.
//!
//! The three protocols spell the same member differently: a period is `60` in CBOR and JSON but
//! `"60"` in a query form; a timestamp is CBOR tag 1, a JSON number of epoch seconds, or an ISO
//! 8601 string; an empty list is `[]` or the query's `AlarmNames=`. [`Input`] accepts all of them
//! and names the offending parameter as CloudWatch does (`MetricData.member.2.Value`). It does not
//! validate ranges or enums: the operations do, because the rules are theirs.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::error::ApiError;
use crate::value::Value;

/// The members of one request structure, and where it sits in the request (for messages).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    members: &'a [(String, Value)],
    prefix: &'a str,
}

/// A nested structure read from a list: owns its parameter path (`MetricData.member.1`).
#[derive(Debug, Clone)]
pub struct ListItem<'a> {
    members: &'a [(String, Value)],
    path: String,
}

impl<'a> ListItem<'a> {
    /// The item's members.
    pub fn input(&self) -> Input<'_> {
        Input {
            members: self.members,
            prefix: &self.path,
        }
    }

    /// The item's parameter path, e.g. `MetricData.member.1`.
    pub fn path(&self) -> &str {
        &self.path
    }
}

const EMPTY: &[(String, Value)] = &[];

impl<'a> Input<'a> {
    /// The top-level members of a request; anything but a structure reads as no members.
    pub fn root(value: &'a Value) -> Input<'a> {
        match value {
            Value::Structure(members) | Value::Map(members) => Input {
                members,
                prefix: "",
            },
            _ => Input {
                members: EMPTY,
                prefix: "",
            },
        }
    }

    /// The full parameter name of a member, e.g. `MetricData.member.1.Value`.
    pub fn parameter(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.members
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
            .filter(|value| !matches!(value, Value::Null))
    }

    /// Whether the member is present (and not null).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A string member.
    pub fn string(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.wrong_type(name, other)),
        }
    }

    /// A string member that must be present.
    pub fn required_string(&self, name: &str) -> Result<&'a str, ApiError> {
        self.string(name)?
            .ok_or_else(|| ApiError::missing(&self.parameter(name)))
    }

    /// An integer member (`60`, `60.0` or `"60"`).
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Integer(number) => Some(*number),
            Value::Double(number) if number.fract() == 0.0 && number.abs() < 9.0e15 => {
                Some(*number as i64)
            }
            Value::String(text) => text.trim().parse::<i64>().ok(),
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| self.wrong_type(name, value))
    }

    /// A double member (`1`, `1.5`, `"1.5"`, and the query protocol's `NaN`/`Infinity`).
    pub fn double(&self, name: &str) -> Result<Option<f64>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        value_as_double(value)
            .map(Some)
            .ok_or_else(|| self.wrong_type(name, value))
    }

    /// A boolean member (`true` or `"true"`).
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match value {
            Value::Bool(flag) => Ok(Some(*flag)),
            Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            other => Err(self.wrong_type(name, other)),
        }
    }

    /// A timestamp member (CBOR tag 1, epoch seconds, or an ISO 8601 string).
    pub fn timestamp(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Timestamp(time) => Some(*time),
            Value::Integer(seconds) => epoch_seconds(*seconds as f64),
            Value::Double(seconds) => epoch_seconds(*seconds),
            Value::String(text) => parse_timestamp_text(text),
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| self.wrong_type(name, value))
    }

    /// A nested structure member.
    pub fn structure(&self, name: &str) -> Result<Option<ListItem<'a>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Structure(members) | Value::Map(members)) => Ok(Some(ListItem {
                members,
                path: self.parameter(name),
            })),
            Some(other) => Err(self.wrong_type(name, other)),
        }
    }

    fn list(&self, name: &str) -> Result<&'a [Value], ApiError> {
        match self.get(name) {
            None => Ok(&[]),
            Some(Value::List(items)) => Ok(items),
            // The query protocol sends an empty list as `Name=`.
            Some(Value::String(text)) if text.is_empty() => Ok(&[]),
            Some(other) => Err(self.wrong_type(name, other)),
        }
    }

    /// How many items a list member has (0 when absent).
    pub fn list_len(&self, name: &str) -> Result<usize, ApiError> {
        Ok(self.list(name)?.len())
    }

    /// A list of strings.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, ApiError> {
        let items = self.list(name)?;
        items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::String(text) => Ok(text.clone()),
                other => Err(wrong_type(&self.item_path(name, index), other)),
            })
            .collect()
    }

    /// A list of doubles.
    pub fn doubles(&self, name: &str) -> Result<Vec<f64>, ApiError> {
        let items = self.list(name)?;
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                value_as_double(item).ok_or_else(|| wrong_type(&self.item_path(name, index), item))
            })
            .collect()
    }

    /// A list of structures.
    pub fn structures(&self, name: &str) -> Result<Vec<ListItem<'a>>, ApiError> {
        let items = self.list(name)?;
        items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Structure(members) | Value::Map(members) => Ok(ListItem {
                    members,
                    path: self.item_path(name, index),
                }),
                other => Err(wrong_type(&self.item_path(name, index), other)),
            })
            .collect()
    }

    fn item_path(&self, name: &str, index: usize) -> String {
        format!("{}.member.{}", self.parameter(name), index + 1)
    }

    fn wrong_type(&self, name: &str, value: &Value) -> ApiError {
        wrong_type(&self.parameter(name), value)
    }
}

fn wrong_type(parameter: &str, value: &Value) -> ApiError {
    ApiError::invalid_value(parameter, describe(value))
}

/// A short rendering of a value for an error message.
fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Integer(number) => number.to_string(),
        Value::Double(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Timestamp(time) => time.to_rfc3339(),
        Value::Null => "null".to_owned(),
        Value::List(_) => "[list]".to_owned(),
        Value::Structure(_) | Value::Map(_) => "{structure}".to_owned(),
    }
}

fn value_as_double(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(number) => Some(*number as f64),
        Value::Double(number) => Some(*number),
        Value::String(text) => match text.trim() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse::<f64>().ok().filter(|n| n.is_finite()),
        },
        _ => None,
    }
}

fn epoch_seconds(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() || seconds.abs() > 1.0e13 {
        return None;
    }
    DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
}

/// Parses the timestamp spellings clients send: RFC 3339 / ISO 8601 with or without a zone
/// (UTC assumed), or epoch seconds.
pub fn parse_timestamp_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    text.parse::<f64>().ok().and_then(epoch_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn structure(members: Vec<(&str, Value)>) -> Value {
        Value::Structure(
            members
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
        )
    }

    #[test]
    fn numbers_are_read_from_every_protocol_spelling() {
        let check = |value: Value, integer: Option<i64>, double: Option<f64>| {
            let request = structure(vec![("N", value.clone())]);
            let input = Input::root(&request);
            assert_eq!(input.integer("N").ok().flatten(), integer, "{value:?}");
            assert_eq!(input.double("N").ok().flatten(), double, "{value:?}");
        };
        check(Value::Integer(60), Some(60), Some(60.0));
        check(Value::Double(60.0), Some(60), Some(60.0));
        check(Value::Double(1.5), None, Some(1.5));
        check(Value::String("60".into()), Some(60), Some(60.0));
        check(Value::String("1.5".into()), None, Some(1.5));
        check(Value::String("abc".into()), None, None);
        check(Value::Bool(true), None, None);
    }

    #[test]
    fn timestamps_are_read_from_every_protocol_spelling() {
        let expected = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let check = |value: Value| {
            let request = structure(vec![("T", value.clone())]);
            assert_eq!(
                Input::root(&request).timestamp("T").unwrap(),
                Some(expected),
                "{value:?}"
            );
        };
        check(Value::Timestamp(expected));
        check(Value::Integer(expected.timestamp()));
        check(Value::Double(expected.timestamp() as f64));
        check(Value::String("2024-01-02T03:04:05Z".into()));
        check(Value::String("2024-01-02T03:04:05.000Z".into()));
        check(Value::String("2024-01-02T04:04:05+01:00".into()));
        check(Value::String("2024-01-02T03:04:05".into()));
    }

    #[test]
    fn lists_accept_the_query_empty_list_and_name_items_in_errors() {
        let request = structure(vec![
            ("Empty", Value::String(String::new())),
            (
                "Names",
                Value::List(vec![Value::String("a".into()), Value::Integer(3)]),
            ),
        ]);
        let input = Input::root(&request);
        assert_eq!(input.strings("Empty").unwrap(), Vec::<String>::new());
        assert_eq!(input.strings("Absent").unwrap(), Vec::<String>::new());
        let error = input.strings("Names").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidParameterValue);
        assert_eq!(
            error.message,
            "The value 3 for parameter Names.member.2 is invalid."
        );
    }

    #[test]
    fn nested_items_know_their_parameter_path() {
        let request = structure(vec![(
            "MetricData",
            Value::List(vec![structure(vec![("Value", Value::String("x".into()))])]),
        )]);
        let items = Input::root(&request).structures("MetricData").unwrap();
        let error = items[0].input().double("Value").unwrap_err();
        assert_eq!(
            error.message,
            "The value x for parameter MetricData.member.1.Value is invalid."
        );
        let missing = items[0].input().required_string("MetricName").unwrap_err();
        assert_eq!(missing.code, ErrorCode::MissingParameter);
        assert_eq!(
            missing.message,
            "The parameter MetricData.member.1.MetricName is required."
        );
    }
}
