//! PutEventSelectors validation (basic and advanced) and the JSON AWS renders back. Matching
//! tests live next to each selector kind (basic/tests.rs, advanced/tests.rs).

use serde_json::{Value, json};

use crate::{SelectorError, TrailSelectors, parse_put_event_selectors};

/// Which request member a case fills.
#[derive(Debug, Clone, Copy)]
enum Member {
    Basic,
    Advanced,
}

fn parse(member: Member, value: &Value) -> Result<TrailSelectors, SelectorError> {
    match member {
        Member::Basic => parse_put_event_selectors(Some(value), None),
        Member::Advanced => parse_put_event_selectors(None, Some(value)),
    }
}

/// Expects a rejection with `code` whose message contains `message`.
fn check_rejected(member: Member, value: Value, code: &str, message: &str) {
    let error = parse(member, &value).expect_err(&format!("{member:?} {value} must be rejected"));
    assert_eq!(error.code(), code, "{value}: {error}");
    assert!(
        error.message().contains(message),
        "{value}: message {:?} lacks {message:?}",
        error.message()
    );
}

fn s3_selector(values: Vec<String>) -> Value {
    json!({"DataResources":[{"Type":"AWS::S3::Object","Values":values}]})
}

fn bucket_values(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("arn:aws:s3:::bucket-{i}/"))
        .collect()
}

const INVALID: &str = "InvalidEventSelectorsException";
const SERIALIZATION: &str = "SerializationException";

#[test]
fn exactly_one_member_must_be_given() {
    let one = json!([{}]);
    let cases = [
        (None, None, "Specify either"),
        (Some(&Value::Null), Some(&Value::Null), "Specify either"),
        (Some(&one), Some(&one), "but not both"),
    ];
    for (basic, advanced, message) in cases {
        let error = parse_put_event_selectors(basic, advanced).unwrap_err();
        assert_eq!(error.code(), INVALID);
        assert!(error.message().contains(message), "{error}");
    }
    assert!(parse_put_event_selectors(Some(&one), Some(&Value::Null)).is_ok());
}

#[test]
fn basic_selectors_are_validated() {
    use Member::Basic;
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!([]),
            INVALID,
            "Specify a valid number of EventSelectors (1 to 5)",
        ),
        (json!([{}, {}, {}, {}, {}, {}]), INVALID, "(1 to 5)"),
        (
            json!([{"ReadWriteType":"read-only"}]),
            INVALID,
            "Value read-only for ReadWriteType is invalid.",
        ),
        (
            json!([{"DataResources":[{"Type":"AWS::S3::Bucket","Values":["arn:aws:s3"]}]}]),
            INVALID,
            "Value AWS::S3::Bucket for DataResources.Type is invalid.",
        ),
        (
            json!([{"DataResources":[{"Values":["arn:aws:s3"]}]}]),
            INVALID,
            "DataResources.Type must be specified",
        ),
        (
            json!([{"DataResources":[{"Type":"AWS::S3::Object","Values":[]}]}]),
            INVALID,
            "at least one value",
        ),
        (
            json!([{"DataResources":[{"Type":"AWS::S3::Object"}]}]),
            INVALID,
            "at least one value",
        ),
        (
            json!([{"IncludeManagementEvents":false}]),
            INVALID,
            "Invalid combination of parameters in EventSelectors. When includeManagementEvents is false, DataResources must not be empty.",
        ),
        (
            json!([{"IncludeManagementEvents":false,"ExcludeManagementEventSources":["kms.amazonaws.com"],
            "DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]),
            INVALID,
            "ExcludeManagementEventSources must be empty",
        ),
        (
            json!([{"ExcludeManagementEventSources":["s3.amazonaws.com"]}]),
            INVALID,
            "Value s3.amazonaws.com for ExcludeManagementEventSources is invalid.",
        ),
        (
            json!([s3_selector(bucket_values(251))]),
            INVALID,
            "Specify a valid number of DataResources.Values (0 to 250) for all your selectors",
        ),
        (
            json!([
                s3_selector(bucket_values(126)),
                s3_selector(bucket_values(125))
            ]),
            INVALID,
            "(0 to 250)",
        ),
        (json!({}), SERIALIZATION, "EventSelectors"),
        (json!([[]]), SERIALIZATION, "EventSelector"),
        (
            json!([{"IncludeManagementEvents":"yes"}]),
            SERIALIZATION,
            "IncludeManagementEvents",
        ),
        (json!([{"ReadWriteType":1}]), SERIALIZATION, "ReadWriteType"),
        (
            json!([{"DataResources":[{"Type":"AWS::S3::Object","Values":[1]}]}]),
            SERIALIZATION,
            "Values",
        ),
    ];
    for (value, code, message) in cases {
        check_rejected(Basic, value, code, message);
    }
}

#[test]
fn invalid_data_resource_values_quote_the_value() {
    let cases = [
        ("AWS::S3::Object", "arn:aws:s3:::data-bucket"),
        ("AWS::S3::Object", "arn:aws:s3:::*"),
        ("AWS::S3::Object", "arn:aws:s3:::cg-*/*"),
        ("AWS::S3::Object", "arn:aws:s3:::data-bucket/*/"),
        ("AWS::S3::Object", "s3://data-bucket/"),
        ("AWS::S3::Object", "arn:aws:lambda"),
        ("AWS::Lambda::Function", "arn:aws:lambda:*"),
        ("AWS::Lambda::Function", "arn:aws:s3"),
        (
            "AWS::Lambda::Function",
            "arn:aws:lambda:us-east-1:111122223333:helloworld",
        ),
        (
            "AWS::DynamoDB::Table",
            "arn:aws:dynamodb:us-east-1:111122223333:table/Music/stream/2024",
        ),
        ("AWS::DynamoDB::Table", "arn:aws:dynamodb:*"),
    ];
    for (resource_type, value) in cases {
        let selectors = json!([{"DataResources":[{"Type":resource_type,"Values":[value]}]}]);
        let expected = format!("Value {value} for DataResources.Values is invalid.");
        let valid = parse_put_event_selectors(Some(&selectors), None);
        if value == "arn:aws:s3:::data-bucket/*/" {
            // `*` is an ordinary character of a key prefix; only the bucket part is checked.
            assert!(valid.is_ok(), "{value}");
            continue;
        }
        check_rejected(Member::Basic, selectors, INVALID, &expected);
    }
}

#[test]
fn limits_count_only_specific_values() {
    let mut at_limit = s3_selector(bucket_values(250));
    at_limit["DataResources"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]}));
    at_limit["DataResources"][0]["Values"]
        .as_array_mut()
        .unwrap()
        .push(json!("arn:aws:s3"));
    assert!(parse_put_event_selectors(Some(&json!([at_limit])), None).is_ok());
    let five = json!([{}, {}, {}, {}, {"ReadWriteType":"ReadOnly"}]);
    assert!(parse_put_event_selectors(Some(&five), None).is_ok());
}

/// `[{eventCategory Equals [category]}, ...extra]` as one advanced selector.
fn selector_with(category: &str, extra: Value) -> Value {
    let mut fields = vec![json!({"Field":"eventCategory","Equals":[category]})];
    fields.extend(extra.as_array().cloned().unwrap_or_default());
    json!([{"FieldSelectors":fields}])
}

fn s3_data_with(extra: Value) -> Value {
    let mut fields = vec![json!({"Field":"resources.type","Equals":["AWS::S3::Object"]})];
    fields.extend(extra.as_array().cloned().unwrap_or_default());
    selector_with("Data", Value::Array(fields))
}

#[test]
fn advanced_selectors_are_validated() {
    use Member::Advanced;
    let long_value = "x".repeat(2049);
    let many_values: Vec<String> = (0..500).map(|i| format!("Name{i}")).collect();
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!([]), INVALID, "at least one AdvancedEventSelector"),
        (
            json!([{"Name":"x"}]),
            INVALID,
            "at least one AdvancedFieldSelector",
        ),
        (
            json!([{"FieldSelectors":[]}]),
            INVALID,
            "at least one AdvancedFieldSelector",
        ),
        (
            json!([{"FieldSelectors":[{"Field":"readOnly","Equals":["true"]}]}]),
            INVALID,
            "eventCategory is required",
        ),
        (
            json!([{"FieldSelectors":[{"Field":"eventCategory","StartsWith":["Man"]}]}]),
            INVALID,
            "Field eventCategory supports only the Equals operator.",
        ),
        (
            selector_with("Insight", json!([])),
            INVALID,
            "Value Insight for eventCategory is invalid.",
        ),
        (
            json!([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management","Data"]}]}]),
            INVALID,
            "exactly one value",
        ),
        (
            selector_with("Management", json!([{"Field":"foo","Equals":["x"]}])),
            INVALID,
            "Value foo for Field is invalid.",
        ),
        (
            selector_with("Management", json!([{"Field":"event name","Equals":["x"]}])),
            INVALID,
            "Value event name for Field is invalid.",
        ),
        (
            selector_with("Management", json!([{"Field":"readOnly"}])),
            INVALID,
            "at least one operator",
        ),
        (
            selector_with("Management", json!([{"Field":"readOnly","Equals":[]}])),
            INVALID,
            "at least one value",
        ),
        (
            s3_data_with(json!([{"Field":"eventName","Equals":[long_value]}])),
            INVALID,
            "1 to 2048 characters",
        ),
        (
            s3_data_with(json!([{"Field":"eventName","Equals":[""]}])),
            INVALID,
            "1 to 2048 characters",
        ),
        (
            selector_with(
                "Management",
                json!([{"Field":"readOnly","NotEquals":["true"]}]),
            ),
            INVALID,
            "Field readOnly supports only the Equals operator.",
        ),
        (
            selector_with("Management", json!([{"Field":"readOnly","Equals":["yes"]}])),
            INVALID,
            "Value yes for readOnly is invalid.",
        ),
        (
            selector_with(
                "Management",
                json!([{"Field":"readOnly","Equals":["true","false"]}]),
            ),
            INVALID,
            "exactly one value",
        ),
        (
            selector_with(
                "Management",
                json!([{"Field":"eventSource","Equals":["kms.amazonaws.com"]}]),
            ),
            INVALID,
            "supports only NotEquals kms.amazonaws.com or rdsdata.amazonaws.com",
        ),
        (
            selector_with(
                "Management",
                json!([{"Field":"eventSource","NotEquals":["s3.amazonaws.com"]}]),
            ),
            INVALID,
            "supports only NotEquals",
        ),
        (
            selector_with(
                "Management",
                json!([{"Field":"eventName","Equals":["CreateTrail"]}]),
            ),
            INVALID,
            "Field eventName is not supported for Management events on a trail.",
        ),
        (
            selector_with(
                "Management",
                json!([{"Field":"resources.type","Equals":["AWS::S3::Object"]}]),
            ),
            INVALID,
            "not supported for Management events",
        ),
        (
            selector_with(
                "Data",
                json!([{"Field":"eventName","Equals":["PutObject"]}]),
            ),
            INVALID,
            "Field resources.type is required for Data events.",
        ),
        (
            selector_with(
                "Data",
                json!([{"Field":"resources.type","Equals":["AWS::S3::Object","AWS::Lambda::Function"]}]),
            ),
            INVALID,
            "resources.type must have exactly one value",
        ),
        (
            selector_with(
                "Data",
                json!([{"Field":"resources.type","StartsWith":["AWS::S3"]}]),
            ),
            INVALID,
            "Field resources.type supports only the Equals operator.",
        ),
        (
            selector_with(
                "Data",
                json!([{"Field":"resources.type","Equals":["S3::Object"]}]),
            ),
            INVALID,
            "Value S3::Object for resources.type is invalid.",
        ),
        (
            s3_data_with(json!([{"Field":"resources.ARN","Equals":["arn:aws:s3:::bkt1"]}])),
            INVALID,
            "Value arn:aws:s3:::bkt1 for resources.ARN is invalid for resources.type AWS::S3::Object.",
        ),
        (
            s3_data_with(json!([{"Field":"resources.ARN","NotEquals":["bkt1/"]}])),
            INVALID,
            "for resources.ARN is invalid",
        ),
        (
            s3_data_with(json!([{"Field":"sessionCredentialFromConsole","StartsWith":["t"]}])),
            INVALID,
            "supports only the Equals and NotEquals operators",
        ),
        (
            s3_data_with(json!([{"Field":"sessionCredentialFromConsole","Equals":["yes"]}])),
            INVALID,
            "Value yes for sessionCredentialFromConsole is invalid.",
        ),
        (
            s3_data_with(json!([{"Field":"errorCode","Equals":["VpceAccessDenied"]}])),
            INVALID,
            "Field errorCode is not supported for Data events",
        ),
        (
            s3_data_with(
                json!([{"Field":"eventName","Equals":["PutObject"]},{"Field":"eventName","Equals":["GetObject"]}]),
            ),
            INVALID,
            "Field eventName is specified more than once",
        ),
        (
            selector_with(
                "NetworkActivity",
                json!([{"Field":"eventName","Equals":["ListBuckets"]}]),
            ),
            INVALID,
            "Field eventSource is required for NetworkActivity events.",
        ),
        (
            selector_with(
                "NetworkActivity",
                json!([{"Field":"eventSource","Equals":["s3.amazonaws.com"]},
            {"Field":"errorCode","Equals":["AccessDenied"]}]),
            ),
            INVALID,
            "errorCode supports only Equals VpceAccessDenied",
        ),
        (
            selector_with(
                "NetworkActivity",
                json!([{"Field":"eventSource","Equals":["s3.amazonaws.com"]},
            {"Field":"readOnly","Equals":["true"]}]),
            ),
            INVALID,
            "Field readOnly is not supported for NetworkActivity events",
        ),
        (
            json!([{"Name":"n".repeat(1001),"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]),
            INVALID,
            "at most 1000 characters",
        ),
        (
            s3_data_with(json!([{"Field":"eventName","Equals":many_values}])),
            INVALID,
            "Specify up to 500 values",
        ),
        (
            json!([{"FieldSelectors":{}}]),
            SERIALIZATION,
            "FieldSelectors",
        ),
        (
            json!([{"FieldSelectors":[{"Field":"eventCategory","Equals":"Data"}]}]),
            SERIALIZATION,
            "Equals",
        ),
        (
            json!([{"FieldSelectors":[{"Field":1,"Equals":["Data"]}]}]),
            SERIALIZATION,
            "Field",
        ),
    ];
    for (value, code, message) in cases {
        check_rejected(Advanced, value, code, message);
    }
}

#[test]
fn valid_advanced_selectors_are_accepted() {
    let many_values: Vec<String> = (0..497).map(|i| format!("Name{i}")).collect();
    let cases = [
        selector_with("Management", json!([])),
        selector_with(
            "Management",
            json!([{"Field":"readOnly","Equals":["false"]},
            {"Field":"eventSource","NotEquals":["kms.amazonaws.com","rdsdata.amazonaws.com"]}]),
        ),
        s3_data_with(json!([])),
        s3_data_with(json!([{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::bkt1"]}])),
        s3_data_with(json!([{"Field":"resources.ARN","Equals":["arn:aws:s3:::bkt1/photos/"]}])),
        s3_data_with(json!([{"Field":"eventName","Equals":many_values}])),
        s3_data_with(
            json!([{"Field":"eventName","StartsWith":["Get"],"NotEquals":["GetObjectAcl"]},
            {"Field":"eventSource","Equals":["s3.amazonaws.com"]},{"Field":"eventType","Equals":["AwsApiCall"]},
            {"Field":"readOnly","Equals":["true"]},{"Field":"userIdentity.arn","NotStartsWith":["arn:aws:sts::111122223333:assumed-role/Svc/"]},
            {"Field":"sessionCredentialFromConsole","NotEquals":["true"]}]),
        ),
        selector_with(
            "Data",
            json!([{"Field":"resources.type","Equals":["AWS::SNS::Topic"]},
            {"Field":"resources.ARN","Equals":["arn:aws:sns:us-east-1:123456789012:myTopic.fifo"]}]),
        ),
        selector_with(
            "Data",
            json!([{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]},
            {"Field":"resources.ARN","NotEquals":["arn:aws:dynamodb:us-east-1:111122223333:table/Music"]}]),
        ),
        selector_with(
            "NetworkActivity",
            json!([{"Field":"eventSource","Equals":["kms.amazonaws.com"]},
            {"Field":"errorCode","Equals":["VpceAccessDenied"]},{"Field":"vpcEndpointId","NotEquals":["vpce-1"]},
            {"Field":"userIdentity.arn","StartsWith":["arn:aws:iam::"]}]),
        ),
    ];
    for value in cases {
        let parsed = parse_put_event_selectors(None, Some(&value));
        assert!(parsed.is_ok(), "{value}: {parsed:?}");
    }
}

/// `to_json` of the parsed request is the response AWS gives (minus `TrailARN`).
fn check_rendering(member: Member, request: Value, response: Value) {
    let selectors = parse(member, &request).expect("valid request");
    assert_eq!(selectors.to_json(), response, "{request}");
    assert_eq!(
        TrailSelectors::from_json(&response).as_ref(),
        Ok(&selectors)
    );
}

#[test]
fn responses_fill_in_defaults_as_aws_does() {
    check_rendering(
        Member::Basic,
        json!([{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::bkt1/"]}]}]),
        json!({"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true,
            "DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::bkt1/"]}],
            "ExcludeManagementEventSources":[]}]}),
    );
    check_rendering(
        Member::Basic,
        json!([{"ReadWriteType":"WriteOnly","IncludeManagementEvents":false,
            "DataResources":[{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]}],"Unknown":1}]),
        json!({"EventSelectors":[{"ReadWriteType":"WriteOnly","IncludeManagementEvents":false,
            "DataResources":[{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]}],
            "ExcludeManagementEventSources":[]}]}),
    );
    check_rendering(
        Member::Basic,
        json!([{"ReadWriteType":"ReadOnly","ExcludeManagementEventSources":["kms.amazonaws.com"]}]),
        json!({"EventSelectors":[{"ReadWriteType":"ReadOnly","IncludeManagementEvents":true,
            "DataResources":[],"ExcludeManagementEventSources":["kms.amazonaws.com"]}]}),
    );
    check_rendering(
        Member::Advanced,
        json!([{"Name":"Log all management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},
            {"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},
            {"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"],"EndsWith":[".jpg"]}]}]),
        json!({"AdvancedEventSelectors":[{"Name":"Log all management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},
            {"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},
            {"Field":"resources.ARN","EndsWith":[".jpg"],"NotStartsWith":["arn:aws:s3:::amzn-s3-demo-bucket/"]}]}]}),
    );
}

#[test]
fn default_selectors_render_and_are_not_custom() {
    let default = TrailSelectors::default_for_new_trail();
    assert_eq!(
        default.to_json(),
        json!({"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true,
            "DataResources":[],"ExcludeManagementEventSources":[]}]})
    );
    assert!(!default.is_custom());
    assert!(default.logs_read_management_events() && default.logs_write_management_events());
    assert!(!default.logs_data_events());
    let explicit_default = parse(Member::Basic, &json!([{}])).unwrap();
    assert!(!explicit_default.is_custom());
    let read_only = parse(Member::Basic, &json!([{"ReadWriteType":"ReadOnly"}])).unwrap();
    assert!(read_only.is_custom());
    let console_default = parse(
        Member::Advanced,
        &json!([{"Name":"Management events selector","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]),
    )
    .unwrap();
    assert!(console_default.is_custom());
}
