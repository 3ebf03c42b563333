//! Typed access to the members of a JSON request body.
//!
//! botocore checks types client-side, but other clients need not, so a member of the wrong JSON
//! type is an `InvalidParameterException` here. A member that is `null` counts as absent. Member
//! names are matched exactly (AWS JSON 1.1 is case-sensitive: `trailNameList` is not `TrailNameList`).

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The members of one request body.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    members: Option<&'a Map<String, Value>>,
}

impl<'a> Input<'a> {
    /// Wraps a request body, which must be a JSON object (or `null`, meaning no members).
    pub fn new(body: &'a Value) -> Result<Input<'a>, ApiError> {
        match body {
            Value::Object(members) => Ok(Input {
                members: Some(members),
            }),
            Value::Null => Ok(Input { members: None }),
            _ => Err(ApiError::invalid_parameter(
                "The request body must be a JSON object.",
            )),
        }
    }

    /// A member's value, `None` when absent or `null`.
    pub fn raw(&self, member: &str) -> Option<&'a Value> {
        self.members
            .and_then(|m| m.get(member))
            .filter(|v| !v.is_null())
    }

    /// A string member that must be present.
    pub fn required_str(&self, member: &str) -> Result<&'a str, ApiError> {
        self.optional_str(member)?.ok_or_else(|| missing(member))
    }

    /// A string member that may be absent.
    pub fn optional_str(&self, member: &str) -> Result<Option<&'a str>, ApiError> {
        match self.raw(member) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(wrong_type(member, "a string")),
        }
    }

    /// A boolean member that may be absent.
    pub fn optional_bool(&self, member: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(member) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(wrong_type(member, "a boolean")),
        }
    }

    /// A list member that may be absent.
    pub fn optional_list(&self, member: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
        match self.raw(member) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(wrong_type(member, "a list")),
        }
    }

    /// A list member that must be present.
    pub fn required_list(&self, member: &str) -> Result<&'a Vec<Value>, ApiError> {
        self.optional_list(member)?.ok_or_else(|| missing(member))
    }

    /// A list of strings that may be absent.
    pub fn optional_string_list(&self, member: &str) -> Result<Option<Vec<&'a str>>, ApiError> {
        let Some(items) = self.optional_list(member)? else {
            return Ok(None);
        };
        let strings = items.iter().map(|item| {
            item.as_str()
                .ok_or_else(|| wrong_type(member, "a list of strings"))
        });
        strings.collect::<Result<Vec<_>, _>>().map(Some)
    }
}

fn missing(member: &str) -> ApiError {
    ApiError::invalid_parameter(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

fn wrong_type(member: &str, expected: &str) -> ApiError {
    ApiError::invalid_parameter(format!("Member {member} must be {expected}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_by_type() {
        let body =
            json!({"Name": "t", "Flag": true, "List": ["a", "b"], "Nothing": null, "Number": 3});
        let input = Input::new(&body).unwrap();
        assert_eq!(input.required_str("Name").unwrap(), "t");
        assert_eq!(input.optional_bool("Flag").unwrap(), Some(true));
        assert_eq!(
            input.optional_string_list("List").unwrap(),
            Some(vec!["a", "b"])
        );
        assert_eq!(input.optional_str("Nothing").unwrap(), None);
        assert_eq!(
            input.required_str("Nothing").unwrap_err().code,
            "InvalidParameterException"
        );
        assert_eq!(
            input.optional_str("Number").unwrap_err().code,
            "InvalidParameterException"
        );
        assert_eq!(
            input.optional_bool("Name").unwrap_err().code,
            "InvalidParameterException"
        );
        assert_eq!(
            input.optional_string_list("Name").unwrap_err().code,
            "InvalidParameterException"
        );
        assert!(Input::new(&json!([1])).is_err());
        assert_eq!(
            Input::new(&Value::Null)
                .unwrap()
                .optional_str("Name")
                .unwrap(),
            None
        );
    }
}
