//! Trail names and trail ARNs: the rules AWS applies to them and the reference a request makes
//! (`Name` / `TrailName` may be either a bare name or a full ARN).
//!
//! This module only checks shape. Whether a trail exists, and in which region, is decided by the
//! operations in `ops`.

use std::fmt;

use crate::error::ApiError;

/// Shortest and longest trail name AWS accepts.
const TRAIL_NAME_LENGTH: std::ops::RangeInclusive<usize> = 3..=128;

/// A trail name that satisfies every AWS naming rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrailName(String);

impl TrailName {
    /// Checks the AWS rules: 3-128 characters of `[A-Za-z0-9._-]`, starting and ending with a
    /// letter or digit, no two adjacent `.`, `_`, `-`, and not shaped like an IPv4 address.
    pub fn parse(name: &str) -> Result<TrailName, ApiError> {
        let length = name.chars().count();
        if length < *TRAIL_NAME_LENGTH.start() {
            return Err(ApiError::invalid_trail_name(format!(
                "Trail name too short. Minimum allowed length: 3 characters. Specified name length: {length} characters."
            )));
        }
        if length > *TRAIL_NAME_LENGTH.end() {
            return Err(ApiError::invalid_trail_name(format!(
                "Trail name too long. Maximum allowed length: 128 characters. Specified name length: {length} characters."
            )));
        }
        check_trail_name_characters(name)?;
        Ok(TrailName(name.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrailName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_trail_name_characters(name: &str) -> Result<(), ApiError> {
    let is_special = |c: char| matches!(c, '.' | '_' | '-');
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || is_special(c))
    {
        return Err(ApiError::invalid_trail_name(
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).",
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid_trail_name(
            "Trail name must starts with a letter or number.",
        ));
    }
    if !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid_trail_name(
            "Trail name must ends with a letter or number.",
        ));
    }
    let bytes = name.as_bytes();
    if bytes
        .windows(2)
        .any(|pair| is_special(pair[0] as char) && is_special(pair[1] as char))
    {
        return Err(ApiError::invalid_trail_name(
            "Trail name cannot have adjacent periods, underscores or dashes.",
        ));
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(ApiError::invalid_trail_name(
            "Trail name cannot be formatted as an IP address.",
        ));
    }
    Ok(())
}

/// The AWS partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`.
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Whether `text` looks like a region code (`us-east-1`, `ap-northeast-1`, ...).
pub fn is_region_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 32
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && text.contains('-')
}

/// Whether `text` is a 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` is an AWS partition name (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, ...).
pub fn is_partition(text: &str) -> bool {
    text == "aws"
        || (text.starts_with("aws-")
            && text[4..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'))
}

/// The identity of one trail: `arn:<partition>:cloudtrail:<home-region>:<account>:trail/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrailArn {
    /// Account that owns the trail.
    pub account_id: String,
    /// Region the trail was created in.
    pub home_region: String,
    /// The trail's name.
    pub name: TrailName,
}

impl TrailArn {
    /// The ARN of trail `name` of `account_id` created in `home_region`.
    pub fn new(account_id: &str, home_region: &str, name: TrailName) -> TrailArn {
        TrailArn {
            account_id: account_id.to_string(),
            home_region: home_region.to_string(),
            name,
        }
    }

    /// Parses a full trail ARN; anything malformed, including a bad name part, is
    /// `CloudTrailARNInvalidException`.
    pub fn parse(arn: &str) -> Result<TrailArn, ApiError> {
        let invalid = || ApiError::trail_arn_invalid(arn);
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts[..] else {
            return Err(invalid());
        };
        let valid_head = prefix == "arn"
            && is_partition(partition)
            && service == "cloudtrail"
            && is_region_code(region)
            && is_account_id(account);
        let name = resource
            .strip_prefix("trail/")
            .filter(|_| valid_head)
            .ok_or_else(invalid)?;
        let name = TrailName::parse(name).map_err(|_| invalid())?;
        Ok(TrailArn::new(account, region, name))
    }

    /// The partition of the home region.
    pub fn partition(&self) -> &'static str {
        partition_for_region(&self.home_region)
    }
}

impl fmt::Display for TrailArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:cloudtrail:{}:{}:trail/{}",
            self.partition(),
            self.home_region,
            self.account_id,
            self.name
        )
    }
}

/// How a request names a trail: by bare name (resolved in the caller's region) or by ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailRef {
    /// A bare name such as `my-trail`.
    Name(TrailName),
    /// A full trail ARN.
    Arn(TrailArn),
}

impl TrailRef {
    /// Anything starting with `arn:` is parsed as an ARN (`CloudTrailARNInvalidException` when
    /// malformed); everything else must be a valid name (`InvalidTrailNameException`).
    pub fn parse(text: &str) -> Result<TrailRef, ApiError> {
        if text.starts_with("arn:") {
            TrailArn::parse(text).map(TrailRef::Arn)
        } else {
            TrailName::parse(text).map(TrailRef::Name)
        }
    }

    /// The ARN this reference would denote for a trail homed in `region` of `account_id`
    /// (used in `TrailNotFoundException` messages, which always quote an ARN).
    pub fn as_arn(&self, account_id: &str, region: &str) -> TrailArn {
        match self {
            TrailRef::Name(name) => TrailArn::new(account_id, region, name.clone()),
            TrailRef::Arn(arn) => arn.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_name(name: &str, expected: Result<(), &str>) {
        let got = TrailName::parse(name).map(|_| ()).map_err(|e| e.code);
        assert_eq!(got, expected, "trail name {name:?}");
    }

    #[test]
    fn trail_name_rules() {
        let ok = Ok(());
        let bad = Err("InvalidTrailNameException");
        check_name("abc", ok);
        check_name("test-event-selector", ok);
        check_name("My.Trail_1-x", ok);
        check_name(&"a".repeat(128), ok);
        check_name("ab", bad);
        check_name("", bad);
        check_name(&"a".repeat(129), bad);
        check_name("-abc", bad);
        check_name("abc-", bad);
        check_name("_abc", bad);
        check_name("abc.", bad);
        check_name("my--x", bad);
        check_name("my-_x", bad);
        check_name("my..x", bad);
        check_name("my x", bad);
        check_name("my/x", bad);
        check_name("trail:1", bad);
        check_name("trailé", bad);
        check_name("192.168.5.4", bad);
        check_name("192.168.5", ok);
    }

    #[test]
    fn too_short_message_quotes_the_length() {
        let error = TrailName::parse("ab").unwrap_err();
        assert_eq!(
            error.message,
            "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 2 characters."
        );
    }

    fn check_ref(text: &str, expected: Result<&str, &str>) {
        let got = TrailRef::parse(text)
            .map(|r| r.as_arn("123456789012", "us-east-1").to_string())
            .map_err(|e| e.code);
        assert_eq!(
            got,
            expected.map(str::to_string),
            "trail reference {text:?}"
        );
    }

    #[test]
    fn trail_references() {
        let arn_invalid = Err("CloudTrailARNInvalidException");
        check_ref(
            "my-trail",
            Ok("arn:aws:cloudtrail:us-east-1:123456789012:trail/my-trail"),
        );
        check_ref(
            "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/test-event-selector",
            Ok("arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/test-event-selector"),
        );
        check_ref(
            "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/abc",
            Ok("arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/abc"),
        );
        check_ref(
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/a",
            arn_invalid,
        );
        check_ref(
            "arn:aws:cloudtrail:us-east-1:12345678901:trail/abc",
            arn_invalid,
        );
        check_ref(
            "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/abc",
            arn_invalid,
        );
        check_ref("arn:aws:s3:us-east-1:123456789012:trail/abc", arn_invalid);
        check_ref("arn:aws:cloudtrail::123456789012:trail/abc", arn_invalid);
        check_ref("arn:aws:cloudtrail:us-east-1:123456789012", arn_invalid);
        check_ref("arn:", arn_invalid);
        check_ref("not an arn", Err("InvalidTrailNameException"));
    }
}
