//! The policy document: [`BucketPolicy::parse`] validates a PutBucketPolicy body as S3 does, and
//! [`BucketPolicy::evaluate`] answers one request.
//!
//! Grammar (IAM "Grammar of the IAM JSON policy language", S3 bucket policy examples): a JSON
//! object with `Version` (`2012-10-17` or `2008-10-17`; absent means `2008-10-17`), optional `Id`,
//! and `Statement` (one object or a non-empty list). A statement has optional `Sid`, `Effect`
//! (`Allow`/`Deny`), exactly one of `Principal`/`NotPrincipal`, of `Action`/`NotAction`, of
//! `Resource`/`NotResource`, and optional `Condition`. `NotPrincipal` "must be used with
//! `Effect: Deny`; using it with Allow is not supported" (IAM "Elements: NotPrincipal"), so S3's
//! "Invalid principal in policy" is returned for it. Statements are checked in order; within one,
//! unknown members first, then Sid, Effect, Principal, Action, Resource, whether the actions apply
//! to the resources, and Condition. The first failure is the answer (S3's order is not documented).
//!
//! Evaluation (IAM "Policy evaluation logic"): a statement applies when its principal, action,
//! resource and every condition match; any applying Deny gives [`PolicyOutcome::ExplicitDeny`],
//! otherwise any applying Allow gives [`PolicyOutcome::Allow`], otherwise
//! [`PolicyOutcome::NotApplicable`]. Deciding what `NotApplicable` means for S3 is
//! [`crate::s3::decide`]'s job, not this module's.

use serde_json::{Map, Value};

use crate::condition::{Condition, parse_conditions};
use crate::context::PolicyRequest;
use crate::error::{MAX_POLICY_BYTES, PolicyError};
use crate::pattern::{Pattern, Template};
use crate::principal::PrincipalSpec;
use crate::s3::catalog::{ACTIONS, ResourceKind};

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyVersion {
    /// `2008-10-17`: no policy variables (`${...}` is literal text). The default.
    V2008_10_17,
    /// `2012-10-17`: policy variables in `Resource` and condition values.
    V2012_10_17,
}

impl PolicyVersion {
    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVersion::V2008_10_17 => "2008-10-17",
            PolicyVersion::V2012_10_17 => "2012-10-17",
        }
    }
}

/// What a policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOutcome {
    /// A Deny statement applies (it wins over any Allow).
    ExplicitDeny,
    /// An Allow statement applies and no Deny does.
    Allow,
    /// No statement applies.
    NotApplicable,
}

/// A validated bucket policy.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketPolicy {
    version: PolicyVersion,
    id: Option<String>,
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// An element and whether it was written in its `Not` form.
#[derive(Debug, Clone, PartialEq)]
struct Element<T> {
    negated: bool,
    value: T,
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    sid: Option<String>,
    effect: Effect,
    principal: Element<PrincipalSpec>,
    /// Lower-cased action patterns.
    actions: Element<Vec<Pattern>>,
    resources: Element<Vec<Template>>,
    conditions: Vec<Condition>,
}

const ARN_PREFIX: &str = "arn:aws:s3:::";

impl BucketPolicy {
    /// Reads and validates `json` as a policy for `bucket`, as S3's PutBucketPolicy does.
    pub fn parse(json: &str, bucket: &str) -> Result<Self, PolicyError> {
        if json.as_bytes().first() != Some(&b'{') {
            return Err(PolicyError::NotAnObject);
        }
        let document: Value = serde_json::from_str(json)
            .map_err(|error| PolicyError::InvalidJson(error.to_string()))?;
        let compact = document.to_string().len();
        if compact > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge(compact));
        }
        let Value::Object(members) = &document else {
            return Err(PolicyError::NotAnObject);
        };
        parse_document(members, bucket)
    }

    /// The policy's `Version`.
    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    /// The policy's `Id`, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The `Sid` of each statement, in order.
    pub fn sids(&self) -> impl Iterator<Item = Option<&str>> {
        self.statements
            .iter()
            .map(|statement| statement.sid.as_deref())
    }

    /// What the policy says about `request`.
    pub fn evaluate(&self, request: &PolicyRequest) -> PolicyOutcome {
        let mut allowed = false;
        for statement in &self.statements {
            if statement.applies(request) {
                match statement.effect {
                    Effect::Deny => return PolicyOutcome::ExplicitDeny,
                    Effect::Allow => allowed = true,
                }
            }
        }
        if allowed {
            PolicyOutcome::Allow
        } else {
            PolicyOutcome::NotApplicable
        }
    }
}

fn parse_document(members: &Map<String, Value>, bucket: &str) -> Result<BucketPolicy, PolicyError> {
    let mut version = PolicyVersion::V2008_10_17;
    let mut id = None;
    let mut statement = None;
    for (name, value) in members {
        match name.as_str() {
            "Version" => version = parse_version(value)?,
            "Id" => id = Some(string_member("Id", value)?),
            "Statement" => statement = Some(value),
            _ => return Err(PolicyError::UnknownField(name.clone())),
        }
    }
    let variables = version == PolicyVersion::V2012_10_17;
    let statements = match statement.ok_or(PolicyError::MissingStatement)? {
        Value::Array(items) if items.is_empty() => return Err(PolicyError::EmptyStatement),
        Value::Array(items) => items
            .iter()
            .map(|item| parse_statement(item, bucket, variables))
            .collect::<Result<_, _>>()?,
        single @ Value::Object(_) => vec![parse_statement(single, bucket, variables)?],
        other => return Err(PolicyError::Syntax(format!("Statement {other}"))),
    };
    Ok(BucketPolicy {
        version,
        id,
        statements,
    })
}

fn parse_version(value: &Value) -> Result<PolicyVersion, PolicyError> {
    match value.as_str() {
        Some("2012-10-17") => Ok(PolicyVersion::V2012_10_17),
        Some("2008-10-17") => Ok(PolicyVersion::V2008_10_17),
        _ => Err(PolicyError::InvalidVersion(match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })),
    }
}

fn string_member(name: &str, value: &Value) -> Result<String, PolicyError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| PolicyError::Syntax(format!("{name} {value}")))
}

/// A statement's members, each element with its `Not` form folded in.
#[derive(Default)]
struct Members<'a> {
    sid: Option<&'a Value>,
    effect: Option<&'a Value>,
    principal: Option<Element<&'a Value>>,
    action: Option<Element<&'a Value>>,
    resource: Option<Element<&'a Value>>,
    condition: Option<&'a Value>,
}

impl<'a> Members<'a> {
    fn read(statement: &'a Value) -> Result<Self, PolicyError> {
        let Value::Object(fields) = statement else {
            return Err(PolicyError::Syntax(format!("statement {statement}")));
        };
        let mut members = Members::default();
        for (name, value) in fields {
            match name.as_str() {
                "Sid" => members.sid = Some(value),
                "Effect" => members.effect = Some(value),
                "Condition" => members.condition = Some(value),
                "Principal" | "NotPrincipal" => {
                    set_element(&mut members.principal, "Principal", name, value)?;
                }
                "Action" | "NotAction" => set_element(&mut members.action, "Action", name, value)?,
                "Resource" | "NotResource" => {
                    set_element(&mut members.resource, "Resource", name, value)?;
                }
                _ => return Err(PolicyError::UnknownField(name.clone())),
            }
        }
        Ok(members)
    }
}

/// Stores `Principal` or `NotPrincipal` (etc.); both in one statement is a syntax error.
fn set_element<'a>(
    slot: &mut Option<Element<&'a Value>>,
    positive: &str,
    name: &str,
    value: &'a Value,
) -> Result<(), PolicyError> {
    if slot.is_some() {
        return Err(PolicyError::Syntax(format!(
            "both {positive} and Not{positive}"
        )));
    }
    *slot = Some(Element {
        negated: name != positive,
        value,
    });
    Ok(())
}

fn parse_statement(
    statement: &Value,
    bucket: &str,
    variables: bool,
) -> Result<Statement, PolicyError> {
    let members = Members::read(statement)?;
    let sid = members
        .sid
        .map(|sid| string_member("Sid", sid))
        .transpose()?;
    let effect = parse_effect(members.effect)?;
    let principal = members
        .principal
        .ok_or(PolicyError::MissingField("Principal"))?;
    if principal.negated && effect == Effect::Allow {
        return Err(PolicyError::InvalidPrincipal(
            "NotPrincipal with Allow".to_owned(),
        ));
    }
    let principal = Element {
        negated: principal.negated,
        value: PrincipalSpec::parse(principal.value)?,
    };
    let action = members.action.ok_or(PolicyError::MissingField("Action"))?;
    let actions = Element {
        negated: action.negated,
        value: parse_actions(action.value)?,
    };
    let resource = members
        .resource
        .ok_or(PolicyError::MissingField("Resource"))?;
    let resources = Element {
        negated: resource.negated,
        value: parse_resources(resource.value, bucket, variables)?,
    };
    if !actions.negated && !resources.negated {
        check_actions_apply(action.value, &actions.value, &resources.value)?;
    }
    let conditions = match members.condition {
        Some(condition) => parse_conditions(condition, variables)?,
        None => Vec::new(),
    };
    Ok(Statement {
        sid,
        effect,
        principal,
        actions,
        resources,
        conditions,
    })
}

fn parse_effect(effect: Option<&Value>) -> Result<Effect, PolicyError> {
    match effect.ok_or(PolicyError::MissingField("Effect"))? {
        Value::String(effect) if effect == "Allow" => Ok(Effect::Allow),
        Value::String(effect) if effect == "Deny" => Ok(Effect::Deny),
        Value::String(effect) => Err(PolicyError::InvalidEffect(effect.clone())),
        other => Err(PolicyError::InvalidEffect(other.to_string())),
    }
}

/// A string or a list of strings; `invalid` builds the error for anything else.
fn string_list(
    value: &Value,
    invalid: impl Fn(String) -> PolicyError,
) -> Result<Vec<&str>, PolicyError> {
    let items: Vec<&str> = match value {
        Value::String(text) => vec![text],
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(|| invalid(item.to_string())))
            .collect::<Result<_, _>>()?,
        other => return Err(invalid(other.to_string())),
    };
    if items.is_empty() {
        return Err(invalid("[]".to_owned()));
    }
    Ok(items)
}

/// Action patterns, each `*` or `s3:` and a name; see [`action_pattern`].
fn parse_actions(value: &Value) -> Result<Vec<Pattern>, PolicyError> {
    string_list(value, PolicyError::InvalidAction)?
        .into_iter()
        .map(|written| {
            action_pattern(written).ok_or_else(|| PolicyError::InvalidAction(written.to_owned()))
        })
        .collect()
}

/// `written` as a lower-case pattern over `s3:<action>`, when it names at least one S3 action.
fn action_pattern(written: &str) -> Option<Pattern> {
    let lower = written.to_ascii_lowercase();
    if lower != "*" && lower.strip_prefix("s3:").is_none_or(str::is_empty) {
        return None;
    }
    let pattern = Pattern::glob(&lower);
    ACTIONS
        .iter()
        .any(|(name, _)| pattern.matches(&qualified(name)))
        .then_some(pattern)
}

/// `s3:<name>` in lower case, as action patterns are compared.
fn qualified(name: &str) -> String {
    format!("s3:{}", name.to_ascii_lowercase())
}

/// Resources: ARNs of `bucket` or its objects. The bucket part (up to the first `/`) must be able
/// to match the bucket's name; one holding a policy variable is accepted as written.
fn parse_resources(
    value: &Value,
    bucket: &str,
    variables: bool,
) -> Result<Vec<Template>, PolicyError> {
    string_list(value, PolicyError::InvalidResource)?
        .into_iter()
        .map(|written| {
            let template = Template::parse(written, variables);
            let named = written
                .strip_prefix(ARN_PREFIX)
                .map(|rest| rest.split_once('/').map_or(rest, |(named, _)| named))
                .filter(|named| !named.is_empty());
            let valid = named.is_some_and(|named| {
                (variables && named.contains("${")) || Pattern::glob(named).matches(bucket)
            });
            if valid {
                Ok(template)
            } else {
                Err(PolicyError::InvalidResource(written.to_owned()))
            }
        })
        .collect()
}

/// Every action pattern must name an action whose resource type one of the resources can be.
fn check_actions_apply(
    written: &Value,
    actions: &[Pattern],
    resources: &[Template],
) -> Result<(), PolicyError> {
    let reachable = |kind: ResourceKind| {
        resources.iter().any(|resource| {
            let rest = &resource.raw()[ARN_PREFIX.len()..];
            match kind {
                ResourceKind::Bucket => !rest.contains('/'),
                ResourceKind::Object => rest.contains('/') || rest.contains('*'),
                ResourceKind::Other => false,
            }
        })
    };
    for (index, pattern) in actions.iter().enumerate() {
        let applies = ACTIONS
            .iter()
            .any(|(name, kind)| pattern.matches(&qualified(name)) && reachable(*kind));
        if !applies {
            let name = match written {
                Value::Array(items) => items[index].as_str().unwrap_or_default().to_owned(),
                other => other.as_str().unwrap_or_default().to_owned(),
            };
            return Err(PolicyError::ActionNotApplicable(name));
        }
    }
    Ok(())
}

impl Statement {
    fn applies(&self, request: &PolicyRequest) -> bool {
        self.principal_matches(request)
            && self.action_matches(request)
            && self.resource_matches(request)
            && self
                .conditions
                .iter()
                .all(|condition| condition.holds(&request.context))
    }

    fn principal_matches(&self, request: &PolicyRequest) -> bool {
        self.principal.value.matches(&request.principal) != self.principal.negated
    }

    fn action_matches(&self, request: &PolicyRequest) -> bool {
        let action = request.action.to_ascii_lowercase();
        let listed = self
            .actions
            .value
            .iter()
            .any(|pattern| pattern.matches(&action));
        listed != self.actions.negated
    }

    /// A resource pattern whose variable cannot be resolved matches nothing.
    fn resource_matches(&self, request: &PolicyRequest) -> bool {
        let listed = self.resources.value.iter().any(|template| {
            template
                .resolve_pattern(&request.context)
                .is_some_and(|pattern| pattern.matches(&request.resource))
        });
        listed != self.resources.negated
    }
}

#[cfg(test)]
mod tests;
