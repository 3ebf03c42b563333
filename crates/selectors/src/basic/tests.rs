//! Matching tests for basic selectors: ReadWriteType, IncludeManagementEvents,
//! ExcludeManagementEventSources and every DataResources value form.

use serde_json::{Value, json};

use crate::testing::*;
use crate::{TrailSelectors, parse_put_event_selectors};

fn selectors(event_selectors: Value) -> TrailSelectors {
    parse_put_event_selectors(Some(&event_selectors), None).expect("valid selectors")
}

fn check(what: &str, event_selectors: Value, cases: &[(Value, bool)]) {
    let trail = selectors(event_selectors);
    for (index, (record, expected)) in cases.iter().enumerate() {
        assert_eq!(
            takes(&trail, record),
            *expected,
            "{what}, case {index}: {record}"
        );
    }
}

#[test]
fn default_selector_takes_management_events_only() {
    let trail = TrailSelectors::default_for_new_trail();
    let cases = [
        (
            management("ec2.amazonaws.com", "DescribeInstances", true),
            true,
        ),
        (management("ec2.amazonaws.com", "RunInstances", false), true),
        (management("kms.amazonaws.com", "Decrypt", true), true),
        (console_login(), true),
        (s3_object("PutObject", "bkt1", "k", false), false),
        (insight(), false),
        (network("s3.amazonaws.com", None), false),
    ];
    for (record, expected) in cases {
        assert_eq!(takes(&trail, &record), expected, "{record}");
    }
}

#[test]
fn read_write_type_filters_on_read_only() {
    check(
        "ReadOnly",
        json!([{"ReadWriteType":"ReadOnly"}]),
        &[
            (
                management("ec2.amazonaws.com", "DescribeInstances", true),
                true,
            ),
            (
                management("ec2.amazonaws.com", "RunInstances", false),
                false,
            ),
            (console_login(), false),
        ],
    );
    check(
        "WriteOnly",
        json!([{"ReadWriteType":"WriteOnly"}]),
        &[
            (
                management("ec2.amazonaws.com", "DescribeInstances", true),
                false,
            ),
            (management("ec2.amazonaws.com", "RunInstances", false), true),
            (console_login(), true),
        ],
    );
    check(
        "WriteOnly data",
        json!([{"ReadWriteType":"WriteOnly","DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]),
        &[
            (s3_object("GetObject", "bkt1", "k", true), false),
            (s3_object("PutObject", "bkt1", "k", false), true),
        ],
    );
}

#[test]
fn include_management_events_false_takes_data_only() {
    check(
        "data only",
        json!([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::bkt1/"]}]}]),
        &[
            (
                management("ec2.amazonaws.com", "RunInstances", false),
                false,
            ),
            (console_login(), false),
            (s3_object("PutObject", "bkt1", "k", false), true),
            (s3_object("GetObject", "bkt1", "k", true), true),
        ],
    );
}

#[test]
fn exclude_management_event_sources_drops_those_sources() {
    check(
        "exclude kms",
        json!([{"ExcludeManagementEventSources":["kms.amazonaws.com"]}]),
        &[
            (management("kms.amazonaws.com", "Decrypt", true), false),
            (
                management("rdsdata.amazonaws.com", "ExecuteStatement", false),
                true,
            ),
            (management("iam.amazonaws.com", "CreateUser", false), true),
        ],
    );
    check(
        "exclude both, data still logged",
        json!([{"ExcludeManagementEventSources":["kms.amazonaws.com","rdsdata.amazonaws.com"],
            "DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]),
        &[
            (management("kms.amazonaws.com", "Decrypt", true), false),
            (
                management("rdsdata.amazonaws.com", "ExecuteStatement", false),
                false,
            ),
            (s3_object("GetObject", "bkt1", "k", true), true),
        ],
    );
}

#[test]
fn s3_values_are_key_prefixes() {
    let s3 = |values: Value| json!([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":values}]}]);
    check(
        "all buckets",
        s3(json!(["arn:aws:s3"])),
        &[
            (s3_object("PutObject", "bkt1", "k", false), true),
            (s3_object("GetObject", "other-bucket", "a/b", true), true),
            (
                data_event(
                    "lambda.amazonaws.com",
                    "Invoke",
                    "AWS::Lambda::Function",
                    "arn:aws:lambda:us-east-1:111122223333:function:f",
                ),
                false,
            ),
        ],
    );
    check(
        "all buckets, colon form",
        s3(json!(["arn:aws:s3:::"])),
        &[(s3_object("PutObject", "bkt1", "k", false), true)],
    );
    check(
        "whole bucket",
        s3(json!(["arn:aws:s3:::bkt1/"])),
        &[
            (s3_object("PutObject", "bkt1", "k", false), true),
            (s3_object("PutObject", "bkt1", "deep/er/k", false), true),
            (s3_object("PutObject", "bkt10", "k", false), false),
            (s3_object("PutObject", "bkt2", "k", false), false),
        ],
    );
    check(
        "key prefix with slash",
        s3(json!(["arn:aws:s3:::bkt1/logs/"])),
        &[
            (s3_object("PutObject", "bkt1", "logs/a.gz", false), true),
            (s3_object("PutObject", "bkt1", "logs", false), false),
            (s3_object("PutObject", "bkt1", "other/a.gz", false), false),
        ],
    );
    check(
        "key prefix without slash",
        s3(json!(["arn:aws:s3:::bkt1/logs"])),
        &[
            (s3_object("PutObject", "bkt1", "logs", false), true),
            (s3_object("PutObject", "bkt1", "logsfoo", false), true),
            (s3_object("PutObject", "bkt1", "log", false), false),
        ],
    );
    check(
        "several values",
        s3(json!(["arn:aws:s3:::bkt1/x/", "arn:aws:s3:::bkt2/"])),
        &[
            (s3_object("PutObject", "bkt1", "x/1", false), true),
            (s3_object("PutObject", "bkt1", "y/1", false), false),
            (s3_object("PutObject", "bkt2", "y/1", false), true),
        ],
    );
}

#[test]
fn s3_bucket_level_data_events_use_the_arn_prefix() {
    let s3 = |value: &str| json!([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":[value]}]}]);
    check(
        "empty prefix selects every bucket-level data event of the bucket",
        s3("arn:aws:s3:::bkt1/"),
        &[
            (s3_bucket_level("ListObjects", "bkt1", "", true), true),
            (s3_bucket_level("ListObjects", "bkt1", "logs/", true), true),
            (s3_bucket_level("HeadBucket", "bkt1", "", true), true),
            (s3_bucket_level("DeleteObjects", "bkt1", "", false), true),
            (s3_bucket_level("ListObjects", "bkt2", "", true), false),
        ],
    );
    check(
        "a key prefix selects listings inside it only",
        s3("arn:aws:s3:::bkt1/logs/"),
        &[
            (
                s3_bucket_level("ListObjects", "bkt1", "logs/2024/", true),
                true,
            ),
            (s3_bucket_level("ListObjects", "bkt1", "", true), false),
            (s3_bucket_level("HeadBucket", "bkt1", "", true), false),
            (s3_bucket_level("DeleteObjects", "bkt1", "", false), false),
        ],
    );
}

#[test]
fn lambda_and_dynamodb_values_are_exact_arns() {
    let function = "arn:aws:lambda:us-west-2:111111111111:function:helloworld";
    let invoke = |arn: &str| {
        data_event(
            "lambda.amazonaws.com",
            "Invoke",
            "AWS::Lambda::Function",
            arn,
        )
    };
    check(
        "one function",
        json!([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::Lambda::Function","Values":[function]}]}]),
        &[
            (invoke(function), true),
            (invoke(&format!("{function}:prod")), true),
            (invoke(&format!("{function}2")), false),
            (s3_object("PutObject", "bkt1", "k", false), false),
        ],
    );
    check(
        "all functions",
        json!([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::Lambda::Function","Values":["arn:aws:lambda"]}]}]),
        &[
            (invoke(function), true),
            (
                invoke("arn:aws:lambda:eu-west-1:222222222222:function:x"),
                true,
            ),
        ],
    );
    let table = "arn:aws:dynamodb:us-east-1:111122223333:table/Music";
    let get_item = |arn: &str| {
        data_event(
            "dynamodb.amazonaws.com",
            "GetItem",
            "AWS::DynamoDB::Table",
            arn,
        )
    };
    check(
        "one table",
        json!([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::DynamoDB::Table","Values":[table]}]}]),
        &[
            (get_item(table), true),
            (get_item(&format!("{table}2")), false),
        ],
    );
    check(
        "all tables",
        json!([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::DynamoDB::Table","Values":["arn:aws:dynamodb"]}]}]),
        &[(get_item(table), true), (invoke(function), false)],
    );
}

#[test]
fn an_event_matches_if_any_selector_matches() {
    check(
        "read management plus write data",
        json!([
            {"ReadWriteType":"ReadOnly"},
            {"ReadWriteType":"WriteOnly","IncludeManagementEvents":false,
             "DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::bkt1/"]}]}
        ]),
        &[
            (
                management("ec2.amazonaws.com", "DescribeInstances", true),
                true,
            ),
            (
                management("ec2.amazonaws.com", "RunInstances", false),
                false,
            ),
            (s3_object("PutObject", "bkt1", "k", false), true),
            (s3_object("GetObject", "bkt1", "k", true), false),
            (insight(), false),
        ],
    );
}

#[test]
fn management_read_and_write_flags() {
    let cases = [
        (json!([{}]), true, true),
        (json!([{"ReadWriteType":"ReadOnly"}]), true, false),
        (json!([{"ReadWriteType":"WriteOnly"}]), false, true),
        (
            json!([{"ReadWriteType":"ReadOnly"},{"ReadWriteType":"WriteOnly"}]),
            true,
            true,
        ),
        (
            json!([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]),
            false,
            false,
        ),
    ];
    for (event_selectors, reads, writes) in cases {
        let trail = selectors(event_selectors.clone());
        assert_eq!(
            trail.logs_read_management_events(),
            reads,
            "{event_selectors}"
        );
        assert_eq!(
            trail.logs_write_management_events(),
            writes,
            "{event_selectors}"
        );
        assert_eq!(
            trail.logs_management_events(),
            reads || writes,
            "{event_selectors}"
        );
    }
}
