//! S3 object keys for log, Insights and digest files (reference §5, §6.1) and the time formats in them.
//!
//! Keys are built exactly as CloudTrail builds them, because `aws cloudtrail validate-logs` finds
//! digests by prefix listing and reads the digest timestamp by character position (`key[-24:-8]`).
//! Organization trails (`AWSLogs/<org-id>/<account>/…`) and backfill digests are deliberately not
//! produced. This module does no IO.

use chrono::{DateTime, Utc};
use rand::Rng;

/// Length of the random part at the end of a log file name.
pub const FILE_SUFFIX_LEN: usize = 16;

const SUFFIX_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `YYYY-MM-DDTHH:MM:SSZ`: the time format of every timestamp inside a digest file.
pub fn format_digest_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `[<prefix>/]AWSLogs/<account>/`: the root every trail object key starts with.
fn account_root(prefix: &str, account: &str) -> String {
    if prefix.is_empty() {
        format!("AWSLogs/{account}/")
    } else {
        format!("{prefix}/AWSLogs/{account}/")
    }
}

/// `<kind>/<region>/YYYY/MM/DD/<account>_<kind>_<region>_YYYYMMDDTHHmmZ_<unique>.json.gz` under the root.
fn delivered_file_key(
    prefix: &str,
    account: &str,
    kind: &str,
    region: &str,
    delivered_at: DateTime<Utc>,
    unique: &str,
) -> String {
    format!(
        "{root}{kind}/{region}/{folder}/{account}_{kind}_{region}_{stamp}_{unique}.json.gz",
        root = account_root(prefix, account),
        folder = delivered_at.format("%Y/%m/%d"),
        stamp = delivered_at.format("%Y%m%dT%H%MZ"),
    )
}

/// Key of a CloudTrail log file delivered at `delivered_at` (date folders and minute stamp in UTC).
/// `prefix` is the trail's `S3KeyPrefix` and may be empty; `unique` is [`random_file_suffix`].
pub fn log_file_key(
    prefix: &str,
    account: &str,
    region: &str,
    delivered_at: DateTime<Utc>,
    unique: &str,
) -> String {
    delivered_file_key(prefix, account, "CloudTrail", region, delivered_at, unique)
}

/// Key of an Insights file: the log file layout with `CloudTrail-Insight` in folder and name.
pub fn insight_file_key(
    prefix: &str,
    account: &str,
    region: &str,
    delivered_at: DateTime<Utc>,
    unique: &str,
) -> String {
    delivered_file_key(
        prefix,
        account,
        "CloudTrail-Insight",
        region,
        delivered_at,
        unique,
    )
}

/// The key prefix under which all digests of one source region live; `validate-logs` lists it.
pub fn digest_key_prefix(prefix: &str, account: &str, source_region: &str) -> String {
    format!(
        "{}CloudTrail-Digest/{source_region}/",
        account_root(prefix, account)
    )
}

/// Key of the digest file that ends at `digest_end` (reference §6.1). The file name ends in the
/// 16-character `YYYYMMDDTHHMMSSZ` stamp followed by `.json.gz`, as the CLI reads it by position.
pub fn digest_file_key(
    prefix: &str,
    account: &str,
    source_region: &str,
    trail_name: &str,
    home_region: &str,
    digest_end: DateTime<Utc>,
) -> String {
    format!(
        "{dir}{folder}/{account}_CloudTrail-Digest_{source_region}_{trail_name}_{home_region}_{stamp}.json.gz",
        dir = digest_key_prefix(prefix, account, source_region),
        folder = digest_end.format("%Y/%m/%d"),
        stamp = digest_end.format("%Y%m%dT%H%M%SZ"),
    )
}

/// 16 random characters from `[A-Za-z0-9]`, the collision-avoiding tail of a log file name.
pub fn random_file_suffix() -> String {
    let mut rng = rand::rng();
    (0..FILE_SUFFIX_LEN)
        .map(|_| char::from(SUFFIX_ALPHABET[rng.random_range(0..SUFFIX_ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn check(actual: String, expected: &str) {
        assert_eq!(actual, expected);
    }

    #[test]
    fn log_and_insight_keys_follow_the_delivery_layout() {
        let cases = [
            // The user guide's example file name, no prefix.
            (
                log_file_key(
                    "",
                    "111122223333",
                    "us-east-2",
                    at(2015, 8, 1, 2, 10, 59),
                    "Mu0KsOhtH1ar15ZZ",
                ),
                "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
            ),
            // A prefix, and a delivery one second before midnight on new year's eve.
            (
                log_file_key(
                    "team/audit",
                    "111122223333",
                    "eu-west-1",
                    at(2026, 12, 31, 23, 59, 59),
                    "abcdefghijklmnop",
                ),
                "team/audit/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/31/111122223333_CloudTrail_eu-west-1_20261231T2359Z_abcdefghijklmnop.json.gz",
            ),
            (
                insight_file_key(
                    "p",
                    "111122223333",
                    "us-east-1",
                    at(2026, 1, 2, 3, 4, 5),
                    "ABCDEFGHIJKLMNOP",
                ),
                "p/AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/01/02/111122223333_CloudTrail-Insight_us-east-1_20260102T0304Z_ABCDEFGHIJKLMNOP.json.gz",
            ),
        ];
        for (actual, expected) in cases {
            check(actual, expected);
        }
    }

    #[test]
    fn digest_keys_follow_the_digest_layout() {
        let cases = [
            // The user guide's sample digest key.
            (
                digest_file_key(
                    "",
                    "111122223333",
                    "us-east-2",
                    "your-trail-name",
                    "us-east-2",
                    at(2015, 8, 17, 15, 1, 31),
                ),
                "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
            ),
            // A multi-region trail: source region differs from the home region.
            (
                digest_file_key(
                    "a/b",
                    "111122223333",
                    "eu-west-1",
                    "org_trail",
                    "us-east-1",
                    at(2026, 2, 28, 0, 0, 0),
                ),
                "a/b/AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/02/28/111122223333_CloudTrail-Digest_eu-west-1_org_trail_us-east-1_20260228T000000Z.json.gz",
            ),
            (
                digest_key_prefix("a/b", "111122223333", "eu-west-1"),
                "a/b/AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/",
            ),
        ];
        for (actual, expected) in cases {
            check(actual, expected);
        }
    }

    /// The CLI reads a digest key's timestamp as `key[-24:-8]` and compares it as a string.
    #[test]
    fn digest_key_timestamp_is_where_the_cli_reads_it() {
        let ends = [
            at(2015, 8, 17, 15, 1, 31),
            at(2026, 12, 31, 23, 59, 59),
            at(2000, 1, 1, 0, 0, 0),
        ];
        for end in ends {
            for trail in ["t", "a_trail_with_underscores", "x-y.z"] {
                let key = digest_file_key(
                    "pre/fix",
                    "123456789012",
                    "ap-southeast-2",
                    trail,
                    "us-west-2",
                    end,
                );
                let stamp = &key[key.len() - 24..key.len() - 8];
                assert_eq!(stamp, end.format("%Y%m%dT%H%M%SZ").to_string(), "key {key}");
                assert_eq!(stamp.len(), 16);
                assert!(key.ends_with(&format!("_{stamp}.json.gz")), "key {key}");
            }
        }
    }

    #[test]
    fn digest_times_have_second_precision_and_a_z() {
        let cases = [
            (at(2015, 8, 17, 15, 1, 31), "2015-08-17T15:01:31Z"),
            (
                at(2026, 1, 2, 3, 4, 5) + chrono::TimeDelta::milliseconds(999),
                "2026-01-02T03:04:05Z",
            ),
        ];
        for (t, expected) in cases {
            check(format_digest_time(t), expected);
        }
    }

    #[test]
    fn random_suffixes_are_16_alphanumerics_and_differ() {
        let suffixes: Vec<String> = (0..50).map(|_| random_file_suffix()).collect();
        for suffix in &suffixes {
            assert_eq!(suffix.len(), FILE_SUFFIX_LEN, "{suffix:?}");
            assert!(
                suffix.bytes().all(|b| b.is_ascii_alphanumeric()),
                "{suffix:?}"
            );
        }
        let distinct: std::collections::HashSet<_> = suffixes.iter().collect();
        assert_eq!(distinct.len(), suffixes.len());
    }
}
