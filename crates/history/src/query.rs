//! Validation of a LookupEvents request and its opaque `NextToken`.
//!
//! [`LookupQuery::parse`] turns the raw JSON input into a checked query or the exception AWS
//! would answer with. A `NextToken` is the hex of a version byte, the last returned position
//! (event time, row id) and 8 bytes of a SHA-256 over the query's parameters (account, region,
//! category, attribute and the time range as given; `MaxResults` may change between pages), so a
//! token replayed with other parameters is refused. This module runs no SQL.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::LookupError;
use crate::summary::{AttributeKey, Category};

const MAX_RESULTS: i64 = 50;
const MAX_ATTRIBUTE_VALUE_CHARS: usize = 2000;
const TOKEN_VERSION: u8 = 1;

/// A position in newest-first order: the last event of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Event time in epoch seconds.
    pub event_time: i64,
    /// The event's row id (breaks ties between events of the same second).
    pub id: i64,
}

/// A validated LookupEvents request.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupQuery {
    /// Management events, or Insights for `EventCategory=insight`.
    pub category: Category,
    /// The one lookup attribute, if any.
    pub attribute: Option<(AttributeKey, String)>,
    /// `StartTime` as given, rounded up to whole seconds.
    pub start_time: Option<i64>,
    /// `EndTime` as given, rounded down to whole seconds.
    pub end_time: Option<i64>,
    /// Page size, 1-50.
    pub max_results: i64,
    /// Where the page starts (exclusive), from `NextToken`.
    pub after: Option<Position>,
    /// The hash that binds tokens to this query.
    fingerprint: [u8; 8],
}

impl LookupQuery {
    /// Validates `input` for (account, region).
    pub fn parse(account_id: &str, region: &str, input: &Value) -> Result<Self, LookupError> {
        let category = parse_category(input.get("EventCategory"))?;
        let attribute = parse_attribute(input.get("LookupAttributes"), category)?;
        let start_time = parse_time(input.get("StartTime"), "StartTime")?;
        let end_time = parse_time(input.get("EndTime"), "EndTime")?;
        if let (Some(start), Some(end)) = (start_time, end_time)
            && start > end
        {
            return Err(LookupError::new(
                "InvalidTimeRangeException",
                "Start time must be earlier than end time.",
            ));
        }
        let max_results = parse_max_results(input.get("MaxResults"))?;
        let fingerprint = fingerprint(account_id, region, category, &attribute, input);
        let after = match input.get("NextToken") {
            None | Some(Value::Null) => None,
            Some(token) => Some(decode_token(token, fingerprint)?),
        };
        Ok(LookupQuery {
            category,
            attribute,
            start_time: start_time.map(|start| clamp_seconds(start.ceil())),
            end_time: end_time.map(|end| clamp_seconds(end.floor())),
            max_results,
            after,
            fingerprint,
        })
    }

    /// The `NextToken` that continues this query after `position`.
    pub fn token_after(&self, position: Position) -> String {
        let mut bytes = Vec::with_capacity(25);
        bytes.push(TOKEN_VERSION);
        bytes.extend_from_slice(&position.event_time.to_be_bytes());
        bytes.extend_from_slice(&position.id.to_be_bytes());
        bytes.extend_from_slice(&self.fingerprint);
        hex::encode(bytes)
    }
}

fn clamp_seconds(seconds: f64) -> i64 {
    // `as` saturates, which is what a far-past or far-future bound needs.
    seconds as i64
}

fn parse_category(value: Option<&Value>) -> Result<Category, LookupError> {
    match value {
        None | Some(Value::Null) => Ok(Category::Management),
        Some(Value::String(text)) if text == "insight" => Ok(Category::Insight),
        Some(other) => Err(LookupError::new(
            "InvalidEventCategoryException",
            format!(
                "Event category {} is not valid. Valid value is insight.",
                display_value(other)
            ),
        )),
    }
}

fn invalid_attributes(message: impl Into<String>) -> LookupError {
    LookupError::new("InvalidLookupAttributesException", message)
}

fn parse_attribute(
    value: Option<&Value>,
    category: Category,
) -> Result<Option<(AttributeKey, String)>, LookupError> {
    let attributes = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(attributes)) => attributes,
        Some(_) => return Err(invalid_attributes("LookupAttributes must be a list.")),
    };
    let attribute = match attributes.as_slice() {
        [] => return Ok(None),
        [attribute] => attribute,
        _ => {
            return Err(invalid_attributes(
                "You cannot specify more than one lookup attribute.",
            ));
        }
    };
    let key_name = attribute
        .get("AttributeKey")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_attributes("AttributeKey is required."))?;
    let key = AttributeKey::from_api_name(key_name).ok_or_else(|| {
        invalid_attributes(format!(
            "Lookup attribute key {key_name:?} is not valid. Valid keys: EventId, EventName, \
             ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId."
        ))
    })?;
    if category == Category::Insight && !key.allowed_for_insights() {
        return Err(invalid_attributes(format!(
            "Lookup attribute key {key_name:?} is not supported for insight events. \
             Valid keys: EventId, EventName, EventSource."
        )));
    }
    let value = attribute
        .get("AttributeValue")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_attributes("AttributeValue is required."))?;
    let chars = value.chars().count();
    if chars == 0 || chars > MAX_ATTRIBUTE_VALUE_CHARS {
        return Err(invalid_attributes(format!(
            "AttributeValue must be between 1 and {MAX_ATTRIBUTE_VALUE_CHARS} characters long; \
             got {chars}."
        )));
    }
    Ok(Some((key, value.to_owned())))
}

/// Reads a timestamp given as epoch seconds (a number, or a string holding one) or RFC 3339 text.
fn parse_time(value: Option<&Value>, name: &str) -> Result<Option<f64>, LookupError> {
    let seconds = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) => number.as_f64(),
        Some(Value::String(text)) => text.parse::<f64>().ok().or_else(|| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|time| time.timestamp_millis() as f64 / 1000.0)
        }),
        Some(_) => None,
    };
    match seconds.filter(|seconds| seconds.is_finite()) {
        Some(seconds) => Ok(Some(seconds)),
        None => Err(LookupError::new(
            "InvalidTimeRangeException",
            format!(
                "{name} {} is not a valid timestamp.",
                display_value(value.unwrap_or(&Value::Null))
            ),
        )),
    }
}

fn parse_max_results(value: Option<&Value>) -> Result<i64, LookupError> {
    let max = match value {
        None | Some(Value::Null) => return Ok(MAX_RESULTS),
        Some(value) => value.as_i64(),
    };
    match max {
        Some(max) if (1..=MAX_RESULTS).contains(&max) => Ok(max),
        _ => Err(LookupError::new(
            "InvalidMaxResultsException",
            format!(
                "MaxResults {} is not valid. It must be between 1 and {MAX_RESULTS}.",
                display_value(value.unwrap_or(&Value::Null))
            ),
        )),
    }
}

fn fingerprint(
    account_id: &str,
    region: &str,
    category: Category,
    attribute: &Option<(AttributeKey, String)>,
    input: &Value,
) -> [u8; 8] {
    let mut hasher = Sha256::new();
    for part in [account_id, region] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.update([category as u8]);
    if let Some((key, value)) = attribute {
        hasher.update([*key as u8 + 1]);
        hasher.update((value.len() as u64).to_be_bytes());
        hasher.update(value.as_bytes());
    } else {
        hasher.update([0]);
    }
    for name in ["StartTime", "EndTime"] {
        let given = input.get(name).unwrap_or(&Value::Null).to_string();
        hasher.update((given.len() as u64).to_be_bytes());
        hasher.update(given.as_bytes());
    }
    let digest = hasher.finalize();
    let mut fingerprint = [0u8; 8];
    fingerprint.copy_from_slice(&digest[..8]);
    fingerprint
}

fn decode_token(token: &Value, expected: [u8; 8]) -> Result<Position, LookupError> {
    let invalid = || {
        LookupError::new(
            "InvalidNextTokenException",
            "The NextToken is not valid for this request. Repeat the request with the parameters \
             that produced the token.",
        )
    };
    let bytes = token
        .as_str()
        .and_then(|text| hex::decode(text).ok())
        .ok_or_else(invalid)?;
    if bytes.len() != 25 || bytes[0] != TOKEN_VERSION || bytes[17..] != expected {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| {
        let mut buffer = [0u8; 8];
        buffer.copy_from_slice(&bytes[range]);
        i64::from_be_bytes(buffer)
    };
    Ok(Position {
        event_time: number(1..9),
        id: number(9..17),
    })
}

fn display_value(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 100 {
        format!("{}...", &text[..text.floor_char_boundary(100)])
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(input: Value, expected_code: Option<&str>) {
        let outcome = LookupQuery::parse("111122223333", "us-east-1", &input);
        assert_eq!(
            outcome.as_ref().err().map(|error| error.code),
            expected_code,
            "{input}: {outcome:?}"
        );
    }

    #[test]
    fn validates_every_parameter_like_aws() {
        let attr = |key: &str, value: Value| json!({"LookupAttributes":[{"AttributeKey":key,"AttributeValue":value}]});
        let cases = [
            (json!({}), None),
            (json!({"LookupAttributes":[]}), None),
            (attr("EventName", json!("CreateTrail")), None),
            (attr("ReadOnly", json!("true")), None),
            (
                attr("eventname", json!("x")),
                Some("InvalidLookupAttributesException"),
            ),
            (
                attr("EventName", json!("")),
                Some("InvalidLookupAttributesException"),
            ),
            (
                attr("EventName", json!("x".repeat(2001))),
                Some("InvalidLookupAttributesException"),
            ),
            (
                attr("EventName", json!(5)),
                Some("InvalidLookupAttributesException"),
            ),
            (
                json!({"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"a"},{"AttributeKey":"EventSource","AttributeValue":"b"}]}),
                Some("InvalidLookupAttributesException"),
            ),
            (
                json!({"LookupAttributes":{"AttributeKey":"EventName"}}),
                Some("InvalidLookupAttributesException"),
            ),
            (
                json!({"LookupAttributes":[{"AttributeValue":"a"}]}),
                Some("InvalidLookupAttributesException"),
            ),
            (json!({"StartTime":10,"EndTime":10}), None),
            (json!({"StartTime":10.5,"EndTime":10.7}), None),
            (
                json!({"StartTime":11,"EndTime":10}),
                Some("InvalidTimeRangeException"),
            ),
            (
                json!({"StartTime":"yesterday"}),
                Some("InvalidTimeRangeException"),
            ),
            (
                json!({"StartTime":"2024-01-01T00:00:00Z","EndTime":1704067200}),
                None,
            ),
            (json!({"MaxResults":1}), None),
            (json!({"MaxResults":50}), None),
            (json!({"MaxResults":0}), Some("InvalidMaxResultsException")),
            (json!({"MaxResults":51}), Some("InvalidMaxResultsException")),
            (
                json!({"MaxResults":2.5}),
                Some("InvalidMaxResultsException"),
            ),
            (
                json!({"MaxResults":"10"}),
                Some("InvalidMaxResultsException"),
            ),
            (json!({"EventCategory":"insight"}), None),
            (
                json!({"EventCategory":"Insight"}),
                Some("InvalidEventCategoryException"),
            ),
            (
                json!({"EventCategory":"management"}),
                Some("InvalidEventCategoryException"),
            ),
            (
                json!({"EventCategory":"insight","LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"u"}]}),
                Some("InvalidLookupAttributesException"),
            ),
            (
                json!({"EventCategory":"insight","LookupAttributes":[{"AttributeKey":"EventSource","AttributeValue":"u"}]}),
                None,
            ),
            (json!({"NextToken":"zz"}), Some("InvalidNextTokenException")),
            (json!({"NextToken":"00"}), Some("InvalidNextTokenException")),
            (json!({"NextToken":7}), Some("InvalidNextTokenException")),
        ];
        for (input, expected) in cases {
            check(input, expected);
        }
    }

    #[test]
    fn tokens_round_trip_only_with_the_same_parameters() {
        let input = json!({"StartTime":100,"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"}]});
        let query = LookupQuery::parse("1", "r", &input).unwrap();
        let position = Position {
            event_time: 1_700_000_000,
            id: 42,
        };
        let token = query.token_after(position);
        let with_token = |mut input: Value| {
            input["NextToken"] = json!(token);
            input
        };
        let replay = LookupQuery::parse("1", "r", &with_token(input.clone())).unwrap();
        assert_eq!(replay.after, Some(position));
        let mut other_page_size = with_token(input.clone());
        other_page_size["MaxResults"] = json!(5);
        assert!(LookupQuery::parse("1", "r", &other_page_size).is_ok());
        let changed = [
            json!({"StartTime":101,"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"}]}),
            json!({"StartTime":100,"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"B"}]}),
            json!({"StartTime":100,"EndTime":200,"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"}]}),
            json!({"StartTime":100}),
        ];
        for other in changed {
            let error = LookupQuery::parse("1", "r", &with_token(other.clone())).unwrap_err();
            assert_eq!(error.code, "InvalidNextTokenException", "{other}");
        }
        for (account, region) in [("2", "r"), ("1", "s")] {
            let error =
                LookupQuery::parse(account, region, &with_token(input.clone())).unwrap_err();
            assert_eq!(error.code, "InvalidNextTokenException");
        }
    }
}
