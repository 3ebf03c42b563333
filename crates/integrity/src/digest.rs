//! The digest file format (reference §6.2) and how one is signed (§6.3).
//!
//! A digest is rendered to JSON once; those exact bytes are hashed, signed and gzipped, and the
//! signature travels as S3 object metadata, never inside the file. This module defines the only
//! serialised form of a digest in OpenTrail. It does not upload anything or decide which log files
//! belong in which hour: the delivery consumer does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::IntegrityError;
use crate::gzip::gzip_single_member;
use crate::keys::{SIGNATURE_ALGORITHM, SigningKeyPair};

/// The value of every `hashAlgorithm` / `previousDigestHashAlgorithm` field.
pub const HASH_ALGORITHM: &str = "SHA-256";

/// Gzip level for digest files (they are small; speed does not matter).
const DIGEST_GZIP_LEVEL: u32 = 6;

/// The digest file of §6.2, every field with its exact JSON name; previous-digest fields and event
/// times are `None` when absent and rendered as JSON `null`. Field order follows CloudTrail's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestFile {
    /// `awsAccountId`.
    pub aws_account_id: String,
    /// `digestStartTime`: start of the delivery-time window covered.
    #[serde(with = "digest_time")]
    pub digest_start_time: DateTime<Utc>,
    /// `digestEndTime`: end of the window; also in the string to sign and the object key.
    #[serde(with = "digest_time")]
    pub digest_end_time: DateTime<Utc>,
    /// `digestS3Bucket`: the bucket this digest is written to.
    pub digest_s3_bucket: String,
    /// `digestS3Object`: the full key of this digest (see [`crate::digest_file_key`]).
    pub digest_s3_object: String,
    /// `digestPublicKeyFingerprint`: [`SigningKeyPair::fingerprint`] of the signing key.
    pub digest_public_key_fingerprint: String,
    /// `digestSignatureAlgorithm`: always `SHA256withRSA`.
    pub digest_signature_algorithm: String,
    /// `newestEventTime`: newest event over all listed log files; `None` when there are none.
    #[serde(with = "optional_digest_time")]
    pub newest_event_time: Option<DateTime<Utc>>,
    /// `oldestEventTime`: oldest event over all listed log files; `None` when there are none.
    #[serde(with = "optional_digest_time")]
    pub oldest_event_time: Option<DateTime<Utc>>,
    /// `previousDigestS3Bucket`; `None` for a starting digest.
    pub previous_digest_s3_bucket: Option<String>,
    /// `previousDigestS3Object`; `None` for a starting digest.
    pub previous_digest_s3_object: Option<String>,
    /// `previousDigestHashValue`: hex SHA-256 of the previous digest's uncompressed bytes.
    pub previous_digest_hash_value: Option<String>,
    /// `previousDigestHashAlgorithm`: `SHA-256`, or `None` for a starting digest.
    pub previous_digest_hash_algorithm: Option<String>,
    /// `previousDigestSignature`: the previous digest's signature hex; `None` for a starting digest.
    pub previous_digest_signature: Option<String>,
    /// `logFiles`: one entry per log file delivered in the window (may be empty).
    pub log_files: Vec<DigestLogFile>,
}

/// One `logFiles[]` entry of a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestLogFile {
    /// `s3Bucket`: where the log file was delivered.
    pub s3_bucket: String,
    /// `s3Object`: the log file's key.
    pub s3_object: String,
    /// `hashValue`: lower-case hex SHA-256 of the *uncompressed* log file.
    pub hash_value: String,
    /// `hashAlgorithm`: always `SHA-256`.
    pub hash_algorithm: String,
    /// `newestEventTime`: newest event time inside the file.
    #[serde(with = "digest_time")]
    pub newest_event_time: DateTime<Utc>,
    /// `oldestEventTime`: oldest event time inside the file.
    #[serde(with = "digest_time")]
    pub oldest_event_time: DateTime<Utc>,
}

impl DigestLogFile {
    /// The entry for a log file whose uncompressed content is `uncompressed` (hashed here).
    pub fn new(
        s3_bucket: impl Into<String>,
        s3_object: impl Into<String>,
        uncompressed: &[u8],
        newest_event_time: DateTime<Utc>,
        oldest_event_time: DateTime<Utc>,
    ) -> Self {
        DigestLogFile {
            s3_bucket: s3_bucket.into(),
            s3_object: s3_object.into(),
            hash_value: sha256_hex(uncompressed),
            hash_algorithm: HASH_ALGORITHM.to_string(),
            newest_event_time,
            oldest_event_time,
        }
    }
}

impl DigestFile {
    /// A starting digest (all `previousDigest*` null) with no log files yet, for the key `fingerprint`.
    /// Chain it with [`DigestFile::link_previous`] and add entries with [`DigestFile::push_log_file`].
    pub fn new(
        aws_account_id: impl Into<String>,
        digest_start_time: DateTime<Utc>,
        digest_end_time: DateTime<Utc>,
        digest_s3_bucket: impl Into<String>,
        digest_s3_object: impl Into<String>,
        digest_public_key_fingerprint: impl Into<String>,
    ) -> Self {
        DigestFile {
            aws_account_id: aws_account_id.into(),
            digest_start_time,
            digest_end_time,
            digest_s3_bucket: digest_s3_bucket.into(),
            digest_s3_object: digest_s3_object.into(),
            digest_public_key_fingerprint: digest_public_key_fingerprint.into(),
            digest_signature_algorithm: SIGNATURE_ALGORITHM.to_string(),
            newest_event_time: None,
            oldest_event_time: None,
            previous_digest_s3_bucket: None,
            previous_digest_s3_object: None,
            previous_digest_hash_value: None,
            previous_digest_hash_algorithm: None,
            previous_digest_signature: None,
            log_files: Vec::new(),
        }
    }

    /// Points this digest at the previous one in the chain: its location and its signed form.
    pub fn link_previous(&mut self, bucket: &str, object: &str, previous: &SignedDigest) {
        self.previous_digest_s3_bucket = Some(bucket.to_string());
        self.previous_digest_s3_object = Some(object.to_string());
        self.previous_digest_hash_value = Some(previous.sha256_hex.clone());
        self.previous_digest_hash_algorithm = Some(HASH_ALGORITHM.to_string());
        self.previous_digest_signature = Some(previous.signature_hex.clone());
    }

    /// Adds a log file entry and widens `newestEventTime` / `oldestEventTime` to cover it.
    pub fn push_log_file(&mut self, entry: DigestLogFile) {
        self.newest_event_time = Some(match self.newest_event_time {
            Some(t) => t.max(entry.newest_event_time),
            None => entry.newest_event_time,
        });
        self.oldest_event_time = Some(match self.oldest_event_time {
            Some(t) => t.min(entry.oldest_event_time),
            None => entry.oldest_event_time,
        });
        self.log_files.push(entry);
    }

    /// The uncompressed JSON bytes, compact, fields in CloudTrail's order. Render once and keep
    /// the bytes: the hash and the signature cover exactly them.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Only strings, nulls and arrays of plain structs: serialisation into a Vec cannot fail.
        serde_json::to_vec(self).expect("digest file serialises to JSON")
    }

    /// Parses a digest file's uncompressed JSON (for checks and tests).
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, IntegrityError> {
        serde_json::from_slice(bytes).map_err(|e| IntegrityError::InvalidDigestJson(e.to_string()))
    }
}

/// Everything needed to upload one digest: the uncompressed JSON, its SHA-256 hex, the signature
/// hex (the `signature` object metadata) and the gzipped bytes (single member) to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDigest {
    /// The uncompressed JSON that was hashed.
    pub json: Vec<u8>,
    /// Lower-case hex SHA-256 of `json`: the next digest's `previousDigestHashValue`.
    pub sha256_hex: String,
    /// Lower-case hex SHA256withRSA signature of the §6.3 string to sign.
    pub signature_hex: String,
    /// `json` as one gzip member: the object body.
    pub gzipped: Vec<u8>,
}

/// Renders, hashes, signs and gzips `digest` with `key` (whose fingerprint should be the digest's).
pub fn sign_digest(digest: &DigestFile, key: &SigningKeyPair) -> SignedDigest {
    let json = digest.to_json_bytes();
    let sha256_hex = sha256_hex(&json);
    let signature_hex = key.sign_hex(string_to_sign(digest, &sha256_hex).as_bytes());
    let gzipped = gzip_single_member(&json, DIGEST_GZIP_LEVEL);
    SignedDigest {
        json,
        sha256_hex,
        signature_hex,
        gzipped,
    }
}

/// The §6.3 string to sign: end time, `bucket/object`, hash of the uncompressed digest, previous
/// signature or `null`, joined by `\n` with no trailing newline.
pub fn string_to_sign(digest: &DigestFile, digest_sha256_hex: &str) -> String {
    format!(
        "{}\n{}/{}\n{}\n{}",
        crate::format_digest_time(digest.digest_end_time),
        digest.digest_s3_bucket,
        digest.digest_s3_object,
        digest_sha256_hex,
        digest
            .previous_digest_signature
            .as_deref()
            .unwrap_or("null"),
    )
}

/// Lower-case hex SHA-256 of `bytes`: every `hashValue` in a digest.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Serde glue for `YYYY-MM-DDTHH:MM:SSZ` timestamps.
mod digest_time {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::format_digest_time(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    pub fn parse(text: &str) -> Result<DateTime<Utc>, String> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ")
            .map(|t| t.and_utc())
            .map_err(|e| format!("invalid digest time {text:?}: {e}"))
    }
}

/// Serde glue for optional timestamps, `null` when absent.
mod optional_digest_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::digest_time::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| super::digest_time::parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use chrono::TimeZone;
    use flate2::bufread::GzDecoder;

    use super::*;
    use crate::test_support::test_key;
    use crate::verify_signature_hex;

    fn at(h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2015, 8, 17, h, mi, s).unwrap()
    }

    fn starting_digest() -> DigestFile {
        DigestFile::new(
            "111122223333",
            at(14, 1, 31),
            at(15, 1, 31),
            "b",
            "k1.json.gz",
            "fp",
        )
    }

    /// A digest chained to `previous` with one log file.
    fn chained_digest(previous: &SignedDigest) -> DigestFile {
        let mut digest = DigestFile::new(
            "111122223333",
            at(15, 1, 31),
            at(16, 1, 31),
            "b",
            "k2.json.gz",
            "fp",
        );
        digest.link_previous("b", "k1.json.gz", previous);
        digest.push_log_file(DigestLogFile::new(
            "b",
            "log.json.gz",
            b"{}",
            at(15, 30, 0),
            at(15, 20, 0),
        ));
        digest
    }

    fn fake_signed(sha256_hex: &str, signature_hex: &str) -> SignedDigest {
        SignedDigest {
            json: Vec::new(),
            sha256_hex: sha256_hex.to_string(),
            signature_hex: signature_hex.to_string(),
            gzipped: Vec::new(),
        }
    }

    fn check_json(digest: &DigestFile, expected: &str) {
        assert_eq!(String::from_utf8(digest.to_json_bytes()).unwrap(), expected);
        assert_eq!(
            &DigestFile::from_json_bytes(expected.as_bytes()).unwrap(),
            digest
        );
    }

    #[test]
    fn json_has_cloudtrail_names_order_and_nulls() {
        let starting = concat!(
            r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z","#,
            r#""digestEndTime":"2015-08-17T15:01:31Z","digestS3Bucket":"b","digestS3Object":"k1.json.gz","#,
            r#""digestPublicKeyFingerprint":"fp","digestSignatureAlgorithm":"SHA256withRSA","#,
            r#""newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"#,
            r#""previousDigestS3Object":null,"previousDigestHashValue":null,"#,
            r#""previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}"#,
        );
        let chained = concat!(
            r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T15:01:31Z","#,
            r#""digestEndTime":"2015-08-17T16:01:31Z","digestS3Bucket":"b","digestS3Object":"k2.json.gz","#,
            r#""digestPublicKeyFingerprint":"fp","digestSignatureAlgorithm":"SHA256withRSA","#,
            r#""newestEventTime":"2015-08-17T15:30:00Z","oldestEventTime":"2015-08-17T15:20:00Z","#,
            r#""previousDigestS3Bucket":"b","previousDigestS3Object":"k1.json.gz","#,
            r#""previousDigestHashValue":"aa11","previousDigestHashAlgorithm":"SHA-256","#,
            r#""previousDigestSignature":"bb22","logFiles":[{"s3Bucket":"b","s3Object":"log.json.gz","#,
            r#""hashValue":"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","#,
            r#""hashAlgorithm":"SHA-256","newestEventTime":"2015-08-17T15:30:00Z","#,
            r#""oldestEventTime":"2015-08-17T15:20:00Z"}]}"#,
        );
        check_json(&starting_digest(), starting);
        check_json(&chained_digest(&fake_signed("aa11", "bb22")), chained);
    }

    #[test]
    fn parses_a_digest_shaped_like_the_user_guide_sample() {
        let sample = r#"{
            "awsAccountId": "111122223333", "digestStartTime": "2015-08-17T14:01:31Z",
            "digestEndTime": "2015-08-17T15:01:31Z", "digestS3Bucket": "amzn-s3-demo-bucket",
            "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
            "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": "2015-08-17T14:52:27Z", "oldestEventTime": "2015-08-17T14:42:27Z",
            "previousDigestS3Bucket": "amzn-s3-demo-bucket",
            "previousDigestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T140131Z.json.gz",
            "previousDigestHashValue": "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d",
            "previousDigestHashAlgorithm": "SHA-256", "previousDigestSignature": "50887ccffad4c002",
            "logFiles": [{
                "s3Bucket": "amzn-s3-demo-bucket",
                "s3Object": "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz",
                "hashValue": "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6",
                "hashAlgorithm": "SHA-256",
                "newestEventTime": "2015-08-17T14:52:27Z", "oldestEventTime": "2015-08-17T14:42:27Z"
            }]
        }"#;
        let digest = DigestFile::from_json_bytes(sample.as_bytes()).unwrap();
        assert_eq!(digest.digest_end_time, at(15, 1, 31));
        assert_eq!(digest.newest_event_time, Some(at(14, 52, 27)));
        assert_eq!(digest.log_files.len(), 1);
        assert_eq!(
            digest.previous_digest_hash_algorithm.as_deref(),
            Some(HASH_ALGORITHM)
        );
    }

    #[test]
    fn malformed_digest_json_is_refused() {
        let valid = String::from_utf8(starting_digest().to_json_bytes()).unwrap();
        let cases = [
            valid.replace(r#""digestEndTime":"2015-08-17T15:01:31Z","#, ""),
            valid.replace("2015-08-17T15:01:31Z", "2015-08-17 15:01:31"),
            valid.replace(r#""logFiles":[]"#, r#""logFiles":null"#),
            "[]".to_string(),
        ];
        for text in cases {
            let result = DigestFile::from_json_bytes(text.as_bytes());
            assert!(
                matches!(result, Err(IntegrityError::InvalidDigestJson(_))),
                "{text}: {result:?}"
            );
        }
    }

    #[test]
    fn string_to_sign_has_four_lines_and_no_trailing_newline() {
        let cases = [
            (
                starting_digest(),
                "2015-08-17T15:01:31Z\nb/k1.json.gz\nc0ffee\nnull",
            ),
            (
                chained_digest(&fake_signed("aa11", "bb22")),
                "2015-08-17T16:01:31Z\nb/k2.json.gz\nc0ffee\nbb22",
            ),
        ];
        for (digest, expected) in cases {
            assert_eq!(string_to_sign(&digest, "c0ffee"), expected);
        }
    }

    #[test]
    fn push_log_file_widens_the_event_time_range() {
        let mut digest = starting_digest();
        let entries = [
            (at(14, 30, 0), at(14, 20, 0), at(14, 30, 0), at(14, 20, 0)),
            (at(14, 25, 0), at(13, 0, 0), at(14, 30, 0), at(13, 0, 0)),
            (at(14, 59, 0), at(14, 58, 0), at(14, 59, 0), at(13, 0, 0)),
        ];
        for (newest, oldest, expected_newest, expected_oldest) in entries {
            digest.push_log_file(DigestLogFile::new("b", "l", b"x", newest, oldest));
            assert_eq!(digest.newest_event_time, Some(expected_newest));
            assert_eq!(digest.oldest_event_time, Some(expected_oldest));
        }
        assert_eq!(digest.log_files.len(), 3);
    }

    #[test]
    fn signed_digest_hashes_signs_and_gzips_the_same_bytes_and_chains() {
        let key = test_key();
        let first = sign_digest(&starting_digest(), key);
        let second_digest = chained_digest(&first);
        let second = sign_digest(&second_digest, key);
        for (digest, signed) in [
            (starting_digest(), &first),
            (second_digest.clone(), &second),
        ] {
            assert_eq!(signed.json, digest.to_json_bytes());
            assert_eq!(signed.sha256_hex, sha256_hex(&signed.json));
            let mut inflated = Vec::new();
            let mut decoder = GzDecoder::new(signed.gzipped.as_slice());
            decoder.read_to_end(&mut inflated).unwrap();
            assert_eq!(inflated, signed.json);
            assert!(decoder.into_inner().is_empty(), "single gzip member");
            let message = string_to_sign(&digest, &signed.sha256_hex);
            verify_signature_hex(
                key.public_key_der(),
                message.as_bytes(),
                &signed.signature_hex,
            )
            .unwrap();
        }
        assert_eq!(
            second_digest.previous_digest_hash_value.as_ref(),
            Some(&first.sha256_hex)
        );
        assert_eq!(
            second_digest.previous_digest_signature.as_ref(),
            Some(&first.signature_hex)
        );
    }
}
