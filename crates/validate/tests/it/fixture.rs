//! Test fixtures: a local directory laid out like a trail's S3 bucket — gzipped log files and a
//! signed chain of digest files with `.metadata.json` sidecars holding their S3 metadata — made with a
//! freshly generated RSA key. Written from the reference (§5, §6), independently of
//! `opentrail-integrity`, so that the validator is checked against the format, not against a sibling.
//!
//! Also used by `examples/validate_bench.rs` (through `#[path]`), so it must not use test-only APIs.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use md5::Md5;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::{Pkcs1v15Sign, PrivateKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The SHA-256 DigestInfo prefix of PKCS#1 v1.5 signatures.
const SHA256_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// An RSA key pair as CloudTrail uses one per Region.
pub struct TestKey {
    private_key: PrivateKey,
    /// PKCS#1 `RSAPublicKey` DER.
    pub der: Vec<u8>,
    /// Lower-case hex MD5 of the DER.
    pub fingerprint: String,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TestKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl TestKey {
    /// A new 2048-bit key.
    pub fn generate() -> TestKey {
        let private_key =
            PrivateKey::new(&mut getrandom::SysRng, 2048).expect("rsa key generation");
        let der = private_key
            .to_public_key()
            .to_pkcs1_der()
            .expect("pkcs1 der")
            .as_bytes()
            .to_vec();
        let fingerprint = hex::encode(Md5::digest(&der));
        TestKey {
            private_key,
            der,
            fingerprint,
        }
    }

    /// SHA256withRSA signature of `message`, lower-case hex.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        let mut prefixed = SHA256_PREFIX.to_vec();
        prefixed.extend_from_slice(&Sha256::digest(message));
        let signature = self
            .private_key
            .sign(Pkcs1v15Sign::new_unprefixed(), &prefixed)
            .expect("rsa signing");
        hex::encode(signature)
    }

    /// One `PublicKeyList` entry valid over the whole test period.
    pub fn public_key_json(&self) -> Value {
        json!({
            "Value": base64(&self.der),
            "ValidityStartTime": 1_000_000_000,
            "ValidityEndTime": 4_000_000_000u64,
            "Fingerprint": self.fingerprint,
        })
    }
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0u32, |word, (index, byte)| {
            word | (u32::from(*byte) << (16 - 8 * index))
        });
        for position in 0..4 {
            out.push(if position <= chunk.len() {
                ALPHABET[((word >> (18 - 6 * position)) & 0x3f) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// gzip of `data` (one member).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 8), Compression::default());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// The trail whose files a fixture holds.
#[derive(Debug, Clone)]
pub struct TrailSpec {
    /// Account id.
    pub account: String,
    /// Home and source Region.
    pub region: String,
    /// Trail name.
    pub name: String,
    /// Bucket name.
    pub bucket: String,
    /// Key prefix (`S3KeyPrefix`), if any.
    pub prefix: Option<String>,
    /// Organization id for an organization trail.
    pub organization: Option<String>,
}

impl TrailSpec {
    /// The fixture trail used by the tests.
    pub fn standard() -> TrailSpec {
        TrailSpec {
            account: "123456789012".to_owned(),
            region: "us-east-1".to_owned(),
            name: "audit".to_owned(),
            bucket: "audit-bucket".to_owned(),
            prefix: Some("trail".to_owned()),
            organization: None,
        }
    }

    /// The trail ARN.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:cloudtrail:{}:{}:trail/{}",
            self.region, self.account, self.name
        )
    }

    fn prefixed(&self, key: String) -> String {
        let key = match &self.organization {
            Some(organization) => key.replacen("AWSLogs/", &format!("AWSLogs/{organization}/"), 1),
            None => key,
        };
        match &self.prefix {
            Some(prefix) => format!("{prefix}/{key}"),
            None => key,
        }
    }

    /// The digest key for a digest ending at `end` (reference §6.1).
    pub fn digest_key(&self, end: DateTime<Utc>, backfill: bool) -> String {
        let suffix = if backfill { "_backfill" } else { "" };
        self.prefixed(format!(
            "AWSLogs/{account}/CloudTrail-Digest/{region}/{date}/{account}_CloudTrail-Digest_{region}_{name}_{region}_{stamp}{suffix}.json.gz",
            account = self.account,
            region = self.region,
            date = end.format("%Y/%m/%d"),
            name = self.name,
            stamp = end.format("%Y%m%dT%H%M%SZ"),
        ))
    }

    /// A log file key delivered at `time` (reference §5).
    pub fn log_key(&self, time: DateTime<Utc>, unique: &str) -> String {
        self.prefixed(format!(
            "AWSLogs/{account}/CloudTrail/{region}/{date}/{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz",
            account = self.account,
            region = self.region,
            date = time.format("%Y/%m/%d"),
            stamp = time.format("%Y%m%dT%H%MZ"),
        ))
    }

    /// The DescribeTrails entry.
    pub fn trail_json(&self) -> Value {
        let mut trail = json!({
            "Name": self.name,
            "TrailARN": self.arn(),
            "S3BucketName": self.bucket,
            "HomeRegion": self.region,
            "LogFileValidationEnabled": true,
            "IsOrganizationTrail": self.organization.is_some(),
        });
        if let Some(prefix) = &self.prefix {
            trail["S3KeyPrefix"] = json!(prefix);
        }
        trail
    }
}

/// One digest as written.
#[derive(Debug, Clone)]
pub struct WrittenDigest {
    /// Object key.
    pub key: String,
    /// Its signature (hex).
    pub signature: String,
    /// Uncompressed JSON bytes.
    pub json: Vec<u8>,
    /// Log entries it lists.
    pub log_files: Vec<Value>,
}

/// Writes a bucket copy: log files and a digest chain.
#[derive(Debug)]
pub struct BucketWriter<'k> {
    /// The bucket directory.
    pub root: PathBuf,
    /// The trail.
    pub trail: TrailSpec,
    key: &'k TestKey,
    previous: Option<WrittenDigest>,
}

impl<'k> BucketWriter<'k> {
    /// A writer into `root` (created).
    pub fn new(root: &Path, trail: TrailSpec, key: &'k TestKey) -> Self {
        fs::create_dir_all(root).expect("bucket dir");
        BucketWriter {
            root: root.to_path_buf(),
            trail,
            key,
            previous: None,
        }
    }

    /// The file for an object key.
    pub fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// Writes an object (and its parent folders).
    pub fn put(&self, key: &str, bytes: &[u8]) {
        let path = self.path(key);
        fs::create_dir_all(path.parent().expect("parent")).expect("folders");
        fs::write(path, bytes).expect("object");
    }

    /// Writes a gzipped log file of `records` delivered at `time`; returns its digest entry.
    pub fn write_log(&self, time: DateTime<Utc>, unique: &str, records: &[String]) -> Value {
        let body = format!("{{\"Records\":[{}]}}", records.join(","));
        let key = self.trail.log_key(time, unique);
        self.put(&key, &gzip(body.as_bytes()));
        json!({
            "s3Bucket": self.trail.bucket,
            "s3Object": key,
            "hashValue": hex::encode(Sha256::digest(body.as_bytes())),
            "hashAlgorithm": "SHA-256",
            "newestEventTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "oldestEventTime": (time - Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })
    }

    /// Writes already gzipped log bytes (whose uncompressed SHA-256 is `sha256_hex`) delivered at
    /// `time`; returns its digest entry.
    pub fn write_log_bytes(
        &self,
        time: DateTime<Utc>,
        unique: &str,
        gzipped: &[u8],
        sha256_hex: &str,
    ) -> Value {
        let key = self.trail.log_key(time, unique);
        self.put(&key, gzipped);
        json!({
            "s3Bucket": self.trail.bucket,
            "s3Object": key,
            "hashValue": sha256_hex,
            "hashAlgorithm": "SHA-256",
            "newestEventTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "oldestEventTime": (time - Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })
    }

    /// The next digest starts a new chain (all `previousDigest*` null).
    pub fn restart_chain(&mut self) {
        self.previous = None;
    }

    /// Writes, signs and links a digest for `[start, end]` listing `log_files`.
    pub fn write_digest(
        &mut self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        log_files: Vec<Value>,
    ) -> WrittenDigest {
        self.write_digest_with(start, end, log_files, false, None)
    }

    /// [`Self::write_digest`] with a backfill key and metadata.
    pub fn write_backfill_digest(
        &mut self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        log_files: Vec<Value>,
        generated: DateTime<Utc>,
    ) -> WrittenDigest {
        self.write_digest_with(start, end, log_files, true, Some(generated))
    }

    fn write_digest_with(
        &mut self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        log_files: Vec<Value>,
        backfill: bool,
        generated: Option<DateTime<Utc>>,
    ) -> WrittenDigest {
        let key = self.trail.digest_key(end, backfill);
        let body = self.digest_body(start, end, &key, &log_files);
        let json = serde_json::to_vec(&body).expect("digest json");
        let signature = self.key.sign_hex(string_to_sign(&body, &json).as_bytes());
        self.put(&key, &gzip(&json));
        let mut metadata = json!({"signature": signature, "signature-algorithm": "SHA256withRSA"});
        if let Some(generated) = generated {
            metadata["backfill-generation-timestamp"] =
                json!(generated.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
        self.write_sidecar(&key, &metadata);
        let written = WrittenDigest {
            key,
            signature,
            json,
            log_files,
        };
        if !backfill {
            self.previous = Some(written.clone());
        }
        written
    }

    fn digest_body(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        key: &str,
        log_files: &[Value],
    ) -> Value {
        let time = |value: DateTime<Utc>| value.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let previous = self.previous.as_ref();
        json!({
            "awsAccountId": self.trail.account,
            "digestStartTime": time(start),
            "digestEndTime": time(end),
            "digestS3Bucket": self.trail.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": self.key.fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": if log_files.is_empty() { Value::Null } else { json!(time(end)) },
            "oldestEventTime": if log_files.is_empty() { Value::Null } else { json!(time(start)) },
            "previousDigestS3Bucket": previous.map(|_| json!(self.trail.bucket)).unwrap_or(Value::Null),
            "previousDigestS3Object": previous.map(|digest| json!(digest.key)).unwrap_or(Value::Null),
            "previousDigestHashValue": previous.map(|digest| json!(hex::encode(Sha256::digest(&digest.json)))).unwrap_or(Value::Null),
            "previousDigestHashAlgorithm": previous.map(|_| json!("SHA-256")).unwrap_or(Value::Null),
            "previousDigestSignature": previous.map(|digest| json!(digest.signature)).unwrap_or(Value::Null),
            "logFiles": log_files,
        })
    }

    /// Writes `<key>.metadata.json`.
    pub fn write_sidecar(&self, key: &str, metadata: &Value) {
        let path = format!("{key}.metadata.json");
        self.put(&path, &serde_json::to_vec(metadata).expect("sidecar"));
    }

    /// Removes a digest's sidecar.
    pub fn remove_sidecar(&self, key: &str) {
        fs::remove_file(self.path(&format!("{key}.metadata.json"))).expect("remove sidecar");
    }

    /// Re-signs an existing digest with `key` (content unchanged), rewriting its sidecar.
    pub fn resign(&self, digest: &WrittenDigest, key: &TestKey) {
        let body: Value = serde_json::from_slice(&digest.json).expect("digest json");
        let signature = key.sign_hex(string_to_sign(&body, &digest.json).as_bytes());
        self.write_sidecar(
            &digest.key,
            &json!({"signature": signature, "signature-algorithm": "SHA256withRSA"}),
        );
    }

    /// Writes `PublicKeyList` JSON for `keys` to `path` (the `--public-keys` file shape).
    pub fn write_public_keys_file(path: &Path, keys: &[&TestKey]) {
        let list: Vec<Value> = keys.iter().map(|key| key.public_key_json()).collect();
        fs::write(
            path,
            serde_json::to_vec_pretty(&json!({"PublicKeyList": list})).expect("json"),
        )
        .expect("keys file");
    }
}

/// The signed string (reference §6.3).
pub fn string_to_sign(body: &Value, json: &[u8]) -> String {
    let text = |name: &str| body[name].as_str().unwrap_or("null").to_owned();
    format!(
        "{}\n{}/{}\n{}\n{}",
        text("digestEndTime"),
        text("digestS3Bucket"),
        text("digestS3Object"),
        hex::encode(Sha256::digest(json)),
        text("previousDigestSignature")
    )
}

/// Synthetic CloudTrail records (shape of §7), `count` of them, about `size` bytes each.
pub fn synthetic_records(count: usize, seed: usize) -> Vec<String> {
    (0..count)
        .map(|index| {
            let n = seed * 100_000 + index;
            json!({
                "eventVersion": "1.09",
                "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{n:016}"), "arn": format!("arn:aws:iam::123456789012:user/u{n}"), "accountId": "123456789012", "userName": format!("u{n}")},
                "eventTime": "2024-05-01T00:00:00Z",
                "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject",
                "awsRegion": "us-east-1",
                "sourceIPAddress": "192.0.2.1",
                "userAgent": "aws-cli/1.46.3",
                "requestParameters": {"bucketName": "data", "key": format!("object-{n}")},
                "responseElements": null,
                "requestID": format!("REQ{n:013}"),
                "eventID": format!("00000000-0000-4000-8000-{n:012}"),
                "readOnly": true,
                "eventType": "AwsApiCall",
                "managementEvent": false,
                "recipientAccountId": "123456789012",
                "eventCategory": "Data"
            })
            .to_string()
        })
        .collect()
}
