//! The test fixture: a real event log, a real control plane and key store in a temporary
//! directory, in-memory destinations that can go down, and helpers to append records, run
//! delivery and read back what it stored.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use opentrail_control::{BucketDirectory, BucketInfo, CallContext, ControlPlane, TrailConfig};
use opentrail_delivery::{
    Clock, DeliveryConfig, DeliveryHandle, Destination, DestinationError, DestinationResolver,
    MemoryDestination, Notifier, SystemClock, TrailDelivery,
};
use opentrail_eventlog::{CancellationToken, EventLog, EventLogConfig};
use opentrail_integrity::KeyStore;
use opentrail_record::{Envelope, RecordSource};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

pub const ACCOUNT: &str = "123456789012";
pub const TOKYO: &str = "ap-northeast-1";

/// Seed 000's bucket policy, for any bucket name.
fn policy(bucket: &str) -> String {
    json!({"Version":"2012-10-17","Statement":[
        {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
         "Action":"s3:GetBucketAcl","Resource":format!("arn:aws:s3:::{bucket}")},
        {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
         "Action":"s3:PutObject","Resource":format!("arn:aws:s3:::{bucket}/*"),
         "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]})
    .to_string()
}

struct Buckets;

impl BucketDirectory for Buckets {
    fn bucket(&self, name: &str) -> Option<BucketInfo> {
        Some(BucketInfo {
            owner_account_id: ACCOUNT.into(),
            region: TOKYO.into(),
            policy: Some(policy(name)),
            operator_trusted: false,
        })
    }
}

/// One in-memory destination per bucket.
#[derive(Default)]
pub struct Buckets2(Mutex<HashMap<String, Arc<MemoryDestination>>>);

impl Buckets2 {
    pub fn bucket(&self, name: &str) -> Arc<MemoryDestination> {
        let mut map = self.0.lock().unwrap();
        map.entry(name.to_owned()).or_default().clone()
    }
}

impl DestinationResolver for Buckets2 {
    fn destination_for(&self, bucket: &str) -> Arc<dyn Destination> {
        self.bucket(bucket)
    }
}

/// A notifier that records what it was asked and can be made to fail.
#[derive(Default)]
pub struct RecordingNotifier {
    pub sent: Mutex<Vec<(String, String, Vec<String>)>>,
    pub failing: std::sync::atomic::AtomicBool,
}

impl Notifier for RecordingNotifier {
    fn notify(
        &self,
        trail: &TrailConfig,
        bucket: &str,
        keys: &[String],
    ) -> Result<(), DestinationError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(DestinationError::retryable("topic unreachable"));
        }
        let topic = trail.trail.sns_topic_arn.clone().unwrap_or_default();
        self.sent
            .lock()
            .unwrap()
            .push((topic, bucket.to_owned(), keys.to_vec()));
        Ok(())
    }
}

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub log: EventLog,
    pub control: Arc<ControlPlane>,
    pub keys: Arc<KeyStore>,
    pub buckets: Arc<Buckets2>,
    pub notifier: Arc<RecordingNotifier>,
    pub clock: Arc<dyn Clock>,
    pub config: DeliveryConfig,
}

/// A running delivery: its handle, its cancel token and its task.
pub struct Running {
    pub handle: DeliveryHandle,
    pub cancel: CancellationToken,
    pub task: JoinHandle<opentrail_delivery::Result<()>>,
}

impl Running {
    /// Cancels and waits for the task (a clean stop).
    pub async fn stop(self) {
        self.cancel.cancel();
        self.task.await.unwrap().unwrap();
    }

    /// Aborts the task at whatever await it is in (a crash, as far as this process can tell).
    pub async fn crash(self) {
        self.task.abort();
        let _ = self.task.await;
        // A real crash also ends the blocking work in flight; wait for it to finish instead.
        self.handle.stopped().await;
    }
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path().join("log"), EventLogConfig::default()).unwrap();
        let control = Arc::new(
            ControlPlane::open(&dir.path().join("control.sqlite"), Arc::new(Buckets)).unwrap(),
        );
        let keys = Arc::new(KeyStore::open(&dir.path().join("keys")).unwrap());
        let mut config = DeliveryConfig::new(dir.path().join("delivery"));
        config.delivery_interval = Duration::from_millis(100);
        config.digest_interval = Duration::from_secs(1);
        config.min_retry_delay = Duration::from_millis(20);
        config.max_retry_delay = Duration::from_millis(200);
        Fixture {
            _dir: dir,
            log,
            control,
            keys,
            buckets: Arc::default(),
            notifier: Arc::default(),
            clock: Arc::new(SystemClock),
            config,
        }
    }

    pub fn ctx(&self) -> CallContext {
        CallContext {
            account_id: ACCOUNT.into(),
            region: TOKYO.into(),
            now: self.clock.now(),
        }
    }

    pub fn call(&self, operation: &str, input: Value) -> Value {
        self.control
            .call(&self.ctx(), operation, &input)
            .unwrap_or_else(|error| panic!("{operation}: {error:?}"))
    }

    /// Creates a trail with `extra` CreateTrail members and starts logging.
    pub fn logging_trail(&self, name: &str, bucket: &str, extra: Value) {
        let mut input = json!({"Name": name, "S3BucketName": bucket});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.call("CreateTrail", input);
        self.call("StartLogging", json!({"Name": name}));
    }

    pub fn status(&self, name: &str) -> Value {
        self.call("GetTrailStatus", json!({"Name": name}))
    }

    pub fn start(&self) -> Running {
        self.start_with(self.buckets.clone())
    }

    pub fn start_with(&self, resolver: Arc<dyn DestinationResolver>) -> Running {
        let delivery = TrailDelivery::new(
            self.log.clone(),
            self.control.clone(),
            self.keys.clone(),
            resolver,
            self.notifier.clone(),
            self.config.clone(),
        )
        .unwrap()
        .with_clock(self.clock.clone());
        let handle = delivery.handle();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(delivery.run(cancel.clone()));
        Running {
            handle,
            cancel,
            task,
        }
    }

    /// Appends records (as `account`'s, accepted now) and returns their bytes.
    pub async fn append(&self, account: &str, records: &[Value]) -> Vec<Bytes> {
        let bytes: Vec<Bytes> = records
            .iter()
            .map(|record| Bytes::from(serde_json::to_vec(record).unwrap()))
            .collect();
        self.append_raw(account, &bytes).await;
        bytes
    }

    pub async fn append_raw(&self, account: &str, records: &[Bytes]) {
        let now = self.clock.now().timestamp_millis();
        let payloads = records
            .iter()
            .map(|record| {
                Envelope {
                    account_id: account.into(),
                    source: RecordSource::Ingest,
                    ingest_time_ms: now,
                    record: record.clone(),
                }
                .encode()
            })
            .collect();
        self.log.append(payloads).await.unwrap();
    }
}

/// A management event in `region` with a distinct id.
pub fn event(id: usize, region: &str) -> Value {
    json!({"eventVersion":"1.11","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/a"},
        "eventTime":"2024-05-01T10:05:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances",
        "awsRegion":region,"eventID":format!("event-{id:06}"),"eventType":"AwsApiCall",
        "managementEvent":true,"eventCategory":"Management","readOnly":false,
        "padding":"x".repeat(200)})
}

/// Waits (by watching the delivery counters, up to 30 s) until `done` holds.
pub async fn wait_for(handle: &DeliveryHandle, what: &str, mut done: impl FnMut() -> bool) {
    let mut counters = handle.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(!left.is_zero(), "timed out waiting for {what}");
        let _ = tokio::time::timeout(left.min(Duration::from_millis(50)), counters.changed()).await;
    }
}

/// Gunzips a body that must be exactly one gzip member.
pub fn gunzip_single_member(body: &[u8]) -> Vec<u8> {
    let mut decoder = flate2::bufread::GzDecoder::new(body);
    let mut out = Vec::new();
    decoder.read_to_end(&mut out).unwrap();
    let rest = decoder.into_inner();
    assert!(
        rest.is_empty(),
        "{} bytes after the first gzip member",
        rest.len()
    );
    out
}

/// The records of every log file in `destination` (as JSON values), with their keys.
pub fn delivered_records(destination: &MemoryDestination) -> Vec<(String, Value)> {
    destination
        .objects()
        .into_iter()
        .filter(|((_, key), _)| key.contains("/CloudTrail/"))
        .flat_map(|((_, key), object)| {
            let body: Value = serde_json::from_slice(&gunzip_single_member(&object.body)).unwrap();
            let records = body["Records"].as_array().unwrap().clone();
            records.into_iter().map(move |record| (key.clone(), record))
        })
        .collect()
}

pub fn event_ids(records: &[(String, Value)]) -> Vec<String> {
    let mut ids: Vec<String> = records
        .iter()
        .map(|(_, record)| record["eventID"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
}
