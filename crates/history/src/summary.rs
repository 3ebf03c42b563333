//! What event history needs from one CloudTrail record: whether it belongs in history at all
//! (management or Insights), where (region, time), its dedupe key, the values of the eight lookup
//! attributes and the summary fields of a LookupEvents `Event`.
//!
//! The same function serves ingest (to write index rows), lookups (to render results) and
//! retention (to find the index rows of an expired event), so the three always agree. Records are
//! messy (FIELDS.md): every field is optional and of uncertain type, and nothing here fails on an
//! odd shape; a record without an event ID, a parsable event time or a region is simply not
//! indexed. This module does not touch SQLite.

use chrono::DateTime;
use serde_json::Value;

/// Which history a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Management events: returned by LookupEvents without `EventCategory`.
    Management = 0,
    /// Insights events: returned only for `EventCategory=insight`.
    Insight = 1,
}

/// The eight LookupEvents attribute keys, with their stable numbers in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeKey {
    /// `EventId`: answered from the dedupe index, never stored as a lookup row.
    EventId = 0,
    /// `EventName`.
    EventName = 1,
    /// `ReadOnly` (`true` / `false`).
    ReadOnly = 2,
    /// `Username`.
    Username = 3,
    /// `ResourceType`.
    ResourceType = 4,
    /// `ResourceName`.
    ResourceName = 5,
    /// `EventSource`.
    EventSource = 6,
    /// `AccessKeyId`.
    AccessKeyId = 7,
}

impl AttributeKey {
    /// Parses the API's case-sensitive key name.
    pub fn from_api_name(name: &str) -> Option<Self> {
        Some(match name {
            "EventId" => Self::EventId,
            "EventName" => Self::EventName,
            "ReadOnly" => Self::ReadOnly,
            "Username" => Self::Username,
            "ResourceType" => Self::ResourceType,
            "ResourceName" => Self::ResourceName,
            "EventSource" => Self::EventSource,
            "AccessKeyId" => Self::AccessKeyId,
            _ => return None,
        })
    }

    /// The API's name for the key.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::EventId => "EventId",
            Self::EventName => "EventName",
            Self::ReadOnly => "ReadOnly",
            Self::Username => "Username",
            Self::ResourceType => "ResourceType",
            Self::ResourceName => "ResourceName",
            Self::EventSource => "EventSource",
            Self::AccessKeyId => "AccessKeyId",
        }
    }

    /// Whether `EventCategory=insight` lookups accept this key.
    pub fn allowed_for_insights(self) -> bool {
        matches!(self, Self::EventId | Self::EventName | Self::EventSource)
    }
}

/// One `{ResourceType, ResourceName}` of a LookupEvents `Event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSummary {
    /// The record's `resources[].type`, when present.
    pub resource_type: Option<String>,
    /// The short name taken from the resource's ARN (see [`resource_name_from_arn`]).
    pub resource_name: String,
    /// The full ARN, also indexed as a `ResourceName` value.
    pub arn: String,
}

/// Everything history takes from one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    /// Management or Insights.
    pub category: Category,
    /// `eventID`, the dedupe key.
    pub event_id: String,
    /// `eventTime` in whole seconds since the epoch.
    pub event_time: i64,
    /// `awsRegion`.
    pub region: String,
    /// `eventName` (for Insights, `insightDetails.eventName`).
    pub event_name: Option<String>,
    /// `eventSource` (for Insights, `insightDetails.eventSource`).
    pub event_source: Option<String>,
    /// `readOnly` as `"true"` / `"false"`.
    pub read_only: Option<&'static str>,
    /// The user or session name, derived as LookupEvents does.
    pub username: Option<String>,
    /// `userIdentity.accessKeyId`, when not empty.
    pub access_key_id: Option<String>,
    /// The record's `resources`.
    pub resources: Vec<ResourceSummary>,
}

impl RecordSummary {
    /// The index rows of this record: every (attribute, value) it can be looked up by, except
    /// `EventId`, without duplicates.
    pub fn attribute_values(&self) -> Vec<(AttributeKey, &str)> {
        let mut values = Vec::with_capacity(8);
        push_unique(
            &mut values,
            AttributeKey::EventName,
            self.event_name.as_deref(),
        );
        push_unique(
            &mut values,
            AttributeKey::EventSource,
            self.event_source.as_deref(),
        );
        if self.category == Category::Management {
            push_unique(&mut values, AttributeKey::ReadOnly, self.read_only);
            push_unique(
                &mut values,
                AttributeKey::Username,
                self.username.as_deref(),
            );
            push_unique(
                &mut values,
                AttributeKey::AccessKeyId,
                self.access_key_id.as_deref(),
            );
            for resource in &self.resources {
                let kind = resource.resource_type.as_deref();
                push_unique(&mut values, AttributeKey::ResourceType, kind);
                push_unique(
                    &mut values,
                    AttributeKey::ResourceName,
                    Some(&resource.resource_name),
                );
                push_unique(&mut values, AttributeKey::ResourceName, Some(&resource.arn));
            }
        }
        values
    }
}

fn push_unique<'a>(
    values: &mut Vec<(AttributeKey, &'a str)>,
    key: AttributeKey,
    value: Option<&'a str>,
) {
    if let Some(value) = value.filter(|value| !value.is_empty())
        && !values.contains(&(key, value))
    {
        values.push((key, value));
    }
}

/// Summarises `record` (its JSON text), or `None` when history does not hold it: data and
/// network-activity events, and records without an event ID, event time or region.
pub fn summarize(record: &[u8]) -> Option<RecordSummary> {
    let value: Value = serde_json::from_slice(record).ok()?;
    summarize_value(&value)
}

/// [`summarize`] for an already parsed record.
pub fn summarize_value(record: &Value) -> Option<RecordSummary> {
    let category = category_of(record)?;
    let event_id = non_empty(record.get("eventID"))?.to_owned();
    let event_time = parse_event_time(non_empty(record.get("eventTime"))?)?;
    let region = non_empty(record.get("awsRegion"))?.to_owned();
    let names_from = match category {
        Category::Management => record,
        Category::Insight => record.get("insightDetails").unwrap_or(&Value::Null),
    };
    let identity = record.get("userIdentity").unwrap_or(&Value::Null);
    Some(RecordSummary {
        category,
        event_id,
        event_time,
        region,
        event_name: non_empty(names_from.get("eventName")).map(str::to_owned),
        event_source: non_empty(names_from.get("eventSource")).map(str::to_owned),
        read_only: flag(record.get("readOnly")).map(|flag| if flag { "true" } else { "false" }),
        username: derive_username(identity),
        access_key_id: non_empty(identity.get("accessKeyId")).map(str::to_owned),
        resources: resources_of(record.get("resources")),
    })
}

fn category_of(record: &Value) -> Option<Category> {
    let event_type = record.get("eventType").and_then(Value::as_str);
    let category = record.get("eventCategory").and_then(Value::as_str);
    if event_type == Some("AwsCloudTrailInsight") || category == Some("Insight") {
        return Some(Category::Insight);
    }
    match category {
        Some("Management") => Some(Category::Management),
        None if flag(record.get("managementEvent")) != Some(false) => Some(Category::Management),
        _ => None,
    }
}

/// Reads a boolean that may be written as a JSON boolean or as the string `"true"`/`"false"`.
fn flag(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn non_empty(value: Option<&Value>) -> Option<&str> {
    value?.as_str().filter(|text| !text.is_empty())
}

/// Parses `eventTime` (`YYYY-MM-DDTHH:MM:SSZ`, or any RFC 3339 time) to whole epoch seconds.
pub fn parse_event_time(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.timestamp())
}

/// The LookupEvents `Username`: the identity's `userName` when set (IAM users, root with an
/// alias, SAML and web-identity users); `root` for the root user; the session name for assumed
/// roles and federated users; the calling service for AWS services.
pub fn derive_username(identity: &Value) -> Option<String> {
    if let Some(name) = non_empty(identity.get("userName")) {
        return Some(name.to_owned());
    }
    let arn = non_empty(identity.get("arn"));
    let principal = non_empty(identity.get("principalId"));
    let after_colon = || {
        principal
            .and_then(|id| id.split_once(':'))
            .map(|(_, name)| name)
    };
    let name = match non_empty(identity.get("type"))? {
        "Root" => Some("root"),
        "AssumedRole" => arn
            .and_then(|arn| arn.rsplit_once('/'))
            .map(|(_, session)| session)
            .or_else(after_colon),
        "FederatedUser" => arn
            .and_then(|arn| arn.split_once(":federated-user/"))
            .map(|(_, name)| name)
            .or_else(after_colon),
        "AWSService" => non_empty(identity.get("invokedBy")),
        _ => None,
    };
    name.filter(|name| !name.is_empty()).map(str::to_owned)
}

fn resources_of(value: Option<&Value>) -> Vec<ResourceSummary> {
    let Some(Value::Array(resources)) = value else {
        return Vec::new();
    };
    resources
        .iter()
        .filter_map(|resource| {
            let arn = non_empty(resource.get("ARN"))?;
            Some(ResourceSummary {
                resource_type: non_empty(resource.get("type")).map(str::to_owned),
                resource_name: resource_name_from_arn(arn).to_owned(),
                arn: arn.to_owned(),
            })
        })
        .collect()
}

/// The name LookupEvents shows for a resource: the last `/`-separated part of the ARN's resource
/// section (`arn:aws:s3:::bucket` -> `bucket`, `...:instance/i-1` -> `i-1`,
/// `...:role/path/name` -> `name`); a value that is not an ARN is its own name.
pub fn resource_name_from_arn(arn: &str) -> &str {
    if !arn.starts_with("arn:") {
        return arn;
    }
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    let name = resource.rsplit('/').next().unwrap_or(resource);
    if name.is_empty() { resource } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check_username(identity: Value, expected: Option<&str>) {
        assert_eq!(
            derive_username(&identity).as_deref(),
            expected,
            "{identity}"
        );
    }

    #[test]
    fn derives_usernames_like_lookup_events() {
        let cases = [
            (json!({"type":"IAMUser","userName":"alice"}), Some("alice")),
            (
                json!({"type":"Root","arn":"arn:aws:iam::1:root"}),
                Some("root"),
            ),
            (
                json!({"type":"Root","userName":"my-alias"}),
                Some("my-alias"),
            ),
            (
                json!({"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/bob","principalId":"AROA:bob"}),
                Some("bob"),
            ),
            (
                json!({"type":"AssumedRole","principalId":"AROAX:sess"}),
                Some("sess"),
            ),
            (
                json!({"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/carol"}),
                Some("carol"),
            ),
            (
                json!({"type":"AWSService","invokedBy":"ec2.amazonaws.com"}),
                Some("ec2.amazonaws.com"),
            ),
            (
                json!({"accountId":"1","invokedBy":"cloudtrail.amazonaws.com"}),
                None,
            ),
            (json!({"type":"IAMUser","userName":""}), None),
            (Value::Null, None),
        ];
        for (identity, expected) in cases {
            check_username(identity, expected);
        }
    }

    #[test]
    fn names_resources_after_the_last_part_of_their_arn() {
        let cases = [
            ("arn:aws:s3:::my-bucket", "my-bucket"),
            ("arn:aws:ec2:us-east-1:1:instance/i-123", "i-123"),
            ("arn:aws:iam::1:role/aws-service-role/rds/Svc", "Svc"),
            ("arn:aws:kms:us-east-1:1:key/0e5d", "0e5d"),
            ("arn:aws:sns:us-east-1:1:topic", "topic"),
            ("plain-name", "plain-name"),
        ];
        for (arn, expected) in cases {
            assert_eq!(resource_name_from_arn(arn), expected, "{arn}");
        }
    }

    #[test]
    fn classifies_categories_and_skips_what_history_does_not_hold() {
        let base = |extra: Value| {
            let mut record =
                json!({"eventID":"e","eventTime":"2024-01-01T00:00:00Z","awsRegion":"r"});
            record
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            summarize_value(&record).map(|summary| summary.category)
        };
        let cases = [
            (
                json!({"eventCategory":"Management"}),
                Some(Category::Management),
            ),
            (json!({}), Some(Category::Management)),
            (json!({"managementEvent":true}), Some(Category::Management)),
            (json!({"managementEvent":false}), None),
            (json!({"managementEvent":"false"}), None),
            (
                json!({"eventCategory":"Data","managementEvent":false}),
                None,
            ),
            (json!({"eventCategory":"NetworkActivity"}), None),
            (
                json!({"eventType":"AwsCloudTrailInsight"}),
                Some(Category::Insight),
            ),
            (json!({"eventCategory":"Insight"}), Some(Category::Insight)),
        ];
        for (extra, expected) in cases {
            assert_eq!(base(extra.clone()), expected, "{extra}");
        }
        assert_eq!(
            summarize(br#"{"eventTime":"2024-01-01T00:00:00Z","awsRegion":"r"}"#),
            None
        );
        assert_eq!(
            summarize(br#"{"eventID":"e","eventTime":"bad","awsRegion":"r"}"#),
            None
        );
        assert_eq!(summarize(b"not json"), None);
    }

    #[test]
    fn lists_each_attribute_value_once_and_only_supported_ones_for_insights() {
        let record = json!({"eventID":"e","eventTime":"2024-01-01T00:00:00Z","awsRegion":"r",
            "eventName":"PutObject","eventSource":"s3.amazonaws.com","readOnly":"false",
            "userIdentity":{"type":"IAMUser","userName":"u","accessKeyId":"AKIA1"},
            "resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"},{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::c"},{"ARN":""}]});
        let summary = summarize_value(&record).unwrap();
        assert_eq!(
            summary.attribute_values(),
            vec![
                (AttributeKey::EventName, "PutObject"),
                (AttributeKey::EventSource, "s3.amazonaws.com"),
                (AttributeKey::ReadOnly, "false"),
                (AttributeKey::Username, "u"),
                (AttributeKey::AccessKeyId, "AKIA1"),
                (AttributeKey::ResourceType, "AWS::S3::Bucket"),
                (AttributeKey::ResourceName, "b"),
                (AttributeKey::ResourceName, "arn:aws:s3:::b"),
                (AttributeKey::ResourceName, "c"),
                (AttributeKey::ResourceName, "arn:aws:s3:::c"),
            ]
        );
        let insight = json!({"eventID":"i","eventTime":"2024-01-01T00:00:00Z","awsRegion":"r",
            "eventType":"AwsCloudTrailInsight","insightDetails":{"eventName":"RunInstances","eventSource":"ec2.amazonaws.com"}});
        assert_eq!(
            summarize_value(&insight).unwrap().attribute_values(),
            vec![
                (AttributeKey::EventName, "RunInstances"),
                (AttributeKey::EventSource, "ec2.amazonaws.com"),
            ]
        );
    }
}
