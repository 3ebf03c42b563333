//! Principals: who makes a request ([`RequestPrincipal`]) and what a statement's `Principal` /
//! `NotPrincipal` names ([`PrincipalSpec`]).
//!
//! Accepted forms (IAM "Elements: Principal"): `"*"`; `{"AWS": ...}` with `"*"`, a 12-digit account
//! id, `arn:aws:iam::<account>:root`, or an IAM user or role ARN; `{"Service": "<name>.amazonaws.com"}`;
//! `{"CanonicalUser": "<64 hex>"}` (accepted, never matches: OpenTrail has no canonical ids); each
//! value one string or a list. Matching: `"*"` and `{"AWS": "*"}` match every principal
//! (accounts, services, anonymous callers); an account id or `:root` ARN matches every principal of
//! that account ("behave the same way"); a user or role ARN matches the principal with that ARN.
//! Not checked: whether a named account or user exists (S3 refuses deleted users; OpenTrail has no
//! directory here), federated principals, wildcards inside ARNs (refused).

use serde_json::Value;

use crate::error::PolicyError;

/// Who makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestPrincipal {
    /// A signed request from an account's root or one of its IAM users.
    Account {
        /// The 12-digit account id.
        account_id: String,
        /// `arn:aws:iam::<account>:root` or `arn:aws:iam::<account>:user/<name>`.
        arn: String,
        /// `aws:userid`: the account id for a root, the unique id (`AIDA...`) for a user.
        user_id: String,
        /// The IAM user name; `None` for a root.
        user_name: Option<String>,
    },
    /// An AWS service principal, e.g. `cloudtrail.amazonaws.com`.
    Service(String),
    /// An unsigned request.
    Anonymous,
}

impl RequestPrincipal {
    /// The root user of `account_id`.
    pub fn account_root(account_id: &str) -> Self {
        RequestPrincipal::Account {
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_owned(),
            user_name: None,
        }
    }

    /// The IAM user `user_name` of `account_id`, with unique id `user_id`.
    pub fn iam_user(account_id: &str, user_name: &str, user_id: &str) -> Self {
        RequestPrincipal::Account {
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:user/{user_name}"),
            user_id: user_id.to_owned(),
            user_name: Some(user_name.to_owned()),
        }
    }

    /// The service principal `name`.
    pub fn service(name: &str) -> Self {
        RequestPrincipal::Service(name.to_owned())
    }

    /// The account of an account principal.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            RequestPrincipal::Account { account_id, .. } => Some(account_id),
            _ => None,
        }
    }

    /// Whether this is an account's root user (its ARN is the account's `:root` ARN).
    pub fn is_account_root(&self) -> bool {
        match self {
            RequestPrincipal::Account {
                account_id, arn, ..
            } => {
                arn.strip_prefix("arn:aws:iam::")
                    .and_then(|rest| rest.strip_suffix(":root"))
                    == Some(account_id.as_str())
            }
            _ => false,
        }
    }
}

/// What a `Principal` or `NotPrincipal` element names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PrincipalSpec {
    everyone: bool,
    accounts: Vec<String>,
    arns: Vec<String>,
    services: Vec<String>,
    canonical_users: Vec<String>,
}

impl PrincipalSpec {
    /// Reads and validates an element's value.
    pub(crate) fn parse(value: &Value) -> Result<Self, PolicyError> {
        let mut spec = PrincipalSpec::default();
        let members = match value {
            Value::String(star) if star == "*" => {
                spec.everyone = true;
                return Ok(spec);
            }
            Value::Object(members) if members.is_empty() => {
                return Err(PolicyError::EmptyPrincipal);
            }
            Value::Object(members) => members,
            other => return Err(PolicyError::InvalidPrincipal(other.to_string())),
        };
        for (kind, names) in members {
            for name in principal_names(names)? {
                spec.add(kind, name)?;
            }
        }
        Ok(spec)
    }

    fn add(&mut self, kind: &str, name: &str) -> Result<(), PolicyError> {
        let invalid = || PolicyError::InvalidPrincipal(format!("{kind}: {name}"));
        match kind {
            "AWS" if name == "*" => self.everyone = true,
            "AWS" => match aws_principal(name).ok_or_else(invalid)? {
                AwsPrincipal::Account(account) => self.accounts.push(account.to_owned()),
                AwsPrincipal::Arn => self.arns.push(name.to_owned()),
            },
            "Service" if is_service_name(name) => self.services.push(name.to_ascii_lowercase()),
            "CanonicalUser" if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.canonical_users.push(name.to_owned());
            }
            _ => return Err(invalid()),
        }
        Ok(())
    }

    /// Whether `principal` is one the element names.
    pub(crate) fn matches(&self, principal: &RequestPrincipal) -> bool {
        if self.everyone {
            return true;
        }
        match principal {
            RequestPrincipal::Account {
                account_id, arn, ..
            } => self.accounts.contains(account_id) || self.arns.contains(arn),
            RequestPrincipal::Service(name) => self
                .services
                .iter()
                .any(|service| service.eq_ignore_ascii_case(name)),
            RequestPrincipal::Anonymous => false,
        }
    }
}

/// One name or a non-empty list of names.
fn principal_names(value: &Value) -> Result<Vec<&str>, PolicyError> {
    let names: Vec<&str> = match value {
        Value::String(name) => vec![name],
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| PolicyError::InvalidPrincipal(item.to_string()))
            })
            .collect::<Result<_, _>>()?,
        other => return Err(PolicyError::InvalidPrincipal(other.to_string())),
    };
    if names.is_empty() {
        return Err(PolicyError::EmptyPrincipal);
    }
    Ok(names)
}

enum AwsPrincipal<'a> {
    Account(&'a str),
    Arn,
}

/// An `AWS` principal other than `*`: an account id, a root ARN, or a user or role ARN.
fn aws_principal(name: &str) -> Option<AwsPrincipal<'_>> {
    if is_account_id(name) {
        return Some(AwsPrincipal::Account(name));
    }
    let (account, resource) = name.strip_prefix("arn:aws:iam::")?.split_once(':')?;
    if !is_account_id(account) {
        return None;
    }
    if resource == "root" {
        return Some(AwsPrincipal::Account(account));
    }
    let (kind, path) = resource.split_once('/')?;
    let valid_path = !path.is_empty()
        && !path.ends_with('/')
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    (matches!(kind, "user" | "role") && valid_path).then_some(AwsPrincipal::Arn)
}

/// Whether `text` is a 12-digit account id.
pub(crate) fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Service principals are DNS names under `amazonaws.com`, e.g. `cloudtrail.amazonaws.com`.
fn is_service_name(name: &str) -> bool {
    let Some(prefix) = name
        .strip_suffix(".amazonaws.com")
        .or_else(|| name.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OWNER: &str = "111122223333";
    const OTHER: &str = "444455556666";

    fn principals() -> Vec<(&'static str, RequestPrincipal)> {
        vec![
            ("root", RequestPrincipal::account_root(OWNER)),
            (
                "alice",
                RequestPrincipal::iam_user(OWNER, "alice", "AIDAALICE"),
            ),
            ("other", RequestPrincipal::account_root(OTHER)),
            (
                "cloudtrail",
                RequestPrincipal::service("cloudtrail.amazonaws.com"),
            ),
            ("anonymous", RequestPrincipal::Anonymous),
        ]
    }

    #[test]
    fn matching() {
        let check = |element: Value, expected: &[&str]| {
            let spec = PrincipalSpec::parse(&element).unwrap();
            let matched: Vec<&str> = principals()
                .into_iter()
                .filter(|(_, principal)| spec.matches(principal))
                .map(|(name, _)| name)
                .collect();
            assert_eq!(matched, expected, "{element}");
        };
        let all = ["root", "alice", "other", "cloudtrail", "anonymous"];
        check(json!("*"), &all);
        check(json!({"AWS": "*"}), &all);
        check(json!({"AWS": ["*"]}), &all);
        check(json!({"AWS": OWNER}), &["root", "alice"]);
        check(
            json!({"AWS": format!("arn:aws:iam::{OWNER}:root")}),
            &["root", "alice"],
        );
        check(
            json!({"AWS": format!("arn:aws:iam::{OWNER}:user/alice")}),
            &["alice"],
        );
        check(
            json!({"AWS": format!("arn:aws:iam::{OWNER}:user/bob")}),
            &[],
        );
        check(
            json!({"AWS": [OTHER, format!("arn:aws:iam::{OWNER}:user/alice")]}),
            &["alice", "other"],
        );
        check(
            json!({"AWS": format!("arn:aws:iam::{OWNER}:role/path/r")}),
            &[],
        );
        check(
            json!({"Service": "cloudtrail.amazonaws.com"}),
            &["cloudtrail"],
        );
        check(
            json!({"Service": ["logging.s3.amazonaws.com", "CloudTrail.amazonaws.com"]}),
            &["cloudtrail"],
        );
        check(json!({"CanonicalUser": "a".repeat(64)}), &[]);
        check(
            json!({"AWS": OTHER, "Service": "cloudtrail.amazonaws.com"}),
            &["other", "cloudtrail"],
        );
    }

    #[test]
    fn invalid() {
        let check = |element: Value, expected: fn(&PolicyError) -> bool| {
            let error = PrincipalSpec::parse(&element).unwrap_err();
            assert!(expected(&error), "{element}: {error:?}");
        };
        let invalid = |error: &PolicyError| matches!(error, PolicyError::InvalidPrincipal(_));
        let empty = |error: &PolicyError| matches!(error, PolicyError::EmptyPrincipal);
        check(json!("alice"), invalid);
        check(json!(["*"]), invalid);
        check(json!(7), invalid);
        check(json!({}), empty);
        check(json!({"AWS": []}), empty);
        check(json!({"AWS": "12345"}), invalid);
        check(json!({"AWS": "AIDAEXAMPLEUSERID"}), invalid);
        check(json!({"AWS": "arn:aws:iam::1111:root"}), invalid);
        check(
            json!({"AWS": format!("arn:aws:iam::{OWNER}:user/*")}),
            invalid,
        );
        check(
            json!({"AWS": format!("arn:aws:iam::{OWNER}:group/g")}),
            invalid,
        );
        check(
            json!({"AWS": format!("arn:aws:iam::{OWNER}:user/")}),
            invalid,
        );
        check(json!({"AWS": [7]}), invalid);
        check(json!({"Service": "*"}), invalid);
        check(json!({"Service": "cloudtrail"}), invalid);
        check(
            json!({"Federated": "cognito-identity.amazonaws.com"}),
            invalid,
        );
        check(json!({"CanonicalUser": "abc"}), invalid);
    }

    #[test]
    fn roots() {
        assert!(RequestPrincipal::account_root(OWNER).is_account_root());
        assert!(!RequestPrincipal::iam_user(OWNER, "root", "AIDA").is_account_root());
        assert!(!RequestPrincipal::Anonymous.is_account_root());
        assert_eq!(
            RequestPrincipal::account_root(OWNER).account_id(),
            Some(OWNER)
        );
        assert_eq!(
            RequestPrincipal::service("x.amazonaws.com").account_id(),
            None
        );
    }
}
