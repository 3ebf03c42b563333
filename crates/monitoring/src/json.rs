//! awsJson1.0 bodies (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`), to and from [`Value`].
//!
//! Requests are plain JSON: numbers stay numbers (the accessors of `input` read epoch-second
//! timestamps from them), objects become structures. Responses write timestamps as epoch seconds
//! with millisecond fractions, as botocore's JSON serializer and parser expect.

use serde_json::{Map, Number};

use crate::value::Value;

/// Decodes a JSON request body; an empty body is an empty structure.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Structure(Vec::new()));
    }
    let parsed: serde_json::Value =
        serde_json::from_slice(body).map_err(|error| format!("malformed JSON: {error}"))?;
    Ok(from_json(parsed))
}

fn from_json(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(flag),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(integer) => Value::Integer(integer),
            None => Value::Double(number.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(text) => Value::String(text),
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(members) => Value::Structure(
            members
                .into_iter()
                .map(|(key, value)| (key, from_json(value)))
                .collect(),
        ),
    }
}

/// Encodes a response value as JSON text.
pub fn encode(value: &Value) -> Vec<u8> {
    serde_json::to_vec(&to_json(value)).unwrap_or_else(|_| b"{}".to_vec())
}

pub(crate) fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(flag) => serde_json::Value::Bool(*flag),
        Value::Integer(number) => serde_json::Value::Number((*number).into()),
        Value::Double(number) => double(*number),
        Value::String(text) => serde_json::Value::String(text.clone()),
        Value::Timestamp(time) => double(time.timestamp_millis() as f64 / 1000.0),
        Value::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Structure(members) | Value::Map(members) => serde_json::Value::Object(
            members
                .iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// A double as JSON; the non-finite values, which JSON cannot carry, as the strings botocore reads.
fn double(number: f64) -> serde_json::Value {
    match Number::from_f64(number) {
        Some(number) => serde_json::Value::Number(number),
        None if number.is_nan() => serde_json::Value::String("NaN".into()),
        None if number > 0.0 => serde_json::Value::String("Infinity".into()),
        None => serde_json::Value::String("-Infinity".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn decodes_requests_and_empty_bodies() {
        assert_eq!(decode(b"").unwrap(), Value::Structure(Vec::new()));
        let Value::Structure(mut members) =
            decode(br#"{"Period": 60, "Threshold": 1.5, "Names": ["a"], "X": null}"#).unwrap()
        else {
            panic!("not a structure")
        };
        // serde_json keeps insertion order only with its preserve_order feature.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            members,
            vec![
                ("Names".into(), Value::List(vec![Value::String("a".into())])),
                ("Period".into(), Value::Integer(60)),
                ("Threshold".into(), Value::Double(1.5)),
                ("X".into(), Value::Null),
            ]
        );
        assert!(decode(b"{").unwrap_err().starts_with("malformed JSON"));
    }

    #[test]
    fn encodes_timestamps_as_epoch_seconds() {
        let time = Utc.timestamp_millis_opt(1_700_000_000_500).unwrap();
        let body = encode(&Value::Structure(vec![
            ("T".into(), Value::Timestamp(time)),
            ("V".into(), Value::Double(2.0)),
        ]));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"T":1700000000.5,"V":2.0}"#
        );
    }
}
