//! The topic operations (CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes,
//! SetTopicAttributes), the topic attributes OpenTrail supports and their rules, AWS's default
//! topic policy and effective delivery policy, and the ownership check every topic-addressed call
//! goes through.
//!
//! Topics are private to their account: a topic ARN of another account answers
//! `AuthorizationError` whether or not the topic exists, so nothing about it leaks. Topic
//! policies are stored and returned but not evaluated.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::names::{TopicArn, TopicName};
use crate::query::Tag;
use crate::store::TopicRecord;
use crate::tags::check_tags;
use crate::xml::XmlWriter;
use crate::{Call, Inner, Outcome};

/// Topics per ListTopics page (as SNS).
const TOPICS_PAGE: usize = 100;

/// The longest access policy SNS accepts (30 KiB).
const MAX_POLICY_BYTES: usize = 30 * 1024;

/// AWS's effective delivery policy for a topic without a DeliveryPolicy, byte for byte.
pub const DEFAULT_EFFECTIVE_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// Topic attributes SNS has that OpenTrail refuses rather than store without effect.
const UNSUPPORTED_TOPIC_ATTRIBUTES: [&str; 21] = [
    "KmsMasterKeyId",
    "FifoTopic",
    "ContentBasedDeduplication",
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "FifoThroughputScope",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseFailureFeedbackRoleArn",
];

/// AWS's default access policy of a new topic: every principal may use it, on condition that
/// the source owner is the topic's account.
pub fn default_topic_policy(arn: &TopicArn) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": arn.to_string(),
            "Condition": {"StringEquals": {"AWS:SourceOwner": arn.account_id}}
        }]
    })
    .to_string()
}

/// The EffectiveDeliveryPolicy: AWS's default, with the members of a DeliveryPolicy's `http`
/// object laid over its `http` object.
pub fn effective_delivery_policy(delivery_policy: Option<&str>) -> String {
    let Some(set) = delivery_policy.and_then(|text| serde_json::from_str::<Value>(text).ok())
    else {
        return DEFAULT_EFFECTIVE_DELIVERY_POLICY.to_owned();
    };
    let mut effective: Value =
        serde_json::from_str(DEFAULT_EFFECTIVE_DELIVERY_POLICY).unwrap_or(Value::Null);
    if let (Some(Value::Object(over)), Some(Value::Object(base))) =
        (set.get("http"), effective.get_mut("http"))
    {
        for (key, value) in over {
            base.insert(key.clone(), value.clone());
        }
    }
    effective.to_string()
}

/// The `Content-Type` a topic's deliveries use (`http.defaultRequestPolicy.headerContentType`).
pub fn delivery_content_type(delivery_policy: Option<&str>) -> Option<String> {
    let policy: Value = serde_json::from_str(delivery_policy?).ok()?;
    let content_type = policy
        .pointer("/http/defaultRequestPolicy/headerContentType")?
        .as_str()?;
    Some(content_type.to_owned())
}

impl Inner {
    /// Parses a topic ARN parameter and returns the caller's topic: `InvalidParameter` for a
    /// malformed ARN or another region, `AuthorizationError` for another account, `NotFound`
    /// when it does not exist.
    pub(crate) fn owned_topic(
        &self,
        call: &Call<'_>,
        arn_text: &str,
        member: &str,
        action: &str,
    ) -> Result<TopicRecord, ApiError> {
        let arn = caller_topic_arn(call, arn_text, member, action)?;
        self.lock_store()
            .topic(&arn)?
            .ok_or_else(ApiError::topic_not_found)
    }

    pub(crate) fn create_topic(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let name = TopicName::parse(call.input.required("Name")?)?;
        if call.input.get("DataProtectionPolicy").is_some() {
            return Err(ApiError::invalid_parameter(
                "DataProtectionPolicy Reason: data protection policies are not supported by OpenTrail",
            ));
        }
        let arn = TopicArn::new(call.region, call.account_id, name);
        let attributes = call.input.string_map("Attributes")?;
        let tags = call.input.tags("Tags")?;
        check_tags(&tags)?;
        let mut topic = TopicRecord {
            arn: arn.clone(),
            display_name: String::new(),
            policy: None,
            delivery_policy: None,
            subscriptions_deleted: 0,
        };
        for (attribute, value) in &attributes {
            apply_topic_attribute(&mut topic, attribute, value)
                .map_err(|reason| create_attribute_error(attribute, reason))?;
        }
        let mut store = self.lock_store();
        match store.topic(&arn)? {
            Some(existing) => {
                check_same_topic(&existing, &topic, &attributes)?;
                let stored_tags = store.topic_tags(&arn)?;
                check_same_tags(&stored_tags, &tags)?;
            }
            None => store.insert_topic(&topic, &tags, call.now.timestamp_millis())?,
        }
        let mut w = XmlWriter::new();
        w.leaf("TopicArn", &arn.to_string());
        Ok(Outcome {
            result: Some(w.finish()),
            response_elements: json!({"topicArn": arn.to_string()}),
        })
    }

    pub(crate) fn delete_topic(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let arn_text = call.input.required("TopicArn")?;
        let arn = caller_topic_arn(call, arn_text, "TopicArn", "DeleteTopic")?;
        // Deleting a topic that does not exist succeeds, as on SNS.
        self.lock_store().delete_topic(&arn)?;
        Ok(Outcome::default())
    }

    pub(crate) fn list_topics(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let after = decode_next_token(call.input.get("NextToken"))?;
        let mut arns =
            self.lock_store()
                .topics_page(call.account_id, call.region, &after, TOPICS_PAGE + 1)?;
        let more = arns.len() > TOPICS_PAGE;
        arns.truncate(TOPICS_PAGE);
        let mut w = XmlWriter::new();
        w.element("Topics", |w| {
            for arn in &arns {
                w.element("member", |w| {
                    w.leaf("TopicArn", &arn.to_string());
                });
            }
        });
        if let (true, Some(last)) = (more, arns.last()) {
            w.leaf("NextToken", &encode_next_token(last.name.as_str()));
        }
        Ok(Outcome {
            result: Some(w.finish()),
            response_elements: Value::Null,
        })
    }

    pub(crate) fn get_topic_attributes(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let arn_text = call.input.required("TopicArn")?;
        let topic = self.owned_topic(call, arn_text, "TopicArn", "GetTopicAttributes")?;
        let (pending, confirmed) = self.lock_store().subscription_counts(&topic.arn)?;
        let attributes = topic_attributes(&topic, pending, confirmed);
        let mut w = XmlWriter::new();
        w.string_map(
            "Attributes",
            attributes.iter().map(|(k, v)| (*k, v.as_str())),
        );
        Ok(Outcome {
            result: Some(w.finish()),
            response_elements: Value::Null,
        })
    }

    pub(crate) fn set_topic_attributes(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let arn_text = call.input.required("TopicArn")?;
        let name = call.input.required("AttributeName")?;
        let value = call.input.get("AttributeValue").unwrap_or_default();
        let mut topic = self.owned_topic(call, arn_text, "TopicArn", "SetTopicAttributes")?;
        apply_topic_attribute(&mut topic, name, value).map_err(|reason| match reason {
            AttributeProblem::Unknown => ApiError::invalid_parameter("AttributeName"),
            AttributeProblem::Unsupported => ApiError::invalid_parameter(format!(
                "AttributeName Reason: {name} is not supported by OpenTrail"
            )),
            AttributeProblem::BadValue(detail) => ApiError::invalid_parameter(detail),
        })?;
        self.lock_store().update_topic(&topic)?;
        Ok(Outcome::default())
    }

    pub(crate) fn topic_policy(&self, topic_arn: &str) -> Option<String> {
        let arn = TopicArn::parse(topic_arn, "TopicArn").ok()?;
        let topic = match self.lock_store().topic(&arn) {
            Ok(topic) => topic?,
            Err(error) => {
                tracing::error!(%error, topic_arn, "reading an sns topic failed");
                return None;
            }
        };
        Some(topic.policy.unwrap_or_else(|| default_topic_policy(&arn)))
    }
}

/// Parses a topic ARN parameter and checks it is in the caller's region and account.
pub(crate) fn caller_topic_arn(
    call: &Call<'_>,
    arn_text: &str,
    member: &str,
    action: &str,
) -> Result<TopicArn, ApiError> {
    let arn = TopicArn::parse(arn_text, member)?;
    if arn.region != call.region {
        return Err(ApiError::invalid_parameter(member));
    }
    if arn.account_id != call.account_id {
        return Err(ApiError::authorization(call.account_id, action, arn_text));
    }
    Ok(arn)
}

/// GetTopicAttributes' map, in the order SNS writes it.
fn topic_attributes(
    topic: &TopicRecord,
    pending: i64,
    confirmed: i64,
) -> Vec<(&'static str, String)> {
    let mut attributes = vec![
        (
            "Policy",
            topic
                .policy
                .clone()
                .unwrap_or_else(|| default_topic_policy(&topic.arn)),
        ),
        ("Owner", topic.arn.account_id.clone()),
        ("SubscriptionsPending", pending.to_string()),
        ("TopicArn", topic.arn.to_string()),
        (
            "EffectiveDeliveryPolicy",
            effective_delivery_policy(topic.delivery_policy.as_deref()),
        ),
        ("SubscriptionsConfirmed", confirmed.to_string()),
        ("DisplayName", topic.display_name.clone()),
        (
            "SubscriptionsDeleted",
            topic.subscriptions_deleted.to_string(),
        ),
    ];
    if let Some(policy) = &topic.delivery_policy {
        attributes.push(("DeliveryPolicy", policy.clone()));
    }
    attributes
}

/// Why an attribute could not be applied.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AttributeProblem {
    /// SNS has no such attribute.
    Unknown,
    /// SNS has it; OpenTrail does not implement it.
    Unsupported,
    /// The value is wrong: the text after `Invalid parameter: `.
    BadValue(String),
}

fn apply_topic_attribute(
    topic: &mut TopicRecord,
    name: &str,
    value: &str,
) -> Result<(), AttributeProblem> {
    match name {
        "DisplayName" => topic.display_name = check_display_name(value)?,
        "Policy" => topic.policy = Some(check_policy(value)?),
        "DeliveryPolicy" => topic.delivery_policy = check_delivery_policy(value)?,
        other if UNSUPPORTED_TOPIC_ATTRIBUTES.contains(&other) => {
            return Err(AttributeProblem::Unsupported);
        }
        _ => return Err(AttributeProblem::Unknown),
    }
    Ok(())
}

fn create_attribute_error(name: &str, problem: AttributeProblem) -> ApiError {
    match problem {
        AttributeProblem::Unknown => {
            ApiError::invalid_parameter(format!("Attributes Reason: Unknown attribute {name}"))
        }
        AttributeProblem::Unsupported => ApiError::invalid_parameter(format!(
            "Attributes Reason: {name} is not supported by OpenTrail"
        )),
        AttributeProblem::BadValue(detail) => ApiError::invalid_parameter(detail),
    }
}

fn check_display_name(value: &str) -> Result<String, AttributeProblem> {
    if value.chars().count() > 100 || value.chars().any(char::is_control) {
        return Err(AttributeProblem::BadValue("DisplayName".to_owned()));
    }
    Ok(value.to_owned())
}

/// An access policy must be a JSON object with a `Statement`, at most 30 KiB.
fn check_policy(value: &str) -> Result<String, AttributeProblem> {
    let bad = |detail: String| AttributeProblem::BadValue(format!("Policy Error: {detail}"));
    if value.len() > MAX_POLICY_BYTES {
        return Err(bad("policy is larger than 30 KiB".to_owned()));
    }
    let policy: Value = serde_json::from_str(value).map_err(|error| bad(error.to_string()))?;
    if policy.get("Statement").is_none() {
        return Err(bad("the policy has no Statement".to_owned()));
    }
    Ok(value.to_owned())
}

/// A delivery policy must be a JSON object whose `http` member, if any, is an object and whose
/// `headerContentType`, if any, is a header-safe string. An empty value removes the policy.
pub(crate) fn check_delivery_policy(value: &str) -> Result<Option<String>, AttributeProblem> {
    if value.is_empty() {
        return Ok(None);
    }
    let bad = |detail: &str| AttributeProblem::BadValue(format!("DeliveryPolicy: {detail}"));
    let policy: Value = serde_json::from_str(value).map_err(|_| bad("not valid JSON"))?;
    let Some(members) = policy.as_object() else {
        return Err(bad("not a JSON object"));
    };
    if members.get("http").is_some_and(|http| !http.is_object()) {
        return Err(bad("http must be an object"));
    }
    let content_type = policy.pointer("/http/defaultRequestPolicy/headerContentType");
    let header_safe = |text: &str| !text.is_empty() && !text.chars().any(char::is_control);
    if content_type.is_some_and(|v| !v.as_str().is_some_and(header_safe)) {
        return Err(bad("headerContentType must be a content type"));
    }
    Ok(Some(value.to_owned()))
}

/// CreateTopic on an existing name succeeds only with the same attributes.
fn check_same_topic(
    existing: &TopicRecord,
    requested: &TopicRecord,
    attributes: &[(String, String)],
) -> Result<(), ApiError> {
    let differs = attributes.iter().any(|(name, _)| match name.as_str() {
        "DisplayName" => existing.display_name != requested.display_name,
        "Policy" => existing.policy != requested.policy,
        "DeliveryPolicy" => existing.delivery_policy != requested.delivery_policy,
        _ => true,
    });
    if differs {
        return Err(ApiError::invalid_parameter(
            "Attributes Reason: Topic already exists with different attributes",
        ));
    }
    Ok(())
}

/// CreateTopic on an existing name with tags succeeds only with exactly its tags.
fn check_same_tags(stored: &[Tag], requested: &[Tag]) -> Result<(), ApiError> {
    if requested.is_empty() {
        return Ok(());
    }
    let mut requested = requested.to_vec();
    requested.sort_by(|a, b| a.key.cmp(&b.key));
    if requested != stored {
        return Err(ApiError::invalid_parameter(
            "Tags Reason: Topic already exists with different tags",
        ));
    }
    Ok(())
}

/// NextToken is the hex of the last name (or ARN) returned: opaque to clients, stable.
pub(crate) fn encode_next_token(last: &str) -> String {
    hex::encode(last)
}

/// The position a NextToken stands for (empty: from the start).
pub(crate) fn decode_next_token(token: Option<&str>) -> Result<String, ApiError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(String::new());
    };
    hex::decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::invalid_parameter("NextToken"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_aws_text_for_the_owner() {
        let arn = TopicArn::parse("arn:aws:sns:us-east-1:123456789012:t", "TopicArn").unwrap();
        let policy: Value = serde_json::from_str(&default_topic_policy(&arn)).unwrap();
        assert_eq!(policy["Id"], "__default_policy_ID");
        assert_eq!(policy["Statement"][0]["Resource"], arn.to_string());
        assert_eq!(
            policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceOwner"],
            "123456789012"
        );
        assert_eq!(
            policy["Statement"][0]["Action"].as_array().unwrap().len(),
            8
        );
    }

    #[test]
    fn effective_delivery_policy_overlays_http_members() {
        assert_eq!(
            effective_delivery_policy(None),
            DEFAULT_EFFECTIVE_DELIVERY_POLICY
        );
        let set = r#"{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}"#;
        let effective: Value = serde_json::from_str(&effective_delivery_policy(Some(set))).unwrap();
        assert_eq!(
            effective["http"]["defaultRequestPolicy"]["headerContentType"],
            "application/json"
        );
        assert_eq!(
            effective["http"]["defaultHealthyRetryPolicy"]["numRetries"],
            3
        );
        assert_eq!(
            delivery_content_type(Some(set)).as_deref(),
            Some("application/json")
        );
        assert_eq!(delivery_content_type(None), None);
    }

    #[test]
    fn attribute_values_are_checked() {
        let check = |name: &str, value: &str, expected: Result<(), AttributeProblem>| {
            let mut topic = TopicRecord {
                arn: TopicArn::parse("arn:aws:sns:us-east-1:123456789012:t", "TopicArn").unwrap(),
                display_name: String::new(),
                policy: None,
                delivery_policy: None,
                subscriptions_deleted: 0,
            };
            assert_eq!(
                apply_topic_attribute(&mut topic, name, value),
                expected,
                "{name}={value}"
            );
        };
        check("DisplayName", "Ops alerts", Ok(()));
        check(
            "DisplayName",
            &"x".repeat(101),
            Err(AttributeProblem::BadValue("DisplayName".into())),
        );
        check("Policy", r#"{"Statement":[]}"#, Ok(()));
        check(
            "Policy",
            "{}",
            Err(AttributeProblem::BadValue(
                "Policy Error: the policy has no Statement".into(),
            )),
        );
        check("DeliveryPolicy", r#"{"http":{}}"#, Ok(()));
        check("DeliveryPolicy", "", Ok(()));
        check(
            "DeliveryPolicy",
            r#"{"http":1}"#,
            Err(AttributeProblem::BadValue(
                "DeliveryPolicy: http must be an object".into(),
            )),
        );
        check(
            "KmsMasterKeyId",
            "alias/aws/sns",
            Err(AttributeProblem::Unsupported),
        );
        check("Colour", "blue", Err(AttributeProblem::Unknown));
    }

    #[test]
    fn next_tokens_round_trip_and_reject_garbage() {
        assert_eq!(
            decode_next_token(Some(&encode_next_token("abc"))).unwrap(),
            "abc"
        );
        assert_eq!(decode_next_token(None).unwrap(), "");
        assert_eq!(
            decode_next_token(Some("zz")).unwrap_err(),
            ApiError::invalid_parameter("NextToken")
        );
    }
}
