//! CreateLogStream, DeleteLogStream and DescribeLogStreams.

use serde_json::json;

use super::support::{Expected::*, Fixture, NOW, check};

const GROUP_ARN: &str = "arn:aws:logs:ap-northeast-1:123456789012:log-group:g";

#[test]
fn create_and_delete_validate_like_aws() {
    let f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "g"}));
    let cases = [
        (
            "CreateLogStream",
            json!({"logGroupName": "missing", "logStreamName": "s"}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": "s"}),
            Answer(json!({})),
        ),
        (
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": "s"}),
            Error(
                "ResourceAlreadyExistsException",
                "The specified log stream already exists",
            ),
        ),
        (
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": "a:b"}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value 'a:b' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*",
            ),
        ),
        (
            "CreateLogStream",
            json!({"logGroupName": "g"}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": "s".repeat(513)}),
            Error(
                "InvalidParameterException",
                "Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
            ),
        ),
        (
            "DeleteLogStream",
            json!({"logGroupName": "g", "logStreamName": "nope"}),
            Error(
                "ResourceNotFoundException",
                "The specified log stream does not exist.",
            ),
        ),
        (
            "DeleteLogStream",
            json!({"logGroupName": "nope", "logStreamName": "s"}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
    ];
    for (operation, input, expected) in cases {
        check(&f, operation, input, expected);
    }
    f.put_events("g", "s", &[(NOW, "12345")]);
    check(
        &f,
        "DescribeLogGroups",
        json!({}),
        Contains(json!({"logGroups": [{"storedBytes": 5}]})),
    );
    check(
        &f,
        "DeleteLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
        Answer(json!({})),
    );
    check(
        &f,
        "DescribeLogGroups",
        json!({}),
        Contains(json!({"logGroups": [{"storedBytes": 0}]})),
    );
    check(
        &f,
        "DescribeLogStreams",
        json!({"logGroupName": "g"}),
        Answer(json!({"logStreams": []})),
    );
}

#[test]
fn describe_answers_aws_shapes() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    let fresh = json!({"logStreams": [{"logStreamName": "s", "creationTime": NOW,
        "arn": format!("{GROUP_ARN}:log-stream:s"), "storedBytes": 0}]});
    check(
        &f,
        "DescribeLogStreams",
        json!({"logGroupName": "g"}),
        Answer(fresh.clone()),
    );
    check(
        &f,
        "DescribeLogStreams",
        json!({"logGroupIdentifier": "g"}),
        Answer(fresh.clone()),
    );
    check(
        &f,
        "DescribeLogStreams",
        json!({"logGroupIdentifier": GROUP_ARN}),
        Answer(fresh.clone()),
    );
    f.clock.set(NOW + 5);
    f.put_events("g", "s", &[(NOW - 10, "a"), (NOW - 3, "b")]);
    check(
        &f,
        "DescribeLogStreams",
        json!({"logGroupName": "g"}),
        Answer(json!({"logStreams": [{
        "logStreamName": "s", "creationTime": NOW, "firstEventTimestamp": NOW - 10, "lastEventTimestamp": NOW - 3,
        "lastIngestionTime": NOW + 5, "uploadSequenceToken": format!("{:056}", 1),
        "arn": format!("{GROUP_ARN}:log-stream:s"), "storedBytes": 0}]})),
    );
    let cases = [
        (
            json!({"logGroupName": "g", "logGroupIdentifier": "g"}),
            Error(
                "ValidationException",
                "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
            ),
        ),
        (
            json!({}),
            ErrorContaining(
                "InvalidParameterException",
                "logGroupName or logGroupIdentifier",
            ),
        ),
        (
            json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:123456789012:log-group:g"}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            json!({"logGroupName": "missing"}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "logStreamNamePrefix": "s"}),
            Error(
                "InvalidParameterException",
                "Cannot order by LastEventTime with a logStreamNamePrefix.",
            ),
        ),
        (
            json!({"logGroupName": "g", "orderBy": "Time"}),
            ErrorContaining(
                "InvalidParameterException",
                "enum value set: [LogStreamName, LastEventTime]",
            ),
        ),
    ];
    for (input, expected) in cases {
        check(&f, "DescribeLogStreams", input, expected);
    }
}

#[test]
fn describe_orders_filters_and_pages() {
    let f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "g"}));
    for (name, last_event) in [("b", Some(3)), ("a", Some(9)), ("c", None), ("ab", Some(1))] {
        f.ok(
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": name}),
        );
        if let Some(offset) = last_event {
            f.put_events("g", name, &[(NOW - 100 + offset, "m")]);
        }
    }
    let names = |input: serde_json::Value| -> Vec<String> {
        let mut all = Vec::new();
        let mut input = input;
        loop {
            let page = f.ok("DescribeLogStreams", input.clone());
            all.extend(
                page["logStreams"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["logStreamName"].as_str().unwrap().to_owned()),
            );
            match page.get("nextToken") {
                Some(token) => input["nextToken"] = token.clone(),
                None => return all,
            }
        }
    };
    assert_eq!(
        names(json!({"logGroupName": "g", "limit": 1})),
        ["a", "ab", "b", "c"]
    );
    assert_eq!(
        names(json!({"logGroupName": "g", "descending": true, "limit": 3})),
        ["c", "b", "ab", "a"]
    );
    assert_eq!(
        names(json!({"logGroupName": "g", "logStreamNamePrefix": "a"})),
        ["a", "ab"]
    );
    assert_eq!(
        names(json!({"logGroupName": "g", "orderBy": "LastEventTime", "limit": 2})),
        ["c", "ab", "b", "a"]
    );
    assert_eq!(
        names(
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "descending": true, "limit": 2})
        ),
        ["a", "b", "ab", "c"]
    );
}
