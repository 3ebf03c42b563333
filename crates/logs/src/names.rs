//! Identifiers and their rules: the caller's [`Scope`] (account and region), row ids as newtypes,
//! log group and stream name rules, and the ARNs CloudWatch Logs prints.
//!
//! Only syntax lives here; whether a group exists is the store's question.

/// The account and region a call acts in: every log group belongs to exactly one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scope<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
}

impl<'a> Scope<'a> {
    pub fn new(account_id: &'a str, region: &'a str) -> Self {
        Scope { account_id, region }
    }

    /// `arn:aws:logs:<region>:<account>:log-group:<name>` (the form without `:*`).
    pub fn group_arn(&self, group: &str) -> String {
        format!(
            "arn:{}:logs:{}:{}:log-group:{group}",
            partition_for_region(self.region),
            self.region,
            self.account_id
        )
    }

    /// The older form with the trailing `:*` that `DescribeLogGroups` returns as `arn`.
    pub fn group_arn_with_wildcard(&self, group: &str) -> String {
        format!("{}:*", self.group_arn(group))
    }

    /// `arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>`.
    pub fn stream_arn(&self, group: &str, stream: &str) -> String {
        format!("{}:log-stream:{stream}", self.group_arn(group))
    }

    /// The group name an ARN (with or without `:*`) names in this scope, `None` if the ARN is
    /// malformed or belongs to another account or region.
    pub fn group_name_from_arn<'t>(&self, arn: &'t str) -> Option<&'t str> {
        let rest = arn.strip_prefix("arn:")?;
        let mut parts = rest.splitn(6, ':');
        let (_partition, service, region, account) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let resource = parts.next()?;
        let name = parts.next()?;
        let name = name.strip_suffix(":*").unwrap_or(name);
        let matches_scope =
            service == "logs" && region == self.region && account == self.account_id;
        (matches_scope && resource == "log-group" && is_valid_group_name(name)).then_some(name)
    }
}

/// The AWS partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`.
pub(crate) fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The row id of a log group in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct GroupId(pub i64);

/// The row id of a log stream in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StreamId(pub i64);

/// Longest log group, log stream or filter name, in characters.
pub(crate) const MAX_NAME_LENGTH: usize = 512;

/// `LogGroupName`: 1–512 characters of `[.\-_/#A-Za-z0-9]`.
pub(crate) fn is_valid_group_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LENGTH && name.chars().all(is_group_name_char)
}

/// One character of the `LogGroupName` pattern `[\.\-_/#A-Za-z0-9]+`.
pub(crate) fn is_group_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#')
}

/// `LogStreamName` and `FilterName`: 1–512 characters, none of them `:` or `*`.
pub(crate) fn is_valid_stream_name(name: &str) -> bool {
    let length = name.chars().count();
    (1..=MAX_NAME_LENGTH).contains(&length) && !name.contains([':', '*'])
}

/// AWS reserves group names starting with `aws/` (in any case) for its own services.
pub(crate) fn is_reserved_group_name(name: &str) -> bool {
    name.len() >= 4 && name[..4].eq_ignore_ascii_case("aws/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_the_region_partition() {
        let scope = Scope::new("123456789012", "ap-northeast-1");
        assert_eq!(
            scope.group_arn_with_wildcard("CloudTrail/x"),
            "arn:aws:logs:ap-northeast-1:123456789012:log-group:CloudTrail/x:*"
        );
        assert_eq!(
            Scope::new("123456789012", "cn-north-1").stream_arn("g", "s"),
            "arn:aws-cn:logs:cn-north-1:123456789012:log-group:g:log-stream:s"
        );
    }

    #[test]
    fn group_names_are_read_back_from_arns_of_the_same_scope_only() {
        let scope = Scope::new("123456789012", "us-east-1");
        let cases = [
            (
                "arn:aws:logs:us-east-1:123456789012:log-group:a/b",
                Some("a/b"),
            ),
            (
                "arn:aws:logs:us-east-1:123456789012:log-group:a/b:*",
                Some("a/b"),
            ),
            ("arn:aws:logs:us-west-2:123456789012:log-group:a", None),
            ("arn:aws:logs:us-east-1:210987654321:log-group:a", None),
            ("arn:aws:logs:us-east-1:123456789012:destination:a", None),
            (
                "arn:aws:logs:us-east-1:123456789012:log-group:a:log-stream:s",
                None,
            ),
            ("not-an-arn", None),
        ];
        for (arn, expected) in cases {
            assert_eq!(scope.group_name_from_arn(arn), expected, "{arn}");
        }
    }

    #[test]
    fn name_rules() {
        assert!(is_valid_group_name("CloudTrail/DefaultLogGroup_1.#-"));
        assert!(!is_valid_group_name("has space"));
        assert!(!is_valid_group_name(""));
        assert!(!is_valid_group_name(&"a".repeat(513)));
        assert!(is_valid_stream_name("123456789012_CloudTrail_us-east-1"));
        assert!(!is_valid_stream_name("a:b"));
        assert!(!is_valid_stream_name("a*"));
        assert!(is_reserved_group_name("AWS/lambda"));
        assert!(is_reserved_group_name("aws/x"));
        assert!(!is_reserved_group_name("/aws/lambda/f"));
    }
}
