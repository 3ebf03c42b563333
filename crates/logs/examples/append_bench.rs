//! Measures the trail path: appending 1,000 CloudTrail records to a log group with the 15 CIS
//! metric filters (the brief's bound: well under 50 ms per batch). Run it in release mode:
//! `cargo run --release -p opentrail-logs --example append_bench`.
//!
//! It reports the median, fastest and slowest of 30 batches, and the same without filters so the
//! cost of storing (one fsynced SQLite transaction) and of matching can be told apart.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentrail_filterpattern::cis::CIS_CLOUDTRAIL_METRIC_FILTERS;
use opentrail_logs::{Logs, MetricPoint, MetricSink};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const STREAM: &str = "123456789012_CloudTrail_us-east-1";
const BATCH: usize = 1_000;
const ROUNDS: usize = 30;

/// Counts datapoints so the work cannot be skipped.
#[derive(Debug, Default)]
struct CountingSink(AtomicUsize);

impl MetricSink for CountingSink {
    fn put(&self, _account_id: &str, _region: &str, points: Vec<MetricPoint>) {
        self.0.fetch_add(points.len(), Ordering::Relaxed);
    }
}

const EVENT_NAMES: [&str; 12] = [
    "GetObject",
    "PutObject",
    "DescribeInstances",
    "AssumeRole",
    "ConsoleLogin",
    "ListBuckets",
    "AuthorizeSecurityGroupIngress",
    "PutBucketPolicy",
    "CreateTrail",
    "Decrypt",
    "GetCallerIdentity",
    "DeleteRolePolicy",
];

/// A management or data event record of realistic size (about 1.3 KB).
fn record(n: usize, now_ms: i64) -> (i64, String) {
    let event_name = EVENT_NAMES[n % EVENT_NAMES.len()];
    let mut record = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": if n.is_multiple_of(97) { "Root" } else { "IAMUser" }, "principalId": "AIDAEXAMPLE123456789",
            "arn": format!("arn:aws:iam::{ACCOUNT}:user/alice"), "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLE1234567",
            "userName": "alice", "sessionContext": {"attributes": {"creationDate": "2025-06-15T12:00:00Z", "mfaAuthenticated": "false"}}},
        "eventTime": "2025-06-15T12:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": event_name,
        "awsRegion": REGION, "sourceIPAddress": format!("198.51.100.{}", n % 250),
        "userAgent": "aws-cli/2.17.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.12.4",
        "requestParameters": {"bucketName": "audit-bucket", "key": format!("reports/2025/06/{n}.csv"), "Host": "audit-bucket.s3.amazonaws.com"},
        "responseElements": null,
        "additionalEventData": {"bytesTransferredOut": n * 17, "CipherSuite": "TLS_AES_128_GCM_SHA256", "AuthenticationMethod": "AuthHeader"},
        "requestID": format!("REQ{n:017}"), "eventID": format!("3b0c5ad2-0000-4000-8000-{n:012}"),
        "readOnly": n.is_multiple_of(2), "eventType": "AwsApiCall", "managementEvent": !n.is_multiple_of(3),
        "recipientAccountId": ACCOUNT, "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "s3.us-east-1.amazonaws.com"},
    });
    if n.is_multiple_of(13) {
        record["errorCode"] = json!("AccessDenied");
        record["errorMessage"] = json!("Access Denied");
    }
    (now_ms, record.to_string())
}

fn batch(round: usize) -> Vec<(i64, String)> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    (0..BATCH)
        .map(|n| record(round * BATCH + n, now_ms))
        .collect()
}

fn service(filters: bool) -> (tempfile::TempDir, Logs, Arc<CountingSink>) {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(CountingSink::default());
    let logs = Logs::open(dir.path(), sink.clone()).unwrap();
    logs.call(
        ACCOUNT,
        REGION,
        "CreateLogGroup",
        &json!({"logGroupName": "CloudTrail/bench"}),
    )
    .unwrap();
    for cis in CIS_CLOUDTRAIL_METRIC_FILTERS.iter().filter(|_| filters) {
        let input = json!({"logGroupName": "CloudTrail/bench", "filterName": format!("CIS-{}", cis.control),
            "filterPattern": cis.pattern, "metricTransformations": [{"metricName": format!("CIS{}", cis.control.replace('.', "_")),
            "metricNamespace": "CISBenchmark", "metricValue": "1"}]});
        logs.call(ACCOUNT, REGION, "PutMetricFilter", &input)
            .unwrap();
    }
    (dir, logs, sink)
}

fn measure(filters: bool) -> (Vec<Duration>, usize, usize) {
    let (_dir, logs, sink) = service(filters);
    let batches: Vec<Vec<(i64, String)>> = (0..=ROUNDS).map(batch).collect();
    let bytes = batches[0].iter().map(|(_, m)| m.len()).sum::<usize>() / BATCH;
    let mut times = Vec::with_capacity(ROUNDS);
    for (round, events) in batches.iter().enumerate() {
        let started = Instant::now();
        let outcome = logs
            .append_internal(ACCOUNT, REGION, "CloudTrail/bench", STREAM, events)
            .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(outcome.appended, BATCH);
        if round > 0 {
            times.push(elapsed);
        }
    }
    times.sort();
    (times, sink.0.load(Ordering::Relaxed), bytes)
}

fn main() {
    for filters in [true, false] {
        let (times, points, bytes) = measure(filters);
        let label = if filters {
            "15 CIS metric filters"
        } else {
            "no metric filters"
        };
        println!(
            "append_internal, {BATCH} records (~{bytes} B each), {label}: median {:.1} ms, min {:.1} ms, max {:.1} ms over {ROUNDS} batches; {points} datapoints",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
        );
    }
}
