//! Publish (and the internal publish of trail notifications and alarms): SNS's checks on the
//! message, subject, message structure and message attributes, and the one transaction that
//! queues a Notification for every confirmed subscription before the MessageId is returned: the
//! JSON document for http/https, an e-mail for email (the message text and SNS's footer) and
//! email-json (the JSON document), the e-mails only when SMTP is configured.
//!
//! There is no fan-out to SQS, Lambda, SMS or push: OpenTrail refuses those subscriptions.

use base64::Engine;
use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, SnsError};
use crate::mail::{MAIL_CONTENT_TYPE, Mail, notification_subject, notification_text, render};
use crate::messages::{
    DEFAULT_CONTENT_TYPE, Notification, NotificationAttribute, notification_body, unsubscribe_url,
};
use crate::names::{Protocol, TopicArn};
use crate::query::MessageAttribute;
use crate::store::{DeliveryChannel, MessageKind, OutboxEntry, SubscriptionRecord, TopicRecord};
use crate::topics::delivery_content_type;
use crate::xml::XmlWriter;
use crate::{Call, Inner, Outcome};

/// The largest publish SNS takes: message, subject and attributes together (256 KiB).
const MAX_PUBLISH_BYTES: usize = 256 * 1024;

/// Message attributes per message.
const MAX_MESSAGE_ATTRIBUTES: usize = 10;

/// The message text, or one text per protocol (`MessageStructure=json`).
#[derive(Debug)]
enum MessageBody<'a> {
    Plain(&'a str),
    PerProtocol(Map<String, Value>),
}

impl MessageBody<'_> {
    /// The text a subscriber over `protocol` gets.
    fn for_protocol(&self, protocol: Protocol) -> &str {
        match self {
            MessageBody::Plain(text) => text,
            MessageBody::PerProtocol(texts) => texts
                .get(protocol.as_str())
                .or_else(|| texts.get("default"))
                .and_then(Value::as_str)
                .unwrap_or_default(),
        }
    }
}

/// One message on its way into the outbox.
#[derive(Debug)]
struct Publication<'a> {
    topic: &'a TopicRecord,
    subject: Option<&'a str>,
    body: MessageBody<'a>,
    attributes: Vec<(String, NotificationAttribute)>,
    published_at: DateTime<Utc>,
}

impl Inner {
    pub(crate) fn publish(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let input = call.input;
        if input.get("PhoneNumber").is_some() {
            return Err(ApiError::invalid_parameter(
                "PhoneNumber Reason: SMS is not supported by OpenTrail",
            ));
        }
        for member in ["MessageDeduplicationId", "MessageGroupId"] {
            if input.get(member).is_some() {
                return Err(ApiError::invalid_parameter(format!(
                    "{member} Reason: The request includes {member} parameter that is not valid for this topic type"
                )));
            }
        }
        let (arn_text, member) = match (input.get("TopicArn"), input.get("TargetArn")) {
            (Some(arn), _) => (arn, "TopicArn"),
            (None, Some(arn)) => (arn, "TargetArn"),
            (None, None) => {
                return Err(ApiError::invalid_parameter(
                    "TopicArn or TargetArn Reason: no value for required parameter",
                ));
            }
        };
        let topic = self.owned_topic(call, arn_text, member, "Publish")?;
        let message = input.get("Message").unwrap_or_default();
        let subject = input.get("Subject");
        check_message(message, subject)?;
        let body = parse_message_structure(input.get("MessageStructure"), message)?;
        let attributes = check_message_attributes(input.message_attributes()?)?;
        check_size(message, subject, &attributes)?;
        let publication = Publication {
            topic: &topic,
            subject,
            body,
            attributes,
            published_at: call.now,
        };
        let message_id = self.enqueue_publication(&publication)?;
        let mut w = XmlWriter::new();
        w.leaf("MessageId", &message_id);
        Ok(Outcome {
            result: Some(w.finish()),
            response_elements: json!({"messageId": message_id}),
        })
    }

    pub(crate) fn publish_internal(
        &self,
        topic_arn: &str,
        subject: Option<&str>,
        message: &str,
    ) -> Result<String, SnsError> {
        let not_found = || SnsError::TopicNotFound(topic_arn.to_owned());
        let arn = TopicArn::parse(topic_arn, "TopicArn").map_err(|_| not_found())?;
        let topic = self.lock_store().topic(&arn)?.ok_or_else(not_found)?;
        let refused = |error: ApiError| SnsError::InvalidMessage(error.message);
        check_message(message, subject).map_err(refused)?;
        check_size(message, subject, &[]).map_err(refused)?;
        let publication = Publication {
            topic: &topic,
            subject,
            body: MessageBody::Plain(message),
            attributes: Vec::new(),
            published_at: self.clock.now(),
        };
        self.enqueue_publication(&publication)
    }

    /// Queues one Notification per confirmed subscription OpenTrail delivers to, atomically,
    /// then wakes the delivery loop. Returns the new MessageId.
    fn enqueue_publication(&self, publication: &Publication<'_>) -> Result<String, SnsError> {
        let message_id = uuid::Uuid::new_v4().to_string();
        let mut store = self.lock_store();
        let subscriptions = store.confirmed_subscriptions(&publication.topic.arn)?;
        let entries: Vec<OutboxEntry> = subscriptions
            .iter()
            .filter_map(|subscription| {
                self.publication_entry(publication, subscription, &message_id)
            })
            .collect();
        store.enqueue(&entries, publication.published_at.timestamp_millis())?;
        drop(store);
        if !entries.is_empty() {
            self.wake.notify_one();
        }
        Ok(message_id)
    }

    /// What one subscription gets, if anything (e-mail only with SMTP configured).
    fn publication_entry(
        &self,
        publication: &Publication<'_>,
        subscription: &SubscriptionRecord,
        message_id: &str,
    ) -> Option<OutboxEntry> {
        match &self.mail_from {
            _ if subscription.protocol.is_http() => {
                Some(notification_entry(publication, subscription, message_id))
            }
            Some(from) if subscription.protocol.is_email() => {
                mail_notification_entry(publication, subscription, message_id, from)
            }
            _ => None,
        }
    }
}

/// The notification e-mail to one email/email-json subscription; `None` (logged) when its
/// stored address no longer parses.
fn mail_notification_entry(
    publication: &Publication<'_>,
    subscription: &SubscriptionRecord,
    message_id: &str,
    from: &Mailbox,
) -> Option<OutboxEntry> {
    let message = publication.body.for_protocol(subscription.protocol);
    let base = &subscription.endpoint_base_url;
    let body = match subscription.protocol {
        Protocol::EmailJson => {
            let notification = Notification {
                message_id,
                topic: &publication.topic.arn,
                subject: publication.subject,
                message,
                published_at: publication.published_at,
                attributes: &publication.attributes,
            };
            notification_body(&notification, &subscription.arn, base)
        }
        _ => notification_text(message, &unsubscribe_url(base, &subscription.arn)),
    };
    let mail = Mail {
        from,
        display_name: &publication.topic.display_name,
        to: &subscription.endpoint,
        subject: notification_subject(publication.subject),
        body,
        date: publication.published_at,
    };
    let rendered = render(mail)
        .inspect_err(|error| tracing::error!(%error, "sns notification e-mail skipped"))
        .ok()?;
    Some(OutboxEntry {
        kind: MessageKind::Notification,
        channel: DeliveryChannel::Smtp,
        subscription_arn: subscription.arn.to_string(),
        topic_arn: publication.topic.arn.to_string(),
        endpoint: subscription.endpoint.clone(),
        message_id: message_id.to_owned(),
        content_type: MAIL_CONTENT_TYPE.to_owned(),
        raw_delivery: false,
        body: rendered,
        max_attempts: None,
    })
}

fn notification_entry(
    publication: &Publication<'_>,
    subscription: &SubscriptionRecord,
    message_id: &str,
) -> OutboxEntry {
    let message = publication.body.for_protocol(subscription.protocol);
    let body = if subscription.raw_message_delivery {
        message.to_owned()
    } else {
        let notification = Notification {
            message_id,
            topic: &publication.topic.arn,
            subject: publication.subject,
            message,
            published_at: publication.published_at,
            attributes: &publication.attributes,
        };
        notification_body(
            &notification,
            &subscription.arn,
            &subscription.endpoint_base_url,
        )
    };
    let content_type = delivery_content_type(subscription.delivery_policy.as_deref())
        .or_else(|| delivery_content_type(publication.topic.delivery_policy.as_deref()))
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
    OutboxEntry {
        kind: MessageKind::Notification,
        channel: DeliveryChannel::Http,
        subscription_arn: subscription.arn.to_string(),
        topic_arn: publication.topic.arn.to_string(),
        endpoint: subscription.endpoint.clone(),
        message_id: message_id.to_owned(),
        content_type,
        raw_delivery: subscription.raw_message_delivery,
        body,
        max_attempts: None,
    }
}

/// A message must not be empty; a subject is printable ASCII, starts with a letter, digit or
/// punctuation mark and is shorter than 100 characters.
fn check_message(message: &str, subject: Option<&str>) -> Result<(), ApiError> {
    if message.is_empty() {
        return Err(ApiError::invalid_parameter("Empty message"));
    }
    if let Some(subject) = subject {
        let printable = subject.chars().all(|c| c == ' ' || c.is_ascii_graphic());
        let starts_well = subject.chars().next().is_some_and(|c| c.is_ascii_graphic());
        if !printable || !starts_well || subject.len() >= 100 {
            return Err(ApiError::invalid_parameter("Subject"));
        }
    }
    Ok(())
}

fn parse_message_structure<'a>(
    structure: Option<&str>,
    message: &'a str,
) -> Result<MessageBody<'a>, ApiError> {
    match structure {
        None => Ok(MessageBody::Plain(message)),
        Some("json") => {
            let parsed: Value = serde_json::from_str(message).map_err(|_| {
                ApiError::invalid_parameter("Message Structure - JSON message body failed to parse")
            })?;
            let Value::Object(texts) = parsed else {
                return Err(ApiError::invalid_parameter(
                    "Message Structure - JSON message body failed to parse",
                ));
            };
            if !texts.get("default").is_some_and(Value::is_string) {
                return Err(ApiError::invalid_parameter(
                    "Message Structure - No default entry in JSON message body",
                ));
            }
            Ok(MessageBody::PerProtocol(texts))
        }
        Some(_) => Err(ApiError::invalid_parameter("MessageStructure")),
    }
}

fn check_size(
    message: &str,
    subject: Option<&str>,
    attributes: &[(String, NotificationAttribute)],
) -> Result<(), ApiError> {
    let attribute_bytes: usize = attributes
        .iter()
        .map(|(name, value)| name.len() + value.data_type.len() + value.value.len())
        .sum();
    let total = message.len() + subject.map_or(0, str::len) + attribute_bytes;
    if total > MAX_PUBLISH_BYTES {
        return Err(ApiError::invalid_parameter("Message too long"));
    }
    Ok(())
}

/// Checks message attributes as SNS does and returns them as a Notification carries them.
fn check_message_attributes(
    attributes: Vec<MessageAttribute>,
) -> Result<Vec<(String, NotificationAttribute)>, ApiError> {
    if attributes.len() > MAX_MESSAGE_ATTRIBUTES {
        return Err(ApiError::parameter_value_invalid(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}].",
            attributes.len()
        )));
    }
    let mut checked: Vec<(String, NotificationAttribute)> = Vec::with_capacity(attributes.len());
    for attribute in attributes {
        check_attribute_name(&attribute.name)?;
        if checked.iter().any(|(name, _)| *name == attribute.name) {
            return Err(ApiError::parameter_value_invalid(format!(
                "Message attribute name '{}' is specified more than once.",
                attribute.name
            )));
        }
        let value = check_attribute_value(&attribute)?;
        checked.push((
            attribute.name,
            NotificationAttribute {
                data_type: attribute.data_type,
                value,
            },
        ));
    }
    Ok(checked)
}

/// Names: 1 to 256 of `A-Za-z0-9_-.`, no leading, trailing or doubled period, no `AWS.` or
/// `Amazon.` prefix.
fn check_attribute_name(name: &str) -> Result<(), ApiError> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    let lower = name.to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 256
        && valid_chars
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !lower.starts_with("aws.")
        && !lower.starts_with("amazon.");
    if !valid {
        return Err(ApiError::parameter_value_invalid(format!(
            "The message attribute name '{name}' is invalid."
        )));
    }
    Ok(())
}

/// The value text a Notification carries for one attribute (base64 for binary values).
fn check_attribute_value(attribute: &MessageAttribute) -> Result<String, ApiError> {
    let name = &attribute.name;
    let data_type = attribute.data_type.as_str();
    let base_type = data_type.split('.').next().unwrap_or_default();
    let empty_value = || {
        ApiError::parameter_value_invalid(format!(
            "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
        ))
    };
    match base_type {
        "String" | "Number" => {
            let value = attribute
                .string_value
                .clone()
                .filter(|v| !v.is_empty())
                .ok_or_else(empty_value)?;
            check_typed_string(name, data_type, base_type, &value)?;
            Ok(value)
        }
        "Binary" => {
            let value = attribute
                .binary_value
                .clone()
                .filter(|v| !v.is_empty())
                .ok_or_else(empty_value)?;
            base64::engine::general_purpose::STANDARD
                .decode(&value)
                .map_err(|_| empty_value())?;
            Ok(value)
        }
        _ => Err(ApiError::parameter_value_invalid(format!(
            "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
        ))),
    }
}

fn check_typed_string(
    name: &str,
    data_type: &str,
    base_type: &str,
    value: &str,
) -> Result<(), ApiError> {
    if base_type == "Number" && !value.parse::<f64>().is_ok_and(f64::is_finite) {
        return Err(ApiError::parameter_value_invalid(format!(
            "Could not cast message attribute '{name}' value to number."
        )));
    }
    if data_type == "String.Array"
        && !serde_json::from_str::<Value>(value).is_ok_and(|v| v.is_array())
    {
        return Err(ApiError::parameter_value_invalid(format!(
            "The message attribute '{name}' with type 'String.Array' must be a JSON array."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(
        name: &str,
        data_type: &str,
        string: Option<&str>,
        binary: Option<&str>,
    ) -> MessageAttribute {
        MessageAttribute {
            name: name.to_owned(),
            data_type: data_type.to_owned(),
            string_value: string.map(str::to_owned),
            binary_value: binary.map(str::to_owned),
        }
    }

    #[test]
    fn message_attributes_follow_sns_rules() {
        let check = |attributes: Vec<MessageAttribute>,
                     expected: Result<Vec<(&str, &str, &str)>, &str>| {
            let actual = check_message_attributes(attributes);
            match expected {
                Ok(items) => {
                    let actual = actual.unwrap();
                    let actual: Vec<(&str, &str, &str)> = actual
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.data_type.as_str(), v.value.as_str()))
                        .collect();
                    assert_eq!(actual, items);
                }
                Err(message) => assert_eq!(actual.unwrap_err().message, message),
            }
        };
        check(
            vec![
                attribute("color", "String", Some("blue"), None),
                attribute("count", "Number", Some("-1.5e3"), None),
                attribute("blob", "Binary", None, Some("AAE=")),
                attribute("list", "String.Array", Some("[\"a\",1]"), None),
                attribute("custom", "Number.int", Some("7"), None),
            ],
            Ok(vec![
                ("color", "String", "blue"),
                ("count", "Number", "-1.5e3"),
                ("blob", "Binary", "AAE="),
                ("list", "String.Array", "[\"a\",1]"),
                ("custom", "Number.int", "7"),
            ]),
        );
        check(
            vec![attribute("n", "Number", Some("many"), None)],
            Err("Could not cast message attribute 'n' value to number."),
        );
        check(
            vec![attribute("s", "String", Some(""), None)],
            Err(
                "The message attribute 's' must contain non-empty message attribute value for message attribute type 'String'.",
            ),
        );
        check(
            vec![attribute("b", "Binary", None, Some("not base64!"))],
            Err(
                "The message attribute 'b' must contain non-empty message attribute value for message attribute type 'Binary'.",
            ),
        );
        check(
            vec![attribute("x", "Blob", Some("v"), None)],
            Err(
                "The message attribute 'x' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
            ),
        );
        check(
            vec![attribute("AWS.trace", "String", Some("v"), None)],
            Err("The message attribute name 'AWS.trace' is invalid."),
        );
        check(
            vec![attribute("a..b", "String", Some("v"), None)],
            Err("The message attribute name 'a..b' is invalid."),
        );
        check(
            vec![
                attribute("d", "String", Some("1"), None),
                attribute("d", "String", Some("2"), None),
            ],
            Err("Message attribute name 'd' is specified more than once."),
        );
        check(
            (0..11)
                .map(|i| attribute(&format!("a{i}"), "String", Some("v"), None))
                .collect(),
            Err("Number of message attributes [11] exceeds the allowed maximum [10]."),
        );
    }

    #[test]
    fn messages_and_subjects_are_checked() {
        let check = |message: &str, subject: Option<&str>, expected: Option<&str>| {
            let actual = check_message(message, subject).err().map(|e| e.message);
            assert_eq!(actual.as_deref(), expected, "{message:?} {subject:?}");
        };
        check("hello", None, None);
        check("hello", Some("Alarm: \"High CPU\" in us-east-1"), None);
        check("", None, Some("Invalid parameter: Empty message"));
        check("m", Some("line\nbreak"), Some("Invalid parameter: Subject"));
        check(
            "m",
            Some(" leading space"),
            Some("Invalid parameter: Subject"),
        );
        check("m", Some(""), Some("Invalid parameter: Subject"));
        check(
            "m",
            Some(&"s".repeat(100)),
            Some("Invalid parameter: Subject"),
        );
        check("m", Some("caf\u{e9}"), Some("Invalid parameter: Subject"));
        assert_eq!(
            check_size(&"x".repeat(MAX_PUBLISH_BYTES + 1), None, &[])
                .unwrap_err()
                .message,
            "Invalid parameter: Message too long"
        );
    }

    #[test]
    fn message_structure_json_picks_per_protocol_text() {
        let body = parse_message_structure(Some("json"), r#"{"default":"d","http":"h"}"#).unwrap();
        assert_eq!(body.for_protocol(Protocol::Http), "h");
        assert_eq!(body.for_protocol(Protocol::Https), "d");
        let check = |structure: Option<&str>, message: &str, expected: &str| {
            assert_eq!(
                parse_message_structure(structure, message)
                    .unwrap_err()
                    .message,
                expected
            );
        };
        check(
            Some("json"),
            "not json",
            "Invalid parameter: Message Structure - JSON message body failed to parse",
        );
        check(
            Some("json"),
            r#"{"http":"h"}"#,
            "Invalid parameter: Message Structure - No default entry in JSON message body",
        );
        check(Some("xml"), "m", "Invalid parameter: MessageStructure");
    }
}
