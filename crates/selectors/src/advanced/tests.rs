//! Matching tests for advanced selectors: every operator, every field, the resource pairing
//! rule, and OR across selectors.

use serde_json::{Value, json};

use super::{AdvancedFieldSelector, Operator};
use crate::testing::*;
use crate::{TrailSelectors, parse_put_event_selectors};

fn field_selector(operator: Operator, operands: &[&str]) -> AdvancedFieldSelector {
    let mut selector = AdvancedFieldSelector {
        field: "eventName".to_string(),
        ..AdvancedFieldSelector::default()
    };
    *selector.operator_values_mut(operator) =
        Some(operands.iter().map(|s| s.to_string()).collect());
    selector
}

#[test]
fn every_operator_on_present_and_missing_values() {
    use Operator::*;
    let cases: &[(Operator, &[&str], Option<&str>, bool)] = &[
        (Equals, &["PutObject"], Some("PutObject"), true),
        (Equals, &["PutObject"], Some("PutObjectAcl"), false),
        (Equals, &["GetObject", "PutObject"], Some("PutObject"), true),
        (Equals, &["PutObject"], None, false),
        (StartsWith, &["Put"], Some("PutObject"), true),
        (StartsWith, &["Get", "Head"], Some("HeadObject"), true),
        (StartsWith, &["Get"], Some("PutObject"), false),
        (StartsWith, &["Put"], None, false),
        (EndsWith, &["Acl"], Some("PutObjectAcl"), true),
        (EndsWith, &["Acl"], Some("PutObject"), false),
        (EndsWith, &["Acl"], None, false),
        (NotEquals, &["GetObject"], Some("PutObject"), true),
        (
            NotEquals,
            &["GetObject", "PutObject"],
            Some("PutObject"),
            false,
        ),
        (NotEquals, &["GetObject"], None, true),
        (NotStartsWith, &["Get"], Some("PutObject"), true),
        (NotStartsWith, &["Get", "Put"], Some("PutObject"), false),
        (NotStartsWith, &["Get"], None, true),
        (NotEndsWith, &["Acl"], Some("PutObject"), true),
        (NotEndsWith, &["Acl"], Some("GetObjectAcl"), false),
        (NotEndsWith, &["Acl"], None, true),
    ];
    for (operator, operands, value, expected) in cases {
        let selector = field_selector(*operator, operands);
        assert_eq!(
            selector.holds(*value),
            *expected,
            "{operator:?} {operands:?} on {value:?}"
        );
    }
}

#[test]
fn operators_inside_one_field_selector_are_anded() {
    let mut selector = field_selector(Operator::StartsWith, &["Get"]);
    selector.not_equals = Some(vec!["GetObjectAcl".to_string()]);
    assert!(selector.holds(Some("GetObject")));
    assert!(!selector.holds(Some("GetObjectAcl")));
    assert!(!selector.holds(Some("PutObject")));
}

fn advanced(selectors: Value) -> TrailSelectors {
    parse_put_event_selectors(None, Some(&selectors)).expect("valid advanced selectors")
}

/// One S3 data selector with extra field selectors.
fn s3_data(extra: Value) -> TrailSelectors {
    let mut fields = vec![
        json!({"Field":"eventCategory","Equals":["Data"]}),
        json!({"Field":"resources.type","Equals":["AWS::S3::Object"]}),
    ];
    fields.extend(extra.as_array().cloned().unwrap_or_default());
    advanced(json!([{"Name":"s3","FieldSelectors":fields}]))
}

fn check(what: &str, trail: &TrailSelectors, cases: &[(Value, bool)]) {
    for (index, (record, expected)) in cases.iter().enumerate() {
        assert_eq!(
            takes(trail, record),
            *expected,
            "{what}, case {index}: {record}"
        );
    }
}

/// What the case shows, the extra field selectors, and records with the expected outcome.
type DataCase = (&'static str, Value, Vec<(Value, bool)>);

#[test]
fn data_event_fields() {
    let put = s3_object("PutObject", "bkt1", "photos/a.jpg", false);
    let get = s3_object("GetObject", "bkt1", "photos/a.jpg", true);
    let other_bucket = s3_object("PutObject", "bkt2", "photos/a.jpg", false);
    let cases: Vec<DataCase> = vec![
        (
            "category and type only",
            json!([]),
            vec![
                (put.clone(), true),
                (management("s3.amazonaws.com", "ListBuckets", true), false),
                (
                    data_event(
                        "lambda.amazonaws.com",
                        "Invoke",
                        "AWS::Lambda::Function",
                        "arn:aws:lambda:us-east-1:111122223333:function:f",
                    ),
                    false,
                ),
                (insight(), false),
            ],
        ),
        (
            "eventName Equals",
            json!([{"Field":"eventName","Equals":["PutObject","DeleteObject"]}]),
            vec![(put.clone(), true), (get.clone(), false)],
        ),
        (
            "eventName NotStartsWith",
            json!([{"Field":"eventName","NotStartsWith":["Get"]}]),
            vec![(put.clone(), true), (get.clone(), false)],
        ),
        (
            "eventSource Equals",
            json!([{"Field":"eventSource","Equals":["s3.amazonaws.com"]}]),
            vec![(put.clone(), true)],
        ),
        (
            "eventSource NotEquals",
            json!([{"Field":"eventSource","NotEquals":["s3.amazonaws.com"]}]),
            vec![(put.clone(), false)],
        ),
        (
            "eventType NotEquals",
            json!([{"Field":"eventType","NotEquals":["AwsServiceEvent"]}]),
            vec![(put.clone(), true)],
        ),
        (
            "eventType Equals other",
            json!([{"Field":"eventType","Equals":["AwsServiceEvent"]}]),
            vec![(put.clone(), false)],
        ),
        (
            "readOnly true",
            json!([{"Field":"readOnly","Equals":["true"]}]),
            vec![(put.clone(), false), (get.clone(), true)],
        ),
        (
            "readOnly false",
            json!([{"Field":"readOnly","Equals":["false"]}]),
            vec![(put.clone(), true), (get.clone(), false)],
        ),
        (
            "resources.ARN StartsWith bucket",
            json!([{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::bkt1/"]}]),
            vec![(put.clone(), true), (other_bucket.clone(), false)],
        ),
        (
            "resources.ARN NotStartsWith bucket excludes it despite the bucket resource",
            json!([{"Field":"resources.ARN","NotStartsWith":["arn:aws:s3:::bkt1/"]}]),
            vec![(put.clone(), false), (other_bucket.clone(), true)],
        ),
        (
            "resources.ARN Equals object",
            json!([{"Field":"resources.ARN","Equals":["arn:aws:s3:::bkt1/photos/a.jpg"]}]),
            vec![(put.clone(), true), (other_bucket.clone(), false)],
        ),
        (
            "resources.ARN NotEquals object",
            json!([{"Field":"resources.ARN","NotEquals":["arn:aws:s3:::bkt1/photos/a.jpg"]}]),
            vec![(put.clone(), false), (other_bucket.clone(), true)],
        ),
        (
            "resources.ARN EndsWith",
            json!([{"Field":"resources.ARN","EndsWith":[".jpg"]}]),
            vec![
                (put.clone(), true),
                (s3_object("PutObject", "bkt1", "a.png", false), false),
            ],
        ),
        (
            "resources.ARN NotEndsWith",
            json!([{"Field":"resources.ARN","NotEndsWith":[".jpg"]}]),
            vec![
                (put.clone(), false),
                (s3_object("PutObject", "bkt1", "a.png", false), true),
            ],
        ),
        (
            "resources.ARN on a listing prefix",
            json!([{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::bkt1/"]}]),
            vec![
                (s3_bucket_level("ListObjects", "bkt1", "", true), true),
                (s3_bucket_level("ListObjects", "bkt2", "", true), false),
            ],
        ),
        (
            "userIdentity.arn StartsWith",
            json!([{"Field":"userIdentity.arn","StartsWith":["arn:aws:sts::111122223333:assumed-role/Admin/"]}]),
            vec![
                (put.clone(), true),
                (s3_bucket_level("ListObjects", "bkt1", "", true), false),
            ],
        ),
        (
            "userIdentity.arn NotEndsWith",
            json!([{"Field":"userIdentity.arn","NotEndsWith":["/alice"]}]),
            vec![
                (put.clone(), false),
                (s3_bucket_level("ListObjects", "bkt1", "", true), true),
            ],
        ),
        (
            "sessionCredentialFromConsole Equals true",
            json!([{"Field":"sessionCredentialFromConsole","Equals":["true"]}]),
            vec![
                (put.clone(), false),
                (
                    with(&put, "sessionCredentialFromConsole", json!("true")),
                    true,
                ),
            ],
        ),
        (
            "sessionCredentialFromConsole NotEquals true",
            json!([{"Field":"sessionCredentialFromConsole","NotEquals":["true"]}]),
            vec![
                (put.clone(), true),
                (
                    with(&put, "sessionCredentialFromConsole", json!("true")),
                    false,
                ),
            ],
        ),
        (
            "all conditions ANDed",
            json!([{"Field":"eventName","Equals":["PutObject"]},{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::bkt2/"]}]),
            vec![
                (put.clone(), false),
                (other_bucket.clone(), true),
                (get.clone(), false),
            ],
        ),
    ];
    for (what, extra, records) in cases {
        check(what, &s3_data(extra), &records);
    }
}

fn with(record: &Value, member: &str, value: Value) -> Value {
    let mut record = record.clone();
    record[member] = value;
    record
}

#[test]
fn resource_type_selects_the_resource_the_arn_is_tested_on() {
    let function = "arn:aws:lambda:us-east-1:111122223333:function:f";
    let trail = advanced(json!([{"FieldSelectors":[
        {"Field":"eventCategory","Equals":["Data"]},
        {"Field":"resources.type","Equals":["AWS::Lambda::Function"]},
        {"Field":"resources.ARN","Equals":[function]}]}]));
    check(
        "lambda",
        &trail,
        &[
            (
                data_event(
                    "lambda.amazonaws.com",
                    "Invoke",
                    "AWS::Lambda::Function",
                    function,
                ),
                true,
            ),
            (
                data_event(
                    "lambda.amazonaws.com",
                    "Invoke",
                    "AWS::Lambda::Function",
                    &format!("{function}2"),
                ),
                false,
            ),
            (
                data_event("sns.amazonaws.com", "Publish", "AWS::SNS::Topic", function),
                false,
            ),
        ],
    );
}

#[test]
fn management_selectors() {
    let all = advanced(
        json!([{"Name":"Management events selector","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]),
    );
    check(
        "all management",
        &all,
        &[
            (
                management("ec2.amazonaws.com", "DescribeInstances", true),
                true,
            ),
            (management("kms.amazonaws.com", "Decrypt", true), true),
            (console_login(), true),
            (s3_object("PutObject", "bkt1", "k", false), false),
            (insight(), false),
            (network("s3.amazonaws.com", None), false),
        ],
    );
    let writes_without_kms = advanced(json!([{"FieldSelectors":[
        {"Field":"eventCategory","Equals":["Management"]},
        {"Field":"readOnly","Equals":["false"]},
        {"Field":"eventSource","NotEquals":["kms.amazonaws.com","rdsdata.amazonaws.com"]}]}]));
    check(
        "write management without kms",
        &writes_without_kms,
        &[
            (
                management("ec2.amazonaws.com", "DescribeInstances", true),
                false,
            ),
            (management("ec2.amazonaws.com", "RunInstances", false), true),
            (management("kms.amazonaws.com", "CreateKey", false), false),
            (
                management("rdsdata.amazonaws.com", "ExecuteStatement", false),
                false,
            ),
            (console_login(), true),
        ],
    );
    assert!(!writes_without_kms.logs_read_management_events());
    assert!(writes_without_kms.logs_write_management_events());
    assert!(!writes_without_kms.logs_data_events());
}

#[test]
fn network_activity_selectors() {
    let denied = advanced(json!([{"FieldSelectors":[
        {"Field":"eventCategory","Equals":["NetworkActivity"]},
        {"Field":"eventSource","Equals":["s3.amazonaws.com"]},
        {"Field":"errorCode","Equals":["VpceAccessDenied"]},
        {"Field":"vpcEndpointId","StartsWith":["vpce-"]},
        {"Field":"userIdentity.arn","EndsWith":["/Bob"]}]}]));
    check(
        "denied s3 network activity",
        &denied,
        &[
            (network("s3.amazonaws.com", Some("VpceAccessDenied")), true),
            (network("s3.amazonaws.com", None), false),
            (
                network("kms.amazonaws.com", Some("VpceAccessDenied")),
                false,
            ),
            (management("s3.amazonaws.com", "ListBuckets", true), false),
        ],
    );
}

#[test]
fn selectors_are_ored() {
    let trail = advanced(json!([
        {"Name":"mgmt","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["true"]}]},
        {"Name":"s3w","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},
            {"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"readOnly","Equals":["false"]},
            {"Field":"resources.ARN","StartsWith":["arn:aws:s3:::my-bucket/"]}]}]));
    check(
        "or",
        &trail,
        &[
            (
                management("ec2.amazonaws.com", "DescribeInstances", true),
                true,
            ),
            (
                management("ec2.amazonaws.com", "RunInstances", false),
                false,
            ),
            (s3_object("PutObject", "my-bucket", "k", false), true),
            (s3_object("GetObject", "my-bucket", "k", true), false),
            (s3_object("PutObject", "other-bucket", "k", false), false),
        ],
    );
    assert!(trail.logs_read_management_events());
    assert!(!trail.logs_write_management_events());
    assert!(trail.logs_data_events());
    assert!(trail.is_custom());
}
