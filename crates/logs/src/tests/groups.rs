//! CreateLogGroup, DeleteLogGroup, DescribeLogGroups and the retention operations.

use serde_json::json;

use super::support::{Expected::*, Fixture, NOW, check};

const ARN: &str = "arn:aws:logs:ap-northeast-1:123456789012:log-group:CloudTrail/trail";

#[test]
fn create_validates_like_aws() {
    let f = Fixture::new();
    let cases = [
        (
            json!({"logGroupName": "CloudTrail/trail"}),
            Answer(json!({})),
        ),
        (
            json!({"logGroupName": "CloudTrail/trail"}),
            Error(
                "ResourceAlreadyExistsException",
                "The specified log group already exists",
            ),
        ),
        (
            json!({}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            json!({"logGroupName": "a:b"}),
            Error(
                "InvalidParameterException",
                r"1 validation error detected: Value 'a:b' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+",
            ),
        ),
        (
            json!({"logGroupName": "x".repeat(513)}),
            Error(
                "InvalidParameterException",
                "Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
            ),
        ),
        (
            json!({"logGroupName": "aws/mine"}),
            Error(
                "InvalidParameterException",
                "Log groups starting with AWS/ are reserved for AWS.",
            ),
        ),
        (
            json!({"logGroupName": "g", "logGroupClass": "COLD"}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value 'COLD' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY, ESSENTIALS]",
            ),
        ),
        (
            json!({"logGroupName": "g", "deletionProtectionEnabled": true}),
            Error(
                "InvalidParameterException",
                "deletionProtectionEnabled is not supported by OpenTrail",
            ),
        ),
        (
            json!({"logGroupName": 7}),
            Error(
                "SerializationException",
                "member 'logGroupName' must be a string",
            ),
        ),
        (
            json!({"logGroupName": "tagged", "tags": {"env": "prod"}, "kmsKeyId": "arn:aws:kms:ap-northeast-1:123456789012:key/k"}),
            Answer(json!({})),
        ),
        (
            json!({"logGroupName": "cold", "logGroupClass": "INFREQUENT_ACCESS"}),
            Answer(json!({})),
        ),
    ];
    for (input, expected) in cases {
        check(&f, "CreateLogGroup", input, expected);
    }
}

#[test]
fn describe_answers_aws_shapes_and_filters() {
    let f = Fixture::new();
    f.ok(
        "CreateLogGroup",
        json!({"logGroupName": "CloudTrail/trail"}),
    );
    f.ok(
        "CreateLogGroup",
        json!({"logGroupName": "other", "kmsKeyId": "k1", "logGroupClass": "INFREQUENT_ACCESS"}),
    );
    let trail = json!({
        "logGroupName": "CloudTrail/trail", "creationTime": NOW, "metricFilterCount": 0,
        "arn": format!("{ARN}:*"), "storedBytes": 0, "deletionProtectionEnabled": false,
        "logGroupClass": "STANDARD", "logGroupArn": ARN,
    });
    let cases = [
        (
            json!({"logGroupNamePrefix": "Cloud"}),
            Answer(json!({"logGroups": [trail]})),
        ),
        (
            json!({"logGroupNamePattern": "Trail/t"}),
            Answer(json!({"logGroups": [{
            "logGroupName": "CloudTrail/trail", "creationTime": NOW, "metricFilterCount": 0,
            "arn": format!("{ARN}:*"), "logGroupClass": "STANDARD", "logGroupArn": ARN}]})),
        ),
        (
            json!({"logGroupNamePattern": "trail/T"}),
            Answer(json!({"logGroups": []})),
        ),
        (
            json!({"logGroupNamePrefix": "C", "logGroupNamePattern": "C"}),
            Error(
                "InvalidParameterException",
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
            ),
        ),
        (
            json!({"logGroupIdentifiers": [ARN, "nope"]}),
            Contains(json!({"logGroups": [{"logGroupName": "CloudTrail/trail"}]})),
        ),
        (
            json!({"logGroupIdentifiers": ["other"], "logGroupNamePrefix": "o"}),
            ErrorContaining(
                "InvalidParameterException",
                "logGroupIdentifiers cannot be combined",
            ),
        ),
        (
            json!({"logGroupClass": "ESSENTIALS"}),
            Contains(
                json!({"logGroups": [{"logGroupName": "other", "kmsKeyId": "k1", "logGroupClass": "INFREQUENT_ACCESS"}]}),
            ),
        ),
        (
            json!({"limit": 51}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50",
            ),
        ),
        (
            json!({"nextToken": "garbage"}),
            Error(
                "InvalidParameterException",
                "The specified nextToken is invalid.",
            ),
        ),
    ];
    for (input, expected) in cases {
        check(&f, "DescribeLogGroups", input, expected);
    }
    let all = f.ok("DescribeLogGroups", json!({}));
    assert_eq!(all["logGroups"].as_array().unwrap().len(), 2);
}

#[test]
fn describe_pages_in_ascii_order_and_only_sees_its_scope() {
    let f = Fixture::new();
    for name in ["b", "a", "C", "a/x", "_"] {
        f.ok("CreateLogGroup", json!({"logGroupName": name}));
    }
    f.logs
        .call(
            "999999999999",
            "ap-northeast-1",
            "CreateLogGroup",
            &json!({"logGroupName": "foreign"}),
        )
        .unwrap();
    f.logs
        .call(
            "123456789012",
            "us-east-1",
            "CreateLogGroup",
            &json!({"logGroupName": "elsewhere"}),
        )
        .unwrap();
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let mut input = json!({"limit": 2});
        if let Some(token) = &token {
            input["nextToken"] = json!(token);
        }
        let page = f.ok("DescribeLogGroups", input);
        names.extend(
            page["logGroups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["logGroupName"].as_str().unwrap().to_owned()),
        );
        match page.get("nextToken") {
            Some(next) => token = Some(next.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["C", "_", "a", "a/x", "b"]);
}

#[test]
fn retention_policies() {
    let f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "g"}));
    let cases = [
        (
            "PutRetentionPolicy",
            json!({"logGroupName": "g", "retentionInDays": 2}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]",
            ),
        ),
        (
            "PutRetentionPolicy",
            json!({"logGroupName": "g"}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            "PutRetentionPolicy",
            json!({"logGroupName": "missing", "retentionInDays": 30}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            "PutRetentionPolicy",
            json!({"logGroupName": "g", "retentionInDays": 30}),
            Answer(json!({})),
        ),
        (
            "DescribeLogGroups",
            json!({}),
            Contains(json!({"logGroups": [{"logGroupName": "g", "retentionInDays": 30}]})),
        ),
        (
            "DeleteRetentionPolicy",
            json!({"logGroupName": "missing"}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            "DeleteRetentionPolicy",
            json!({"logGroupName": "g"}),
            Answer(json!({})),
        ),
    ];
    for (operation, input, expected) in cases {
        check(&f, operation, input, expected);
    }
    let group = &f.ok("DescribeLogGroups", json!({}))["logGroups"][0];
    assert!(group.get("retentionInDays").is_none(), "{group}");
}

#[test]
fn delete_removes_the_group_with_its_streams_events_and_filters() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    f.put_events("g", "s", &[(NOW, "ERROR one")]);
    f.ok("PutMetricFilter", json!({"logGroupName": "g", "filterName": "f", "filterPattern": "ERROR",
        "metricTransformations": [{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}]}));
    check(
        &f,
        "DeleteLogGroup",
        json!({"logGroupName": "nope"}),
        Error(
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        ),
    );
    check(
        &f,
        "DeleteLogGroup",
        json!({"logGroupName": "g"}),
        Answer(json!({})),
    );
    check(
        &f,
        "DescribeLogGroups",
        json!({}),
        Answer(json!({"logGroups": []})),
    );
    f.group_with_stream("g", "s");
    check(
        &f,
        "DescribeMetricFilters",
        json!({"logGroupName": "g"}),
        Answer(json!({"metricFilters": []})),
    );
    check(
        &f,
        "FilterLogEvents",
        json!({"logGroupName": "g"}),
        Answer(json!({"events": [], "searchedLogStreams": []})),
    );
    f.sink.take();
    f.put_events("g", "s", &[(NOW, "ERROR two")]);
    assert!(
        f.sink.take().is_empty(),
        "the deleted group's filter must not run for the new group"
    );
}
