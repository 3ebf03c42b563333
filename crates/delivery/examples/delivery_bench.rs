//! Trail delivery benchmark: latency from an acknowledged append to the log file holding the
//! record being stored (p50/p99 at 1,000 and 20,000 events/s, delivery intervals 1 s and 200 ms),
//! drain throughput in events/s, and the gzip level trade-off (levels 1, 6, 9: throughput vs
//! stored bytes). Uses a real event log and control plane in a temporary directory, one
//! multi-Region trail, real records from `shared/corpus/real`, and an in-memory destination that
//! times each stored file.
//!
//! Run: `cargo run --release -p opentrail-delivery --example delivery_bench`
//! (add `-- --quick` for a short smoke run).

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use opentrail_control::{BucketDirectory, BucketInfo, CallContext, ControlPlane};
use opentrail_delivery::{
    BoxFuture, DeliveryConfig, Destination, DestinationError, MemoryDestination, NoNotifier,
    SingleDestination, TrailDelivery,
};
use opentrail_eventlog::{CancellationToken, EventLog, EventLogConfig};
use opentrail_integrity::KeyStore;
use opentrail_record::{Envelope, RecordSource};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

struct OpenBuckets;

impl BucketDirectory for OpenBuckets {
    fn bucket(&self, name: &str) -> Option<BucketInfo> {
        let policy = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
            "Resource":format!("arn:aws:s3:::{name}/*")}]});
        Some(BucketInfo {
            owner_account_id: ACCOUNT.into(),
            region: REGION.into(),
            policy: Some(policy.to_string()),
            operator_trusted: false,
        })
    }
}

/// Stores objects and, for every record in a stored log file, the time from its append's
/// acknowledgement to the store. Stored files are parsed on a thread of their own, off the
/// delivery's path.
struct TimingDestination {
    inner: MemoryDestination,
    acked: Mutex<HashMap<u64, Instant>>,
    latencies: Mutex<Vec<Duration>>,
    stored_records: Mutex<u64>,
    stored_bytes: Mutex<u64>,
    last_stored_at: Mutex<Option<Instant>>,
    parse_queue: Mutex<std::sync::mpsc::Sender<(Instant, Bytes)>>,
}

impl TimingDestination {
    fn new() -> Arc<Self> {
        let (sender, receiver) = std::sync::mpsc::channel::<(Instant, Bytes)>();
        let destination = Arc::new(TimingDestination {
            inner: MemoryDestination::new(),
            acked: Mutex::new(HashMap::new()),
            latencies: Mutex::new(Vec::new()),
            stored_records: Mutex::new(0),
            stored_bytes: Mutex::new(0),
            last_stored_at: Mutex::new(None),
            parse_queue: Mutex::new(sender),
        });
        let weak = Arc::downgrade(&destination);
        std::thread::spawn(move || {
            while let Ok((stored_at, body)) = receiver.recv() {
                match weak.upgrade() {
                    Some(destination) => destination.note_stored(stored_at, &body),
                    None => return,
                }
            }
        });
        destination
    }

    fn note_stored(&self, stored_at: Instant, body: &[u8]) {
        *self.stored_bytes.lock().unwrap() += body.len() as u64;
        let mut last = self.last_stored_at.lock().unwrap();
        *last = Some(last.map_or(stored_at, |at| at.max(stored_at)));
        drop(last);
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut json)
            .unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let records = parsed["Records"].as_array().unwrap();
        *self.stored_records.lock().unwrap() += records.len() as u64;
        let acked = self.acked.lock().unwrap();
        let mut latencies = self.latencies.lock().unwrap();
        for record in records {
            if let Some(at) = record["n"].as_u64().and_then(|n| acked.get(&n)) {
                latencies.push(stored_at.saturating_duration_since(*at));
            }
        }
    }
}

impl Destination for TimingDestination {
    fn put_object<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        body: Bytes,
        content_type: &'a str,
        metadata: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<(), DestinationError>> {
        Box::pin(async move {
            let stored = self
                .inner
                .put_object(bucket, key, body.clone(), content_type, metadata)
                .await;
            if stored.is_ok() && key.contains("/CloudTrail/") {
                let queue = self.parse_queue.lock().unwrap();
                queue.send((Instant::now(), body)).unwrap();
            }
            stored
        })
    }
}

/// Real CloudTrail records (the Invictus set of the shared corpus, 2,900 management events across
/// regions), each with `"n":<number>,` inserted after its opening brace so a stored file tells
/// which appends it holds; a synthetic record when the corpus is not there.
fn corpus() -> &'static [Bytes] {
    static CORPUS: std::sync::OnceLock<Vec<Bytes>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/real/invictus-aws-dataset");
        let mut records = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|listing| {
                listing
                    .filter_map(|item| item.ok())
                    .map(|item| item.path())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for path in files
            .iter()
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
        {
            let text = std::fs::read_to_string(path).unwrap();
            let file: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text).unwrap();
            for record in file["Records"].as_array().unwrap() {
                records.push(Bytes::from(serde_json::to_vec(record).unwrap()));
            }
        }
        if records.is_empty() {
            let synthetic = json!({"eventVersion":"1.11","eventSource":"ec2.amazonaws.com",
                "eventName":"RunInstances","awsRegion":REGION,"eventTime":"2026-11-25T10:05:00Z"});
            records.push(Bytes::from(serde_json::to_vec(&synthetic).unwrap()));
        }
        records
    })
}

/// Record number `n`: a corpus record with `"n":n` as its first member.
fn record(n: u64) -> Bytes {
    let base = &corpus()[(n % corpus().len() as u64) as usize];
    let mut bytes = Vec::with_capacity(base.len() + 24);
    bytes.extend_from_slice(format!("{{\"n\":{n},").as_bytes());
    bytes.extend_from_slice(&base[1..]);
    Bytes::from(bytes)
}

fn envelope(n: u64) -> Bytes {
    Envelope {
        account_id: ACCOUNT.into(),
        source: RecordSource::SelfAudit,
        ingest_time_ms: chrono::Utc::now().timestamp_millis(),
        record: record(n),
    }
    .encode()
}

struct Setup {
    _dir: tempfile::TempDir,
    log: EventLog,
    control: Arc<ControlPlane>,
    keys: Arc<KeyStore>,
    destination: Arc<TimingDestination>,
    config: DeliveryConfig,
}

fn setup(interval: Duration, gzip_level: u32) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path().join("log"), EventLogConfig::default()).unwrap();
    let control = Arc::new(
        ControlPlane::open(&dir.path().join("control.sqlite"), Arc::new(OpenBuckets)).unwrap(),
    );
    let ctx = CallContext {
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        now: chrono::Utc::now() - chrono::TimeDelta::seconds(1),
    };
    control
        .call(
            &ctx,
            "CreateTrail",
            &json!({"Name":"bench","S3BucketName":"bench-bucket","IsMultiRegionTrail":true}),
        )
        .unwrap();
    control
        .call(&ctx, "StartLogging", &json!({"Name":"bench"}))
        .unwrap();
    let keys = Arc::new(KeyStore::open(&dir.path().join("keys")).unwrap());
    let mut config = DeliveryConfig::new(dir.path().join("delivery"));
    config.delivery_interval = interval;
    config.gzip_level = gzip_level;
    Setup {
        _dir: dir,
        log,
        control,
        keys,
        destination: TimingDestination::new(),
        config,
    }
}

fn start(
    setup: &Setup,
) -> (
    CancellationToken,
    tokio::task::JoinHandle<opentrail_delivery::Result<()>>,
) {
    let delivery = TrailDelivery::new(
        setup.log.clone(),
        setup.control.clone(),
        setup.keys.clone(),
        Arc::new(SingleDestination(setup.destination.clone())),
        Arc::new(NoNotifier),
        setup.config.clone(),
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(delivery.run(cancel.clone()));
    (cancel, task)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Appends at `rate` events/s for `seconds`, in batches every 10 ms, and reports latencies.
async fn latency_run(rate: u64, interval: Duration, seconds: u64) -> String {
    let setup = setup(interval, 6);
    let (cancel, task) = start(&setup);
    let per_tick = (rate / 100).max(1);
    let total = rate * seconds;
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    let mut appends = tokio::task::JoinSet::new();
    let mut next = 0u64;
    while next < total {
        ticker.tick().await;
        let batch: Vec<u64> = (next..(next + per_tick).min(total)).collect();
        next += batch.len() as u64;
        let (log, destination) = (setup.log.clone(), setup.destination.clone());
        appends.spawn(async move {
            let payloads = batch.iter().map(|n| envelope(*n)).collect();
            log.append(payloads).await.unwrap();
            let acked = Instant::now();
            let mut map = destination.acked.lock().unwrap();
            for n in batch {
                map.insert(n, acked);
            }
        });
    }
    while appends.join_next().await.is_some() {}
    let deadline = Instant::now() + interval + Duration::from_secs(30);
    while *setup.destination.stored_records.lock().unwrap() < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    task.await.unwrap().unwrap();
    let mut latencies = setup.destination.latencies.lock().unwrap().clone();
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    let goal = interval + Duration::from_millis(200);
    format!(
        "| {rate} | {} ms | {} | {} | {} ms | {} ms | {} ms | {} |",
        interval.as_millis(),
        total,
        latencies.len(),
        p50.as_millis(),
        p99.as_millis(),
        percentile(&latencies, 1.0).as_millis(),
        if p99 <= goal { "yes" } else { "no" },
    )
}

/// Appends `total` events first, then measures how fast delivery drains them at `gzip_level`
/// (files close at 4 MiB or 100 ms; the time is until the last file was stored).
async fn drain_run(total: u64, gzip_level: u32) -> String {
    let mut setup = setup(Duration::from_millis(100), gzip_level);
    setup.config.max_file_bytes = 4 * 1024 * 1024;
    let mut next = 0;
    while next < total {
        let batch: Vec<Bytes> = (next..(next + 5000).min(total)).map(envelope).collect();
        next += batch.len() as u64;
        setup.log.append(batch).await.unwrap();
    }
    let raw_bytes: u64 = (0..total).map(|n| record(n).len() as u64 + 1).sum();
    let started = Instant::now();
    let (cancel, task) = start(&setup);
    while *setup.destination.stored_records.lock().unwrap() < total {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let last_stored = setup.destination.last_stored_at.lock().unwrap().unwrap();
    let elapsed = last_stored.duration_since(started);
    cancel.cancel();
    task.await.unwrap().unwrap();
    let stored = *setup.destination.stored_bytes.lock().unwrap();
    format!(
        "| {gzip_level} | {total} | {:.2} s | {:.0} | {:.1} MB | {:.1} MB | {:.1}x |",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        raw_bytes as f64 / 1e6,
        stored as f64 / 1e6,
        raw_bytes as f64 / stored as f64,
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let seconds = if quick { 2 } else { 10 };
    let drain = if quick { 20_000 } else { 200_000 };
    println!("## Latency: acknowledged append -> log file stored ({seconds} s per row)\n");
    println!(
        "| events/s | delivery interval | appended | measured | p50 | p99 | max | p99 <= interval + 200 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for interval in [Duration::from_secs(1), Duration::from_millis(200)] {
        for rate in [1_000, 20_000] {
            println!("{}", latency_run(rate, interval, seconds).await);
        }
    }
    println!(
        "\n## Drain throughput and gzip level ({drain} events appended before delivery starts; 4 MiB files)\n"
    );
    println!(
        "| gzip level | events | drain time | events/s | record bytes | stored bytes | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for level in [1, 6, 9] {
        println!("{}", drain_run(drain, level).await);
    }
}
