//! The `Condition` element: operators, their parsing and validation, and their evaluation.
//!
//! Semantics, all from the IAM User Guide:
//! - Several operators in one `Condition`, and several keys in one operator, are AND-ed; several
//!   values of one key are OR-ed; for a negated operator (`StringNotEquals`, `NotIpAddress`, ...)
//!   the values are NOR-ed: the condition holds when the request value matches none of them
//!   ("Condition with multiple context keys or values", evaluation logic for negated operators).
//! - A key absent from the request context (or holding no value): "the values do not match and
//!   the condition is false. If the policy condition requires that the key is not matched, such as
//!   StringNotLike or ArnNotLike, and the right key is not present, the condition is true. This
//!   logic applies to all condition operators except ...IfExists and Null check"
//!   ("Elements: Condition operators", the Important note). `...IfExists` holds when the key is
//!   absent; `Null` tests presence itself (`true`: absent). With a set qualifier, an absent key
//!   makes `ForAllValues:` true ("also returns true if there are no context keys in the request")
//!   and `ForAnyValue:` false ("Single-valued vs. multivalued context keys").
//! - `ForAllValues:` holds when every request value satisfies the operator, `ForAnyValue:` when at
//!   least one does; without a qualifier a multi-valued key behaves like `ForAnyValue:` for
//!   positive operators and like "no value matches" for negated ones.
//! - `ArnEquals` and `ArnLike` are the same test: each of the six `:`-separated components is
//!   compared on its own, with `*` and `?` wildcards ("ARN condition operators").
//! - Policy variables are substituted in `String*`, `Arn*` and `Bool` values only (the operator
//!   tables' "Policy variables: Supported"). A value whose variable has no value and no default
//!   makes its condition false whatever the operator ("if AWS cannot resolve a variable this might
//!   cause the entire statement to be invalid"); this crate chose "does not apply".

use std::net::IpAddr;

use serde_json::Value;

use crate::context::ConditionContext;
use crate::error::PolicyError;
use crate::net::Cidr;
use crate::pattern::{Pattern, Template, tokens_match};
use crate::s3::catalog::is_condition_key;
use crate::time::parse_millis;

/// How a request value is compared with a policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Ordering),
    Date(Ordering),
    Bool,
    Binary,
    IpAddress,
    Arn,
    Null,
}

/// The comparison of numeric and date operators: request value against policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Ordering {
    fn holds(self, request: f64, policy: f64) -> bool {
        match self {
            Ordering::Equals => request == policy,
            Ordering::LessThan => request < policy,
            Ordering::LessThanEquals => request <= policy,
            Ordering::GreaterThan => request > policy,
            Ordering::GreaterThanEquals => request >= policy,
        }
    }
}

/// Every operator name (without qualifier and `IfExists`), its test and whether it is negated.
const OPERATORS: &[(&str, Test, bool)] = &[
    ("StringEquals", Test::StringEquals, false),
    ("StringNotEquals", Test::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Test::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Test::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Test::StringLike, false),
    ("StringNotLike", Test::StringLike, true),
    ("NumericEquals", Test::Numeric(Ordering::Equals), false),
    ("NumericNotEquals", Test::Numeric(Ordering::Equals), true),
    ("NumericLessThan", Test::Numeric(Ordering::LessThan), false),
    (
        "NumericLessThanEquals",
        Test::Numeric(Ordering::LessThanEquals),
        false,
    ),
    (
        "NumericGreaterThan",
        Test::Numeric(Ordering::GreaterThan),
        false,
    ),
    (
        "NumericGreaterThanEquals",
        Test::Numeric(Ordering::GreaterThanEquals),
        false,
    ),
    ("DateEquals", Test::Date(Ordering::Equals), false),
    ("DateNotEquals", Test::Date(Ordering::Equals), true),
    ("DateLessThan", Test::Date(Ordering::LessThan), false),
    (
        "DateLessThanEquals",
        Test::Date(Ordering::LessThanEquals),
        false,
    ),
    ("DateGreaterThan", Test::Date(Ordering::GreaterThan), false),
    (
        "DateGreaterThanEquals",
        Test::Date(Ordering::GreaterThanEquals),
        false,
    ),
    ("Bool", Test::Bool, false),
    ("BinaryEquals", Test::Binary, false),
    ("IpAddress", Test::IpAddress, false),
    ("NotIpAddress", Test::IpAddress, true),
    ("ArnEquals", Test::Arn, false),
    ("ArnLike", Test::Arn, false),
    ("ArnNotEquals", Test::Arn, true),
    ("ArnNotLike", Test::Arn, true),
    ("Null", Test::Null, false),
];

/// `ForAnyValue:` / `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    None,
    AnyValue,
    AllValues,
}

/// A policy value, prepared for its operator.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    /// String, ARN, Bool and Binary values (may hold variables).
    Text(Template),
    /// Numeric values.
    Number(f64),
    /// Date values, epoch milliseconds.
    Millis(i64),
    /// IP blocks.
    Block(Cidr),
    /// `Null` values: `true` means "the key is absent".
    Absent(bool),
}

/// One operator applied to one key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    test: Test,
    negated: bool,
    set: SetQualifier,
    if_exists: bool,
    /// Lower-cased.
    key: String,
    values: Vec<Expected>,
}

/// Reads a statement's `Condition` element: one condition per operator and key.
pub(crate) fn parse_conditions(
    value: &Value,
    variables: bool,
) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = value else {
        return Err(PolicyError::Syntax(format!("Condition {value}")));
    };
    let mut conditions = Vec::new();
    for (written, keys) in operators {
        let (test, negated, set, if_exists) = parse_operator(written)?;
        let Value::Object(keys) = keys else {
            return Err(PolicyError::Syntax(format!("{written} {keys}")));
        };
        for (key, values) in keys {
            if !is_condition_key(key) {
                return Err(PolicyError::InvalidConditionKey(key.clone()));
            }
            let values = condition_strings(values)?
                .iter()
                .map(|value| expected(test, written, value, variables))
                .collect::<Result<_, _>>()?;
            conditions.push(Condition {
                test,
                negated,
                set,
                if_exists,
                key: key.to_ascii_lowercase(),
                values,
            });
        }
    }
    Ok(conditions)
}

/// `[ForAnyValue:|ForAllValues:]<operator>[IfExists]`.
fn parse_operator(written: &str) -> Result<(Test, bool, SetQualifier, bool), PolicyError> {
    let (set, rest) = if let Some(rest) = written.strip_prefix("ForAnyValue:") {
        (SetQualifier::AnyValue, rest)
    } else if let Some(rest) = written.strip_prefix("ForAllValues:") {
        (SetQualifier::AllValues, rest)
    } else {
        (SetQualifier::None, written)
    };
    let (name, if_exists) = match rest.strip_suffix("IfExists") {
        Some(name) => (name, true),
        None => (rest, false),
    };
    OPERATORS
        .iter()
        .find(|(known, _, _)| *known == name)
        .filter(|(_, test, _)| !(if_exists && *test == Test::Null))
        .map(|(_, test, negated)| (*test, *negated, set, if_exists))
        .ok_or_else(|| PolicyError::InvalidConditionType(written.to_owned()))
}

/// A condition's values: one scalar or a list of them; numbers and booleans are read as text.
fn condition_strings(value: &Value) -> Result<Vec<String>, PolicyError> {
    let scalar = |value: &Value| match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        other => Err(PolicyError::Syntax(format!("condition value {other}"))),
    };
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn expected(
    test: Test,
    operator: &str,
    value: &str,
    variables: bool,
) -> Result<Expected, PolicyError> {
    let invalid = || PolicyError::InvalidConditionValue {
        operator: operator.to_owned(),
        value: value.to_owned(),
    };
    Ok(match test {
        Test::Numeric(_) => Expected::Number(parse_number(value).ok_or_else(invalid)?),
        Test::Date(_) => Expected::Millis(parse_millis(value).ok_or_else(invalid)?),
        Test::IpAddress => Expected::Block(
            Cidr::parse(value).ok_or_else(|| PolicyError::InvalidIpAddress(value.to_owned()))?,
        ),
        Test::Null if value.eq_ignore_ascii_case("true") => Expected::Absent(true),
        Test::Null if value.eq_ignore_ascii_case("false") => Expected::Absent(false),
        Test::Null => return Err(invalid()),
        _ => Expected::Text(Template::parse(value, variables)),
    })
}

/// An integer or decimal number.
fn parse_number(text: &str) -> Option<f64> {
    let digits = text.trim().strip_prefix('-').unwrap_or(text.trim());
    let plain = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    if !plain {
        return None;
    }
    text.trim().parse().ok()
}

impl Condition {
    /// Whether the condition holds for `context`.
    pub(crate) fn holds(&self, context: &ConditionContext) -> bool {
        let actual = context.lowercase_values(&self.key);
        if self.test == Test::Null {
            return self
                .values
                .iter()
                .any(|value| *value == Expected::Absent(actual.is_none()));
        }
        let Some(actual) = actual else {
            return self.if_exists
                || match self.set {
                    SetQualifier::AllValues => true,
                    SetQualifier::AnyValue => false,
                    SetQualifier::None => self.negated,
                };
        };
        let Some(expected) = self.resolve(context) else {
            return false;
        };
        let satisfied = |request: &String| self.matches_any(request, &expected) != self.negated;
        match self.set {
            SetQualifier::AllValues => actual.iter().all(satisfied),
            SetQualifier::AnyValue => actual.iter().any(satisfied),
            SetQualifier::None if self.negated => actual.iter().all(satisfied),
            SetQualifier::None => actual.iter().any(satisfied),
        }
    }

    /// The policy values with variables substituted; `None` when one cannot be.
    fn resolve(&self, context: &ConditionContext) -> Option<Vec<Resolved>> {
        self.values
            .iter()
            .map(|value| {
                Some(match (value, self.test) {
                    (Expected::Text(template), Test::StringLike | Test::Arn) => {
                        Resolved::Pattern(template.resolve_pattern(context)?)
                    }
                    (Expected::Text(template), _) => {
                        Resolved::Text(template.resolve_text(context)?)
                    }
                    (Expected::Number(number), _) => Resolved::Number(*number),
                    (Expected::Millis(millis), _) => Resolved::Number(*millis as f64),
                    (Expected::Block(block), _) => Resolved::Block(*block),
                    (Expected::Absent(_), _) => return None,
                })
            })
            .collect()
    }

    /// Whether `request` matches at least one policy value under the positive form of the test.
    fn matches_any(&self, request: &str, expected: &[Resolved]) -> bool {
        let parsed = RequestValue::read(self.test, request);
        expected
            .iter()
            .any(|value| parsed.matches(self.test, request, value))
    }
}

/// A policy value ready to compare.
#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    Text(String),
    Pattern(Pattern),
    Number(f64),
    Block(Cidr),
}

/// A request value parsed once for its operator.
enum RequestValue {
    Number(f64),
    Address(IpAddr),
    Unparsed,
}

impl RequestValue {
    fn read(test: Test, request: &str) -> Self {
        let parsed = match test {
            Test::Numeric(_) => parse_number(request).map(RequestValue::Number),
            Test::Date(_) => {
                parse_millis(request).map(|millis| RequestValue::Number(millis as f64))
            }
            Test::IpAddress => request
                .trim()
                .parse::<IpAddr>()
                .ok()
                .map(|address| RequestValue::Address(address.to_canonical())),
            _ => None,
        };
        parsed.unwrap_or(RequestValue::Unparsed)
    }

    fn matches(&self, test: Test, request: &str, expected: &Resolved) -> bool {
        match (test, expected, self) {
            (Test::StringEquals | Test::Binary, Resolved::Text(text), _) => request == text,
            (Test::StringEqualsIgnoreCase, Resolved::Text(text), _) => {
                request.to_lowercase() == text.to_lowercase()
            }
            (Test::Bool, Resolved::Text(text), _) => request.eq_ignore_ascii_case(text),
            (Test::StringLike, Resolved::Pattern(pattern), _) => pattern.matches(request),
            (Test::Arn, Resolved::Pattern(pattern), _) => arn_matches(pattern, request),
            (
                Test::Numeric(order) | Test::Date(order),
                Resolved::Number(policy),
                RequestValue::Number(value),
            ) => order.holds(*value, *policy),
            (Test::IpAddress, Resolved::Block(block), RequestValue::Address(address)) => {
                block.contains(*address)
            }
            _ => false,
        }
    }
}

/// ARN comparison component by component; a request value that is no six-part ARN matches nothing.
fn arn_matches(pattern: &Pattern, request: &str) -> bool {
    let request: Vec<Vec<char>> = request
        .splitn(6, ':')
        .map(|part| part.chars().collect())
        .collect();
    let pattern = pattern.arn_components();
    request.len() == 6
        && pattern.len() == 6
        && pattern
            .iter()
            .zip(&request)
            .all(|(tokens, text)| tokens_match(tokens, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The request context every case runs against.
    fn context() -> ConditionContext {
        ConditionContext::new()
            .with("aws:SourceIp", "203.0.113.7")
            .with("aws:SecureTransport", "true")
            .with("aws:username", "alice")
            .with("aws:CurrentTime", "2024-06-30T12:00:00Z")
            .with("aws:EpochTime", "1719748800")
            .with(
                "aws:SourceArn",
                "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
            )
            .with("s3:x-amz-acl", "bucket-owner-full-control")
            .with("s3:prefix", "home/alice/docs")
            .with("s3:max-keys", "100")
            .with_values("aws:TagKeys", ["team", "cost"])
            .with("aws:PrincipalTag/six", "6")
    }

    /// `condition` (a `Condition` element) holds, or not, for [`context`].
    fn check(condition: Value, expected: bool) {
        let conditions = parse_conditions(&condition, true).unwrap();
        let held = conditions.iter().all(|c| c.holds(&context()));
        assert_eq!(held, expected, "{condition}");
    }

    #[test]
    fn string_operators() {
        check(
            json!({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
            true,
        );
        check(
            json!({"StringEquals": {"S3:X-AMZ-ACL": "bucket-owner-full-control"}}),
            true,
        );
        check(
            json!({"StringEquals": {"s3:x-amz-acl": "BUCKET-OWNER-FULL-CONTROL"}}),
            false,
        );
        check(
            json!({"StringEquals": {"s3:x-amz-acl": ["private", "bucket-owner-full-control"]}}),
            true,
        );
        check(
            json!({"StringNotEquals": {"s3:x-amz-acl": "private"}}),
            true,
        );
        check(
            json!({"StringNotEquals": {"s3:x-amz-acl": ["private", "bucket-owner-full-control"]}}),
            false,
        );
        check(
            json!({"StringEqualsIgnoreCase": {"s3:x-amz-acl": "Bucket-Owner-Full-Control"}}),
            true,
        );
        check(
            json!({"StringNotEqualsIgnoreCase": {"s3:x-amz-acl": "BUCKET-OWNER-FULL-CONTROL"}}),
            false,
        );
        check(
            json!({"StringNotEqualsIgnoreCase": {"s3:x-amz-acl": "private"}}),
            true,
        );
        check(json!({"StringLike": {"s3:prefix": "home/*/docs"}}), true);
        check(json!({"StringLike": {"s3:prefix": "home/al?ce*"}}), true);
        check(json!({"StringLike": {"s3:prefix": "home/bob/*"}}), false);
        check(
            json!({"StringNotLike": {"s3:prefix": ["tmp/*", "home/bob/*"]}}),
            true,
        );
        check(
            json!({"StringNotLike": {"s3:prefix": ["tmp/*", "home/*"]}}),
            false,
        );
        check(json!({"StringEquals": {"s3:max-keys": 100}}), true);
    }

    #[test]
    fn numeric_and_date_operators() {
        check(json!({"NumericEquals": {"s3:max-keys": "100"}}), true);
        check(json!({"NumericEquals": {"s3:max-keys": "100.0"}}), true);
        check(
            json!({"NumericNotEquals": {"s3:max-keys": ["10", "100"]}}),
            false,
        );
        check(json!({"NumericNotEquals": {"s3:max-keys": "10"}}), true);
        check(json!({"NumericLessThan": {"s3:max-keys": "101"}}), true);
        check(json!({"NumericLessThan": {"s3:max-keys": "100"}}), false);
        check(
            json!({"NumericLessThanEquals": {"s3:max-keys": "100"}}),
            true,
        );
        check(json!({"NumericGreaterThan": {"s3:max-keys": "99"}}), true);
        check(json!({"NumericGreaterThan": {"s3:max-keys": 100}}), false);
        check(
            json!({"NumericGreaterThanEquals": {"s3:max-keys": "100"}}),
            true,
        );
        check(json!({"NumericLessThan": {"aws:username": "5"}}), false);
        check(
            json!({"DateEquals": {"aws:CurrentTime": "2024-06-30T12:00:00Z"}}),
            true,
        );
        check(
            json!({"DateEquals": {"aws:EpochTime": "2024-06-30T14:00:00+02:00"}}),
            true,
        );
        check(
            json!({"DateNotEquals": {"aws:CurrentTime": "2024-06-30"}}),
            true,
        );
        check(
            json!({"DateLessThan": {"aws:CurrentTime": "2024-07-01"}}),
            true,
        );
        check(
            json!({"DateLessThan": {"aws:CurrentTime": "2024-06-30T12:00:00Z"}}),
            false,
        );
        check(
            json!({"DateLessThanEquals": {"aws:CurrentTime": "1719748800"}}),
            true,
        );
        check(
            json!({"DateGreaterThan": {"aws:CurrentTime": "2024-06-30"}}),
            true,
        );
        check(
            json!({"DateGreaterThan": {"aws:EpochTime": 1719748800}}),
            false,
        );
        check(
            json!({"DateGreaterThanEquals": {"aws:CurrentTime": "2024-06-30T12:00:00Z"}}),
            true,
        );
    }

    #[test]
    fn bool_binary_ip_arn_operators() {
        check(json!({"Bool": {"aws:SecureTransport": true}}), true);
        check(json!({"Bool": {"aws:SecureTransport": "TRUE"}}), true);
        check(json!({"Bool": {"aws:SecureTransport": "false"}}), false);
        check(json!({"BinaryEquals": {"aws:username": "alice"}}), true);
        check(
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            true,
        );
        check(
            json!({"IpAddress": {"aws:SourceIp": ["198.51.100.0/24", "203.0.113.7"]}}),
            true,
        );
        check(
            json!({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}),
            false,
        );
        check(
            json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.7/32"}}),
            false,
        );
        check(
            json!({"NotIpAddress": {"aws:SourceIp": ["198.51.100.0/24", "2001:db8::/32"]}}),
            true,
        );
        check(json!({"IpAddress": {"aws:username": "0.0.0.0/0"}}), false);
        let trail = "arn:aws:cloudtrail:us-east-1:111122223333:trail/main";
        check(json!({"ArnEquals": {"aws:SourceArn": trail}}), true);
        check(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}),
            true,
        );
        check(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*"}}),
            false,
        );
        check(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:*:us-east-?:111122223333:*"}}),
            true,
        );
        check(json!({"ArnNotEquals": {"aws:SourceArn": trail}}), false);
        check(
            json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:444455556666:*"}}),
            true,
        );
        check(json!({"ArnLike": {"aws:username": "*"}}), false);
    }

    #[test]
    fn several_operators_and_keys_are_and_ed() {
        check(
            json!({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:username": "alice"},
                   "Bool": {"aws:SecureTransport": "true"}}),
            true,
        );
        check(
            json!({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:username": "bob"}}),
            false,
        );
        check(
            json!({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"},
                   "Bool": {"aws:SecureTransport": "false"}}),
            false,
        );
        check(json!({}), true);
    }

    #[test]
    fn missing_keys() {
        let absent = "aws:SourceVpce";
        check(json!({"StringEquals": {absent: "vpce-1"}}), false);
        check(json!({"StringNotEquals": {absent: "vpce-1"}}), true);
        check(json!({"StringLike": {absent: "*"}}), false);
        check(json!({"StringNotLike": {absent: "*"}}), true);
        check(
            json!({"NumericLessThan": {"s3:object-lock-remaining-retention-days": "5"}}),
            false,
        );
        check(
            json!({"NumericNotEquals": {"s3:object-lock-remaining-retention-days": "5"}}),
            true,
        );
        check(
            json!({"DateNotEquals": {"aws:TokenIssueTime": "2024-01-01"}}),
            true,
        );
        check(
            json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            false,
        );
        check(
            json!({"IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}),
            false,
        );
        check(
            json!({"NotIpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}),
            true,
        );
        check(json!({"ArnLike": {absent: "*"}}), false);
        check(json!({"ArnNotLike": {absent: "*"}}), true);
        check(json!({"Null": {absent: "true"}}), true);
        check(json!({"Null": {absent: "false"}}), false);
        check(json!({"Null": {"s3:x-amz-acl": "false"}}), true);
        check(json!({"Null": {"s3:x-amz-acl": true}}), false);
    }

    #[test]
    fn if_exists() {
        check(
            json!({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}),
            true,
        );
        check(
            json!({"StringEqualsIfExists": {"s3:x-amz-acl": "private"}}),
            false,
        );
        check(
            json!({"StringEqualsIfExists": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
            true,
        );
        check(
            json!({"StringNotEqualsIfExists": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
            false,
        );
        check(
            json!({"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}),
            true,
        );
        check(
            json!({"NumericLessThanIfExists": {"s3:max-keys": "10"}}),
            false,
        );
        check(
            json!({"NumericLessThanIfExists": {"s3:object-lock-remaining-retention-days": "10"}}),
            true,
        );
        check(
            json!({"DateGreaterThanIfExists": {"aws:TokenIssueTime": "2024-01-01"}}),
            true,
        );
        check(
            json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}),
            true,
        );
        check(
            json!({"BoolIfExists": {"aws:SecureTransport": "false"}}),
            false,
        );
        check(
            json!({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}),
            false,
        );
        check(
            json!({"NotIpAddressIfExists": {"aws:VpcSourceIp": "10.0.0.0/8"}}),
            true,
        );
        check(
            json!({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/*"}}),
            true,
        );
        check(
            json!({"ArnNotLikeIfExists": {"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/*"}}),
            false,
        );
        check(
            json!({"BinaryEqualsIfExists": {"aws:SourceVpce": "x"}}),
            true,
        );
        check(json!({"StringLikeIfExists": {"s3:prefix": "tmp/*"}}), false);
    }

    #[test]
    fn set_qualifiers() {
        check(
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost", "env"]}}),
            true,
        );
        check(
            json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
            false,
        );
        check(
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}),
            true,
        );
        check(
            json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}),
            false,
        );
        check(
            json!({"ForAllValues:StringLike": {"aws:TagKeys": ["t*", "c*"]}}),
            true,
        );
        check(
            json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["env"]}}),
            true,
        );
        check(
            json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["team"]}}),
            false,
        );
        check(
            json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}}),
            true,
        );
        check(
            json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "cost"]}}),
            false,
        );
        check(json!({"StringEquals": {"aws:TagKeys": "cost"}}), true);
        check(json!({"StringNotEquals": {"aws:TagKeys": "cost"}}), false);
        check(
            json!({"ForAllValues:StringEquals": {"aws:RequestTag/x": "y"}}),
            true,
        );
        check(
            json!({"ForAnyValue:StringEquals": {"aws:RequestTag/x": "y"}}),
            false,
        );
        check(
            json!({"ForAllValues:StringNotLike": {"aws:RequestTag/x": "y*"}}),
            true,
        );
        check(
            json!({"ForAnyValue:StringNotLike": {"aws:RequestTag/x": "y*"}}),
            false,
        );
        check(
            json!({"ForAnyValue:StringEqualsIfExists": {"aws:RequestTag/x": "y"}}),
            true,
        );
        check(
            json!({"ForAnyValue:NumericEquals": {"aws:PrincipalTag/six": [5, 6]}}),
            true,
        );
    }

    #[test]
    fn variables_in_values() {
        check(
            json!({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
            true,
        );
        check(
            json!({"StringEquals": {"aws:username": "${aws:username}"}}),
            true,
        );
        check(
            json!({"StringLike": {"s3:prefix": "home/${aws:userid}/*"}}),
            false,
        );
        check(
            json!({"StringNotLike": {"s3:prefix": "home/${aws:userid}/*"}}),
            false,
        );
        check(
            json!({"StringNotEquals": {"aws:username": "${aws:userid, 'alice'}"}}),
            false,
        );
        check(
            json!({"StringEquals": {"aws:username": "${aws:userid, 'alice'}"}}),
            true,
        );
        check(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/${aws:SecureTransport, 'x'}"}}),
            false,
        );
        check(json!({"NumericEquals": {"s3:max-keys": "100"}}), true);
        let literal = parse_conditions(
            &json!({"StringEquals": {"s3:prefix": "${aws:username}"}}),
            false,
        )
        .unwrap();
        assert!(!literal[0].holds(&context().with("s3:prefix", "alice")));
        assert!(literal[0].holds(&context().with("s3:prefix", "${aws:username}")));
    }

    #[test]
    fn invalid_conditions() {
        let check = |condition: Value, expected: &str| {
            let error = parse_conditions(&condition, true).unwrap_err();
            assert_eq!(error.aws_message(), expected, "{condition}");
        };
        check(
            json!({"StringEqualz": {"aws:username": "a"}}),
            "Invalid Condition type : StringEqualz",
        );
        check(
            json!({"NullIfExists": {"aws:username": "true"}}),
            "Invalid Condition type : NullIfExists",
        );
        check(
            json!({"ForSomeValues:StringEquals": {"aws:username": "a"}}),
            "Invalid Condition type : ForSomeValues:StringEquals",
        );
        check(
            json!({"stringEquals": {"aws:username": "a"}}),
            "Invalid Condition type : stringEquals",
        );
        check(
            json!({"StringEquals": {"s3:x-acl": "private"}}),
            "Policy has an invalid condition key",
        );
        check(
            json!({"StringEquals": {"kms:ViaService": "x"}}),
            "Policy has an invalid condition key",
        );
        check(
            json!({"StringEquals": {"aws:": "x"}}),
            "Policy has an invalid condition key",
        );
        check(
            json!({"IpAddress": {"aws:SourceIp": "xx.xx.xx.xx/32"}}),
            "Invalid IP address in Conditions",
        );
        check(
            json!({"NumericLessThan": {"s3:max-keys": "ten"}}),
            "Condition value ten is not valid for operator NumericLessThan",
        );
        check(
            json!({"DateLessThan": {"aws:CurrentTime": "soon"}}),
            "Condition value soon is not valid for operator DateLessThan",
        );
        check(
            json!({"Null": {"aws:username": "maybe"}}),
            "Condition value maybe is not valid for operator Null",
        );
        check(
            json!({"StringEquals": {"aws:username": {"a": 1}}}),
            "Invalid policy syntax.",
        );
        check(
            json!({"StringEquals": {"aws:username": [null]}}),
            "Invalid policy syntax.",
        );
        check(
            json!({"StringEquals": "aws:username"}),
            "Invalid policy syntax.",
        );
        check(json!(["StringEquals"]), "Invalid policy syntax.");
    }
}
