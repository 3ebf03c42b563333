//! The real clients end to end: `py/clients.py` runs the seed's aws CLI commands and a boto3
//! scenario in rpc-v2-cbor, awsJson1.0 and query against the service behind a loopback HTTP
//! front with the 1 s evaluator running, then this test checks what reached the action sink.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use opentrail_monitoring::Monitoring;

use crate::harness::{FrontStats, RecordingSink, python, script, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_and_boto3_work_unmodified_in_all_three_protocols() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let service = Monitoring::open(dir.path(), sink.clone()).unwrap();
    let evaluator = service.start();
    let stats = Arc::new(FrontStats::default());
    let addr = serve(service, stats.clone()).await;
    let endpoint = format!("http://{addr}");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script("clients.py"))
            .arg(&endpoint)
            .output()
            .expect("run the clients script")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(" passed, 0 failed"),
        "clients failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    evaluator.shutdown().await;

    let sent = sink.sent.lock().unwrap().clone();
    for tag in ["cbor", "json", "query"] {
        let seed: Vec<_> = sent
            .iter()
            .filter(|s| s.subject == format!("ALARM: \"{tag}-s3-get\" in US East (N. Virginia)"))
            .collect();
        assert_eq!(seed.len(), 1, "{tag}: {sent:?}");
        assert_eq!(
            seed[0].action_arn,
            "arn:aws:sns:us-east-1:123456789012:alerts"
        );
        let message: serde_json::Value = serde_json::from_str(&seed[0].message).unwrap();
        assert_eq!(message["NewStateValue"], "ALARM");
        assert_eq!(message["AlarmDescription"], "GetObject on secret");
        assert_eq!(
            message["Trigger"]["Dimensions"],
            serde_json::json!([{"value": format!("{tag}-secret"), "name": "BucketName"}])
        );
        assert!(
            sent.iter()
                .any(|s| s.subject == format!("ALARM: \"{tag}-sum\" in US East (N. Virginia)")),
            "{tag}: {sent:?}"
        );
    }
    assert!(
        stats.gzip_requests.load(Ordering::Relaxed) >= 3,
        "boto3 should have compressed the large PutMetricData bodies"
    );
}
