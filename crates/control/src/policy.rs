//! A small evaluator of resource policies (S3 bucket policies, SNS topic policies), enough to
//! answer one question the way AWS does: does this policy let the CloudTrail service principal
//! perform this action on this resource, with this request context?
//!
//! It understands `Effect`, `Principal`/`NotPrincipal`, `Action`/`NotAction`,
//! `Resource`/`NotResource` with `*` and `?` wildcards, and the condition operators trail delivery
//! meets in practice (`String*`, `Arn*`, `Bool`, `Null`, with `IfExists` and the
//! `ForAnyValue:`/`ForAllValues:` qualifiers). An explicit Deny wins over any Allow. A condition
//! operator it does not know never matches, so an unknown condition can neither grant nor deny.
//! It is not a general IAM engine: no policy variables, no numeric/date/IP operators.

use serde_json::Value;

/// The request a policy is asked about.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRequest<'a> {
    /// Service principal making the request, e.g. `cloudtrail.amazonaws.com`.
    pub service_principal: &'a str,
    /// Action, e.g. `s3:PutObject`.
    pub action: &'a str,
    /// Resource ARN, e.g. `arn:aws:s3:::bucket/AWSLogs/123456789012/CloudTrail/...`.
    pub resource: &'a str,
    /// Condition keys present in the request and their values (keys compared case-insensitively).
    pub context: &'a [(&'a str, &'a str)],
}

/// Whether `policy_json` allows `request`: some Allow statement matches and no Deny statement does.
/// A policy that is not valid JSON allows nothing.
pub fn policy_allows(policy_json: &str, request: &PolicyRequest<'_>) -> bool {
    let Ok(policy) = serde_json::from_str::<Value>(policy_json) else {
        return false;
    };
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => return false,
    };
    let matching = |effect: &str| {
        statements.iter().any(|s| {
            s.get("Effect").and_then(Value::as_str) == Some(effect) && statement_applies(s, request)
        })
    };
    !matching("Deny") && matching("Allow")
}

fn statement_applies(statement: &Value, request: &PolicyRequest<'_>) -> bool {
    element_matches(statement, "Principal", "NotPrincipal", |v| {
        principal_matches(v, request.service_principal)
    }) && element_matches(statement, "Action", "NotAction", |v| {
        strings(v).iter().any(|p| {
            wildcard_match(
                &p.to_ascii_lowercase(),
                &request.action.to_ascii_lowercase(),
            )
        })
    }) && element_matches(statement, "Resource", "NotResource", |v| {
        strings(v)
            .iter()
            .any(|p| wildcard_match(p, request.resource))
    }) && statement
        .get("Condition")
        .is_none_or(|c| conditions_hold(c, request.context))
}

/// Applies `matches` to the positive element, or its negation to the `Not*` element; a statement
/// with neither never applies.
fn element_matches(
    statement: &Value,
    positive: &str,
    negative: &str,
    matches: impl Fn(&Value) -> bool,
) -> bool {
    match (statement.get(positive), statement.get(negative)) {
        (Some(value), _) => matches(value),
        (None, Some(value)) => !matches(value),
        (None, None) => false,
    }
}

fn principal_matches(principal: &Value, service: &str) -> bool {
    match principal {
        Value::String(star) => star == "*",
        Value::Object(map) => {
            let any_aws = map.get("AWS").is_some_and(|v| strings(v).contains(&"*"));
            let service_listed = map
                .get("Service")
                .is_some_and(|v| strings(v).contains(&service));
            any_aws || service_listed
        }
        _ => false,
    }
}

/// A string or a list of strings as a list; anything else as empty.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Condition values may be strings, booleans or numbers; all compare as text.
fn condition_values(value: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(list) => list.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

fn conditions_hold(condition: &Value, context: &[(&str, &str)]) -> bool {
    let Value::Object(operators) = condition else {
        return false;
    };
    operators.iter().all(|(operator, keys)| {
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().all(|(key, expected)| {
            let actual = context
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| *v);
            operator_holds(operator, actual, &condition_values(expected))
        })
    })
}

fn operator_holds(operator: &str, actual: Option<&str>, expected: &[String]) -> bool {
    let operator = operator.split_once(':').map_or(operator, |(_, op)| op);
    let (operator, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    if operator == "Null" {
        let wants_absent = expected.iter().any(|v| v == "true");
        return actual.is_none() == wants_absent;
    }
    let negated = operator.contains("Not");
    let Some(actual) = actual else {
        return if_exists || negated;
    };
    let Some(positive) = positive_match(&operator.replace("Not", ""), actual, expected) else {
        return false;
    };
    positive != negated
}

/// Whether any expected value matches under the (non-negated) operator; `None` for an unknown one.
fn positive_match(operator: &str, actual: &str, expected: &[String]) -> Option<bool> {
    let any = |f: &dyn Fn(&str) -> bool| expected.iter().any(|e| f(e));
    match operator {
        "StringEquals" | "ArnEquals" => Some(any(&|e| e == actual)),
        "StringEqualsIgnoreCase" => Some(any(&|e| e.eq_ignore_ascii_case(actual))),
        "StringLike" | "ArnLike" => Some(any(&|e| wildcard_match(e, actual))),
        "Bool" => Some(any(&|e| e.eq_ignore_ascii_case(actual))),
        _ => None,
    }
}

/// Glob match where `*` is any run of characters and `?` is any one character.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p, t));
            p += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRAIL: &str = "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/test-event-selector";
    const KEY: &str =
        "arn:aws:s3:::write-only-events/AWSLogs/123456789012/CloudTrail/ap-northeast-1/x.json.gz";

    fn check(policy: &str, expected: bool) {
        let context = [
            ("aws:SourceArn", TRAIL),
            ("aws:SourceAccount", "123456789012"),
            ("s3:x-amz-acl", "bucket-owner-full-control"),
            ("aws:SecureTransport", "true"),
        ];
        let request = PolicyRequest {
            service_principal: "cloudtrail.amazonaws.com",
            action: "s3:PutObject",
            resource: KEY,
            context: &context,
        };
        assert_eq!(policy_allows(policy, &request), expected, "policy {policy}");
    }

    fn statement(body: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#)
    }

    const CT: &str = r#""Principal":{"Service":"cloudtrail.amazonaws.com"}"#;

    #[test]
    fn allow_statements() {
        let allow = |rest: &str| statement(&format!(r#"{{"Effect":"Allow",{CT},{rest}}}"#));
        check(
            &allow(r#""Action":"s3:PutObject","Resource":"arn:aws:s3:::write-only-events/*""#),
            true,
        );
        check(
            &allow(
                r#""Action":"s3:PutObject","Resource":"arn:aws:s3:::write-only-events/AWSLogs/123456789012/*""#,
            ),
            true,
        );
        check(
            &allow(
                r#""Action":["s3:GetObject","s3:put*"],"Resource":["arn:aws:s3:::other/*","arn:aws:s3:::write-only-events/AWSLogs/*"]"#,
            ),
            true,
        );
        check(&allow(r#""Action":"*","Resource":"*""#), true);
        check(
            &allow(
                r#""Action":"s3:PutObject","Resource":"arn:aws:s3:::write-only-events/AWSLogs/210987654321/*""#,
            ),
            false,
        );
        check(
            &allow(r#""Action":"s3:PutObject","Resource":"arn:aws:s3:::write-only-events""#),
            false,
        );
        check(
            &allow(r#""Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::write-only-events/*""#),
            false,
        );
        check(
            &allow(
                r#""NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::write-only-events/*""#,
            ),
            true,
        );
        check(
            &allow(r#""Action":"s3:PutObject","NotResource":"arn:aws:s3:::write-only-events/*""#),
            false,
        );
        check(
            &statement(
                r#"{"Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}"#,
            ),
            false,
        );
        check(
            &statement(
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*"}"#,
            ),
            true,
        );
        check(
            &statement(
                r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:PutObject","Resource":"*"}"#,
            ),
            true,
        );
        check(
            &statement(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:PutObject","Resource":"*"}"#,
            ),
            false,
        );
    }

    #[test]
    fn conditions() {
        let allow = |condition: &str| {
            statement(&format!(
                r#"{{"Effect":"Allow",{CT},"Action":"s3:PutObject","Resource":"arn:aws:s3:::write-only-events/*","Condition":{condition}}}"#
            ))
        };
        check(
            &allow(r#"{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}"#),
            true,
        );
        check(
            &allow(&format!(
                r#"{{"StringEquals":{{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":"{TRAIL}"}}}}"#
            )),
            true,
        );
        check(
            &allow(
                r#"{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/other"}}"#,
            ),
            false,
        );
        check(
            &allow(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:123456789012:trail/*"}}"#),
            true,
        );
        check(
            &allow(r#"{"StringEquals":{"aws:SourceAccount":["210987654321","123456789012"]}}"#),
            true,
        );
        check(
            &allow(r#"{"StringNotEquals":{"aws:SourceAccount":"123456789012"}}"#),
            false,
        );
        check(
            &allow(r#"{"StringEqualsIfExists":{"aws:SourceOrgID":"o-123"}}"#),
            true,
        );
        check(
            &allow(r#"{"StringEquals":{"aws:SourceOrgID":"o-123"}}"#),
            false,
        );
        check(&allow(r#"{"Null":{"aws:SourceOrgID":"true"}}"#), true);
        check(&allow(r#"{"Bool":{"aws:SecureTransport":true}}"#), true);
        check(&allow(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#), false);
    }

    #[test]
    fn deny_wins() {
        let allow = format!(
            r#"{{"Effect":"Allow",{CT},"Action":"s3:PutObject","Resource":"arn:aws:s3:::write-only-events/*"}}"#
        );
        let deny_insecure = r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;
        let deny_all =
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}"#;
        check(&statement(&format!("{allow},{deny_insecure}")), true);
        check(&statement(&format!("{allow},{deny_all}")), false);
    }

    #[test]
    fn malformed_policies_allow_nothing() {
        check("not json", false);
        check("{}", false);
        check(r#"{"Statement":"x"}"#, false);
        check(
            &format!(
                r#"{{"Statement":{{"Effect":"Allow",{CT},"Action":"s3:PutObject","Resource":"*"}}}}"#
            ),
            true,
        );
    }

    #[test]
    fn wildcards() {
        let cases = [
            ("*", "anything", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*/AWSLogs/*", "b/AWSLogs/1/x", true),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("", "", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern:?} vs {text:?}"
            );
        }
    }
}
