//! Metric values and dimensions (spec section 7): parsing against the filter pattern, and the
//! value a matching event yields.

use super::compile;
use crate::{DimensionValue, FilterPattern, LogEvent, MetricValue};

const APACHE: &str =
    r#"127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

fn check_metric(pattern: &str, metric: &str, event: &str, expected: Option<f64>) {
    let pattern = compile(pattern);
    let value = MetricValue::parse(metric, &pattern).unwrap_or_else(|e| panic!("{metric}: {e}"));
    assert_eq!(value.text(), metric);
    assert_eq!(
        value.evaluate(&LogEvent::new(event)),
        expected,
        "{metric} on {event}"
    );
}

fn check_dimension(pattern: &str, reference: &str, event: &str, expected: Option<&str>) {
    let pattern = compile(pattern);
    let value =
        DimensionValue::parse(reference, &pattern).unwrap_or_else(|e| panic!("{reference}: {e}"));
    assert_eq!(
        value.evaluate(&LogEvent::new(event)).as_deref(),
        expected,
        "{reference} on {event}"
    );
}

fn check_rejected(pattern: &str, reference: &str, position: usize, message: &str) {
    let pattern: FilterPattern = compile(pattern);
    let metric = MetricValue::parse(reference, &pattern).map(|_| ());
    let dimension = DimensionValue::parse(reference, &pattern).map(|_| ());
    let error = metric.and(dimension).expect_err(reference);
    assert_eq!(
        (error.position, error.message.as_str()),
        (position, message),
        "{reference}"
    );
}

#[test]
fn metric_values_from_constants_json_and_fields() {
    let sizes = "[ip, user, username, timestamp, request, status_code, size]";
    check_metric(
        "{ $.latency = * }",
        "$.latency",
        r#"{"latency": 50, "requestType": "GET"}"#,
        Some(50.0),
    );
    check_metric(
        "{ $.latency = * }",
        "$.latency",
        r#"{"latency": "75.5"}"#,
        Some(75.5),
    );
    check_metric(
        "{ $.latency = * }",
        "$.latency",
        r#"{"latency": "slow"}"#,
        None,
    );
    check_metric("{ $.latency = * }", "$.latency", r#"{"other": 1}"#, None);
    check_metric("{ $.a = 1 }", "$.b[1]", r#"{"b": [1, 2e3]}"#, Some(2000.0));
    check_metric("ERROR", "1", "ERROR x", Some(1.0));
    check_metric("ERROR", "0.5", "anything", Some(0.5));
    check_metric(sizes, "$size", APACHE, Some(1534.0));
    check_metric(sizes, "$7", APACHE, Some(1534.0));
    check_metric(sizes, "$6", APACHE, Some(404.0));
    check_metric(sizes, "$ip", APACHE, None);
    check_metric("[]", "$7", APACHE, Some(1534.0));
    check_metric("[..., bytes]", "$bytes", APACHE, Some(1534.0));
    check_metric("[a, b]", "$b", "x 1 2", None);
}

#[test]
fn dimensions_from_json_and_fields() {
    let j1 = r#"{"eventType":"UpdateTrail","n":3,"t":true,"z":null,"o":{}}"#;
    check_dimension(
        "{ $.eventType = \"*\" }",
        "$.eventType",
        j1,
        Some("UpdateTrail"),
    );
    check_dimension("{ $.eventType = \"*\" }", "$.n", j1, Some("3"));
    check_dimension("{ $.eventType = \"*\" }", "$.t", j1, Some("true"));
    check_dimension("{ $.eventType = \"*\" }", "$.z", j1, None);
    check_dimension("{ $.eventType = \"*\" }", "$.o", j1, None);
    check_dimension("{ $.eventType = \"*\" }", "$.missing", j1, None);
    check_dimension("{ $.eventType = \"*\" }", "$.eventType", "not json", None);
    check_dimension(
        "[ip, server, username, timestamp, request, status_code, bytes > 1000]",
        "$server",
        APACHE,
        Some("Prod"),
    );
}

#[test]
fn references_must_fit_the_pattern() {
    check_rejected(
        "{ $.a = 1 }",
        "$size",
        0,
        "metric value '$size' names a space-delimited field, but the filter pattern is not space-delimited",
    );
    check_rejected(
        "[a, b]",
        "$.a",
        0,
        "metric value '$.a' selects a JSON field, but the filter pattern is not a JSON pattern",
    );
    check_rejected(
        "[a, b]",
        "$c",
        1,
        "metric value '$c' names no field of the filter pattern",
    );
    check_rejected(
        "{ $.a = 1 }",
        "$.a b",
        3,
        "unexpected 'b' after selector '$.a'",
    );
    check_rejected(
        "{ $.a = 1 }",
        "$.",
        2,
        "expected a property name after '.', found end of pattern",
    );
    check_rejected("{ $.a = 1 }", "", 0, "metric value is empty");
    check_rejected(
        "{ $.a = 1 }",
        &format!("$.{}", "a".repeat(99)),
        100,
        "metric value is 101 characters long; the limit is 100",
    );
    check_rejected(
        "{ $.a = 1 }",
        "latency",
        0,
        "metric value 'latency' must be a number, '$.selector', '$name' or '$N'",
    );
    let terms = compile("ERROR");
    let error = DimensionValue::parse("$.a", &terms).unwrap_err();
    assert_eq!(
        error.message,
        "the specified filter pattern does not support dimensions"
    );
    assert!(DimensionValue::parse("$.a", &compile("")).is_err());
    assert!(DimensionValue::parse("1", &compile("{ $.a = 1 }")).is_err());
}
