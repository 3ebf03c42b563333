//! PutLogEvents, GetLogEvents and FilterLogEvents.

use serde_json::{Value, json};

use super::support::{ACCOUNT, Expected::*, Fixture, NOW, REGION, check, messages};
use crate::clock::{DAY_MS, HOUR_MS};
use crate::names::Scope;
use crate::read::filter_log_events_with_budget;

fn put(events: Value) -> Value {
    json!({"logGroupName": "g", "logStreamName": "s", "logEvents": events, "sequenceToken": "ignored"})
}

#[test]
fn put_log_events_rules_and_rejections() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    let seq = |n: i64| format!("{n:056}");
    let cases = [
        (
            put(json!([{"timestamp": NOW, "message": "a"}])),
            Answer(json!({"nextSequenceToken": seq(1)})),
        ),
        (
            put(
                json!([{"timestamp": NOW, "message": "a"}, {"timestamp": NOW - 1, "message": "b"}]),
            ),
            Error(
                "InvalidParameterException",
                "Log events in a single PutLogEvents request must be in chronological order.",
            ),
        ),
        (
            put(json!([])),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
        ),
        (
            put(json!([{"timestamp": NOW, "message": ""}, {"message": "x"}])),
            Error(
                "InvalidParameterException",
                "2 validation errors detected: Value '' at 'logEvents.1.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1; Value null at 'logEvents.2.member.timestamp' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            put(json!([{"timestamp": -1, "message": "x"}])),
            ErrorContaining(
                "InvalidParameterException",
                "Value '-1' at 'logEvents.1.member.timestamp'",
            ),
        ),
        (
            put(json!([{"timestamp": NOW, "message": "x".repeat(1_048_551)}])),
            Error(
                "InvalidParameterException",
                "Log event too large: 1048577 bytes exceeds limit of 1048576",
            ),
        ),
        (
            put(
                json!([{"timestamp": NOW - 15 * DAY_MS, "message": "old"}, {"timestamp": NOW, "message": "ok"}, {"timestamp": NOW + 3 * HOUR_MS, "message": "new"}]),
            ),
            Answer(
                json!({"nextSequenceToken": seq(2), "rejectedLogEventsInfo": {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 2}}),
            ),
        ),
        (
            put(json!([{"timestamp": NOW - 15 * DAY_MS, "message": "old"}])),
            Answer(
                json!({"nextSequenceToken": seq(3), "rejectedLogEventsInfo": {"tooOldLogEventEndIndex": 1}}),
            ),
        ),
        (
            put(
                json!([{"timestamp": NOW - 2 * DAY_MS, "message": "a"}, {"timestamp": NOW, "message": "b"}]),
            ),
            Error(
                "InvalidParameterException",
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
            ),
        ),
        (
            json!({"logGroupName": "g", "logStreamName": "nope", "logEvents": [{"timestamp": NOW, "message": "a"}]}),
            Error(
                "ResourceNotFoundException",
                "The specified log stream does not exist.",
            ),
        ),
        (
            json!({"logGroupName": "nope", "logStreamName": "s", "logEvents": [{"timestamp": NOW, "message": "a"}]}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [7]}),
            Error(
                "SerializationException",
                "member 'logEvents.1.member' must be a structure",
            ),
        ),
    ];
    for (input, expected) in cases {
        check(&f, "PutLogEvents", input, expected);
    }
    let stored = f.ok(
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true}),
    );
    assert_eq!(messages(&stored), ["a", "ok"]);
    f.ok(
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 3}),
    );
    check(
        &f,
        "PutLogEvents",
        put(
            json!([{"timestamp": NOW - 4 * DAY_MS, "message": "expired"}, {"timestamp": NOW - 3 * DAY_MS + 1, "message": "kept"}]),
        ),
        Answer(
            json!({"nextSequenceToken": seq(4), "rejectedLogEventsInfo": {"expiredLogEventEndIndex": 1}}),
        ),
    );
}

#[test]
fn batch_size_counts_26_bytes_per_event() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    let half = "x".repeat(524_288 - 26);
    check(
        &f,
        "PutLogEvents",
        put(json!([{"timestamp": NOW, "message": half}, {"timestamp": NOW, "message": half}])),
        Contains(json!({})),
    );
    check(
        &f,
        "PutLogEvents",
        put(
            json!([{"timestamp": NOW, "message": half}, {"timestamp": NOW, "message": format!("{half}y")}]),
        ),
        Error(
            "InvalidParameterException",
            "Upload too large: 1048577 bytes exceeds limit of 1048576",
        ),
    );
}

/// Seven events in two batches, the second batch older than the first.
fn seven_events(f: &Fixture) {
    f.group_with_stream("g", "s");
    f.put_events(
        "g",
        "s",
        &[
            (NOW - 40, "e3"),
            (NOW - 30, "e4"),
            (NOW - 20, "e5"),
            (NOW - 10, "e6"),
        ],
    );
    f.put_events(
        "g",
        "s",
        &[(NOW - 70, "e0"), (NOW - 60, "e1"), (NOW - 50, "e2")],
    );
}

fn get(f: &Fixture, extra: Value) -> Value {
    let mut input = json!({"logGroupName": "g", "logStreamName": "s", "limit": 3});
    for (key, value) in extra.as_object().unwrap() {
        input[key] = value.clone();
    }
    f.ok("GetLogEvents", input)
}

#[test]
fn get_log_events_walks_forward_and_backward_with_tokens() {
    let f = Fixture::new();
    seven_events(&f);
    let mut pages = Vec::new();
    let mut page = get(&f, json!({"startFromHead": true}));
    loop {
        pages.push(messages(&page));
        let next = get(
            &f,
            json!({"nextToken": page["nextForwardToken"], "startFromHead": true}),
        );
        if next["nextForwardToken"] == page["nextForwardToken"] && messages(&next).is_empty() {
            break;
        }
        page = next;
    }
    assert_eq!(
        pages,
        [vec!["e0", "e1", "e2"], vec!["e3", "e4", "e5"], vec!["e6"]]
    );
    let mut pages = Vec::new();
    let mut page = get(&f, json!({}));
    loop {
        pages.push(messages(&page));
        let next = get(&f, json!({"nextToken": page["nextBackwardToken"]}));
        if next["nextBackwardToken"] == page["nextBackwardToken"] {
            assert!(messages(&next).is_empty());
            break;
        }
        page = next;
    }
    assert_eq!(
        pages,
        [vec!["e4", "e5", "e6"], vec!["e1", "e2", "e3"], vec!["e0"]]
    );
    let last_page = get(&f, json!({}));
    let back_then_forward = get(
        &f,
        json!({"nextToken": get(&f, json!({"nextToken": last_page["nextBackwardToken"]}))["nextForwardToken"]}),
    );
    assert_eq!(messages(&back_then_forward), ["e4", "e5", "e6"]);
}

#[test]
fn get_log_events_answers_shapes_ranges_and_errors() {
    let f = Fixture::new();
    seven_events(&f);
    let one = get(&f, json!({"limit": 1}));
    assert_eq!(
        one["events"],
        json!([{"timestamp": NOW - 10, "message": "e6", "ingestionTime": NOW}])
    );
    let token = one["nextForwardToken"].as_str().unwrap();
    assert!(
        token.starts_with("f/") && token.ends_with("/s") && token.len() == 60,
        "{token}"
    );
    let ranged = get(
        &f,
        json!({"startTime": NOW - 60, "endTime": NOW - 30, "limit": 10, "startFromHead": true}),
    );
    assert_eq!(messages(&ranged), ["e1", "e2", "e3"]);
    let f2 = Fixture::new();
    f2.group_with_stream("g", "s");
    let empty = get(&f2, json!({}));
    assert_eq!(empty["events"], json!([]));
    let tail = get(&f2, json!({"nextToken": empty["nextForwardToken"]}));
    assert_eq!(tail["nextForwardToken"], empty["nextForwardToken"]);
    f2.put_events("g", "s", &[(NOW, "late")]);
    assert_eq!(
        messages(&get(&f2, json!({"nextToken": empty["nextForwardToken"]}))),
        ["late"]
    );
    let cases = [
        (
            json!({"logGroupName": "g", "logStreamName": "s", "nextToken": "invalid-token"}),
            Error(
                "InvalidParameterException",
                "The specified nextToken is invalid.",
            ),
        ),
        (
            json!({"logGroupName": "g", "logStreamName": "s", "limit": 10001}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
            ),
        ),
        (
            json!({"logGroupName": "nope", "logStreamName": "s"}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            json!({"logGroupName": "g", "logStreamName": "nope"}),
            Error(
                "ResourceNotFoundException",
                "The specified log stream does not exist.",
            ),
        ),
        (
            json!({"logGroupIdentifier": "arn:aws:logs:ap-northeast-1:123456789012:log-group:g", "logStreamName": "s", "limit": 1}),
            Contains(json!({"events": [{"message": "e6"}]})),
        ),
    ];
    for (input, expected) in cases {
        check(&f, "GetLogEvents", input, expected);
    }
}

/// Two streams of CloudTrail-like JSON records and a text stream.
fn filter_fixture() -> Fixture {
    let f = Fixture::new();
    f.group_with_stream("g", "111_CloudTrail_ap-northeast-1");
    f.ok(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "222_CloudTrail_ap-northeast-1"}),
    );
    f.ok(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "app"}),
    );
    f.put_events(
        "g",
        "111_CloudTrail_ap-northeast-1",
        &[
            (
                NOW - 50,
                r#"{"eventName":"GetObject","additionalEventData":{"bytesTransferredOut":5000}}"#,
            ),
            (NOW - 30, r#"{"eventName":"PutObject"}"#),
        ],
    );
    f.put_events(
        "g",
        "222_CloudTrail_ap-northeast-1",
        &[
            (
                NOW - 40,
                r#"{"eventName":"GetObject","additionalEventData":{"bytesTransferredOut":10}}"#,
            ),
            (
                NOW - 20,
                r#"{"eventName":"GetObject","additionalEventData":{"bytesTransferredOut":2000}}"#,
            ),
        ],
    );
    f.put_events(
        "g",
        "app",
        &[
            (NOW - 45, "ERROR GetObject failed"),
            (NOW - 10, "INFO fine"),
        ],
    );
    f
}

fn filter(f: &Fixture, extra: Value) -> Value {
    let mut input = json!({"logGroupName": "g"});
    for (key, value) in extra.as_object().unwrap() {
        input[key] = value.clone();
    }
    f.ok("FilterLogEvents", input)
}

/// Every page's messages, following `nextToken`.
fn filter_all(f: &Fixture, extra: Value) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut extra = extra;
    loop {
        let page = filter(f, extra.clone());
        pages.push(messages(&page));
        match page.get("nextToken") {
            Some(token) => extra["nextToken"] = token.clone(),
            None => return pages,
        }
    }
}

#[test]
fn filter_log_events_matches_patterns_across_streams() {
    let f = filter_fixture();
    let big_get =
        r#"{ ($.eventName = "GetObject") && ($.additionalEventData.bytesTransferredOut > 1000) }"#;
    let cases: [(Value, &[&str]); 7] = [
        (
            json!({"filterPattern": big_get}),
            &[
                r#"{"eventName":"GetObject","additionalEventData":{"bytesTransferredOut":5000}}"#,
                r#"{"eventName":"GetObject","additionalEventData":{"bytesTransferredOut":2000}}"#,
            ],
        ),
        (
            json!({"filterPattern": "ERROR"}),
            &["ERROR GetObject failed"],
        ),
        (
            json!({"filterPattern": "?INFO ?ERROR", "logStreamNames": ["app"]}),
            &["ERROR GetObject failed", "INFO fine"],
        ),
        (
            json!({"filterPattern": "GetObject", "logStreamNamePrefix": "222"}),
            &[
                r#"{"eventName":"GetObject","additionalEventData":{"bytesTransferredOut":10}}"#,
                r#"{"eventName":"GetObject","additionalEventData":{"bytesTransferredOut":2000}}"#,
            ],
        ),
        (
            json!({"filterPattern": "GetObject", "startTime": NOW - 45, "endTime": NOW - 40}),
            &[
                "ERROR GetObject failed",
                r#"{"eventName":"GetObject","additionalEventData":{"bytesTransferredOut":10}}"#,
            ],
        ),
        (json!({"logStreamNames": ["nope"]}), &[]),
        (
            json!({"filterPattern": "INFO", "startFromHead": false, "startTime": NOW - 100}),
            &["INFO fine"],
        ),
    ];
    for (input, expected) in cases {
        let pages = filter_all(&f, input.clone());
        assert_eq!(pages.concat(), expected, "{input}");
    }
    let newest_first = filter_all(&f, json!({"startFromHead": false, "limit": 2}));
    assert_eq!(
        newest_first.concat().first().map(String::as_str),
        Some("INFO fine")
    );
    assert_eq!(newest_first.concat().len(), 6);
}

#[test]
fn filter_log_events_pages_and_answers_aws_shapes() {
    let f = filter_fixture();
    let pages = filter_all(&f, json!({"limit": 2}));
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2]);
    let exactly_two = filter_all(&f, json!({"filterPattern": "ERROR", "limit": 1}));
    assert_eq!(
        exactly_two.len(),
        1,
        "no token when no further match exists"
    );
    let one = filter(&f, json!({"filterPattern": "INFO"}));
    assert_eq!(
        one,
        json!({"events": [{"logStreamName": "app", "timestamp": NOW - 10, "message": "INFO fine",
        "ingestionTime": NOW, "eventId": one["events"][0]["eventId"]}], "searchedLogStreams": []})
    );
    assert_eq!(one["events"][0]["eventId"].as_str().unwrap().len(), 56);
    let cases = [
        (
            json!({"logGroupName": "g", "filterPattern": "{ $.a = "}),
            ErrorContaining("InvalidParameterException", "Invalid filter pattern: "),
        ),
        (
            json!({"logGroupName": "g", "nextToken": "invalid-token"}),
            Error(
                "InvalidParameterException",
                "The specified nextToken is invalid.",
            ),
        ),
        (
            json!({"logGroupName": "g", "limit": 10001}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
            ),
        ),
        (
            json!({"logGroupName": "g", "logStreamNames": ["app"], "logStreamNamePrefix": "a"}),
            ErrorContaining("InvalidParameterException", "mutually exclusive"),
        ),
        (
            json!({"logGroupName": "g", "startFromHead": false, "startTime": 1000}),
            ErrorContaining("InvalidParameterException", "startFromHead=false"),
        ),
        (
            json!({"logGroupName": "nope"}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            json!({"logGroupName": "g", "logStreamNames": []}),
            ErrorContaining(
                "InvalidParameterException",
                "at 'logStreamNames' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
        ),
    ];
    for (input, expected) in cases {
        check(&f, "FilterLogEvents", input, expected);
    }
}

#[test]
fn filter_log_events_stops_at_the_scan_budget_with_a_token() {
    let f = filter_fixture();
    let scope = Scope::new(ACCOUNT, REGION);
    let mut input = json!({"logGroupName": "g", "filterPattern": "INFO"});
    let mut pages = Vec::new();
    loop {
        let page = filter_log_events_with_budget(&f.logs.shared, scope, &input, 2).unwrap();
        pages.push(messages(&page));
        match page.get("nextToken") {
            Some(token) => input["nextToken"] = token.clone(),
            None => break,
        }
    }
    let expected: [&[&str]; 4] = [&[], &[], &["INFO fine"], &[]];
    assert_eq!(
        pages, expected,
        "each call reads 2 events; short pages carry a token"
    );
}
