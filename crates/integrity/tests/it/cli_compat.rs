//! End-to-end compatibility with the real `aws cloudtrail validate-logs` code (awscli 1.46.3).
//!
//! Builds what delivery would upload for one trail over three hours (log files, a chain of three
//! digests with a key rotation before the third, the region's public keys) into a temp directory
//! and runs `tests/validate_logs_compat.py` with the interpreter named by `OT_PYTHON`. The script
//! drives the CLI's own command class with in-memory S3/CloudTrail clients over those files. It
//! does not test the HTTP wire format (the server's tests do).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opentrail_integrity::{
    DigestFile, DigestLogFile, KeyStore, SIGNATURE_ALGORITHM, SignedDigest, digest_file_key,
    format_digest_time, gzip_single_member, log_file_key, random_file_suffix, sign_digest,
};
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "audit-bucket";
const PREFIX: &str = "team/audit";
const REGION: &str = "us-east-1";
const TRAIL: &str = "main-trail";

/// What the fixture holds, for the script's expectations.
struct Scenario {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    digest_keys: Vec<String>,
    log_keys: Vec<String>,
    metadata: serde_json::Map<String, Value>,
}

fn first_digest_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 1, 31).unwrap()
}

fn write_object(root: &Path, key: &str, bytes: &[u8]) {
    let path = root.join("objects").join(BUCKET).join(key);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// One delivered log file with `count` events ending at `newest`; returns its digest entry.
fn deliver_log_file(
    root: &Path,
    scenario: &mut Scenario,
    newest: DateTime<Utc>,
    count: i64,
) -> DigestLogFile {
    let oldest = newest - TimeDelta::minutes(count - 1);
    let records: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "eventVersion": "1.11",
                "eventTime": format_digest_time(oldest + TimeDelta::minutes(i)),
                "eventSource": "cloudtrail.amazonaws.com",
                "eventName": "DescribeTrails",
                "awsRegion": REGION,
                "eventID": format!("00000000-0000-4000-8000-{i:012}"),
            })
        })
        .collect();
    let body = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    let delivered_at = newest + TimeDelta::minutes(4);
    let key = log_file_key(PREFIX, ACCOUNT, REGION, delivered_at, &random_file_suffix());
    write_object(root, &key, &gzip_single_member(&body, 6));
    scenario.log_keys.push(key.clone());
    DigestLogFile::new(BUCKET, key, &body, newest, oldest)
}

/// Signs and uploads one digest covering `[start, start + 1 h]` with the region's current key.
fn deliver_digest(
    root: &Path,
    keys: &KeyStore,
    scenario: &mut Scenario,
    start: DateTime<Utc>,
    log_files: Vec<DigestLogFile>,
    previous: Option<&(String, SignedDigest)>,
) -> (String, SignedDigest) {
    let end = start + TimeDelta::hours(1);
    let signed_at = end + TimeDelta::minutes(5);
    let key_pair = keys.current(REGION, signed_at).unwrap();
    let object = digest_file_key(PREFIX, ACCOUNT, REGION, TRAIL, REGION, end);
    let mut digest = DigestFile::new(ACCOUNT, start, end, BUCKET, &object, key_pair.fingerprint());
    if let Some((previous_object, previous_signed)) = previous {
        digest.link_previous(BUCKET, previous_object, previous_signed);
    }
    for entry in log_files {
        digest.push_log_file(entry);
    }
    let signed = sign_digest(&digest, &key_pair);
    write_object(root, &object, &signed.gzipped);
    scenario.metadata.insert(
        format!("{BUCKET}/{object}"),
        json!({ "signature": signed.signature_hex, "signature-algorithm": SIGNATURE_ALGORITHM }),
    );
    scenario.digest_keys.push(object.clone());
    scenario.end = end;
    (object, signed)
}

/// Three hourly digests: two log files, then none (null event times), then one after a key rotation.
fn build_fixture(root: &Path, keys: &KeyStore) -> Scenario {
    let start = first_digest_start();
    let mut scenario = Scenario {
        start,
        end: start,
        digest_keys: Vec::new(),
        log_keys: Vec::new(),
        metadata: serde_json::Map::new(),
    };
    let logs = vec![
        deliver_log_file(root, &mut scenario, start + TimeDelta::minutes(10), 3),
        deliver_log_file(root, &mut scenario, start + TimeDelta::minutes(40), 2),
    ];
    let first = deliver_digest(root, keys, &mut scenario, start, logs, None);
    let second_start = start + TimeDelta::hours(1);
    let second = deliver_digest(
        root,
        keys,
        &mut scenario,
        second_start,
        Vec::new(),
        Some(&first),
    );
    let third_start = start + TimeDelta::hours(2);
    keys.rotate(REGION, third_start + TimeDelta::minutes(30))
        .unwrap();
    let logs = vec![deliver_log_file(
        root,
        &mut scenario,
        third_start + TimeDelta::minutes(20),
        4,
    )];
    deliver_digest(root, keys, &mut scenario, third_start, logs, Some(&second));
    scenario
}

fn write_json(path: PathBuf, value: &Value) {
    fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// The side files the script reads: scenario, metadata, and the keys ListPublicKeys would return
/// for the range the CLI asks for (`start`, `end + 2 h`).
fn write_side_files(root: &Path, keys: &KeyStore, scenario: &Scenario) {
    let public_keys: Vec<Value> = keys
        .public_keys(REGION, scenario.start, scenario.end + TimeDelta::hours(2))
        .into_iter()
        .map(|k| {
            json!({
                "fingerprint": k.fingerprint,
                "derHex": hex::encode(&k.der),
                "validityStart": k.validity_start.to_rfc3339(),
                "validityEnd": k.validity_end.to_rfc3339(),
            })
        })
        .collect();
    assert_eq!(
        public_keys.len(),
        2,
        "both keys of the chain must be listed"
    );
    write_json(root.join("public_keys.json"), &Value::Array(public_keys));
    write_json(
        root.join("metadata.json"),
        &Value::Object(scenario.metadata.clone()),
    );
    let scenario_json = json!({
        "trailArn": format!("arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"),
        "region": REGION,
        "bucket": BUCKET,
        "prefix": PREFIX,
        "startTime": format_digest_time(scenario.start),
        "endTime": format_digest_time(scenario.end),
        "digestKeys": scenario.digest_keys,
        "logKeys": scenario.log_keys,
        "expectedDigests": scenario.digest_keys.len(),
        "expectedLogFiles": scenario.log_keys.len(),
    });
    write_json(root.join("scenario.json"), &scenario_json);
}

fn python_with_awscli() -> String {
    std::env::var("OT_PYTHON").unwrap_or_else(|_| {
        panic!(
            "OT_PYTHON is not set: point it at a Python interpreter with awscli==1.46.3 installed \
             (e.g. python3 -m venv /tmp/venv && /tmp/venv/bin/pip install awscli==1.46.3 && \
             OT_PYTHON=/tmp/venv/bin/python cargo test -p opentrail-integrity)"
        )
    })
}

#[test]
fn validate_logs_accepts_opentrail_digest_chain_and_rejects_tampering() {
    let python = python_with_awscli();
    let work = tempfile::tempdir().unwrap();
    let keys = KeyStore::open(&work.path().join("keys")).unwrap();
    let fixture = work.path().join("fixture");
    let scenario = build_fixture(&fixture, &keys);
    write_side_files(&fixture, &keys, &scenario);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_logs_compat.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(&fixture)
        .output()
        .unwrap_or_else(|e| panic!("cannot run OT_PYTHON={python:?}: {e}"));
    assert!(
        output.status.success(),
        "validate-logs compatibility script failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    // Shown with `--nocapture`: the CLI's own verbose report.
    println!("{}", String::from_utf8_lossy(&output.stdout));
}
