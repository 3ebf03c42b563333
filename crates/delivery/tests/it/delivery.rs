//! Log files: layout and key, single-member gzip with the original bytes, interval and size
//! closing, crash and restart without loss or duplicates, outage isolation, status, notifications.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use opentrail_delivery::{
    BoxFuture, Destination, DestinationError, MemoryDestination, OBJECT_CONTENT_TYPE,
};
use serde_json::{Value, json};

use crate::fixture::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_file_holds_the_original_bytes_under_the_cloudtrail_key() {
    let fixture = Fixture::new();
    fixture.logging_trail("seed-trail", "write-only-events", json!({}));
    let running = fixture.start();
    let pretty = Bytes::from(
        "{\n  \"eventVersion\": \"1.08\",\n  \"eventTime\": \"2024-05-01T10:00:00Z\",\n  \"awsRegion\": \"ap-northeast-1\",\n  \"n\": 1.688560107857E9\n}",
    );
    let compact = Bytes::from(serde_json::to_vec(&event(1, TOKYO)).unwrap());
    let other_region = Bytes::from(serde_json::to_vec(&event(2, "us-west-2")).unwrap());
    fixture
        .append_raw(ACCOUNT, &[pretty.clone(), other_region, compact.clone()])
        .await;
    fixture.append(OTHER_ACCOUNT, &[event(3, TOKYO)]).await;
    let bucket = fixture.buckets.bucket("write-only-events");
    wait_for(&running.handle, "one log file", || {
        bucket.objects().len() == 1
    })
    .await;
    running.stop().await;

    let ((name, key), object) = bucket.objects().into_iter().next().unwrap();
    assert_eq!(name, "write-only-events");
    let (folder, file) = key.rsplit_once('/').unwrap();
    let today = now().format("%Y/%m/%d").to_string();
    assert_eq!(
        folder,
        format!("AWSLogs/{ACCOUNT}/CloudTrail/{TOKYO}/{today}")
    );
    let stamp_and_suffix = file
        .strip_prefix(&format!("{ACCOUNT}_CloudTrail_{TOKYO}_"))
        .and_then(|rest| rest.strip_suffix(".json.gz"))
        .unwrap();
    let (stamp, suffix) = stamp_and_suffix.split_once('_').unwrap();
    assert_eq!(stamp.len(), "20240501T1005Z".len());
    assert!(suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(object.content_type, OBJECT_CONTENT_TYPE);
    let mut expected = b"{\"Records\":[".to_vec();
    expected.extend(pretty.iter().map(|b| if *b == b'\n' { b' ' } else { *b }));
    expected.push(b',');
    expected.extend_from_slice(&compact);
    expected.extend_from_slice(b"]}");
    assert_eq!(gunzip_single_member(&object.body), expected);
}

const OTHER_ACCOUNT: &str = "210987654321";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_close_at_the_interval_or_at_the_size_limit() {
    let mut fixture = Fixture::new();
    fixture.config.delivery_interval = Duration::from_secs(3600);
    fixture.config.max_file_bytes = 4096;
    fixture.logging_trail("size-trail", "sized", json!({}));
    let running = fixture.start();
    let records: Vec<Value> = (0..40).map(|id| event(id, TOKYO)).collect();
    fixture.append(ACCOUNT, &records).await;
    let bucket = fixture.buckets.bucket("sized");
    wait_for(&running.handle, "size-closed files", || {
        bucket.objects().len() >= 4
    })
    .await;
    let sizes: Vec<usize> = bucket
        .objects()
        .values()
        .map(|object| gunzip_single_member(&object.body).len())
        .collect();
    let record_len = serde_json::to_vec(&records[0]).unwrap().len();
    assert!(
        sizes.iter().all(|size| *size < 4096 + record_len + 16),
        "{sizes:?}"
    );
    running.handle.flush_now();
    wait_for(&running.handle, "every record", || {
        delivered_records(&bucket).len() == 40
    })
    .await;
    running.stop().await;

    let mut timed = Fixture::new();
    timed.config.delivery_interval = Duration::from_millis(300);
    timed.logging_trail("timed-trail", "timed", json!({}));
    let running = timed.start();
    let appended = std::time::Instant::now();
    timed.append(ACCOUNT, &[event(1, TOKYO)]).await;
    let bucket = timed.buckets.bucket("timed");
    wait_for(&running.handle, "the interval", || {
        bucket.objects().len() == 1
    })
    .await;
    assert!(
        appended.elapsed() >= Duration::from_millis(250),
        "closed before its interval"
    );
    running.stop().await;
}

/// Stores the object but answers as if the connection dropped, every `every`th put.
struct LossyDestination {
    inner: MemoryDestination,
    puts: AtomicUsize,
    every: usize,
}

impl Destination for LossyDestination {
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
                .put_object(bucket, key, body, content_type, metadata)
                .await;
            match self.puts.fetch_add(1, Ordering::SeqCst) % self.every {
                0 if stored.is_ok() => Err(DestinationError::retryable("connection reset")),
                _ => stored,
            }
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_and_restarts_lose_nothing_and_duplicate_nothing() {
    let mut fixture = Fixture::new();
    fixture.config.delivery_interval = Duration::from_millis(100);
    fixture.config.max_file_bytes = 8 * 1024;
    let lossy = Arc::new(LossyDestination {
        inner: MemoryDestination::new(),
        puts: AtomicUsize::new(0),
        every: 3,
    });
    fixture.logging_trail("crash-trail", "crash", json!({"IsMultiRegionTrail": true}));
    let resolver = Arc::new(opentrail_delivery::SingleDestination(lossy.clone()));
    let start = |fixture: &Fixture| fixture.start_with(resolver.clone());
    let mut appended = Vec::new();
    let regions = [TOKYO, "us-east-1", "eu-west-1"];
    let mut running = start(&fixture);
    for round in 0..12 {
        let batch: Vec<Value> = (0..40)
            .map(|i| event(round * 100 + i, regions[i % 3]))
            .collect();
        fixture.append(ACCOUNT, &batch).await;
        appended.extend(batch);
        tokio::time::sleep(Duration::from_millis(20 + 15 * round as u64)).await;
        running.crash().await;
        running = start(&fixture);
    }
    running.handle.flush_now();
    wait_for(&running.handle, "every appended record", || {
        delivered_records(&lossy.inner).len() >= appended.len()
    })
    .await;
    running.stop().await;

    let delivered = event_ids(&delivered_records(&lossy.inner));
    let mut expected: Vec<String> = appended
        .iter()
        .map(|record| record["eventID"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(delivered, expected, "no loss and no duplicate");
    for ((_, key), _) in lossy.inner.objects() {
        let region = key.split('/').nth(3).unwrap();
        assert!(regions.contains(&region), "{key}");
    }
    let cursor = fixture
        .log
        .consumer_cursor(&opentrail_eventlog::ConsumerName::new("trail-delivery").unwrap())
        .unwrap();
    assert_eq!(cursor, fixture.log.durable_tail(), "the cursor catches up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_of_one_bucket_does_not_delay_another_trail() {
    let fixture = Fixture::new();
    fixture.logging_trail("down-trail", "down-bucket", json!({}));
    fixture.logging_trail("up-trail", "up-bucket", json!({}));
    let (down, up) = (
        fixture.buckets.bucket("down-bucket"),
        fixture.buckets.bucket("up-bucket"),
    );
    down.set_available(false);
    let running = fixture.start();
    let mut sent = 0;
    for round in 0..5 {
        let batch: Vec<Value> = (0..10).map(|i| event(round * 10 + i, TOKYO)).collect();
        fixture.append(ACCOUNT, &batch).await;
        sent += batch.len();
        wait_for(&running.handle, "the healthy trail", || {
            delivered_records(&up).len() == sent
        })
        .await;
    }
    assert!(down.objects().is_empty());
    let status = fixture.status("down-trail");
    let error = status["LatestDeliveryError"].as_str().unwrap();
    assert!(error.contains("down-bucket"), "{status}");
    assert!(status.get("LatestDeliveryTime").is_none(), "{status}");
    assert!(
        fixture
            .status("up-trail")
            .get("LatestDeliveryTime")
            .is_some()
    );

    down.set_available(true);
    wait_for(&running.handle, "the backlog", || {
        delivered_records(&down).len() == sent
    })
    .await;
    running.stop().await;
    let status = fixture.status("down-trail");
    assert!(status.get("LatestDeliveryError").is_none(), "{status}");
    assert!(status.get("LatestDeliveryTime").is_some(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_name_each_delivered_file_and_are_retried() {
    let fixture = Fixture::new();
    let topic = format!("arn:aws:sns:{TOKYO}:{ACCOUNT}:trail-notices");
    fixture.logging_trail("noisy-trail", "noisy", json!({"SnsTopicName": topic}));
    fixture.notifier.failing.store(true, Ordering::SeqCst);
    let running = fixture.start();
    fixture.append(ACCOUNT, &[event(1, TOKYO)]).await;
    let bucket = fixture.buckets.bucket("noisy");
    wait_for(&running.handle, "a failed notification", || {
        fixture
            .status("noisy-trail")
            .get("LatestNotificationError")
            .is_some()
    })
    .await;
    fixture.notifier.failing.store(false, Ordering::SeqCst);
    wait_for(&running.handle, "the notification", || {
        !fixture.notifier.sent.lock().unwrap().is_empty()
    })
    .await;
    running.stop().await;
    let key = bucket.objects().into_keys().next().unwrap().1;
    let sent = fixture.notifier.sent.lock().unwrap().clone();
    assert_eq!(sent, vec![(topic, "noisy".to_owned(), vec![key])]);
    let status = fixture.status("noisy-trail");
    assert!(status.get("LatestNotificationError").is_none(), "{status}");
    assert!(status.get("LatestNotificationTime").is_some(), "{status}");
}
