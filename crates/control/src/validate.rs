//! Shape checks of the trail settings a CreateTrail / UpdateTrail request carries: S3 bucket name
//! and prefix, SNS topic, CloudWatch Logs log group and role ARNs, KMS key id, and tags.
//!
//! Each check returns the AWS exception for that member. botocore only checks `required` and
//! `min` client-side, so every `max`, pattern and enum rule is enforced here. Whether the bucket,
//! topic, log group, role or key actually exists is not decided here (see `ops::destination`).

use crate::error::ApiError;
use crate::names::{is_account_id, is_partition, is_region_code, partition_for_region};

/// Longest `S3KeyPrefix` AWS accepts.
pub const MAX_S3_KEY_PREFIX_LENGTH: usize = 200;
/// Longest `SnsTopicName` (name or ARN) AWS accepts.
pub const MAX_SNS_TOPIC_LENGTH: usize = 256;
/// Longest tag key, in characters.
pub const MAX_TAG_KEY_LENGTH: usize = 128;
/// Longest tag value, in characters.
pub const MAX_TAG_VALUE_LENGTH: usize = 256;

/// S3 bucket naming rules: 3-63 characters of lowercase letters, digits, `.` and `-`, starting
/// and ending with a letter or digit, no `..`, not shaped like an IPv4 address.
pub fn s3_bucket_name(bucket: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let valid = (3..=63).contains(&bucket.len())
        && bucket.chars().all(allowed)
        && bucket.starts_with(edge)
        && bucket.ends_with(edge)
        && !bucket.contains("..")
        && bucket.parse::<std::net::Ipv4Addr>().is_err();
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid_bucket_name(bucket))
    }
}

/// `S3KeyPrefix`: at most 200 characters, no control characters.
pub fn s3_key_prefix(prefix: &str) -> Result<(), ApiError> {
    let length = prefix.chars().count();
    if length > MAX_S3_KEY_PREFIX_LENGTH {
        return Err(ApiError::invalid_prefix(format!(
            "Prefix is too long. Maximum allowed length: {MAX_S3_KEY_PREFIX_LENGTH} characters. Specified prefix length: {length} characters."
        )));
    }
    if prefix.chars().any(char::is_control) {
        return Err(ApiError::invalid_prefix(format!(
            "Prefix {prefix:?} contains control characters."
        )));
    }
    Ok(())
}

/// An SNS topic a trail notifies, in both forms AWS returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsTopic {
    /// `arn:aws:sns:<region>:<account>:<name>`.
    pub arn: String,
    /// The topic name (the deprecated `SnsTopicName` member).
    pub name: String,
}

/// `SnsTopicName`: a topic name (resolved in the caller's account and region) or a topic ARN.
pub fn sns_topic(text: &str, account_id: &str, region: &str) -> Result<SnsTopic, ApiError> {
    let invalid = || ApiError::invalid_topic_name(text);
    if text.len() > MAX_SNS_TOPIC_LENGTH {
        return Err(invalid());
    }
    if !text.starts_with("arn:") {
        return match is_topic_name(text) {
            true => Ok(SnsTopic {
                arn: format!(
                    "arn:{}:sns:{region}:{account_id}:{text}",
                    partition_for_region(region)
                ),
                name: text.to_string(),
            }),
            false => Err(invalid()),
        };
    }
    let parts: Vec<&str> = text.split(':').collect();
    match parts[..] {
        ["arn", partition, "sns", topic_region, account, name]
            if is_partition(partition)
                && is_region_code(topic_region)
                && is_account_id(account)
                && is_topic_name(name) =>
        {
            Ok(SnsTopic {
                arn: text.to_string(),
                name: name.to_string(),
            })
        }
        _ => Err(invalid()),
    }
}

fn is_topic_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `CloudWatchLogsLogGroupArn`: `arn:<partition>:logs:<region>:<account>:log-group:<name>:*`
/// (CloudTrail requires the trailing log-stream wildcard).
pub fn log_group_arn(arn: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let valid = match parts[..] {
        ["arn", partition, "logs", region, account, "log-group", rest] => {
            is_partition(partition)
                && is_region_code(region)
                && is_account_id(account)
                && rest.strip_suffix(":*").is_some_and(is_log_group_name)
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid_log_group_arn(arn))
    }
}

fn is_log_group_name(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#'))
}

/// `CloudWatchLogsRoleArn`: `arn:<partition>:iam::<account>:role/[<path>/]<name>`.
pub fn role_arn(arn: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = match parts[..] {
        ["arn", partition, "iam", "", account, resource] => {
            is_partition(partition)
                && is_account_id(account)
                && resource.len() <= 512
                && resource
                    .strip_prefix("role/")
                    .is_some_and(is_role_path_and_name)
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid_role_arn(arn))
    }
}

fn is_role_path_and_name(path_and_name: &str) -> bool {
    let allowed =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '=' | ',' | '.' | '@' | '_' | '-');
    let segments: Vec<&str> = path_and_name.split('/').collect();
    let name = segments.last().copied().unwrap_or_default();
    name.len() <= 64
        && segments
            .iter()
            .all(|s| !s.is_empty() && s.chars().all(allowed))
}

/// `KmsKeyId` in any of its four forms (alias name, alias ARN, key ARN, key id), returned as the
/// ARN that is stored and shown. A key id or alias name is qualified with the caller's account and
/// region; aliases stay aliases because OpenTrail has no KMS to resolve them to a key.
pub fn kms_key_arn(text: &str, account_id: &str, region: &str) -> Result<String, ApiError> {
    let partition = partition_for_region(region);
    if let Some(alias) = text.strip_prefix("alias/") {
        return match is_alias_name(alias) {
            true => Ok(format!("arn:{partition}:kms:{region}:{account_id}:{text}")),
            false => Err(ApiError::invalid_kms_key_id(text)),
        };
    }
    if is_key_id(text) {
        return Ok(format!(
            "arn:{partition}:kms:{region}:{account_id}:key/{text}"
        ));
    }
    if is_kms_arn(text) {
        Ok(text.to_string())
    } else {
        Err(ApiError::invalid_kms_key_id(text))
    }
}

fn is_kms_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let ["arn", partition, "kms", region, account, resource] = parts[..] else {
        return false;
    };
    let resource_valid = match resource.split_once('/') {
        Some(("key", id)) => is_key_id(id),
        Some(("alias", name)) => is_alias_name(name),
        _ => false,
    };
    is_partition(partition) && is_region_code(region) && is_account_id(account) && resource_valid
}

fn is_alias_name(name: &str) -> bool {
    (1..=250).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
}

/// A key UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`) or a multi-Region key id (`mrk-` + 32 hex).
fn is_key_id(id: &str) -> bool {
    if let Some(hex_part) = id.strip_prefix("mrk-") {
        return hex_part.len() == 32 && hex_part.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One resource tag; a key may have no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// 1-128 characters.
    pub key: String,
    /// At most 256 characters; `None` when the request had no `Value`.
    pub value: Option<String>,
}

/// Checks one tag: key 1-128 and value 1-256 characters of letters, digits, white space and
/// `_ . : / = + - @`; keys starting with `aws:` are reserved.
pub fn tag(tag: &Tag) -> Result<(), ApiError> {
    let key_length = tag.key.chars().count();
    if !(1..=MAX_TAG_KEY_LENGTH).contains(&key_length) {
        return Err(ApiError::invalid_tag(format!(
            "Tag key {:?} must be between 1 and {MAX_TAG_KEY_LENGTH} characters long.",
            tag.key
        )));
    }
    if !tag.key.chars().all(is_tag_character) {
        return Err(ApiError::invalid_tag(format!(
            "Tag key {:?} contains characters that are not allowed.",
            tag.key
        )));
    }
    if tag.key.to_ascii_lowercase().starts_with("aws:") {
        return Err(ApiError::invalid_tag(format!(
            "Tag key {:?} uses the reserved prefix aws:.",
            tag.key
        )));
    }
    match &tag.value {
        Some(value) => tag_value(&tag.key, value),
        None => Ok(()),
    }
}

fn tag_value(key: &str, value: &str) -> Result<(), ApiError> {
    let length = value.chars().count();
    if !(1..=MAX_TAG_VALUE_LENGTH).contains(&length) {
        return Err(ApiError::invalid_tag(format!(
            "Value of tag {key:?} must be between 1 and {MAX_TAG_VALUE_LENGTH} characters long."
        )));
    }
    if !value.chars().all(is_tag_character) {
        return Err(ApiError::invalid_tag(format!(
            "Value of tag {key:?} contains characters that are not allowed."
        )));
    }
    Ok(())
}

fn is_tag_character(c: char) -> bool {
    c.is_alphanumeric()
        || c.is_whitespace()
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-1";

    fn code<T>(result: Result<T, ApiError>) -> Result<T, &'static str> {
        result.map_err(|e| e.code)
    }

    #[test]
    fn bucket_names() {
        let bad = Err("InvalidS3BucketNameException");
        let cases: &[(&str, Result<(), &str>)] = &[
            ("write-only-events", Ok(())),
            ("a.b-c", Ok(())),
            ("abc", Ok(())),
            (&"a".repeat(63), Ok(())),
            ("ab", bad),
            (&"a".repeat(64), bad),
            ("Upper", bad),
            ("under_score", bad),
            ("-start", bad),
            ("end-", bad),
            ("a..b", bad),
            ("192.168.5.4", bad),
            ("sp ace", bad),
        ];
        for (bucket, expected) in cases {
            assert_eq!(code(s3_bucket_name(bucket)), *expected, "bucket {bucket:?}");
        }
    }

    #[test]
    fn key_prefixes() {
        assert_eq!(code(s3_key_prefix("logs/prod")), Ok(()));
        assert_eq!(code(s3_key_prefix(&"p".repeat(200))), Ok(()));
        assert_eq!(
            code(s3_key_prefix(&"p".repeat(201))),
            Err("InvalidS3PrefixException")
        );
        assert_eq!(code(s3_key_prefix("a\nb")), Err("InvalidS3PrefixException"));
    }

    #[test]
    fn sns_topics() {
        let bad = || Err("InvalidSnsTopicNameException");
        let arn = |name: &str| format!("arn:aws:sns:us-east-1:123456789012:{name}");
        let cases: Vec<(String, Result<String, &str>)> = vec![
            ("alerts".into(), Ok(arn("alerts"))),
            ("my_topic-1".into(), Ok(arn("my_topic-1"))),
            (arn("alerts"), Ok(arn("alerts"))),
            (
                "arn:aws:sns:eu-west-1:210987654321:x".into(),
                Ok("arn:aws:sns:eu-west-1:210987654321:x".into()),
            ),
            ("bad name".into(), bad()),
            ("topic.fifo".into(), bad()),
            (String::new(), bad()),
            ("t".repeat(257), bad()),
            ("arn:aws:sns:us-east-1:123:alerts".into(), bad()),
            ("arn:aws:sqs:us-east-1:123456789012:alerts".into(), bad()),
            ("arn:aws:sns:us-east-1:123456789012:a:b".into(), bad()),
        ];
        for (text, expected) in cases {
            assert_eq!(
                code(sns_topic(&text, ACCOUNT, REGION).map(|t| t.arn)),
                expected,
                "topic {text:?}"
            );
        }
    }

    #[test]
    fn log_group_arns() {
        let bad = Err("InvalidCloudWatchLogsLogGroupArnException");
        let cases: &[(&str, Result<(), &str>)] = &[
            (
                "arn:aws:logs:us-east-1:123456789012:log-group:CloudTrail/DefaultLogGroup:*",
                Ok(()),
            ),
            (
                "arn:aws:logs:us-east-1:123456789012:log-group:a#b.c-d_e:*",
                Ok(()),
            ),
            (
                "arn:aws:logs:us-east-1:123456789012:log-group:CloudTrail/DefaultLogGroup",
                bad,
            ),
            ("arn:aws:logs:us-east-1:123456789012:log-group::*", bad),
            ("arn:aws:logs:us-east-1:123456789012:loggroup:x:*", bad),
            ("arn:aws:logs:us-east-1:1234:log-group:x:*", bad),
            ("CloudTrail/DefaultLogGroup", bad),
        ];
        for (arn, expected) in cases {
            assert_eq!(code(log_group_arn(arn)), *expected, "log group {arn:?}");
        }
    }

    #[test]
    fn role_arns() {
        let bad = Err("InvalidCloudWatchLogsRoleArnException");
        let cases: &[(&str, Result<(), &str>)] = &[
            (
                "arn:aws:iam::123456789012:role/CloudTrail_CloudWatchLogs_Role",
                Ok(()),
            ),
            (
                "arn:aws:iam::123456789012:role/service-role/my.role@x",
                Ok(()),
            ),
            ("arn:aws:iam::123456789012:user/someone", bad),
            ("arn:aws:iam:us-east-1:123456789012:role/x", bad),
            ("arn:aws:iam::123456789012:role/", bad),
            ("arn:aws:iam::123456789012:role/a//b", bad),
            ("my-role", bad),
        ];
        for (arn, expected) in cases {
            assert_eq!(code(role_arn(arn)), *expected, "role {arn:?}");
        }
    }

    #[test]
    fn kms_key_ids() {
        let bad = || Err("InvalidKmsKeyIdException");
        let uuid = "12345678-1234-1234-1234-123456789012";
        let key_arn = format!("arn:aws:kms:us-east-2:123456789012:key/{uuid}");
        let cases: Vec<(String, Result<String, &str>)> = vec![
            (
                uuid.into(),
                Ok(format!("arn:aws:kms:us-east-1:123456789012:key/{uuid}")),
            ),
            (key_arn.clone(), Ok(key_arn)),
            (
                "alias/MyAliasName".into(),
                Ok("arn:aws:kms:us-east-1:123456789012:alias/MyAliasName".into()),
            ),
            (
                "arn:aws:kms:us-east-2:123456789012:alias/MyAliasName".into(),
                Ok("arn:aws:kms:us-east-2:123456789012:alias/MyAliasName".into()),
            ),
            (
                format!("mrk-{}", "a".repeat(32)),
                Ok(format!(
                    "arn:aws:kms:us-east-1:123456789012:key/mrk-{}",
                    "a".repeat(32)
                )),
            ),
            ("12345678-1234-1234-1234-12345678901".into(), bad()),
            ("not-a-key".into(), bad()),
            ("alias/".into(), bad()),
            ("alias/has space".into(), bad()),
            (
                "arn:aws:kms:us-east-2:123456789012:key/not-a-uuid".into(),
                bad(),
            ),
            ("arn:aws:kms:us-east-2:123456789012:secret/x".into(), bad()),
            (String::new(), bad()),
        ];
        for (text, expected) in cases {
            assert_eq!(
                code(kms_key_arn(&text, ACCOUNT, REGION)),
                expected,
                "kms key {text:?}"
            );
        }
    }

    #[test]
    fn tags() {
        let bad = Err("InvalidTagParameterException");
        let with = |key: &str, value: Option<&str>| Tag {
            key: key.into(),
            value: value.map(Into::into),
        };
        let cases: Vec<(Tag, Result<(), &str>)> = vec![
            (with("env", Some("prod")), Ok(())),
            (with("env", None), Ok(())),
            (with("team name", Some("a+b=c@d:e/f")), Ok(())),
            (with("日本", Some("値")), Ok(())),
            (with(&"k".repeat(128), Some(&"v".repeat(256))), Ok(())),
            (with("", Some("x")), bad),
            (with(&"k".repeat(129), None), bad),
            (with("k", Some(&"v".repeat(257))), bad),
            (with("k", Some("")), bad),
            (with("aws:reserved", None), bad),
            (with("AWS:reserved", None), bad),
            (with("semi;colon", None), bad),
            (with("k", Some("<script>")), bad),
        ];
        for (t, expected) in cases {
            assert_eq!(code(tag(&t)), expected, "tag {t:?}");
        }
    }
}
