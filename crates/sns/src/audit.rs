//! CloudTrail's `requestParameters` for an SNS call: the request members in lower-camel naming,
//! maps as objects, tag lists as `{key, value}` objects, string lists as arrays, and the members
//! CloudTrail hides (message bodies, subjects, message attributes, confirmation tokens) replaced
//! by `HIDDEN_DUE_TO_SECURITY_REASONS`.
//!
//! It works from the wire parameters alone, so a failed call is recorded with what it asked for.

use serde_json::{Map, Value, json};

use crate::query::QueryInput;

/// What CloudTrail writes in place of a hidden member.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Members whose values are never recorded.
const HIDDEN_MEMBERS: [&str; 4] = ["Message", "Subject", "Token", "MessageAttributes"];

/// Members sent as `true`/`false` that CloudTrail records as booleans.
const BOOLEAN_MEMBERS: [&str; 1] = ["ReturnSubscriptionArn"];

/// The `requestParameters` object for this input (`null` when it has no members).
pub fn request_parameters(input: QueryInput<'_>) -> Value {
    let mut members = Map::new();
    for member in top_level_members(input) {
        let value = member_value(input, &member);
        members.insert(lower_camel(&member), value);
    }
    if members.is_empty() {
        Value::Null
    } else {
        Value::Object(members)
    }
}

/// The distinct first path segments, in first-seen order, without `Action` and `Version`.
fn top_level_members(input: QueryInput<'_>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for name in input.names() {
        let member = name.split('.').next().unwrap_or(name);
        if member != "Action" && member != "Version" && !seen.iter().any(|m| m == member) {
            seen.push(member.to_owned());
        }
    }
    seen
}

fn member_value(input: QueryInput<'_>, member: &str) -> Value {
    if HIDDEN_MEMBERS.contains(&member) {
        return Value::String(HIDDEN.to_owned());
    }
    if let Some(text) = input.get(member) {
        return match (BOOLEAN_MEMBERS.contains(&member), text) {
            (true, "true") => Value::Bool(true),
            (true, "false") => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        };
    }
    compound_value(input, member)
}

fn compound_value(input: QueryInput<'_>, member: &str) -> Value {
    if let Ok(entries) = input.string_map(member)
        && !entries.is_empty()
    {
        return Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        );
    }
    if let Ok(tags) = input.tags(member)
        && !tags.is_empty()
    {
        return tags
            .into_iter()
            .map(|tag| json!({"key": tag.key, "value": tag.value}))
            .collect();
    }
    match input.string_list(member) {
        Ok(items) if !items.is_empty() => items.into_iter().map(Value::String).collect(),
        _ => Value::Null,
    }
}

/// `TopicArn` -> `topicArn`.
fn lower_camel(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(params: &[(&str, &str)], expected: Value) {
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            request_parameters(QueryInput::new(&pairs)),
            expected,
            "{params:?}"
        );
    }

    #[test]
    fn members_are_lower_camel_with_compounds_and_hidden_values() {
        check(
            &[("Action", "ListTopics"), ("Version", "2010-03-31")],
            Value::Null,
        );
        check(
            &[("Action", "ListTopics"), ("NextToken", "abc")],
            json!({"nextToken": "abc"}),
        );
        check(
            &[
                ("Action", "CreateTopic"),
                ("Name", "t"),
                ("Attributes.entry.1.key", "DisplayName"),
                ("Attributes.entry.1.value", "d"),
                ("Tags.member.1.Key", "k"),
                ("Tags.member.1.Value", "v"),
            ],
            json!({"name": "t", "attributes": {"DisplayName": "d"}, "tags": [{"key": "k", "value": "v"}]}),
        );
        check(
            &[
                ("Action", "Publish"),
                ("TopicArn", "arn"),
                ("Message", "secret"),
                ("Subject", "s"),
                ("MessageAttributes.entry.1.Name", "n"),
                ("MessageAttributes.entry.1.Value.DataType", "String"),
            ],
            json!({"topicArn": "arn", "message": HIDDEN, "subject": HIDDEN, "messageAttributes": HIDDEN}),
        );
        check(
            &[("Action", "Subscribe"), ("ReturnSubscriptionArn", "true")],
            json!({"returnSubscriptionArn": true}),
        );
        check(
            &[
                ("Action", "UntagResource"),
                ("TagKeys.member.1", "a"),
                ("TagKeys.member.2", "b"),
            ],
            json!({"tagKeys": ["a", "b"]}),
        );
    }
}
