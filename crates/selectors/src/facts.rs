//! [`EventFacts`]: the handful of record fields selector matching looks at, borrowed from a record.
//! Building facts from a `serde_json::Value` is a convenience for tests and cold paths; the event
//! pipeline can fill the struct from its own typed record without any JSON work.

use serde_json::Value;

/// One entry of a record's `resources` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceFact<'a> {
    /// `type`, e.g. `AWS::S3::Object` (empty when the record omits it).
    pub resource_type: &'a str,
    /// `ARN`, e.g. `arn:aws:s3:::bucket/key`, or the `ARNPrefix` of bucket-level S3 data events
    /// (empty when the record has neither).
    pub arn: &'a str,
}

/// The facts about one record that event and advanced selectors can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFacts<'a> {
    /// `eventCategory`: `Management`, `Data`, `Insight` or `NetworkActivity`.
    pub event_category: &'a str,
    /// `eventSource`, e.g. `s3.amazonaws.com`.
    pub event_source: &'a str,
    /// `eventName`, e.g. `PutObject`.
    pub event_name: &'a str,
    /// `eventType`, e.g. `AwsApiCall`.
    pub event_type: &'a str,
    /// `readOnly`; `None` when the record has no such member.
    pub read_only: Option<bool>,
    /// `managementEvent`; `None` when the record has no such member.
    pub management_event: Option<bool>,
    /// `resources`.
    pub resources: &'a [ResourceFact<'a>],
    /// `userIdentity.arn`.
    pub user_identity_arn: Option<&'a str>,
    /// `sessionCredentialFromConsole` (a string `"true"` in records).
    pub session_credential_from_console: Option<bool>,
    /// `vpcEndpointId`.
    pub vpc_endpoint_id: Option<&'a str>,
    /// `errorCode`.
    pub error_code: Option<&'a str>,
}

/// The kind of event, from `eventCategory` (inferred for records older than eventVersion 1.07).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `Management`.
    Management,
    /// `Data`.
    Data,
    /// `Insight`: never taken by event selectors.
    Insight,
    /// `NetworkActivity`: only advanced selectors can take these.
    NetworkActivity,
    /// Anything else (Lake-only categories); no trail selector takes these.
    Other,
}

impl Category {
    /// The `eventCategory` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Management => "Management",
            Category::Data => "Data",
            Category::Insight => "Insight",
            Category::NetworkActivity => "NetworkActivity",
            Category::Other => "",
        }
    }
}

impl<'a> EventFacts<'a> {
    /// A management event with every other fact empty; a base for struct-update syntax.
    pub fn management(event_source: &'a str, event_name: &'a str, read_only: bool) -> Self {
        EventFacts {
            event_category: "Management",
            event_source,
            event_name,
            event_type: "AwsApiCall",
            read_only: Some(read_only),
            management_event: Some(true),
            resources: &[],
            user_identity_arn: None,
            session_credential_from_console: None,
            vpc_endpoint_id: None,
            error_code: None,
        }
    }

    /// The event's category; without `eventCategory` it is inferred from `eventType` and
    /// `managementEvent` (`managementEvent: false` means a data event).
    pub fn category(&self) -> Category {
        match self.event_category {
            "Management" => Category::Management,
            "Data" => Category::Data,
            "Insight" => Category::Insight,
            "NetworkActivity" => Category::NetworkActivity,
            "" => self.inferred_category(),
            _ => Category::Other,
        }
    }

    fn inferred_category(&self) -> Category {
        match (self.event_type, self.management_event) {
            ("AwsCloudTrailInsight", _) => Category::Insight,
            ("AwsVpceEvent", _) => Category::NetworkActivity,
            (_, Some(false)) => Category::Data,
            _ => Category::Management,
        }
    }

    /// Reads the facts out of one CloudTrail record object; `resources_buf` holds the resource list
    /// (it is cleared first, so one buffer can be reused across records).
    pub fn from_record(record: &'a Value, resources_buf: &'a mut Vec<ResourceFact<'a>>) -> Self {
        resources_buf.clear();
        if let Some(list) = record.get("resources").and_then(Value::as_array) {
            resources_buf.extend(list.iter().map(resource_fact));
        }
        let resources: &'a [ResourceFact<'a>] = resources_buf;
        EventFacts {
            event_category: str_member(record, "eventCategory").unwrap_or(""),
            event_source: str_member(record, "eventSource").unwrap_or(""),
            event_name: str_member(record, "eventName").unwrap_or(""),
            event_type: str_member(record, "eventType").unwrap_or(""),
            read_only: bool_member(record, "readOnly"),
            management_event: bool_member(record, "managementEvent"),
            resources,
            user_identity_arn: record
                .get("userIdentity")
                .and_then(|identity| str_member(identity, "arn")),
            session_credential_from_console: bool_member(record, "sessionCredentialFromConsole"),
            vpc_endpoint_id: str_member(record, "vpcEndpointId"),
            error_code: str_member(record, "errorCode"),
        }
    }
}

/// Bucket-level S3 data events (ListObjects, HeadBucket, DeleteObjects) carry `ARNPrefix`
/// (`arn:aws:s3:::bucket/<list prefix>`) instead of `ARN`; it stands in for the ARN.
fn resource_fact(resource: &Value) -> ResourceFact<'_> {
    ResourceFact {
        resource_type: str_member(resource, "type").unwrap_or(""),
        arn: str_member(resource, "ARN")
            .or_else(|| str_member(resource, "ARNPrefix"))
            .unwrap_or(""),
    }
}

fn str_member<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}

/// Accepts a JSON boolean or the strings `"true"` / `"false"` (records use both spellings).
fn bool_member(object: &Value, name: &str) -> Option<bool> {
    match object.get(name)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn from_record_reads_every_fact() {
        let record = json!({"eventVersion":"1.11","eventCategory":"Data","eventSource":"s3.amazonaws.com",
            "eventName":"ListObjects","eventType":"AwsApiCall","readOnly":true,"managementEvent":false,
            "userIdentity":{"arn":"arn:aws:iam::111122223333:user/Alice"},"sessionCredentialFromConsole":"true",
            "vpcEndpointId":"vpce-1","errorCode":"AccessDenied",
            "resources":[{"type":"AWS::S3::Object","ARNPrefix":"arn:aws:s3:::bkt1/logs/"},
                {"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::bkt1","accountId":"111122223333"},{}]});
        let mut buffer = vec![ResourceFact {
            resource_type: "stale",
            arn: "stale",
        }];
        let facts = EventFacts::from_record(&record, &mut buffer);
        let expected_resources = [
            ResourceFact {
                resource_type: "AWS::S3::Object",
                arn: "arn:aws:s3:::bkt1/logs/",
            },
            ResourceFact {
                resource_type: "AWS::S3::Bucket",
                arn: "arn:aws:s3:::bkt1",
            },
            ResourceFact {
                resource_type: "",
                arn: "",
            },
        ];
        let expected = EventFacts {
            event_category: "Data",
            event_source: "s3.amazonaws.com",
            event_name: "ListObjects",
            event_type: "AwsApiCall",
            read_only: Some(true),
            management_event: Some(false),
            resources: &expected_resources,
            user_identity_arn: Some("arn:aws:iam::111122223333:user/Alice"),
            session_credential_from_console: Some(true),
            vpc_endpoint_id: Some("vpce-1"),
            error_code: Some("AccessDenied"),
        };
        assert_eq!(facts, expected);
    }

    #[test]
    fn category_is_inferred_for_old_records() {
        let cases = [
            (
                json!({"eventType":"AwsApiCall","managementEvent":true}),
                Category::Management,
            ),
            (json!({"eventType":"AwsApiCall"}), Category::Management),
            (
                json!({"eventType":"AwsApiCall","managementEvent":false}),
                Category::Data,
            ),
            (
                json!({"eventType":"AwsCloudTrailInsight"}),
                Category::Insight,
            ),
            (
                json!({"eventType":"AwsVpceEvent"}),
                Category::NetworkActivity,
            ),
            (
                json!({"eventCategory":"ConfigurationItem"}),
                Category::Other,
            ),
            (
                json!({"eventCategory":"Data","managementEvent":true}),
                Category::Data,
            ),
        ];
        for (record, expected) in cases {
            let mut buffer = Vec::new();
            assert_eq!(
                EventFacts::from_record(&record, &mut buffer).category(),
                expected,
                "{record}"
            );
        }
    }

    #[test]
    fn management_constructor_is_a_management_event() {
        let facts = EventFacts::management("iam.amazonaws.com", "CreateUser", false);
        assert_eq!(facts.category(), Category::Management);
        assert_eq!(facts.read_only, Some(false));
    }
}
