//! Small readers over `serde_json::Value` for request bodies. A member of the wrong JSON type is a
//! protocol error (`SerializationException`), never a selector rule violation; `null` counts as
//! absent, and unknown members are ignored as the AWS JSON protocol does.

use serde_json::{Map, Value};

use crate::error::SelectorError;

/// The value as a list, or a serialization error naming `what`.
pub(crate) fn expect_array<'a>(value: &'a Value, what: &str) -> Result<&'a [Value], SelectorError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| wrong_type(what, "a list", value))
}

/// The value as an object, or a serialization error naming `what`.
pub(crate) fn expect_object<'a>(
    value: &'a Value,
    what: &str,
) -> Result<&'a Map<String, Value>, SelectorError> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(what, "a structure", value))
}

/// An optional member that is present and not `null`.
pub(crate) fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|v| !v.is_null())
}

/// An optional string member.
pub(crate) fn optional_string<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, SelectorError> {
    match member(object, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(name, "a string", other)),
    }
}

/// An optional boolean member.
pub(crate) fn optional_bool(
    object: &Map<String, Value>,
    name: &str,
) -> Result<Option<bool>, SelectorError> {
    match member(object, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(wrong_type(name, "a boolean", other)),
    }
}

/// An optional list-of-strings member.
pub(crate) fn optional_strings(
    object: &Map<String, Value>,
    name: &str,
) -> Result<Option<Vec<String>>, SelectorError> {
    let Some(value) = member(object, name) else {
        return Ok(None);
    };
    expect_array(value, name)?
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(wrong_type(name, "a list of strings", other)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn wrong_type(what: &str, expected: &str, got: &Value) -> SelectorError {
    SelectorError::Serialization(format!("expected {expected} for {what}, got '{got}'"))
}
