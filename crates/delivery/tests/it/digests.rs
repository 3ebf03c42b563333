//! Digest chains on a manual clock: a starting digest with null previous fields, digests listing
//! the window's log files with their hashes, empty digests while idle, the chain surviving a
//! restart, a final digest after StopLogging and a new chain after StartLogging.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use opentrail_delivery::{DeliveryHandle, ManualClock, MemoryDestination};
use opentrail_integrity::{DigestFile, sha256_hex, string_to_sign, verify_signature_hex};
use serde_json::json;

use crate::fixture::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap()
}

/// Every digest in the bucket, oldest first: (key, parsed body, uncompressed bytes, signature).
fn digests(bucket: &MemoryDestination) -> Vec<(String, DigestFile, Vec<u8>, String)> {
    bucket
        .objects()
        .into_iter()
        .filter(|((_, key), _)| key.contains("/CloudTrail-Digest/"))
        .map(|((_, key), object)| {
            let json = gunzip_single_member(&object.body);
            let digest = DigestFile::from_json_bytes(&json).unwrap();
            let meta = |name: &str| {
                object
                    .metadata
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            assert_eq!(meta("signature-algorithm"), "SHA256withRSA");
            (key, digest, json, meta("signature"))
        })
        .collect()
}

async fn tick(
    clock: &ManualClock,
    handle: &DeliveryHandle,
    bucket: &MemoryDestination,
    want: usize,
) {
    clock.advance(Duration::from_secs(1));
    handle.wake();
    wait_for(handle, "a digest", || digests(bucket).len() >= want).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_chain_across_windows_restarts_and_logging_restarts() {
    let mut fixture = Fixture::new();
    let clock = Arc::new(ManualClock::new(t0()));
    fixture.clock = clock.clone();
    fixture.logging_trail(
        "chained",
        "chain-bucket",
        json!({"EnableLogFileValidation": true}),
    );
    let bucket = fixture.buckets.bucket("chain-bucket");
    let running = fixture.start();
    fixture
        .append(ACCOUNT, &[event(1, TOKYO), event(2, TOKYO)])
        .await;
    running.handle.flush_now();
    wait_for(&running.handle, "the log file", || {
        bucket.objects().len() == 1
    })
    .await;
    let (log_key, log_object) = bucket.objects().into_iter().next().unwrap();
    let log_json = gunzip_single_member(&log_object.body);

    tick(&clock, &running.handle, &bucket, 1).await;
    tick(&clock, &running.handle, &bucket, 2).await;
    running.stop().await;
    let running = fixture.start();
    tick(&clock, &running.handle, &bucket, 3).await;

    let chain = digests(&bucket);
    assert_eq!(chain.len(), 3);
    let (first_key, first, first_json, first_signature) = &chain[0];
    assert_eq!(
        first_key,
        &format!(
            "AWSLogs/{ACCOUNT}/CloudTrail-Digest/{TOKYO}/2024/05/01/{ACCOUNT}_CloudTrail-Digest_{TOKYO}_chained_{TOKYO}_20240501T100001Z.json.gz"
        )
    );
    assert_eq!(
        (first.digest_start_time, first.digest_end_time),
        (t0(), t0() + chrono::TimeDelta::seconds(1))
    );
    assert_eq!(first.previous_digest_signature, None, "a starting digest");
    assert_eq!(first.previous_digest_s3_object, None);
    assert_eq!(first.log_files.len(), 1);
    assert_eq!(first.log_files[0].s3_object, log_key.1);
    assert_eq!(first.log_files[0].hash_value, sha256_hex(&log_json));
    assert!(first.newest_event_time.is_some());
    for (index, (key, digest, json, signature)) in chain.iter().enumerate().skip(1) {
        let (previous_key, _, previous_json, previous_signature) = &chain[index - 1];
        assert!(
            digest.log_files.is_empty(),
            "idle windows give empty digests"
        );
        assert_eq!(digest.newest_event_time, None);
        assert_eq!(
            digest.previous_digest_s3_object.as_ref(),
            Some(previous_key)
        );
        assert_eq!(
            digest.previous_digest_hash_value,
            Some(sha256_hex(previous_json))
        );
        assert_eq!(
            digest.previous_digest_signature.as_ref(),
            Some(previous_signature)
        );
        assert_eq!(&digest.digest_s3_object, key);
        verify(&fixture, digest, json, signature);
    }
    verify(&fixture, first, first_json, first_signature);

    clock.advance(Duration::from_millis(500));
    fixture.call("StopLogging", json!({"Name": "chained"}));
    wait_for(&running.handle, "the final digest", || {
        digests(&bucket).len() == 4
    })
    .await;
    clock.advance(Duration::from_secs(1));
    fixture.call("StartLogging", json!({"Name": "chained"}));
    // The worker sees StartLogging within a poll of the control plane; keep the clock moving
    // until the new chain's first window closes.
    for _ in 0..20 {
        clock.advance(Duration::from_secs(1));
        running.handle.wake();
        let mut counters = running.handle.subscribe();
        let _ = tokio::time::timeout(Duration::from_millis(300), counters.changed()).await;
        if digests(&bucket).len() >= 5 {
            break;
        }
    }
    running.stop().await;
    let chain = digests(&bucket);
    assert_eq!(
        chain[3].1.previous_digest_s3_object.as_ref(),
        Some(&chain[2].0)
    );
    assert_eq!(
        chain[4].1.previous_digest_signature, None,
        "StartLogging starts a new chain"
    );
    let status = fixture.status("chained");
    assert!(status.get("LatestDigestDeliveryTime").is_some(), "{status}");
}

fn verify(fixture: &Fixture, digest: &DigestFile, json: &[u8], signature: &str) {
    let key = fixture
        .keys
        .by_fingerprint(TOKYO, &digest.digest_public_key_fingerprint)
        .expect("the signing key is in the key store");
    let message = string_to_sign(digest, &sha256_hex(json));
    verify_signature_hex(key.public_key_der(), message.as_bytes(), signature).unwrap();
}
