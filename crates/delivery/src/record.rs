//! [`RecordSummary`]: the few fields of one CloudTrail record that delivery reads (region, source,
//! time, identity, resources and the selector facts), taken from the record's original bytes
//! without building a JSON tree and without ever failing on an unexpected member type.
//!
//! Every member is first captured as raw JSON text borrowed from the record and only then read
//! leniently: a member of the wrong type counts as absent. The record bytes themselves are never
//! re-serialised here; the log file carries them as they are.

use std::borrow::Cow;

use opentrail_selectors::{EventFacts, ResourceFact};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The members delivery looks at, as raw JSON borrowed from the record.
#[derive(Debug, Default, Deserialize)]
struct RawRecord<'a> {
    #[serde(rename = "eventTime", borrow)]
    event_time: Option<&'a RawValue>,
    #[serde(rename = "awsRegion", borrow)]
    aws_region: Option<&'a RawValue>,
    #[serde(rename = "eventSource", borrow)]
    event_source: Option<&'a RawValue>,
    #[serde(rename = "eventName", borrow)]
    event_name: Option<&'a RawValue>,
    #[serde(rename = "eventCategory", borrow)]
    event_category: Option<&'a RawValue>,
    #[serde(rename = "eventType", borrow)]
    event_type: Option<&'a RawValue>,
    #[serde(rename = "readOnly", borrow)]
    read_only: Option<&'a RawValue>,
    #[serde(rename = "managementEvent", borrow)]
    management_event: Option<&'a RawValue>,
    #[serde(rename = "userIdentity", borrow)]
    user_identity: Option<&'a RawValue>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(rename = "sessionCredentialFromConsole", borrow)]
    session_credential_from_console: Option<&'a RawValue>,
    #[serde(rename = "vpcEndpointId", borrow)]
    vpc_endpoint_id: Option<&'a RawValue>,
    #[serde(rename = "errorCode", borrow)]
    error_code: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
struct RawIdentity<'a> {
    #[serde(rename = "type", borrow)]
    identity_type: Option<&'a RawValue>,
    #[serde(rename = "invokedBy", borrow)]
    invoked_by: Option<&'a RawValue>,
    #[serde(borrow)]
    arn: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
struct RawResource<'a> {
    #[serde(rename = "type", borrow)]
    resource_type: Option<&'a RawValue>,
    #[serde(rename = "ARN", borrow)]
    arn: Option<&'a RawValue>,
    #[serde(rename = "ARNPrefix", borrow)]
    arn_prefix: Option<&'a RawValue>,
}

/// One `resources` entry: its type and ARN (or `ARNPrefix`), empty when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSummary<'a> {
    /// `type`.
    pub resource_type: Cow<'a, str>,
    /// `ARN`, else `ARNPrefix`.
    pub arn: Cow<'a, str>,
}

/// What delivery knows about one record. Strings borrow from the record unless it escapes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordSummary<'a> {
    /// `eventTime`.
    pub event_time: Option<Cow<'a, str>>,
    /// `awsRegion`.
    pub aws_region: Option<Cow<'a, str>>,
    /// `eventSource`.
    pub event_source: Option<Cow<'a, str>>,
    /// `eventName`.
    pub event_name: Option<Cow<'a, str>>,
    /// `eventCategory`.
    pub event_category: Option<Cow<'a, str>>,
    /// `eventType`.
    pub event_type: Option<Cow<'a, str>>,
    /// `readOnly` (boolean or `"true"`/`"false"`).
    pub read_only: Option<bool>,
    /// `managementEvent`.
    pub management_event: Option<bool>,
    /// `userIdentity.type`.
    pub identity_type: Option<Cow<'a, str>>,
    /// `userIdentity.invokedBy`.
    pub identity_invoked_by: Option<Cow<'a, str>>,
    /// `userIdentity.arn`.
    pub identity_arn: Option<Cow<'a, str>>,
    /// `resources`.
    pub resources: Vec<ResourceSummary<'a>>,
    /// `sessionCredentialFromConsole`.
    pub session_credential_from_console: Option<bool>,
    /// `vpcEndpointId`.
    pub vpc_endpoint_id: Option<Cow<'a, str>>,
    /// `errorCode`.
    pub error_code: Option<Cow<'a, str>>,
}

impl<'a> RecordSummary<'a> {
    /// Reads the summary of one record; `None` when the bytes are not a JSON object.
    pub fn parse(record: &'a [u8]) -> Option<Self> {
        let raw: RawRecord<'a> = serde_json::from_slice(record).ok()?;
        let identity = raw
            .user_identity
            .and_then(|value| serde_json::from_str::<RawIdentity<'a>>(value.get()).ok())
            .unwrap_or_default();
        Some(RecordSummary {
            event_time: lenient_str(raw.event_time),
            aws_region: lenient_str(raw.aws_region),
            event_source: lenient_str(raw.event_source),
            event_name: lenient_str(raw.event_name),
            event_category: lenient_str(raw.event_category),
            event_type: lenient_str(raw.event_type),
            read_only: lenient_bool(raw.read_only),
            management_event: lenient_bool(raw.management_event),
            identity_type: lenient_str(identity.identity_type),
            identity_invoked_by: lenient_str(identity.invoked_by),
            identity_arn: lenient_str(identity.arn),
            resources: lenient_resources(raw.resources),
            session_credential_from_console: lenient_bool(raw.session_credential_from_console),
            vpc_endpoint_id: lenient_str(raw.vpc_endpoint_id),
            error_code: lenient_str(raw.error_code),
        })
    }

    /// The selector facts of this record; `resources` is the buffer its resource list lives in.
    pub fn facts<'b>(&'b self, resources: &'b mut Vec<ResourceFact<'b>>) -> EventFacts<'b> {
        resources.clear();
        resources.extend(self.resources.iter().map(|resource| ResourceFact {
            resource_type: &resource.resource_type,
            arn: &resource.arn,
        }));
        EventFacts {
            event_category: text(&self.event_category),
            event_source: text(&self.event_source),
            event_name: text(&self.event_name),
            event_type: text(&self.event_type),
            read_only: self.read_only,
            management_event: self.management_event,
            resources,
            user_identity_arn: self.identity_arn.as_deref(),
            session_credential_from_console: self.session_credential_from_console,
            vpc_endpoint_id: self.vpc_endpoint_id.as_deref(),
            error_code: self.error_code.as_deref(),
        }
    }
}

fn text<'b>(value: &'b Option<Cow<'_, str>>) -> &'b str {
    value.as_deref().unwrap_or("")
}

fn lenient_str<'a>(value: Option<&'a RawValue>) -> Option<Cow<'a, str>> {
    serde_json::from_str::<Cow<'a, str>>(value?.get()).ok()
}

/// A JSON boolean or the strings `"true"` / `"false"` (records use both spellings).
fn lenient_bool(value: Option<&RawValue>) -> Option<bool> {
    match value?.get() {
        "true" | "\"true\"" => Some(true),
        "false" | "\"false\"" => Some(false),
        _ => None,
    }
}

fn lenient_resources<'a>(value: Option<&'a RawValue>) -> Vec<ResourceSummary<'a>> {
    let Some(list) = value.and_then(|v| serde_json::from_str::<Vec<&'a RawValue>>(v.get()).ok())
    else {
        return Vec::new();
    };
    list.into_iter()
        .map(|item| {
            let raw: RawResource<'a> = serde_json::from_str(item.get()).unwrap_or_default();
            ResourceSummary {
                resource_type: lenient_str(raw.resource_type).unwrap_or_default(),
                arn: lenient_str(raw.arn)
                    .or_else(|| lenient_str(raw.arn_prefix))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_same_facts_as_the_selector_crate() {
        let record = br#"{"eventVersion":"1.11","eventCategory":"Data","eventSource":"s3.amazonaws.com",
            "eventName":"ListObjects","eventType":"AwsApiCall","readOnly":true,"managementEvent":false,
            "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Al\u0069ce"},
            "sessionCredentialFromConsole":"true","vpcEndpointId":"vpce-1","errorCode":"AccessDenied",
            "awsRegion":"us-east-1","eventTime":"2024-05-01T10:05:00Z",
            "resources":[{"type":"AWS::S3::Object","ARNPrefix":"arn:aws:s3:::bkt1/logs/"},
                {"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::bkt1","accountId":"111122223333"},{}]}"#;
        let summary = RecordSummary::parse(record).unwrap();
        let value: serde_json::Value = serde_json::from_slice(record).unwrap();
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        assert_eq!(
            summary.facts(&mut ours),
            EventFacts::from_record(&value, &mut theirs)
        );
        assert_eq!(summary.aws_region.as_deref(), Some("us-east-1"));
        assert_eq!(summary.identity_type.as_deref(), Some("IAMUser"));
    }

    #[test]
    fn wrong_member_types_count_as_absent() {
        let check = |record: &str, expected: Option<RecordSummary<'static>>| {
            assert_eq!(
                RecordSummary::parse(record.as_bytes()),
                expected,
                "{record}"
            );
        };
        check("[1,2]", None);
        check("not json", None);
        check("{}", Some(RecordSummary::default()));
        check(
            r#"{"awsRegion":7,"readOnly":"maybe","userIdentity":"x","resources":{"a":1}}"#,
            Some(RecordSummary::default()),
        );
        check(
            r#"{"resources":[1,{"type":2,"ARN":"arn:aws:s3:::b/k"}]}"#,
            Some(RecordSummary {
                resources: vec![
                    ResourceSummary {
                        resource_type: "".into(),
                        arn: "".into(),
                    },
                    ResourceSummary {
                        resource_type: "".into(),
                        arn: "arn:aws:s3:::b/k".into(),
                    },
                ],
                ..Default::default()
            }),
        );
    }
}
