//! Seed 004 end to end with the unmodified aws CLI: a trail's log group, the S3 exfiltration
//! metric filters (console flow of the seed, as CLI commands), CloudTrail records arriving,
//! the datapoints the alarms would see, searching the records, and cleaning up.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::harness::{ACCOUNT, Cli, Front, REGION};

const GROUP: &str = "CloudTrail/s3-secret-access";
const STREAM: &str = "123456789012_CloudTrail_ap-northeast-1";
const NAMESPACE: &str = "CloudTrailMetrics";

/// The seed's patterns: large GetObject, no VPC endpoint, unexpected source IP, and all together.
const P1: &str =
    r#"{ ($.eventName = "GetObject") && ($.additionalEventData.bytesTransferredOut > 1000 )}"#;
const P2: &str = r#"{ ($.vpcEndpointId NOT EXISTS) }"#;
const P3: &str = r#"{ ($.sourceIPAddress!="123.123.123.123") }"#;
const P4: &str = r#"{ ($.eventName = "GetObject") && ($.additionalEventData.bytesTransferredOut > 1000 ) && ( ($.sourceIPAddress!="123.123.123.123") && ( ($.vpcEndpointId != "vpce-xxxxxxxx" ) || ($.vpcEndpointId NOT EXISTS) ) ) }"#;

fn record(event_name: &str, bytes_out: u64, source_ip: &str, endpoint: Option<&str>) -> String {
    let mut record = json!({
        "eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": event_name,
        "awsRegion": REGION, "sourceIPAddress": source_ip, "recipientAccountId": ACCOUNT,
        "requestParameters": {"bucketName": "secret-bucket", "key": "customers.csv"},
        "additionalEventData": {"bytesTransferredOut": bytes_out},
    });
    if let Some(endpoint) = endpoint {
        record["vpcEndpointId"] = json!(endpoint);
    }
    record.to_string()
}

fn names(answer: &Value, list: &str, member: &str) -> Vec<String> {
    answer[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[member].as_str().unwrap().to_owned())
        .collect()
}

fn messages(answer: &Value) -> Vec<String> {
    names(answer, "events", "message")
}

#[test]
fn seed_004_metric_filters_on_a_trail_log_group() {
    let front = Front::start();
    let cli = Cli::new(&front.endpoint);

    cli.ok(&["create-log-group", "--log-group-name", GROUP]);
    cli.fails(
        &["create-log-group", "--log-group-name", GROUP],
        "ResourceAlreadyExistsException",
    );
    cli.ok(&[
        "put-retention-policy",
        "--log-group-name",
        GROUP,
        "--retention-in-days",
        "90",
    ]);
    let groups = cli.ok(&[
        "describe-log-groups",
        "--log-group-name-prefix",
        "CloudTrail/",
    ]);
    assert_eq!(groups["logGroups"][0]["retentionInDays"], 90);
    assert_eq!(
        groups["logGroups"][0]["arn"],
        format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}:*")
    );
    cli.ok(&[
        "create-log-stream",
        "--log-group-name",
        GROUP,
        "--log-stream-name",
        STREAM,
    ]);

    let large_get = record("GetObject", 5000, "198.51.100.7", None);
    let small_get = record("GetObject", 500, "198.51.100.7", None);
    let allowed_ip = record("GetObject", 5000, "123.123.123.123", None);
    let allowed_endpoint = record("GetObject", 5000, "10.0.0.5", Some("vpce-xxxxxxxx"));
    let other_endpoint = record("GetObject", 8000, "10.0.0.6", Some("vpce-0123456789"));
    let put_object = record("PutObject", 5000, "198.51.100.7", None);

    let tested = cli.ok(&[
        "test-metric-filter",
        "--filter-pattern",
        P1,
        "--log-event-messages",
        &large_get,
        &small_get,
        &put_object,
    ]);
    assert_eq!(tested["matches"].as_array().unwrap().len(), 1, "{tested}");
    assert_eq!(tested["matches"][0]["eventNumber"], 0);
    assert_eq!(
        tested["matches"][0]["extractedValues"]["$.additionalEventData.bytesTransferredOut"],
        "5000"
    );

    for (name, pattern, metric) in [
        ("S3LargeGetObject", P1, "LargeGetObject"),
        ("S3NoVpcEndpoint", P2, "NoVpcEndpoint"),
        ("S3UnknownSourceIp", P3, "UnknownSourceIp"),
    ] {
        let transformation =
            format!("metricName={metric},metricNamespace={NAMESPACE},metricValue=1");
        cli.ok(&[
            "put-metric-filter",
            "--log-group-name",
            GROUP,
            "--filter-name",
            name,
            "--filter-pattern",
            pattern,
            "--metric-transformations",
            &transformation,
        ]);
    }
    let exfiltration = format!(
        "metricName=S3Exfiltration,metricNamespace={NAMESPACE},metricValue=1,defaultValue=0"
    );
    cli.ok(&[
        "put-metric-filter",
        "--log-group-name",
        GROUP,
        "--filter-name",
        "S3Exfiltration",
        "--filter-pattern",
        P4,
        "--metric-transformations",
        &exfiltration,
    ]);
    let bytes_out = json!([{"metricName": "S3BytesOut", "metricNamespace": NAMESPACE, "metricValue": "$.additionalEventData.bytesTransferredOut",
        "unit": "Bytes", "dimensions": {"SourceIp": "$.sourceIPAddress"}}]).to_string();
    cli.ok(&[
        "put-metric-filter",
        "--log-group-name",
        GROUP,
        "--filter-name",
        "S3BytesOut",
        "--filter-pattern",
        P1,
        "--metric-transformations",
        &bytes_out,
    ]);
    let stderr = cli.fails(
        &[
            "put-metric-filter",
            "--log-group-name",
            GROUP,
            "--filter-name",
            "Broken",
            "--filter-pattern",
            r#"{ ($.eventName = "GetObject" }"#,
            "--metric-transformations",
            &exfiltration,
        ],
        "InvalidParameterException",
    );
    assert!(stderr.contains("Invalid metric filter pattern"), "{stderr}");

    let described = cli.ok(&["describe-metric-filters", "--log-group-name", GROUP]);
    assert_eq!(
        names(&described, "metricFilters", "filterName"),
        [
            "S3BytesOut",
            "S3Exfiltration",
            "S3LargeGetObject",
            "S3NoVpcEndpoint",
            "S3UnknownSourceIp"
        ]
    );
    let by_metric = cli.ok(&[
        "describe-metric-filters",
        "--metric-name",
        "S3Exfiltration",
        "--metric-namespace",
        NAMESPACE,
    ]);
    assert_eq!(by_metric["metricFilters"][0]["filterPattern"], P4);
    assert_eq!(
        by_metric["metricFilters"][0]["metricTransformations"][0]["defaultValue"],
        0.0
    );
    let by_prefix = cli.ok(&[
        "describe-metric-filters",
        "--log-group-name",
        GROUP,
        "--filter-name-prefix",
        "S3No",
    ]);
    assert_eq!(
        names(&by_prefix, "metricFilters", "filterName"),
        ["S3NoVpcEndpoint"]
    );
    let paged = cli.ok(&[
        "describe-metric-filters",
        "--log-group-name",
        GROUP,
        "--page-size",
        "2",
    ]);
    assert_eq!(
        paged["metricFilters"].as_array().unwrap().len(),
        5,
        "the CLI follows nextToken"
    );

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let batch = [
        &large_get,
        &small_get,
        &allowed_ip,
        &allowed_endpoint,
        &other_endpoint,
        &put_object,
    ];
    let events: Vec<Value> = batch.iter().enumerate()
        .map(|(index, message)| json!({"timestamp": now - 6000 + index as i64 * 1000, "message": message}))
        .collect();
    let file = cli.write_file("events.json", &Value::Array(events).to_string());
    let put = cli.ok(&[
        "put-log-events",
        "--log-group-name",
        GROUP,
        "--log-stream-name",
        STREAM,
        "--log-events",
        &file,
    ]);
    assert!(put["nextSequenceToken"].is_string(), "{put}");
    assert!(put.get("rejectedLogEventsInfo").is_none(), "{put}");

    let points = front.sink.take();
    let count = |metric: &str| points.iter().filter(|p| p.metric_name == metric).count();
    assert_eq!(
        count("S3Exfiltration"),
        2,
        "large GetObject without endpoint and through another endpoint: {points:?}"
    );
    assert_eq!(count("LargeGetObject"), 4);
    assert_eq!(count("NoVpcEndpoint"), 4);
    assert_eq!(count("UnknownSourceIp"), 5);
    let bytes: Vec<(f64, Vec<(String, String)>)> = points
        .iter()
        .filter(|p| p.metric_name == "S3BytesOut")
        .map(|p| (p.value, p.dimensions.clone()))
        .collect();
    assert_eq!(
        bytes[0],
        (
            5000.0,
            vec![("SourceIp".to_owned(), "198.51.100.7".to_owned())]
        )
    );
    assert!(points.iter().all(|p| p.namespace == NAMESPACE));
    assert!(
        points
            .iter()
            .filter(|p| p.metric_name == "S3BytesOut")
            .all(|p| p.unit.as_deref() == Some("Bytes"))
    );

    let stored = cli.ok(&[
        "get-log-events",
        "--log-group-name",
        GROUP,
        "--log-stream-name",
        STREAM,
        "--start-from-head",
    ]);
    assert_eq!(messages(&stored), batch.map(String::clone));
    assert!(
        stored["nextForwardToken"]
            .as_str()
            .unwrap()
            .starts_with("f/")
    );
    let found = cli.ok(&[
        "filter-log-events",
        "--log-group-name",
        GROUP,
        "--filter-pattern",
        P4,
    ]);
    assert_eq!(
        messages(&found),
        [large_get.clone(), other_endpoint.clone()]
    );
    assert_eq!(found["events"][0]["logStreamName"], STREAM);
    let paged = cli.ok(&[
        "filter-log-events",
        "--log-group-name",
        GROUP,
        "--log-stream-names",
        STREAM,
        "--filter-pattern",
        P2,
        "--page-size",
        "1",
    ]);
    assert_eq!(
        messages(&paged),
        [large_get.clone(), small_get, allowed_ip, put_object]
    );
    let streams = cli.ok(&[
        "describe-log-streams",
        "--log-group-name",
        GROUP,
        "--order-by",
        "LastEventTime",
        "--descending",
    ]);
    assert_eq!(streams["logStreams"][0]["lastEventTimestamp"], now - 1000);

    cli.ok(&[
        "delete-metric-filter",
        "--log-group-name",
        GROUP,
        "--filter-name",
        "S3UnknownSourceIp",
    ]);
    cli.fails(
        &[
            "delete-metric-filter",
            "--log-group-name",
            GROUP,
            "--filter-name",
            "S3UnknownSourceIp",
        ],
        "ResourceNotFoundException",
    );
    let remaining = cli.ok(&["describe-metric-filters", "--log-group-name", GROUP]);
    assert_eq!(remaining["metricFilters"].as_array().unwrap().len(), 4);
    cli.ok(&["delete-log-group", "--log-group-name", GROUP]);
    assert_eq!(cli.ok(&["describe-log-groups"])["logGroups"], json!([]));
    cli.fails(
        &[
            "get-log-events",
            "--log-group-name",
            GROUP,
            "--log-stream-name",
            STREAM,
        ],
        "ResourceNotFoundException",
    );
    assert!(
        front
            .dir
            .path()
            .join(opentrail_logs::DATABASE_FILE)
            .exists()
    );
}
