//! `--local-dir` behaviour that has no aws CLI counterpart: digests copied without their S3 metadata
//! (the vouching fallback), and the guarantee that the worker count never changes the output.

use std::fs;

use serde_json::{Value, json};

use opentrail_validate::{
    LocalDirSource, RunOptions, ValidateArgs, read_public_keys_file, run_with_options,
};

use crate::Fixture;
use crate::fixture::gzip;

fn args(fixture: &Fixture) -> ValidateArgs {
    ValidateArgs {
        trail_arn: fixture.trail.arn(),
        start_time: "2024-05-01T00:00:00Z".parse().expect("time"),
        end_time: Some("2024-05-01T12:00:00Z".parse().expect("time")),
        s3_bucket: Some(fixture.trail.bucket.clone()),
        s3_prefix: fixture.trail.prefix.clone(),
        account_id: None,
        verbose: true,
        region: None,
    }
}

fn validate(fixture: &Fixture, workers: usize) -> (String, String, i32) {
    let keys = read_public_keys_file(&fixture.keys_file).expect("keys");
    let source = LocalDirSource::new(Some(fixture.trail.bucket.clone()), &fixture.root)
        .expect("source")
        .with_public_keys(keys);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with_options(
        &args(fixture),
        &source,
        &RunOptions { workers },
        &mut out,
        &mut err,
    );
    (
        String::from_utf8(out).expect("utf-8"),
        String::from_utf8(err).expect("utf-8"),
        code,
    )
}

fn remove_sidecars(fixture: &Fixture, keep_newest: bool) {
    let count = fixture.digests.len();
    for (index, digest) in fixture.digests.iter().enumerate() {
        if !(keep_newest && index + 1 == count) {
            fixture.writer().remove_sidecar(&digest.key);
        }
    }
}

fn digest_line(fixture: &Fixture, index: usize, verdict: &str) -> String {
    format!(
        "Digest file\ts3://{}/{}\t{verdict}",
        fixture.trail.bucket, fixture.digests[index].key
    )
}

#[test]
fn a_sidecar_on_the_newest_digest_is_enough() {
    let fixture = Fixture::chain(3, 2, None);
    remove_sidecars(&fixture, true);
    let (out, err, code) = validate(&fixture, 4);
    assert_eq!((err.as_str(), code), ("", 0), "{out}");
    assert!(
        out.contains("3/3 digest files valid") && out.contains("6/6 log files valid"),
        "{out}"
    );
}

#[test]
fn without_any_sidecar_only_the_newest_digest_is_unverifiable() {
    let fixture = Fixture::chain(3, 1, None);
    remove_sidecars(&fixture, false);
    let (out, err, code) = validate(&fixture, 4);
    let newest = fixture.digests[2].key.clone();
    assert_eq!(
        err,
        format!(
            "{}\n\n",
            digest_line(
                &fixture,
                2,
                &format!(
                    "INVALID: signature not available (no sidecar {newest}.metadata.json and no newer digest names this file)"
                )
            )
        )
    );
    assert_eq!(code, 1);
    assert!(out.contains(&digest_line(&fixture, 1, "valid")), "{out}");
    assert!(out.contains(&digest_line(&fixture, 0, "valid")), "{out}");
    assert!(
        out.contains("2/3 digest files valid, 1/3 digest files INVALID"),
        "{out}"
    );
}

#[test]
fn a_vouched_signature_still_catches_tampering() {
    let fixture = Fixture::chain(3, 1, None);
    remove_sidecars(&fixture, true);
    let middle = &fixture.digests[1];
    let mut body: Value = serde_json::from_slice(&middle.json).expect("json");
    body["logFiles"] = json!([]);
    fs::write(
        fixture.path(&middle.key),
        gzip(&serde_json::to_vec(&body).expect("json")),
    )
    .expect("tamper");
    let (out, err, code) = validate(&fixture, 4);
    let expected = digest_line(&fixture, 1, "INVALID: signature verification failed");
    assert_eq!(
        err,
        format!("\n{expected}\n\n"),
        "verbose: a valid line came first"
    );
    assert_eq!(code, 1);
    assert!(
        out.contains(&digest_line(&fixture, 0, "valid")),
        "the oldest is still vouched for: {out}"
    );
}

#[test]
fn worker_count_never_changes_the_output() {
    let fixture = Fixture::chain(4, 12, Some(2));
    for (digest, log) in [(0, 3), (1, 7), (3, 11)] {
        fs::write(fixture.path(&fixture.log_key(digest, log)), gzip(b"{}")).expect("tamper");
    }
    fs::remove_file(fixture.path(&fixture.log_key(2, 5))).expect("delete");
    let sequential = validate(&fixture, 1);
    assert_eq!(sequential.2, 1);
    assert!(
        sequential
            .0
            .contains("44/48 log files valid, 4/48 log files INVALID"),
        "{}",
        sequential.0
    );
    for workers in [2, 7, 32] {
        assert_eq!(validate(&fixture, workers), sequential, "{workers} workers");
    }
}
