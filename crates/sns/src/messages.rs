//! The documents SNS POSTs to HTTP/HTTPS subscribers (`Notification`,
//! `SubscriptionConfirmation`, `UnsubscribeConfirmation`), their member order, timestamps and
//! the SubscribeURL / UnsubscribeURL that point back at this server.
//!
//! OpenTrail does not sign these documents: `SignatureVersion`, `Signature` and
//! `SigningCertURL` are left out (docs/adr/0009-sns-subset.md), so a receiver that verifies SNS
//! signatures must be told to skip that check for OpenTrail. Nothing here does IO.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::names::{SubscriptionArn, TopicArn};

/// The `Content-Type` SNS uses unless a delivery policy says otherwise.
pub const DEFAULT_CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

/// The `User-Agent` SNS sends.
pub const USER_AGENT: &str = "Amazon Simple Notification Service Agent";

/// One message attribute as a Notification carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationAttribute {
    /// The data type (`String`, `Number`, `Binary`, `String.Array`, ...).
    #[serde(rename = "Type")]
    pub data_type: String,
    /// The string value, or the base64 text of a binary value.
    #[serde(rename = "Value")]
    pub value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NotificationDocument<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    message_id: &'a str,
    topic_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    message: &'a str,
    timestamp: String,
    #[serde(rename = "UnsubscribeURL")]
    unsubscribe_url: String,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "attribute_map"
    )]
    message_attributes: Vec<(String, NotificationAttribute)>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ConfirmationDocument<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    message_id: &'a str,
    token: &'a str,
    topic_arn: String,
    message: String,
    #[serde(rename = "SubscribeURL")]
    subscribe_url: String,
    timestamp: String,
}

fn attribute_map<S: serde::Serializer>(
    attributes: &[(String, NotificationAttribute)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(attributes.iter().map(|(name, value)| (name, value)))
}

/// What a Notification is made of.
#[derive(Debug, Clone)]
pub struct Notification<'a> {
    /// The published message's id.
    pub message_id: &'a str,
    /// The topic it was published to.
    pub topic: &'a TopicArn,
    /// `Subject`, when the publisher gave one.
    pub subject: Option<&'a str>,
    /// The message text for this subscriber's protocol.
    pub message: &'a str,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// Message attributes, in the publisher's order.
    pub attributes: &'a [(String, NotificationAttribute)],
}

/// The JSON body of a Notification to `subscription`.
pub fn notification_body(
    notification: &Notification<'_>,
    subscription: &SubscriptionArn,
    endpoint_base_url: &str,
) -> String {
    let document = NotificationDocument {
        kind: "Notification",
        message_id: notification.message_id,
        topic_arn: notification.topic.to_string(),
        subject: notification.subject,
        message: notification.message,
        timestamp: sns_timestamp(notification.published_at),
        unsubscribe_url: unsubscribe_url(endpoint_base_url, subscription),
        message_attributes: notification.attributes.to_vec(),
    };
    to_json(&document)
}

/// The JSON body of the SubscriptionConfirmation sent after Subscribe.
pub fn subscription_confirmation_body(
    message_id: &str,
    topic: &TopicArn,
    token: &str,
    endpoint_base_url: &str,
    at: DateTime<Utc>,
) -> String {
    let document = ConfirmationDocument {
        kind: "SubscriptionConfirmation",
        message_id,
        token,
        topic_arn: topic.to_string(),
        message: format!(
            "You have chosen to subscribe to the topic {topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message."
        ),
        subscribe_url: subscribe_url(endpoint_base_url, topic, token),
        timestamp: sns_timestamp(at),
    };
    to_json(&document)
}

/// The JSON body of the UnsubscribeConfirmation sent after Unsubscribe; its SubscribeURL
/// restores the subscription while the token lives.
pub fn unsubscribe_confirmation_body(
    message_id: &str,
    subscription: &SubscriptionArn,
    token: &str,
    endpoint_base_url: &str,
    at: DateTime<Utc>,
) -> String {
    let topic = &subscription.topic;
    let document = ConfirmationDocument {
        kind: "UnsubscribeConfirmation",
        message_id,
        token,
        topic_arn: topic.to_string(),
        message: format!(
            "You have chosen to deactivate subscription {subscription}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
        ),
        subscribe_url: subscribe_url(endpoint_base_url, topic, token),
        timestamp: sns_timestamp(at),
    };
    to_json(&document)
}

/// `{base}/?Action=ConfirmSubscription&TopicArn=...&Token=...` (ARNs and tokens need no
/// escaping in a query string; SNS writes them as they are).
pub fn subscribe_url(endpoint_base_url: &str, topic: &TopicArn, token: &str) -> String {
    format!(
        "{}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}",
        endpoint_base_url.trim_end_matches('/')
    )
}

/// `{base}/?Action=Unsubscribe&SubscriptionArn=...`.
pub fn unsubscribe_url(endpoint_base_url: &str, subscription: &SubscriptionArn) -> String {
    format!(
        "{}/?Action=Unsubscribe&SubscriptionArn={subscription}",
        endpoint_base_url.trim_end_matches('/')
    )
}

/// SNS's timestamp format: UTC with milliseconds, e.g. `2012-05-02T00:54:06.655Z`.
pub fn sns_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn to_json(document: &impl Serialize) -> String {
    serde_json::to_string(document).unwrap_or_else(|error| {
        // Serialising plain strings into a string cannot fail; keep a valid document anyway.
        tracing::error!(%error, "sns document serialisation failed");
        String::from("{}")
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn topic() -> TopicArn {
        TopicArn::parse("arn:aws:sns:us-west-2:123456789012:MyTopic", "TopicArn").unwrap()
    }

    fn at() -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_335_920_046_655).unwrap()
    }

    #[test]
    fn documents_have_sns_member_order_and_values() {
        let topic = topic();
        let subscription = SubscriptionArn {
            topic: topic.clone(),
            id: "2bcfbf39-05c3-41de-beaa-fcfcc21c8f55".to_owned(),
        };
        let check = |actual: String, expected: &str| assert_eq!(actual, expected);
        let attributes = vec![(
            "color".to_owned(),
            NotificationAttribute {
                data_type: "String".to_owned(),
                value: "blue".to_owned(),
            },
        )];
        let notification = Notification {
            message_id: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            topic: &topic,
            subject: Some("My First Message"),
            message: "Hello world!",
            published_at: at(),
            attributes: &attributes,
        };
        check(
            notification_body(&notification, &subscription, "http://127.0.0.1:4580/"),
            r#"{"Type":"Notification","MessageId":"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324","TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic","Subject":"My First Message","Message":"Hello world!","Timestamp":"2012-05-02T00:54:06.655Z","UnsubscribeURL":"http://127.0.0.1:4580/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55","MessageAttributes":{"color":{"Type":"String","Value":"blue"}}}"#,
        );
        let bare = Notification {
            subject: None,
            attributes: &[],
            ..notification
        };
        let body = notification_body(&bare, &subscription, "http://h");
        assert!(
            !body.contains("Subject") && !body.contains("MessageAttributes"),
            "{body}"
        );
        check(
            subscription_confirmation_body("m1", &topic, "tok", "http://h", at()),
            r#"{"Type":"SubscriptionConfirmation","MessageId":"m1","Token":"tok","TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic","Message":"You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.","SubscribeURL":"http://h/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=tok","Timestamp":"2012-05-02T00:54:06.655Z"}"#,
        );
        check(
            unsubscribe_confirmation_body("m2", &subscription, "tok2", "http://h", at()),
            r#"{"Type":"UnsubscribeConfirmation","MessageId":"m2","Token":"tok2","TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic","Message":"You have chosen to deactivate subscription arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.","SubscribeURL":"http://h/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=tok2","Timestamp":"2012-05-02T00:54:06.655Z"}"#,
        );
    }
}
