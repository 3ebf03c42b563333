//! SNS identifiers as newtypes: topic names, topic and subscription ARNs, subscription
//! protocols and endpoints, with SNS's validation rules and error wording.
//!
//! Parsing here checks shape only (`arn:<partition>:sns:<region>:<account>:<name>`); whether the
//! caller may use a topic, and whether it exists, is decided by the operations.

use std::fmt;

use crate::error::ApiError;

/// The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A standard topic name: 1 to 256 ASCII letters, digits, hyphens and underscores.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopicName(String);

impl TopicName {
    /// Checks `name` against SNS's rule. FIFO topics (`.fifo`) are refused: OpenTrail has none.
    pub fn parse(name: &str) -> Result<Self, ApiError> {
        if name.ends_with(".fifo") {
            return Err(ApiError::invalid_parameter(
                "Topic Name Reason: FIFO topics are not supported by OpenTrail",
            ));
        }
        let valid_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || name.len() > 256 || !name.chars().all(valid_char) {
            return Err(ApiError::invalid_parameter("Topic Name"));
        }
        Ok(TopicName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `arn:<partition>:sns:<region>:<account>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopicArn {
    /// The topic's region.
    pub region: String,
    /// The owning account (12 digits).
    pub account_id: String,
    /// The topic name.
    pub name: TopicName,
}

impl TopicArn {
    /// The ARN of topic `name` owned by `account_id` in `region`.
    pub fn new(region: &str, account_id: &str, name: TopicName) -> Self {
        TopicArn {
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            name,
        }
    }

    /// Parses a topic ARN; `member` names the parameter in the error (`TopicArn`, `TargetArn`).
    pub fn parse(text: &str, member: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::invalid_parameter(member);
        let parts: Vec<&str> = text.split(':').collect();
        let [arn, partition, service, region, account, name] = parts[..] else {
            return Err(invalid());
        };
        let region_ok = !region.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if arn != "arn"
            || service != "sns"
            || !region_ok
            || partition != partition_for_region(region)
            || !is_account_id(account)
        {
            return Err(invalid());
        }
        let name = TopicName::parse(name).map_err(|_| invalid())?;
        Ok(TopicArn::new(region, account, name))
    }
}

impl fmt::Display for TopicArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:sns:{}:{}:{}",
            partition_for_region(&self.region),
            self.region,
            self.account_id,
            self.name.as_str()
        )
    }
}

/// `<topic arn>:<uuid>`, the ARN of one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriptionArn {
    /// The topic subscribed to.
    pub topic: TopicArn,
    /// The subscription's own id (a UUID).
    pub id: String,
}

impl SubscriptionArn {
    /// A fresh subscription ARN on `topic`.
    pub fn generate(topic: &TopicArn) -> Self {
        SubscriptionArn {
            topic: topic.clone(),
            id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Parses a subscription ARN (`Invalid parameter: SubscriptionArn` otherwise).
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::invalid_parameter("SubscriptionArn");
        let (topic, id) = text.rsplit_once(':').ok_or_else(invalid)?;
        let topic = TopicArn::parse(topic, "SubscriptionArn")?;
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(invalid());
        }
        Ok(SubscriptionArn {
            topic,
            id: id.to_owned(),
        })
    }
}

impl fmt::Display for SubscriptionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.topic, self.id)
    }
}

/// The delivery protocols OpenTrail accepts in Subscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// POST to a plain-HTTP URL.
    Http,
    /// POST to an HTTPS URL.
    Https,
    /// Mail with the message text to an address (through [`crate::SmtpConfig`]).
    Email,
    /// Mail with the Notification JSON document to an address.
    EmailJson,
}

/// Protocols SNS has that OpenTrail does not deliver to.
const OTHER_SNS_PROTOCOLS: [&str; 6] = [
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
    "emailjson",
];

impl Protocol {
    /// Parses the `Protocol` parameter.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        match text {
            "http" => Ok(Protocol::Http),
            "https" => Ok(Protocol::Https),
            "email" => Ok(Protocol::Email),
            "email-json" => Ok(Protocol::EmailJson),
            other if OTHER_SNS_PROTOCOLS.contains(&other) => Err(ApiError::invalid_parameter(
                format!("Protocol Reason: {other} subscriptions are not supported by OpenTrail"),
            )),
            other => Err(ApiError::invalid_parameter(format!(
                "Amazon SNS does not support this protocol string: {other}"
            ))),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Email => "email",
            Protocol::EmailJson => "email-json",
        }
    }

    /// Whether OpenTrail delivers to this protocol over HTTP.
    pub fn is_http(self) -> bool {
        matches!(self, Protocol::Http | Protocol::Https)
    }

    /// Whether OpenTrail delivers to this protocol by e-mail (`email`, `email-json`).
    pub fn is_email(self) -> bool {
        matches!(self, Protocol::Email | Protocol::EmailJson)
    }

    /// Checks `endpoint` for this protocol and returns it as stored.
    pub fn check_endpoint(self, endpoint: &str) -> Result<String, ApiError> {
        match self {
            Protocol::Http | Protocol::Https => check_url_endpoint(self, endpoint),
            Protocol::Email | Protocol::EmailJson => check_email_endpoint(endpoint),
        }
    }
}

fn check_url_endpoint(protocol: Protocol, endpoint: &str) -> Result<String, ApiError> {
    let invalid = |reason: &str| {
        ApiError::invalid_parameter(format!("Endpoint Reason: {reason}: {endpoint}"))
    };
    let uri: http::Uri = endpoint.parse().map_err(|_| invalid("not a valid URL"))?;
    let scheme_matches = uri.scheme_str() == Some(protocol.as_str());
    if !scheme_matches {
        return Err(ApiError::invalid_parameter(format!(
            "Endpoint Reason: {} endpoint must begin with {}://",
            protocol.as_str(),
            protocol.as_str()
        )));
    }
    let Some(authority) = uri.authority() else {
        return Err(invalid("no host"));
    };
    if authority.as_str().contains('@') {
        return Err(invalid(
            "credentials in the URL are not supported by OpenTrail",
        ));
    }
    if authority.host().is_empty() {
        return Err(invalid("no host"));
    }
    Ok(endpoint.to_owned())
}

/// An address SNS would take (a dotted domain, printable ASCII) that the SMTP client can also
/// put in `RCPT TO`, so a stored subscription never holds an address that cannot be mailed.
fn check_email_endpoint(endpoint: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::invalid_parameter("Email address");
    let (local, domain) = endpoint.split_once('@').ok_or_else(invalid)?;
    let printable = |s: &str| s.chars().all(|c| c.is_ascii_graphic() && c != '@');
    if local.is_empty() || !domain.contains('.') || !printable(local) || !printable(domain) {
        return Err(invalid());
    }
    endpoint.parse::<lettre::Address>().map_err(|_| invalid())?;
    Ok(endpoint.to_owned())
}

/// Whether `text` is a 12-digit account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_parse_and_print() {
        let check = |text: &str, expected: Option<(&str, &str, &str)>| {
            let parsed = TopicArn::parse(text, "TopicArn");
            match expected {
                Some((region, account, name)) => {
                    let arn = parsed.unwrap_or_else(|e| panic!("{text}: {e}"));
                    assert_eq!(
                        (
                            arn.region.as_str(),
                            arn.account_id.as_str(),
                            arn.name.as_str()
                        ),
                        (region, account, name)
                    );
                    assert_eq!(arn.to_string(), text);
                }
                None => assert_eq!(
                    parsed.unwrap_err(),
                    ApiError::invalid_parameter("TopicArn"),
                    "{text}"
                ),
            }
        };
        check(
            "arn:aws:sns:us-east-1:123456789012:alerts",
            Some(("us-east-1", "123456789012", "alerts")),
        );
        check(
            "arn:aws-cn:sns:cn-north-1:123456789012:a_b-c",
            Some(("cn-north-1", "123456789012", "a_b-c")),
        );
        check("arn:aws:sns:us-east-1:123456789012", None);
        check("arn:aws:sqs:us-east-1:123456789012:alerts", None);
        check("arn:aws-cn:sns:us-east-1:123456789012:alerts", None);
        check("arn:aws:sns:us-east-1:12345678901:alerts", None);
        check("arn:aws:sns:us-east-1:123456789012:al.erts", None);
        check("arn:aws:sns:us-east-1:123456789012:a:b", None);
        check("", None);
    }

    #[test]
    fn topic_names_follow_sns_rules() {
        let check = |name: &str, ok: bool| assert_eq!(TopicName::parse(name).is_ok(), ok, "{name}");
        check("a", true);
        check(&"x".repeat(256), true);
        check(&"x".repeat(257), false);
        check("", false);
        check("has space", false);
        check("dot.ted", false);
        check("q.fifo", false);
    }

    #[test]
    fn subscription_arns_round_trip() {
        let topic = TopicArn::parse("arn:aws:sns:eu-west-1:123456789012:t", "TopicArn").unwrap();
        let arn = SubscriptionArn::generate(&topic);
        let parsed = SubscriptionArn::parse(&arn.to_string()).unwrap();
        assert_eq!(parsed, arn);
        assert!(SubscriptionArn::parse("arn:aws:sns:eu-west-1:123456789012:t").is_err());
        assert!(SubscriptionArn::parse("arn:aws:sns:eu-west-1:123456789012:t:nope").is_err());
    }

    #[test]
    fn endpoints_are_checked_per_protocol() {
        let check = |protocol: Protocol, endpoint: &str, ok: bool| {
            assert_eq!(
                protocol.check_endpoint(endpoint).is_ok(),
                ok,
                "{protocol:?} {endpoint}"
            );
        };
        check(Protocol::Http, "http://127.0.0.1:8080/hook?x=1", true);
        check(Protocol::Http, "https://example.com/", false);
        check(Protocol::Https, "https://example.com/", true);
        check(Protocol::Https, "https://user:pw@example.com/", false);
        check(Protocol::Http, "not a url", false);
        check(Protocol::Email, "ops@example.com", true);
        check(Protocol::Email, "ops@localhost", false);
        check(Protocol::Email, "ops.example.com", false);
        check(Protocol::Email, "o ps@example.com", false);
        check(Protocol::EmailJson, "ops+alarms@mail.example.com", true);
        check(Protocol::EmailJson, "ops@exa_mple..com", false);
        check(Protocol::Email, "ops@-example.com", false);
    }

    #[test]
    fn protocols_outside_the_subset_are_refused_by_name() {
        assert_eq!(Protocol::parse("email-json").unwrap(), Protocol::EmailJson);
        assert_eq!(Protocol::EmailJson.as_str(), "email-json");
        let error = Protocol::parse("sqs").unwrap_err();
        assert!(
            error.message.contains("not supported by OpenTrail"),
            "{error}"
        );
        let error = Protocol::parse("carrier-pigeon").unwrap_err();
        assert_eq!(
            error.message,
            "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"
        );
    }
}
