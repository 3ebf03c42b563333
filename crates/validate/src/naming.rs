//! Digest object names as the aws CLI computes and recognises them: the listing prefix, the `Marker`
//! key for a start time, the filter every listed key must pass, and the timestamp the CLI reads from
//! fixed character positions of a key. Also the trail-ARN check and the ARN fields the CLI splits out.
//!
//! Pure string work, no IO. The CLI's regular expressions are re-implemented by hand; `\d` is taken
//! as an ASCII digit (Python would also accept other Unicode decimal digits).

use chrono::{DateTime, Utc};

use crate::date::{key_date, shift};
use crate::failure::Failure;
use crate::python_compat::slice_from_end;

/// What identifies one trail's digests for one source Region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestNaming {
    /// The account whose digests are validated.
    pub account_id: String,
    /// The trail name (text after the last `/` of the ARN).
    pub trail_name: String,
    /// The trail's home Region (4th ARN field).
    pub home_region: String,
    /// The Region whose digests are listed.
    pub source_region: String,
    /// The organization id for organization trails.
    pub organization_id: Option<String>,
}

impl DigestNaming {
    /// `[<prefix>/]AWSLogs/[<org>/]<account>/CloudTrail-Digest/<source region>`.
    pub fn listing_prefix(&self, key_prefix: Option<&str>) -> String {
        with_key_prefix(
            key_prefix,
            format!(
                "AWSLogs/{}{}/CloudTrail-Digest/{}",
                self.organization_segment(),
                self.account_id,
                self.source_region
            ),
        )
    }

    /// The key a digest ending one minute before `start` would have: the listing `Marker`.
    pub fn marker_key(
        &self,
        start: DateTime<Utc>,
        key_prefix: Option<&str>,
    ) -> Result<String, Failure> {
        let date = shift(start, -60)?.naive_utc();
        let key = format!(
            "AWSLogs/{org}{account}/CloudTrail-Digest/{source}/{year}/{month:02}/{day:02}/{account}_CloudTrail-Digest_{source}_{name}_{home}_{stamp}.json.gz",
            org = self.organization_segment(),
            account = self.account_id,
            source = self.source_region,
            year = chrono::Datelike::year(&date),
            month = chrono::Datelike::month(&date),
            day = chrono::Datelike::day(&date),
            name = self.trail_name,
            home = self.home_region,
            stamp = key_date(&date),
        );
        Ok(with_key_prefix(key_prefix, key))
    }

    /// The CLI's digest-key regular expression (`re.match` with `^...$`).
    pub fn is_digest_key(&self, key: &str, key_prefix: Option<&str>) -> bool {
        let head = with_key_prefix(
            key_prefix,
            format!(
                "AWSLogs/{}{}/CloudTrail-Digest/{}/",
                self.organization_segment(),
                self.account_id,
                self.source_region
            ),
        );
        let Some(rest) = key.strip_prefix(&head) else {
            return false;
        };
        let Some(rest) = skip_digit_folders(rest, 3) else {
            return false;
        };
        let file_head = format!(
            "{}_CloudTrail-Digest_{}_{}_{}_",
            self.account_id, self.source_region, self.trail_name, self.home_region
        );
        let Some(tail) = rest.strip_prefix(&file_head) else {
            return false;
        };
        // `.+(?:_backfill)?\.json\.gz$`: `$` also matches before one final newline.
        let tail = tail.strip_suffix('\n').unwrap_or(tail);
        match tail.strip_suffix(".json.gz") {
            Some(stem) => !stem.is_empty() && !stem.contains('\n'),
            None => false,
        }
    }

    fn organization_segment(&self) -> String {
        self.organization_id
            .as_ref()
            .map(|organization| format!("{organization}/"))
            .unwrap_or_default()
    }
}

/// `key_prefix + '/' + key` when the prefix is non-empty (Python truthiness).
fn with_key_prefix(key_prefix: Option<&str>, key: String) -> String {
    match key_prefix {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}/{key}"),
        _ => key,
    }
}

/// Skips `count` folders of the form `\d+/`.
fn skip_digit_folders(mut rest: &str, count: usize) -> Option<&str> {
    for _ in 0..count {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || rest.as_bytes().get(digits) != Some(&b'/') {
            return None;
        }
        rest = &rest[digits + 1..];
    }
    Some(rest)
}

/// True when the key ends with `_backfill.json.gz`.
pub fn is_backfill_key(key: &str) -> bool {
    key.ends_with("_backfill.json.gz")
}

/// The CLI's `extract_digest_key_date`: characters `[-24:-8]`, or `[-33:-17]` for backfill keys.
pub fn key_timestamp(key: &str) -> String {
    if is_backfill_key(key) {
        slice_from_end(key, 33, 17)
    } else {
        slice_from_end(key, 24, 8)
    }
}

/// The CLI's trail-ARN check: `re.match(r'arn:.+:cloudtrail:.+:\d{12}:trail/.+', arn)`.
pub fn is_valid_trail_arn(arn: &str) -> bool {
    let Some(after_scheme) = arn.strip_prefix("arn:") else {
        return false;
    };
    let service_marker = ":cloudtrail:";
    after_scheme
        .match_indices(service_marker)
        .filter(|(index, _)| *index > 0 && !after_scheme[..*index].contains('\n'))
        .any(|(index, _)| {
            region_account_trail_follow(&after_scheme[index + service_marker.len()..])
        })
}

/// `.+:\d{12}:trail/.+` at the start of `text`.
fn region_account_trail_follow(text: &str) -> bool {
    text.char_indices()
        .filter(|(index, character)| *character == ':' && *index > 0)
        .take_while(|(index, _)| !text[..*index].contains('\n'))
        .any(|(index, _)| {
            let after = &text[index + 1..];
            let digits = after.bytes().take(12).filter(u8::is_ascii_digit).count();
            digits == 12
                && after[12..]
                    .strip_prefix(":trail/")
                    .and_then(|name| name.chars().next())
                    .is_some_and(|first| first != '\n')
        })
}

/// The ARN fields the CLI uses: home Region (`split(':')[3]`), account (`split(':')[4]`) and trail
/// name (`split('/')[-1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailArnParts {
    /// The trail's home Region.
    pub home_region: String,
    /// The account id in the ARN.
    pub account_id: String,
    /// The trail name.
    pub trail_name: String,
}

/// Splits an ARN that passed [`is_valid_trail_arn`].
pub fn trail_arn_parts(arn: &str) -> TrailArnParts {
    let fields: Vec<&str> = arn.split(':').collect();
    TrailArnParts {
        home_region: fields.get(3).copied().unwrap_or_default().to_owned(),
        account_id: fields.get(4).copied().unwrap_or_default().to_owned(),
        trail_name: arn.rsplit('/').next().unwrap_or_default().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naming(organization: Option<&str>) -> DigestNaming {
        DigestNaming {
            account_id: "123456789012".to_owned(),
            trail_name: "audit".to_owned(),
            home_region: "us-east-1".to_owned(),
            source_region: "eu-west-1".to_owned(),
            organization_id: organization.map(str::to_owned),
        }
    }

    #[test]
    fn computes_prefix_and_marker() {
        let start = "2015-01-08T00:00:30Z".parse::<DateTime<Utc>>().unwrap();
        let plain = naming(None);
        assert_eq!(
            plain.listing_prefix(Some("logs")),
            "logs/AWSLogs/123456789012/CloudTrail-Digest/eu-west-1"
        );
        assert_eq!(
            plain.marker_key(start, Some("")).unwrap(),
            "AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2015/01/07/123456789012_CloudTrail-Digest_eu-west-1_audit_us-east-1_20150107T235930Z.json.gz"
        );
        assert_eq!(
            naming(Some("o-abc")).listing_prefix(None),
            "AWSLogs/o-abc/123456789012/CloudTrail-Digest/eu-west-1"
        );
    }

    #[test]
    fn recognises_digest_keys_like_the_cli_regex() {
        let good = "p/AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2015/01/08/123456789012_CloudTrail-Digest_eu-west-1_audit_us-east-1_20150108T010000Z.json.gz";
        let table = [
            (good.to_owned(), true),
            (good.replace(".json.gz", "_backfill.json.gz"), true),
            (format!("{good}\n"), true),
            (good.replace("/2015/", "/x/"), false),
            (good.replace("_audit_", "_other_"), false),
            (good.replace(".json.gz", ".json"), false),
            (
                good.replace("us-east-1_20150108T010000Z", "us-east-1_"),
                false,
            ),
            (good.replace("p/AWSLogs", "AWSLogs"), false),
        ];
        for (key, expected) in table {
            assert_eq!(
                naming(None).is_digest_key(&key, Some("p")),
                expected,
                "{key}"
            );
        }
        assert_eq!(key_timestamp(good), "20150108T010000Z");
        assert_eq!(
            key_timestamp(&good.replace(".json.gz", "_backfill.json.gz")),
            "20150108T010000Z"
        );
    }

    #[test]
    fn checks_trail_arns_like_the_cli() {
        let table = [
            ("arn:aws:cloudtrail:us-east-1:123456789012:trail/foo", true),
            (
                "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/a/b",
                true,
            ),
            ("arn:aws:cloudtrail:us-east-1:123456789012:trail/", false),
            ("arn:aws:cloudtrail:us-east-1:12345678901:trail/foo", false),
            ("arn::cloudtrail:us-east-1:123456789012:trail/foo", false),
            ("foo", false),
            (
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/foo extra",
                true,
            ),
        ];
        for (arn, expected) in table {
            assert_eq!(is_valid_trail_arn(arn), expected, "{arn}");
        }
        let parts = trail_arn_parts("arn:aws:cloudtrail:us-east-1:123456789012:trail/a/b");
        assert_eq!(parts.home_region, "us-east-1");
        assert_eq!(parts.account_id, "123456789012");
        assert_eq!(parts.trail_name, "b");
    }
}
