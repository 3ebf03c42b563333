//! The programmatic entry points: the trail path, group lookups, retention purges, reopening the
//! database, and unknown operations.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

use super::metric_filters::{P4, s3_record};
use super::support::{ACCOUNT, Expected::*, Fixture, NOW, REGION, check, messages};
use crate::clock::DAY_MS;
use crate::{AppendOutcome, LogsError};

const STREAM: &str = "123456789012_CloudTrail_ap-northeast-1";

#[test]
fn a_replayed_source_batch_appends_and_emits_nothing_twice() {
    let f = Fixture::new();
    f.ok(
        "CreateLogGroup",
        json!({"logGroupName": "CloudTrail/trail"}),
    );
    f.ok("PutMetricFilter", json!({"logGroupName": "CloudTrail/trail", "filterName": "exfiltration", "filterPattern": P4,
        "metricTransformations": [{"metricName": "Exfiltration", "metricNamespace": "CloudTrailMetrics", "metricValue": "1"}]}));
    let big = s3_record("GetObject", 5000, "198.51.100.7", None);
    let first = vec![(7, NOW, big.clone()), (9, NOW, "small".to_owned())];
    let append = |events: &[(i64, i64, String)]| {
        f.logs
            .append_from_source(ACCOUNT, REGION, "CloudTrail/trail", STREAM, events)
            .unwrap()
            .appended
    };
    assert_eq!(append(&first), 2);
    assert_eq!(f.sink.take_points().len(), 1);
    // a crash before the consumer's checkpoint replays the batch, with a newer entry behind it
    let replay = vec![
        (7, NOW, big.clone()),
        (9, NOW, "small".to_owned()),
        (12, NOW + 1, big.clone()),
    ];
    assert_eq!(append(&replay), 1);
    assert_eq!(f.sink.take_points().len(), 1);
    assert_eq!(append(&replay), 0);
    assert!(f.sink.take_points().is_empty());
    let stored = f.ok(
        "GetLogEvents",
        json!({"logGroupName": "CloudTrail/trail", "logStreamName": STREAM, "startFromHead": true}),
    );
    assert_eq!(messages(&stored), [big.clone(), "small".to_owned(), big]);
}

#[test]
fn append_internal_creates_the_stream_skips_oversized_events_and_emits() {
    let f = Fixture::new();
    f.ok(
        "CreateLogGroup",
        json!({"logGroupName": "CloudTrail/trail"}),
    );
    f.ok("PutMetricFilter", json!({"logGroupName": "CloudTrail/trail", "filterName": "exfiltration", "filterPattern": P4,
        "metricTransformations": [{"metricName": "Exfiltration", "metricNamespace": "CloudTrailMetrics", "metricValue": "1"}]}));
    let big = s3_record("GetObject", 5000, "198.51.100.7", None);
    let oversized = format!("{{\"pad\":\"{}\"}}", "x".repeat(262_144));
    let fits = "y".repeat(262_144 - 26);
    let events = vec![
        (NOW, big.clone()),
        (NOW, oversized),
        (NOW + 1, fits),
        (-5, "before 1970".to_owned()),
    ];
    let outcome = f
        .logs
        .append_internal(ACCOUNT, REGION, "CloudTrail/trail", STREAM, &events)
        .unwrap();
    assert_eq!(
        outcome,
        AppendOutcome {
            appended: 2,
            skipped_too_large: 1,
            skipped_before_epoch: 1
        }
    );
    assert_eq!(
        f.sink.take_points(),
        [("Exfiltration".to_owned(), 1.0, vec![], NOW)]
    );
    let stored = f.ok(
        "GetLogEvents",
        json!({"logGroupName": "CloudTrail/trail", "logStreamName": STREAM, "startFromHead": true}),
    );
    assert_eq!(messages(&stored)[0], big);
    assert_eq!(messages(&stored).len(), 2);
    let again = f
        .logs
        .append_internal(
            ACCOUNT,
            REGION,
            "CloudTrail/trail",
            STREAM,
            &[(NOW + 2, "second".to_owned())],
        )
        .unwrap();
    assert_eq!(again.appended, 1);
    let error = f
        .logs
        .append_internal(ACCOUNT, REGION, "missing", STREAM, &[(NOW, "x".to_owned())])
        .unwrap_err();
    assert!(
        matches!(error, LogsError::LogGroupNotFound { ref group, .. } if group == "missing"),
        "{error}"
    );
    let error = f
        .logs
        .append_internal(ACCOUNT, REGION, "CloudTrail/trail", "a:b", &[])
        .unwrap_err();
    assert!(
        matches!(error, LogsError::InvalidName { what: "stream", .. }),
        "{error}"
    );
}

#[test]
fn group_exists_is_scoped_to_account_and_region() {
    let f = Fixture::new();
    f.ok(
        "CreateLogGroup",
        json!({"logGroupName": "CloudTrail/trail"}),
    );
    assert!(f.logs.group_exists(ACCOUNT, REGION, "CloudTrail/trail"));
    assert!(
        !f.logs
            .group_exists(ACCOUNT, "us-east-1", "CloudTrail/trail")
    );
    assert!(
        !f.logs
            .group_exists("999999999999", REGION, "CloudTrail/trail")
    );
    assert!(!f.logs.group_exists(ACCOUNT, REGION, "other"));
}

#[test]
fn everything_survives_a_reopen() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    f.ok(
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 7}),
    );
    f.ok("PutMetricFilter", json!({"logGroupName": "g", "filterName": "errors", "filterPattern": "ERROR",
        "metricTransformations": [{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0}]}));
    f.put_events("g", "s", &[(NOW - 1, "ERROR before restart")]);
    f.sink.take();
    let before = (
        f.ok("DescribeLogGroups", json!({})),
        f.ok("DescribeLogStreams", json!({"logGroupName": "g"})),
        f.ok("DescribeMetricFilters", json!({})),
    );
    let reopened = f.reopen();
    let call = |operation: &str, input: serde_json::Value| {
        reopened.call(ACCOUNT, REGION, operation, &input).unwrap()
    };
    let after = (
        call("DescribeLogGroups", json!({})),
        call("DescribeLogStreams", json!({"logGroupName": "g"})),
        call("DescribeMetricFilters", json!({})),
    );
    assert_eq!(before, after);
    let stored = call(
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s"}),
    );
    assert_eq!(messages(&stored), ["ERROR before restart"]);
    call(
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": NOW, "message": "ERROR after"}]}),
    );
    assert_eq!(
        f.sink.take_points(),
        [("Errors".to_owned(), 1.0, vec![], NOW)]
    );
    let sequence = call("DescribeLogStreams", json!({"logGroupName": "g"}))["logStreams"][0]["uploadSequenceToken"].clone();
    assert_eq!(sequence, json!(format!("{:056}", 2)));
}

#[test]
fn purge_removes_events_past_retention_only() {
    let f = Fixture::new();
    f.group_with_stream("kept-forever", "s");
    f.group_with_stream("weekly", "s");
    for group in ["kept-forever", "weekly"] {
        f.put_events(
            group,
            "s",
            &[
                (NOW - 10 * DAY_MS, "old-1"),
                (NOW - 10 * DAY_MS + 5, "old-2"),
            ],
        );
        f.put_events(group, "s", &[(NOW - DAY_MS, "new")]);
    }
    f.ok(
        "PutRetentionPolicy",
        json!({"logGroupName": "weekly", "retentionInDays": 7}),
    );
    let now = UNIX_EPOCH + Duration::from_millis(NOW as u64);
    assert_eq!(f.logs.purge_expired(now).unwrap(), 2);
    assert_eq!(f.logs.purge_expired(now).unwrap(), 0);
    let read = |group: &str| {
        messages(&f.ok(
            "GetLogEvents",
            json!({"logGroupName": group, "logStreamName": "s"}),
        ))
    };
    assert_eq!(read("weekly"), ["new"]);
    assert_eq!(read("kept-forever"), ["old-1", "old-2", "new"]);
    check(
        &f,
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "weekly"}),
        Contains(json!({"logGroups": [{"storedBytes": 3}]})),
    );
    check(
        &f,
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "kept"}),
        Contains(json!({"logGroups": [{"storedBytes": 13}]})),
    );
}

#[test]
fn unknown_operations_and_bodies() {
    let f = Fixture::new();
    check(
        &f,
        "PutSubscriptionFilter",
        json!({}),
        Error(
            "UnknownOperationException",
            "Unknown operation PutSubscriptionFilter",
        ),
    );
    check(
        &f,
        "DescribeLogGroups",
        json!([1]),
        Error(
            "SerializationException",
            "the request body must be a JSON object",
        ),
    );
    assert_eq!(
        f.logs.call(
            ACCOUNT,
            REGION,
            "DescribeLogGroups",
            &serde_json::Value::Null
        ),
        Ok(json!({"logGroups": []}))
    );
}
