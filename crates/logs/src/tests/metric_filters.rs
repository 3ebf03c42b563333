//! PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter, and the
//! datapoints metric filters emit when events arrive through PutLogEvents.

use serde_json::{Value, json};

use super::support::{Expected::*, Fixture, NOW, check};

/// The seed's S3 exfiltration patterns (shared/reference/filter-patterns.md section 9).
pub const P1: &str =
    r#"{ ($.eventName = "GetObject") && ($.additionalEventData.bytesTransferredOut > 1000 ) }"#;
pub const P2: &str = r#"{ ($.vpcEndpointId NOT EXISTS) }"#;
pub const P3: &str = r#"{ ($.sourceIPAddress!="123.123.123.123") }"#;
pub const P4: &str = r#"{ ($.eventName = "GetObject") && ($.additionalEventData.bytesTransferredOut > 1000 ) && ( ($.sourceIPAddress!="123.123.123.123") && ( ($.vpcEndpointId != "vpce-xxxxxxxx" ) || ($.vpcEndpointId NOT EXISTS) ) ) }"#;

/// A CloudTrail S3 data event record.
pub fn s3_record(
    event_name: &str,
    bytes_out: u64,
    source_ip: &str,
    endpoint: Option<&str>,
) -> String {
    let mut record = json!({
        "eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": event_name,
        "awsRegion": "ap-northeast-1", "sourceIPAddress": source_ip,
        "additionalEventData": {"bytesTransferredOut": bytes_out},
        "requestParameters": {"bucketName": "secret-bucket", "key": "data.csv"},
    });
    if let Some(endpoint) = endpoint {
        record["vpcEndpointId"] = json!(endpoint);
    }
    record.to_string()
}

fn transformation(extra: Value) -> Value {
    let mut transformation = json!({"metricName": "LargeGet", "metricNamespace": "CloudTrailMetrics", "metricValue": "1"});
    for (key, value) in extra.as_object().unwrap() {
        transformation[key] = value.clone();
    }
    transformation
}

fn put_filter(pattern: &str, transformations: Value) -> Value {
    json!({"logGroupName": "g", "filterName": "f", "filterPattern": pattern, "metricTransformations": transformations})
}

#[test]
fn put_metric_filter_validates_like_aws() {
    let f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "g"}));
    f.ok(
        "CreateLogGroup",
        json!({"logGroupName": "cold", "logGroupClass": "INFREQUENT_ACCESS"}),
    );
    let two = json!([{"metricName": "metric1", "metricNamespace": "namespace1", "metricValue": "1"},
                     {"metricName": "metric2", "metricNamespace": "namespace2", "metricValue": "1"}]);
    let cases = [
        (
            put_filter(P1, json!([transformation(json!({}))])),
            Answer(json!({})),
        ),
        (
            put_filter(P1, two),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value '[MetricTransformation(metricName=metric1, metricNamespace=namespace1, metricValue=1, defaultValue=null, unit=null, dimensions=null), MetricTransformation(metricName=metric2, metricNamespace=namespace2, metricValue=1, defaultValue=null, unit=null, dimensions=null)]' at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1",
            ),
        ),
        (
            json!({"logGroupName": "g", "filterName": "f", "filterPattern": P1}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value null at 'metricTransformations' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            put_filter(P1, json!([{"metricName": "m"}])),
            Error(
                "InvalidParameterException",
                "2 validation errors detected: Value null at 'metricTransformations.1.member.metricNamespace' failed to satisfy constraint: Member must not be null; Value null at 'metricTransformations.1.member.metricValue' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            put_filter(&"X".repeat(1025), json!([transformation(json!({}))])),
            ErrorContaining(
                "InvalidParameterException",
                "at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024",
            ),
        ),
        (
            put_filter("{ $.eventName = ", json!([transformation(json!({}))])),
            ErrorContaining(
                "InvalidParameterException",
                "Invalid metric filter pattern: ",
            ),
        ),
        (
            put_filter(
                P1,
                json!([transformation(json!({"metricValue": "$.nope nope"}))]),
            ),
            ErrorContaining(
                "InvalidParameterException",
                "Invalid metric value '$.nope nope'",
            ),
        ),
        (
            put_filter(P1, json!([transformation(json!({"metricValue": "lots"}))])),
            ErrorContaining("InvalidParameterException", "Invalid metric value 'lots'"),
        ),
        (
            put_filter(
                "ERROR",
                json!([transformation(
                    json!({"dimensions": {"ip": "$.sourceIPAddress"}})
                )]),
            ),
            Error(
                "InvalidParameterException",
                "The specified filter pattern does not support dimensions",
            ),
        ),
        (
            put_filter(
                P1,
                json!([transformation(
                    json!({"dimensions": {"ip": "$.sourceIPAddress"}, "defaultValue": 0})
                )]),
            ),
            Error(
                "InvalidParameterException",
                "A metric transformation cannot have both a default value and dimensions.",
            ),
        ),
        (
            put_filter(
                P1,
                json!([transformation(
                    json!({"dimensions": {"a": "$.a", "b": "$.b", "c": "$.c", "d": "$.d"}})
                )]),
            ),
            ErrorContaining("InvalidParameterException", "at most 3 dimensions"),
        ),
        (
            put_filter(P1, json!([transformation(json!({"unit": "Apples"}))])),
            ErrorContaining(
                "InvalidParameterException",
                "at 'metricTransformations.1.member.unit' failed to satisfy constraint: Member must satisfy enum value set: [Seconds, ",
            ),
        ),
        (
            put_filter(P1, json!([transformation(json!({"defaultValue": "zero"}))])),
            Error(
                "SerializationException",
                "member 'metricTransformations.1.member.defaultValue' must be a number",
            ),
        ),
        (
            json!({"logGroupName": "nope", "filterName": "f", "filterPattern": P1, "metricTransformations": [transformation(json!({}))]}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            json!({"logGroupName": "cold", "filterName": "f", "filterPattern": P1, "metricTransformations": [transformation(json!({}))]}),
            ErrorContaining("InvalidOperationException", "INFREQUENT_ACCESS"),
        ),
        (
            json!({"logGroupName": "g", "filterName": "f", "filterPattern": P1, "metricTransformations": [transformation(json!({}))], "applyOnTransformedLogs": true}),
            Error(
                "InvalidParameterException",
                "applyOnTransformedLogs is not supported by OpenTrail",
            ),
        ),
        (
            json!({"logGroupName": "g", "filterName": "a:b", "filterPattern": P1, "metricTransformations": [transformation(json!({}))]}),
            ErrorContaining(
                "InvalidParameterException",
                "at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*",
            ),
        ),
        (
            put_filter(
                P1,
                json!([transformation(json!({"metricNamespace": "A.B-c_d/1#2:ns"}))]),
            ),
            Answer(json!({})),
        ),
    ];
    for (input, expected) in cases {
        check(&f, "PutMetricFilter", input, expected);
    }
}

#[test]
fn a_group_holds_at_most_100_filters_and_updates_do_not_count() {
    let f = Fixture::new();
    f.ok("CreateLogGroup", json!({"logGroupName": "g"}));
    for n in 0..100 {
        f.ok("PutMetricFilter", json!({"logGroupName": "g", "filterName": format!("f{n}"), "filterPattern": "ERROR", "metricTransformations": [transformation(json!({}))]}));
    }
    check(
        &f,
        "PutMetricFilter",
        json!({"logGroupName": "g", "filterName": "f100", "filterPattern": "ERROR", "metricTransformations": [transformation(json!({}))]}),
        Error("LimitExceededException", "Resource limit exceeded."),
    );
    check(
        &f,
        "PutMetricFilter",
        json!({"logGroupName": "g", "filterName": "f7", "filterPattern": "WARN", "metricTransformations": [transformation(json!({}))]}),
        Answer(json!({})),
    );
    check(
        &f,
        "DescribeLogGroups",
        json!({}),
        Contains(json!({"logGroups": [{"metricFilterCount": 100}]})),
    );
}

#[test]
fn describe_and_delete_metric_filters() {
    let f = Fixture::new();
    for group in ["g", "h"] {
        f.ok("CreateLogGroup", json!({"logGroupName": group}));
    }
    f.ok("PutMetricFilter", json!({"logGroupName": "g", "filterName": "s3-large-get", "filterPattern": P1,
        "metricTransformations": [{"metricName": "LargeGet", "metricNamespace": "CloudTrailMetrics", "metricValue": "$.additionalEventData.bytesTransferredOut",
            "unit": "Bytes", "dimensions": {"bucket": "$.requestParameters.bucketName"}}]}));
    f.ok("PutMetricFilter", json!({"logGroupName": "g", "filterName": "s3-no-endpoint", "filterPattern": P2,
        "metricTransformations": [{"metricName": "NoEndpoint", "metricNamespace": "CloudTrailMetrics", "metricValue": "1", "defaultValue": 0}]}));
    f.ok("PutMetricFilter", json!({"logGroupName": "h", "filterName": "s3-other", "filterPattern": "ERROR",
        "metricTransformations": [{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}]}));
    let large_get = json!({"filterName": "s3-large-get", "filterPattern": P1, "metricTransformations": [{
        "metricName": "LargeGet", "metricNamespace": "CloudTrailMetrics", "metricValue": "$.additionalEventData.bytesTransferredOut",
        "dimensions": {"bucket": "$.requestParameters.bucketName"}, "unit": "Bytes"}],
        "creationTime": NOW, "logGroupName": "g", "applyOnTransformedLogs": false});
    let no_endpoint = json!({"filterName": "s3-no-endpoint", "filterPattern": P2, "metricTransformations": [{
        "metricName": "NoEndpoint", "metricNamespace": "CloudTrailMetrics", "metricValue": "1", "defaultValue": 0.0}],
        "creationTime": NOW, "logGroupName": "g", "applyOnTransformedLogs": false});
    let cases = [
        (
            "DescribeMetricFilters",
            json!({"logGroupName": "g"}),
            Answer(json!({"metricFilters": [large_get, no_endpoint]})),
        ),
        (
            "DescribeMetricFilters",
            json!({"logGroupName": "g", "filterNamePrefix": "s3-no"}),
            Answer(json!({"metricFilters": [no_endpoint]})),
        ),
        (
            "DescribeMetricFilters",
            json!({"filterNamePrefix": "s3-"}),
            Contains(
                json!({"metricFilters": [{"filterName": "s3-large-get"}, {"filterName": "s3-no-endpoint"}, {"filterName": "s3-other", "logGroupName": "h"}]}),
            ),
        ),
        (
            "DescribeMetricFilters",
            json!({"metricName": "NoEndpoint", "metricNamespace": "CloudTrailMetrics"}),
            Answer(json!({"metricFilters": [no_endpoint]})),
        ),
        (
            "DescribeMetricFilters",
            json!({"metricName": "NoEndpoint"}),
            ErrorContaining("InvalidParameterException", "metricNamespace"),
        ),
        (
            "DescribeMetricFilters",
            json!({"logGroupName": "nope"}),
            Error(
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            ),
        ),
        (
            "DescribeMetricFilters",
            json!({"limit": 0}),
            ErrorContaining(
                "InvalidParameterException",
                "Member must have value greater than or equal to 1",
            ),
        ),
        (
            "DeleteMetricFilter",
            json!({"logGroupName": "g", "filterName": "nope"}),
            Error(
                "ResourceNotFoundException",
                "The specified metric filter does not exist.",
            ),
        ),
        (
            "DeleteMetricFilter",
            json!({"logGroupName": "x".repeat(513), "filterName": "f"}),
            Error(
                "InvalidParameterException",
                "Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
            ),
        ),
        (
            "DeleteMetricFilter",
            json!({"logGroupName": "g", "filterName": "s3-large-get"}),
            Answer(json!({})),
        ),
        (
            "DescribeMetricFilters",
            json!({"logGroupName": "g"}),
            Answer(json!({"metricFilters": [no_endpoint]})),
        ),
    ];
    for (operation, input, expected) in cases {
        check(&f, operation, input, expected);
    }
    let first = f.ok("DescribeMetricFilters", json!({"limit": 1}));
    assert_eq!(first["metricFilters"][0]["filterName"], "s3-no-endpoint");
    let second = f.ok(
        "DescribeMetricFilters",
        json!({"limit": 1, "nextToken": first["nextToken"]}),
    );
    assert_eq!(second["metricFilters"][0]["filterName"], "s3-other");
    assert!(second.get("nextToken").is_none());
}

#[test]
fn test_metric_filter_reports_matches_with_extracted_values() {
    let f = Fixture::new();
    let records = [
        s3_record("GetObject", 5000, "198.51.100.7", None),
        s3_record("GetObject", 500, "198.51.100.7", None),
        s3_record("GetObject", 5000, "123.123.123.123", None),
        s3_record("GetObject", 5000, "10.0.0.5", Some("vpce-xxxxxxxx")),
        s3_record("GetObject", 5000, "10.0.0.5", Some("vpce-other")),
        s3_record("PutObject", 5000, "198.51.100.7", None),
    ];
    let cases: [(&str, &[u64]); 4] = [
        (P1, &[0, 2, 3, 4]),
        (P2, &[0, 1, 2, 5]),
        (P3, &[0, 1, 3, 4, 5]),
        (P4, &[0, 4]),
    ];
    for (pattern, expected) in cases {
        let answer = f.ok(
            "TestMetricFilter",
            json!({"filterPattern": pattern, "logEventMessages": records}),
        );
        let numbers: Vec<u64> = answer["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["eventNumber"].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, expected, "{pattern}");
    }
    let answer = f.ok(
        "TestMetricFilter",
        json!({"filterPattern": P1, "logEventMessages": [records[0]]}),
    );
    assert_eq!(
        answer,
        json!({"matches": [{"eventNumber": 0, "eventMessage": records[0],
        "extractedValues": {"$.eventName": "GetObject", "$.additionalEventData.bytesTransferredOut": "5000"}}]})
    );
    let apache =
        "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 1534";
    check(
        &f,
        "TestMetricFilter",
        json!({"filterPattern": "[..., status_code=200, size]", "logEventMessages": [apache]}),
        Contains(
            json!({"matches": [{"eventNumber": 0, "extractedValues": {"$status_code": "200", "$size": "1534", "$1": "127.0.0.1"}}]}),
        ),
    );
    let fifty_one: Vec<String> = (0..51).map(|n| format!("m{n}")).collect();
    let cases = [
        (
            json!({"filterPattern": "{ $.a = ", "logEventMessages": ["x"]}),
            ErrorContaining(
                "InvalidParameterException",
                "Invalid metric filter pattern: ",
            ),
        ),
        (
            json!({"filterPattern": "x", "logEventMessages": fifty_one}),
            ErrorContaining(
                "InvalidParameterException",
                "at 'logEventMessages' failed to satisfy constraint: Member must have length less than or equal to 50",
            ),
        ),
        (
            json!({"filterPattern": "x", "logEventMessages": [""]}),
            ErrorContaining(
                "InvalidParameterException",
                "Value '' at 'logEventMessages.1.member'",
            ),
        ),
        (
            json!({"logEventMessages": ["x"]}),
            Error(
                "InvalidParameterException",
                "1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: Member must not be null",
            ),
        ),
        (
            json!({"filterPattern": "nomatch", "logEventMessages": ["x"]}),
            Answer(json!({"matches": []})),
        ),
    ];
    for (input, expected) in cases {
        check(&f, "TestMetricFilter", input, expected);
    }
}

#[test]
fn put_log_events_runs_the_group_filters() {
    let f = Fixture::new();
    f.group_with_stream("g", "s");
    f.ok("PutMetricFilter", json!({"logGroupName": "g", "filterName": "exfiltration", "filterPattern": P4,
        "metricTransformations": [{"metricName": "Exfiltration", "metricNamespace": "CloudTrailMetrics", "metricValue": "1", "defaultValue": 0}]}));
    f.ok("PutMetricFilter", json!({"logGroupName": "g", "filterName": "bytes", "filterPattern": P1,
        "metricTransformations": [{"metricName": "BytesOut", "metricNamespace": "CloudTrailMetrics", "metricValue": "$.additionalEventData.bytesTransferredOut",
            "unit": "Bytes", "dimensions": {"ip": "$.sourceIPAddress", "endpoint": "$.vpcEndpointId"}}]}));
    let big = s3_record("GetObject", 5000, "198.51.100.7", None);
    let via_endpoint = s3_record("GetObject", 2000, "10.0.0.5", Some("vpce-xxxxxxxx"));
    let small = s3_record("GetObject", 10, "198.51.100.7", None);
    f.put_events(
        "g",
        "s",
        &[(NOW - 3, &big), (NOW - 2, &via_endpoint), (NOW - 1, &small)],
    );
    let ip = |v: &str| ("ip".to_owned(), v.to_owned());
    let endpoint = ("endpoint".to_owned(), "vpce-xxxxxxxx".to_owned());
    assert_eq!(
        f.sink.take_points(),
        [
            (
                "BytesOut".to_owned(),
                5000.0,
                vec![ip("198.51.100.7")],
                NOW - 3
            ),
            ("Exfiltration".to_owned(), 1.0, vec![], NOW - 3),
            (
                "BytesOut".to_owned(),
                2000.0,
                vec![ip("10.0.0.5"), endpoint],
                NOW - 2
            ),
        ]
    );
    f.put_events("g", "s", &[(NOW - 1, &small), (NOW, &small)]);
    let batches = f.sink.take();
    assert_eq!(batches.len(), 1);
    let (account, region, points) = &batches[0];
    assert_eq!(
        (account.as_str(), region.as_str()),
        ("123456789012", "ap-northeast-1")
    );
    assert_eq!(
        points
            .iter()
            .map(|p| (p.metric_name.as_str(), p.value, p.timestamp_ms))
            .collect::<Vec<_>>(),
        [("Exfiltration", 0.0, NOW)]
    );
    f.ok("PutMetricFilter", json!({"logGroupName": "g", "filterName": "exfiltration", "filterPattern": P2,
        "metricTransformations": [{"metricName": "NoEndpoint", "metricNamespace": "CloudTrailMetrics", "metricValue": "1"}]}));
    f.ok(
        "DeleteMetricFilter",
        json!({"logGroupName": "g", "filterName": "bytes"}),
    );
    f.put_events("g", "s", &[(NOW, &big), (NOW, &via_endpoint)]);
    assert_eq!(
        f.sink.take_points(),
        [("NoEndpoint".to_owned(), 1.0, vec![], NOW)],
        "updated and deleted filters take effect at once"
    );
    let rejected_only = json!([{"timestamp": NOW - 20 * crate::clock::DAY_MS, "message": big}]);
    f.ok(
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": rejected_only}),
    );
    assert!(f.sink.take().is_empty(), "rejected events run no filter");
}
