//! Benchmark: from an acknowledged event to the alarm notification received by an HTTP subscriber
//! (seed 004's chain: trail -> log group -> metric filter -> metric -> alarm -> SNS -> subscriber).
//!
//! Run: `cargo run --release -p opentrail-server --example alert_bench -- [samples]`
//! Everything runs in this process: the server on 127.0.0.1:0 (durable event log, every consumer),
//! a hyper HTTP subscriber that confirms its subscription, and a hyper client. Sample `i` has its own
//! metric filter (`GetTrail` calls naming `bench-<i>`), metric and alarm (Sum >= 1 over 60 s), so each
//! sample is one INSUFFICIENT_DATA -> ALARM transition. The clock starts when the server's answer to
//! the triggering GetTrail arrives (the event is acknowledged: its record is fsynced) and stops when
//! the subscriber has read the ALARM notification's body.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentrail_server::config::ServerConfig;
use opentrail_server::identity::RootCredentials;
use opentrail_sigv4::SigningParams;
use serde_json::{Value, json};

const KEY: &str = "AKIABENCHMARK0000001";
const SECRET: &str = "bench-secret";
const ACCOUNT: &str = "123456789012";

type HttpClient = Client<HttpConnector, Full<Bytes>>;
/// Arrival times of ALARM notifications, by alarm name.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let samples: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    let data = tempfile::tempdir()?;
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse()?,
        data_dir: data.path().to_path_buf(),
        ..ServerConfig::default()
    };
    let root = RootCredentials {
        access_key_id: KEY.into(),
        secret_access_key: SECRET.into(),
        generated: false,
    };
    let server = opentrail_server::run(config, root).await?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: HttpClient = Client::builder(TokioExecutor::new()).build(connector);
    let arrivals: Arrivals = Arc::default();
    let subscriber = start_subscriber(client.clone(), arrivals.clone()).await?;
    let api = Api {
        client: client.clone(),
        address: server.local_addr,
    };
    prepare(&api, subscriber, samples).await?;
    let mut latencies = Vec::with_capacity(samples);
    for sample in 0..samples {
        let alarm = format!("bench-alarm-{sample}");
        let body = json!({"Name": format!("bench-{sample}")}).to_string();
        api.call(
            "cloudtrail",
            "CloudTrail_20131101.GetTrail",
            "application/x-amz-json-1.1",
            &body,
        )
        .await?;
        let acknowledged = Instant::now();
        let deadline = acknowledged + Duration::from_secs(30);
        let arrived = loop {
            if let Some(at) = arrivals.lock().unwrap().get(&alarm).copied() {
                break at;
            }
            anyhow::ensure!(Instant::now() < deadline, "no notification for {alarm}");
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        latencies.push(
            arrived
                .saturating_duration_since(acknowledged)
                .as_secs_f64()
                * 1000.0,
        );
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!("| samples | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {samples} | {:.1} | {:.1} | {:.1} | {:.1} |",
        at(0.5),
        at(0.9),
        at(0.99),
        latencies[latencies.len() - 1]
    );
    server.shutdown().await?;
    Ok(())
}

/// A signing client for the server's APIs.
struct Api {
    client: HttpClient,
    address: SocketAddr,
}

impl Api {
    /// One signed call; `target` goes in `X-Amz-Target` (JSON) or is empty (query, S3).
    async fn request(
        &self,
        method: &str,
        path: &str,
        service: &str,
        target: &str,
        content_type: &str,
        body: &str,
    ) -> anyhow::Result<Bytes> {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.address))
            .header("host", self.address.to_string())
            .header("content-type", content_type);
        if !target.is_empty() {
            builder = builder.header("x-amz-target", target);
        }
        let (mut parts, ()) = builder.body(())?.into_parts();
        opentrail_sigv4::sign_request(
            &mut parts,
            &opentrail_sigv4::sha256_hex(body.as_bytes()),
            &SigningParams {
                access_key_id: KEY,
                secret_access_key: SECRET,
                region: "us-east-1",
                service,
                time: chrono::Utc::now(),
            },
        )?;
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body.to_owned())));
        let response = self.client.request(request).await?;
        let status = response.status();
        let answer = response.into_body().collect().await?.to_bytes();
        anyhow::ensure!(
            status.is_success() || service == "cloudtrail",
            "{service} {target} {path}: {status} {}",
            String::from_utf8_lossy(&answer)
        );
        Ok(answer)
    }

    async fn call(
        &self,
        service: &str,
        target: &str,
        content_type: &str,
        body: &str,
    ) -> anyhow::Result<Bytes> {
        self.request("POST", "/", service, target, content_type, body)
            .await
    }

    async fn logs(&self, operation: &str, body: Value) -> anyhow::Result<Bytes> {
        let target = format!("Logs_20140328.{operation}");
        self.call(
            "logs",
            &target,
            "application/x-amz-json-1.1",
            &body.to_string(),
        )
        .await
    }

    async fn sns(&self, form: &str) -> anyhow::Result<String> {
        let answer = self
            .call("sns", "", "application/x-www-form-urlencoded", form)
            .await?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    }
}

/// Log group, trail, per-sample metric filters and alarms, SNS topic and confirmed subscription.
async fn prepare(api: &Api, subscriber: SocketAddr, samples: usize) -> anyhow::Result<()> {
    let group = "bench-group";
    api.logs("CreateLogGroup", json!({"logGroupName": group}))
        .await?;
    let bucket = "alert-bench-logs";
    api.request(
        "PUT",
        &format!("/{bucket}"),
        "s3",
        "",
        "application/xml",
        "",
    )
    .await?;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{bucket}")},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*"),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]});
    api.request(
        "PUT",
        &format!("/{bucket}?policy"),
        "s3",
        "",
        "application/json",
        &policy.to_string(),
    )
    .await?;
    let trail = json!({"Name": "alerts", "S3BucketName": bucket,
        "CloudWatchLogsLogGroupArn": format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:*"),
        "CloudWatchLogsRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role")});
    let json11 = "application/x-amz-json-1.1";
    api.call(
        "cloudtrail",
        "CloudTrail_20131101.CreateTrail",
        json11,
        &trail.to_string(),
    )
    .await?;
    api.call(
        "cloudtrail",
        "CloudTrail_20131101.StartLogging",
        json11,
        &json!({"Name": "alerts"}).to_string(),
    )
    .await?;
    let created = api
        .sns("Action=CreateTopic&Name=bench-alerts&Version=2010-03-31")
        .await?;
    let topic = created
        .split_once("<TopicArn>")
        .and_then(|(_, rest)| rest.split_once("</TopicArn>"))
        .map(|(arn, _)| arn.to_owned())
        .ok_or_else(|| anyhow::anyhow!("no topic in {created}"))?;
    let endpoint = format!("http://{subscriber}/hook");
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "Subscribe")
        .append_pair("TopicArn", &topic)
        .append_pair("Protocol", "http")
        .append_pair("Endpoint", &endpoint)
        .append_pair("Version", "2010-03-31")
        .finish();
    api.sns(&form).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = api
            .sns(&format!(
                "Action=ListSubscriptionsByTopic&TopicArn={}&Version=2010-03-31",
                form_urlencoded::byte_serialize(topic.as_bytes()).collect::<String>()
            ))
            .await?;
        if !listed.contains("PendingConfirmation") {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "subscription never confirmed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for sample in 0..samples {
        let pattern = format!(
            "{{ ($.eventName = \"GetTrail\") && ($.requestParameters.name = \"bench-{sample}\") }}"
        );
        api.logs(
            "PutMetricFilter",
            json!({"logGroupName": group, "filterName": format!("bench-{sample}"),
                "filterPattern": pattern, "metricTransformations": [{"metricName": format!("BenchMetric{sample}"),
                "metricNamespace": "Bench", "metricValue": "1"}]}),
        )
        .await?;
        let alarm = json!({"AlarmName": format!("bench-alarm-{sample}"),
            "MetricName": format!("BenchMetric{sample}"), "Namespace": "Bench", "Statistic": "Sum",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": [topic]});
        api.call(
            "monitoring",
            "GraniteServiceVersion20100801.PutMetricAlarm",
            "application/x-amz-json-1.0",
            &alarm.to_string(),
        )
        .await?;
    }
    Ok(())
}

/// An HTTP subscriber: confirms its subscription (GET SubscribeURL) and notes when each ALARM
/// notification arrived, by alarm name.
async fn start_subscriber(client: HttpClient, arrivals: Arrivals) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            let (client, arrivals) = (client.clone(), arrivals.clone());
            let service =
                hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let (client, arrivals) = (client.clone(), arrivals.clone());
                    async move {
                        let body = request.into_body().collect().await?.to_bytes();
                        let arrived = Instant::now();
                        let document: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        match document["Type"].as_str() {
                            Some("SubscriptionConfirmation") => {
                                let url =
                                    document["SubscribeURL"].as_str().unwrap_or("").to_owned();
                                tokio::spawn(async move {
                                    if let Ok(uri) = url.parse::<http::Uri>() {
                                        let _ = client.get(uri).await;
                                    }
                                });
                            }
                            Some("Notification") => {
                                let message: Value = serde_json::from_str(
                                    document["Message"].as_str().unwrap_or("null"),
                                )
                                .unwrap_or(Value::Null);
                                if message["NewStateValue"] == "ALARM"
                                    && let Some(name) = message["AlarmName"].as_str()
                                {
                                    arrivals
                                        .lock()
                                        .unwrap()
                                        .entry(name.to_owned())
                                        .or_insert(arrived);
                                }
                            }
                            _ => {}
                        }
                        Ok::<_, hyper::Error>(http::Response::new(Full::new(Bytes::new())))
                    }
                });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(address)
}
