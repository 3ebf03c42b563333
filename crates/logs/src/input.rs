//! Reading one operation's JSON input the way CloudWatch Logs validates it: members are looked up
//! by their botocore names, wrong JSON types are a `SerializationException`, and constraint
//! violations from the model (required, length, pattern, range, enum) are collected and reported
//! together as AWS does: `InvalidParameterException: 2 validation errors detected: Value 'x' at
//! 'logGroupName' failed to satisfy constraint: ...; ...`.
//!
//! Rules that involve more than one member, or the store, belong to the operations. Unknown
//! members are ignored, as the service ignores them.

use serde_json::{Map, Value};

use crate::error::LogsApiError;
use crate::names::is_group_name_char;

/// The regular-expression constraints of the model's string shapes, checked by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShapePattern {
    /// `LogGroupName`: `[\.\-_/#A-Za-z0-9]+`.
    LogGroupName,
    /// `LogGroupNamePattern`: `[\.\-_/#A-Za-z0-9]*`.
    LogGroupNamePattern,
    /// `LogStreamName`, `FilterName`: `[^:*]*`.
    NoColonOrStar,
    /// `LogGroupIdentifier`: `[\w#+=/:,.@-]*`.
    LogGroupIdentifier,
}

impl ShapePattern {
    /// The pattern as the model (and AWS's messages) print it.
    fn text(self) -> &'static str {
        match self {
            ShapePattern::LogGroupName => r"[\.\-_/#A-Za-z0-9]+",
            ShapePattern::LogGroupNamePattern => r"[\.\-_/#A-Za-z0-9]*",
            ShapePattern::NoColonOrStar => "[^:*]*",
            ShapePattern::LogGroupIdentifier => r"[\w#+=/:,.@-]*",
        }
    }

    fn accepts(self, text: &str) -> bool {
        match self {
            ShapePattern::LogGroupName => !text.is_empty() && text.chars().all(is_group_name_char),
            ShapePattern::LogGroupNamePattern => text.chars().all(is_group_name_char),
            ShapePattern::NoColonOrStar => !text.contains([':', '*']),
            ShapePattern::LogGroupIdentifier => text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_#+=/:,.@-".contains(c)),
        }
    }
}

/// The constraints of one string member.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StringShape {
    pub min: usize,
    pub max: usize,
    pub pattern: Option<ShapePattern>,
    /// Group and stream names over the limit get AWS's dedicated message instead of a
    /// validation error ("Invalid LogGroup or LogStream, both must have length ...").
    pub name_length_message: bool,
}

impl StringShape {
    const fn new(min: usize, max: usize, pattern: Option<ShapePattern>) -> Self {
        StringShape {
            min,
            max,
            pattern,
            name_length_message: false,
        }
    }
}

/// `LogGroupName`.
pub(crate) const LOG_GROUP_NAME: StringShape = StringShape {
    name_length_message: true,
    ..StringShape::new(1, 512, Some(ShapePattern::LogGroupName))
};
/// `logGroupNamePrefix` of DescribeLogGroups (the `LogGroupName` shape, without the special message).
pub(crate) const LOG_GROUP_NAME_PREFIX: StringShape =
    StringShape::new(1, 512, Some(ShapePattern::LogGroupName));
/// `LogGroupNamePattern`.
pub(crate) const LOG_GROUP_NAME_PATTERN: StringShape =
    StringShape::new(0, 512, Some(ShapePattern::LogGroupNamePattern));
/// `LogStreamName`.
pub(crate) const LOG_STREAM_NAME: StringShape = StringShape {
    name_length_message: true,
    ..StringShape::new(1, 512, Some(ShapePattern::NoColonOrStar))
};
/// `logStreamNamePrefix` (the `LogStreamName` shape, without the special message).
pub(crate) const LOG_STREAM_NAME_PREFIX: StringShape =
    StringShape::new(1, 512, Some(ShapePattern::NoColonOrStar));
/// `LogGroupIdentifier`.
pub(crate) const LOG_GROUP_IDENTIFIER: StringShape =
    StringShape::new(1, 2048, Some(ShapePattern::LogGroupIdentifier));
/// `FilterName`.
pub(crate) const FILTER_NAME: StringShape =
    StringShape::new(1, 512, Some(ShapePattern::NoColonOrStar));
/// `FilterPattern`.
pub(crate) const FILTER_PATTERN: StringShape = StringShape::new(0, 1024, None);
/// `MetricName` and `MetricNamespace`: the model's `[^:*$]*` is not enforced by the service (a
/// namespace with `:` is accepted), so only the length is checked; CloudWatch needs at least one
/// character, so an empty name is refused.
pub(crate) const METRIC_NAME: StringShape = StringShape::new(1, 255, None);
/// `MetricValue`.
pub(crate) const METRIC_VALUE: StringShape = StringShape::new(1, 100, None);
/// `DimensionsKey` and `DimensionsValue`.
pub(crate) const DIMENSION_TEXT: StringShape = StringShape::new(1, 255, None);
/// `NextToken`.
pub(crate) const NEXT_TOKEN: StringShape = StringShape::new(1, usize::MAX, None);
/// `SequenceToken`.
pub(crate) const SEQUENCE_TOKEN: StringShape = StringShape::new(1, usize::MAX, None);
/// `EventMessage`.
pub(crate) const EVENT_MESSAGE: StringShape = StringShape::new(1, usize::MAX, None);
/// `KmsKeyId`.
pub(crate) const KMS_KEY_ID: StringShape = StringShape::new(0, 256, None);
/// `TagKey`.
pub(crate) const TAG_KEY: StringShape = StringShape::new(1, 128, None);
/// `TagValue`.
pub(crate) const TAG_VALUE: StringShape = StringShape::new(0, 256, None);
/// Any string whose allowed values are an enum (checked separately).
pub(crate) const ENUM_TEXT: StringShape = StringShape::new(0, usize::MAX, None);

/// Collected constraint violations, reported together by [`Violations::into_result`].
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    /// Records that `value` (already rendered, `None` for a missing member) at `path` breaks `constraint`.
    pub fn push(&mut self, value: Option<&str>, path: &str, constraint: &str) {
        let value = match value {
            Some(text) => format!("'{text}'"),
            None => "null".to_owned(),
        };
        self.0.push(format!(
            "Value {value} at '{path}' failed to satisfy constraint: Member {constraint}"
        ));
    }

    /// `Ok` when nothing was recorded, else AWS's `InvalidParameterException`.
    pub fn into_result(self) -> Result<(), LogsApiError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(LogsApiError::invalid_parameter(format!(
                "1 validation error detected: {}",
                self.0[0]
            ))),
            count => Err(LogsApiError::invalid_parameter(format!(
                "{count} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }

    /// Reads a string at `path`, recording length and pattern violations.
    pub fn string<'v>(
        &mut self,
        path: &str,
        value: Option<&'v Value>,
        shape: StringShape,
    ) -> Result<Option<&'v str>, LogsApiError> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let Some(text) = value.as_str() else {
            return Err(wrong_type(path, "a string"));
        };
        let length = text.chars().count();
        if shape.name_length_message && length > shape.max {
            return Err(LogsApiError::invalid_parameter(
                "Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
            ));
        }
        if let Some(pattern) = shape.pattern
            && !pattern.accepts(text)
        {
            let constraint = format!(
                "must satisfy regular expression pattern: {}",
                pattern.text()
            );
            self.push(Some(text), path, &constraint);
        }
        if length < shape.min {
            let constraint = format!("must have length greater than or equal to {}", shape.min);
            self.push(Some(text), path, &constraint);
        }
        if length > shape.max {
            let constraint = format!("must have length less than or equal to {}", shape.max);
            self.push(Some(text), path, &constraint);
        }
        Ok(Some(text))
    }

    /// Reads an integer at `path` within `min..=max`, recording range violations.
    pub fn integer(
        &mut self,
        path: &str,
        value: Option<&Value>,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Result<Option<i64>, LogsApiError> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let Some(number) = value.as_i64() else {
            return Err(wrong_type(path, "an integer"));
        };
        if let Some(min) = min
            && number < min
        {
            let constraint = format!("must have value greater than or equal to {min}");
            self.push(Some(&number.to_string()), path, &constraint);
        }
        if let Some(max) = max
            && number > max
        {
            let constraint = format!("must have value less than or equal to {max}");
            self.push(Some(&number.to_string()), path, &constraint);
        }
        Ok(Some(number))
    }

    /// Records "must not be null" when a required member is missing.
    pub fn require<T>(&mut self, path: &str, value: &Option<T>) {
        if value.is_none() {
            self.push(None, path, "must not be null");
        }
    }

    /// Records an enum violation unless `text` is one of `allowed`.
    pub fn one_of(&mut self, path: &str, text: Option<&str>, allowed: &[&str]) {
        if let Some(text) = text
            && !allowed.contains(&text)
        {
            let constraint = format!("must satisfy enum value set: [{}]", allowed.join(", "));
            self.push(Some(text), path, &constraint);
        }
    }
}

/// One operation's input object and the violations found so far.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    members: Option<&'a Map<String, Value>>,
    violations: Violations,
}

impl<'a> Request<'a> {
    /// Accepts a JSON object (or `null`, read as `{}`).
    pub fn new(input: &'a Value) -> Result<Self, LogsApiError> {
        let members = match input {
            Value::Object(members) => Some(members),
            Value::Null => None,
            _ => {
                return Err(LogsApiError::new(
                    "SerializationException",
                    "the request body must be a JSON object",
                ));
            }
        };
        Ok(Request {
            members,
            violations: Violations::default(),
        })
    }

    /// The raw member, `None` when absent or `null`.
    pub fn member(&self, name: &str) -> Option<&'a Value> {
        self.members?.get(name).filter(|v| !v.is_null())
    }

    /// The violations collected so far, for checks of nested members.
    pub fn violations(&mut self) -> &mut Violations {
        &mut self.violations
    }

    /// An optional string member.
    pub fn string(
        &mut self,
        name: &str,
        shape: StringShape,
    ) -> Result<Option<&'a str>, LogsApiError> {
        let value = self.member(name);
        self.violations.string(name, value, shape)
    }

    /// A required string member (a violation is recorded when it is missing).
    pub fn required_string(
        &mut self,
        name: &str,
        shape: StringShape,
    ) -> Result<Option<&'a str>, LogsApiError> {
        let text = self.string(name, shape)?;
        self.violations.require(name, &text);
        Ok(text)
    }

    /// An optional integer member within `min..=max`.
    pub fn integer(
        &mut self,
        name: &str,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Result<Option<i64>, LogsApiError> {
        let value = self.member(name);
        self.violations.integer(name, value, min, max)
    }

    /// An optional boolean member.
    pub fn boolean(&mut self, name: &str) -> Result<Option<bool>, LogsApiError> {
        match self.member(name) {
            None => Ok(None),
            Some(value) => value
                .as_bool()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "a boolean")),
        }
    }

    /// An optional list member with `min..=max` elements.
    pub fn list(
        &mut self,
        name: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<&'a [Value]>, LogsApiError> {
        let Some(value) = self.member(name) else {
            return Ok(None);
        };
        let Some(items) = value.as_array() else {
            return Err(wrong_type(name, "a list"));
        };
        let rendered = || render_list(items);
        if items.len() < min {
            let constraint = format!("must have length greater than or equal to {min}");
            self.violations.push(Some(&rendered()), name, &constraint);
        }
        if items.len() > max {
            let constraint = format!("must have length less than or equal to {max}");
            self.violations.push(Some(&rendered()), name, &constraint);
        }
        Ok(Some(items))
    }

    /// An optional map member (a JSON object).
    pub fn map(&mut self, name: &str) -> Result<Option<&'a Map<String, Value>>, LogsApiError> {
        match self.member(name) {
            None => Ok(None),
            Some(value) => value
                .as_object()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "a map")),
        }
    }

    /// Reports every violation collected.
    pub fn finish(self) -> Result<(), LogsApiError> {
        self.violations.into_result()
    }
}

/// A list rendered for a violation message: `[a, b]` (Java's `toString` of a list of strings).
fn render_list(items: &[Value]) -> String {
    let rendered: Vec<String> = items
        .iter()
        .map(|item| match item {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", rendered.join(", "))
}

/// The error for a member of the wrong JSON type.
pub(crate) fn wrong_type(path: &str, expected: &str) -> LogsApiError {
    LogsApiError::new(
        "SerializationException",
        format!("member '{path}' must be {expected}"),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(
        input: Value,
        read: impl FnOnce(&mut Request<'_>) -> Result<(), LogsApiError>,
        expected: Result<(), &str>,
    ) {
        let outcome = Request::new(&input).and_then(|mut request| {
            read(&mut request)?;
            request.finish()
        });
        match expected {
            Ok(()) => assert_eq!(outcome, Ok(()), "{input}"),
            Err(text) => {
                let error = outcome.expect_err("expected a rejection");
                assert_eq!(
                    format!("{}: {}", error.code, error.message),
                    text,
                    "{input}"
                );
            }
        }
    }

    #[test]
    fn violations_are_worded_and_counted_as_aws_does() {
        check(
            json!({"logGroupName": "ok/name"}),
            |r| r.required_string("logGroupName", LOG_GROUP_NAME).map(drop),
            Ok(()),
        );
        check(
            json!({}),
            |r| r.required_string("logGroupName", LOG_GROUP_NAME).map(drop),
            Err(
                "InvalidParameterException: 1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null",
            ),
        );
        check(
            json!({"logGroupName": "a:b"}),
            |r| r.required_string("logGroupName", LOG_GROUP_NAME).map(drop),
            Err(
                r"InvalidParameterException: 1 validation error detected: Value 'a:b' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+",
            ),
        );
        check(
            json!({"logGroupNamePrefix": ""}),
            |r| {
                r.string("logGroupNamePrefix", LOG_GROUP_NAME_PREFIX)
                    .map(drop)
            },
            Err(
                r"InvalidParameterException: 2 validation errors detected: Value '' at 'logGroupNamePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+; Value '' at 'logGroupNamePrefix' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
        );
        check(
            json!({"logGroupName": "x".repeat(513)}),
            |r| r.required_string("logGroupName", LOG_GROUP_NAME).map(drop),
            Err(
                "InvalidParameterException: Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
            ),
        );
        check(
            json!({"limit": 10001}),
            |r| r.integer("limit", Some(1), Some(10000)).map(drop),
            Err(
                "InvalidParameterException: 1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
            ),
        );
        check(
            json!({"limit": "5"}),
            |r| r.integer("limit", Some(1), Some(10000)).map(drop),
            Err("SerializationException: member 'limit' must be an integer"),
        );
        check(
            json!({"names": []}),
            |r| r.list("names", 1, 100).map(drop),
            Err(
                "InvalidParameterException: 1 validation error detected: Value '[]' at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
        );
        check(
            json!({"orderBy": "Name"}),
            |r| {
                let v = r.string("orderBy", ENUM_TEXT)?;
                r.violations()
                    .one_of("orderBy", v, &["LogStreamName", "LastEventTime"]);
                Ok(())
            },
            Err(
                "InvalidParameterException: 1 validation error detected: Value 'Name' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]",
            ),
        );
        check(
            json!("text"),
            |_| Ok(()),
            Err("SerializationException: the request body must be a JSON object"),
        );
        check(
            Value::Null,
            |r| r.string("x", FILTER_PATTERN).map(drop),
            Ok(()),
        );
    }

    #[test]
    fn identifier_and_stream_patterns() {
        assert!(
            !ShapePattern::LogGroupIdentifier
                .accepts("arn:aws:logs:us-east-1:123456789012:log-group:a/b:*")
        );
        assert!(
            ShapePattern::LogGroupIdentifier
                .accepts("arn:aws:logs:us-east-1:123456789012:log-group:a/b")
        );
        assert!(ShapePattern::NoColonOrStar.accepts("123456789012_CloudTrail_us-east-1"));
        assert!(!ShapePattern::NoColonOrStar.accepts("a*"));
    }
}
