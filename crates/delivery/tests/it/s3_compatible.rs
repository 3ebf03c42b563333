//! [`S3CompatibleDestination`] against a real S3-compatible server: s3s-fs 0.14.1, which
//! `scripts/test.sh` installs into `.tools/bin` (or anywhere on PATH). Checks write-once puts,
//! user metadata, and a whole trail with validation delivering its log file and digest there.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{Attribute, ObjectStore, ObjectStoreExt};
use opentrail_delivery::{
    Destination, DestinationErrorKind, S3CompatibleDestination, S3Endpoint, SingleDestination,
};
use serde_json::json;

use crate::fixture::*;

const KEY_ID: &str = "AKIAOPENTRAILTEST";
const SECRET: &str = "opentrail-test-secret";

struct S3sFs {
    child: Child,
    _dir: tempfile::TempDir,
    endpoint: String,
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s3s_fs_binary() -> PathBuf {
    let tools = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/s3s-fs");
    if tools.is_file() {
        return tools;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("s3s-fs"))
        .find(|path| path.is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "s3s-fs not found: run scripts/test.sh once, or `cargo install --locked s3s-fs@0.14.1 \
             --features binary --root .tools` in the workspace"
        )
    })
}

/// Starts s3s-fs on a free loopback port with the given buckets (directories) created.
fn start_s3s_fs(buckets: &[&str]) -> S3sFs {
    let dir = tempfile::tempdir().unwrap();
    for bucket in buckets {
        std::fs::create_dir(dir.path().join(bucket)).unwrap();
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(s3s_fs_binary())
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", KEY_ID, "--secret-key", SECRET])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s3s-fs did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    S3sFs {
        child,
        _dir: dir,
        endpoint: format!("http://127.0.0.1:{port}"),
    }
}

fn endpoint(server: &S3sFs) -> S3Endpoint {
    S3Endpoint {
        endpoint_url: Some(server.endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: KEY_ID.into(),
        secret_access_key: SECRET.into(),
        path_style: true,
    }
}

/// Reads an object back: (body, user metadata signature if any).
async fn read_back(server: &S3sFs, bucket: &str, key: &str) -> (Bytes, Option<String>) {
    let store = AmazonS3Builder::new()
        .with_endpoint(&server.endpoint)
        .with_allow_http(true)
        .with_bucket_name(bucket)
        .with_region("us-east-1")
        .with_access_key_id(KEY_ID)
        .with_secret_access_key(SECRET)
        .build()
        .unwrap();
    let result = store.get(&Path::parse(key).unwrap()).await.unwrap();
    let signature = result
        .attributes
        .get(&Attribute::Metadata("signature".into()))
        .map(|value| value.to_string());
    (result.bytes().await.unwrap(), signature)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn puts_are_write_once_and_carry_user_metadata() {
    let server = start_s3s_fs(&["audit"]);
    let destination = S3CompatibleDestination::new(endpoint(&server));
    let metadata = [
        ("signature".to_owned(), "abc123".to_owned()),
        ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
    ];
    let put = |body: &'static str| {
        destination.put_object(
            "audit",
            "AWSLogs/1/x.json.gz",
            Bytes::from(body),
            "application/x-gzip",
            &metadata,
        )
    };
    put("first").await.unwrap();
    let again = put("second").await.unwrap_err();
    assert_eq!(again.kind, DestinationErrorKind::AlreadyExists, "{again:?}");
    let (body, signature) = read_back(&server, "audit", "AWSLogs/1/x.json.gz").await;
    assert_eq!(
        (body.as_ref(), signature.as_deref()),
        (&b"first"[..], Some("abc123"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trail_delivers_log_files_and_signed_digests_to_an_s3_server() {
    let server = start_s3s_fs(&["upstream"]);
    let mut fixture = Fixture::new();
    fixture.config.digest_interval = Duration::from_secs(1);
    fixture.logging_trail(
        "upstream-trail",
        "upstream",
        json!({"EnableLogFileValidation": true, "S3KeyPrefix": "team"}),
    );
    let destination = Arc::new(S3CompatibleDestination::new(endpoint(&server)));
    let running = fixture.start_with(Arc::new(SingleDestination(destination)));
    fixture.append(ACCOUNT, &[event(1, TOKYO)]).await;
    running.handle.flush_now();
    wait_for(&running.handle, "a log file and a digest", || {
        let counters = running.handle.counters();
        counters.log_files >= 1 && counters.digests >= 1
    })
    .await;
    running.stop().await;
    let status = fixture.status("upstream-trail");
    assert!(status.get("LatestDeliveryTime").is_some(), "{status}");
    assert!(status.get("LatestDigestDeliveryTime").is_some(), "{status}");
    let store = AmazonS3Builder::new()
        .with_endpoint(&server.endpoint)
        .with_allow_http(true)
        .with_bucket_name("upstream")
        .with_region("us-east-1")
        .with_access_key_id(KEY_ID)
        .with_secret_access_key(SECRET)
        .build()
        .unwrap();
    let listing = store
        .list_with_delimiter(None)
        .await
        .unwrap()
        .common_prefixes;
    assert_eq!(listing, vec![Path::from("team")]);
    let log_prefix = format!("team/AWSLogs/{ACCOUNT}/CloudTrail/{TOKYO}");
    let logs = leaf_keys(&store, &log_prefix).await;
    let (body, _) = read_back(&server, "upstream", &logs[0]).await;
    let records: serde_json::Value = serde_json::from_slice(&gunzip_single_member(&body)).unwrap();
    assert_eq!(records["Records"][0]["eventID"], "event-000001");
    // Digest user metadata is not read back here: s3s-fs 0.14.1 keeps metadata in a file named
    // after the percent-encoded key, which exceeds 255 bytes for a digest key, so it stores the
    // object, answers 500, and the retry finds the key taken (delivery counts that as stored).
    let digest_prefix = format!("team/AWSLogs/{ACCOUNT}/CloudTrail-Digest/{TOKYO}");
    let digests = leaf_keys(&store, &digest_prefix).await;
    let (body, _) = read_back(&server, "upstream", &digests[0]).await;
    let digest =
        opentrail_integrity::DigestFile::from_json_bytes(&gunzip_single_member(&body)).unwrap();
    assert_eq!(digest.digest_s3_object, digests[0]);
    assert_eq!(digest.previous_digest_signature, None, "a starting digest");
}

/// The keys of the first leaf folder under `prefix`, descending through the first sub-folder.
async fn leaf_keys(store: &object_store::aws::AmazonS3, prefix: &str) -> Vec<String> {
    let mut folder = Path::from(prefix);
    loop {
        let listing = store.list_with_delimiter(Some(&folder)).await.unwrap();
        if !listing.objects.is_empty() {
            return listing
                .objects
                .into_iter()
                .map(|o| o.location.to_string())
                .collect();
        }
        folder = listing
            .common_prefixes
            .into_iter()
            .next()
            .expect("a sub-folder");
    }
}
