//! The subscription operations (Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions,
//! ListSubscriptionsByTopic, Get/SetSubscriptionAttributes) and the confirmation handshake.
//!
//! A Subscribe stores a pending subscription and queues a SubscriptionConfirmation (with its
//! Token and SubscribeURL) in the same transaction: a JSON document POSTed to http/https
//! endpoints, an e-mail to email/email-json addresses (only when SMTP is configured; otherwise
//! nothing is queued and the subscription stays pending). ConfirmSubscription with the token,
//! authenticated or not, makes it confirmed. Unsubscribe keeps the row as `deleted` with a fresh
//! token for a few days and queues, for http/https only, an UnsubscribeConfirmation whose
//! SubscribeURL restores it (SNS mails nothing on unsubscribe).

use lettre::message::Mailbox;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::mail::{CONFIRMATION_SUBJECT, MAIL_CONTENT_TYPE, Mail, confirmation_text, render};
use crate::messages::{
    DEFAULT_CONTENT_TYPE, subscribe_url, subscription_confirmation_body,
    unsubscribe_confirmation_body,
};
use crate::names::{Protocol, SubscriptionArn, TopicArn};
use crate::store::{
    DeliveryChannel, MessageKind, OutboxEntry, SubscriptionRecord, SubscriptionScope,
    SubscriptionStatus, TopicRecord,
};
use crate::topics::{
    AttributeProblem, check_delivery_policy, decode_next_token, effective_delivery_policy,
    encode_next_token,
};
use crate::xml::XmlWriter;
use crate::{Call, Inner, Outcome};

/// Subscriptions per List page (as SNS).
const SUBSCRIPTIONS_PAGE: usize = 100;

/// What Subscribe answers instead of an ARN for a pending subscription.
const PENDING_CONFIRMATION_TEXT: &str = "pending confirmation";

/// What the List operations show instead of a pending subscription's ARN.
const PENDING_CONFIRMATION_ARN: &str = "PendingConfirmation";

/// Subscription attributes SNS has that OpenTrail refuses rather than ignore.
const UNSUPPORTED_SUBSCRIPTION_ATTRIBUTES: [&str; 5] = [
    "FilterPolicy",
    "FilterPolicyScope",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

/// A new random confirmation token (64 hex digits).
fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Inner {
    pub(crate) fn subscribe(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let topic_text = call.input.required("TopicArn")?;
        let topic = self.owned_topic(call, topic_text, "TopicArn", "Subscribe")?;
        let protocol = Protocol::parse(call.input.required("Protocol")?)?;
        let endpoint = protocol.check_endpoint(call.input.required("Endpoint")?)?;
        let attributes = call.input.string_map("Attributes")?;
        let return_arn = call
            .input
            .boolean("ReturnSubscriptionArn")?
            .unwrap_or(false);
        let existing = self
            .lock_store()
            .subscription_by_endpoint(&topic.arn, protocol, &endpoint)?;
        let record = match existing {
            Some(record) if record.status == SubscriptionStatus::Confirmed => {
                check_same_subscription(&record, &attributes)?;
                record
            }
            Some(record) if record.status == SubscriptionStatus::Pending => {
                self.renew_pending(call, &topic, record)?
            }
            _ => self.create_pending(call, &topic, protocol, endpoint, &attributes)?,
        };
        let shown = if return_arn || record.status == SubscriptionStatus::Confirmed {
            record.arn.to_string()
        } else {
            PENDING_CONFIRMATION_TEXT.to_owned()
        };
        Ok(subscription_arn_outcome(&shown))
    }

    fn create_pending(
        &self,
        call: &Call<'_>,
        topic: &TopicRecord,
        protocol: Protocol,
        endpoint: String,
        attributes: &[(String, String)],
    ) -> Result<SubscriptionRecord, ApiError> {
        let mut record = SubscriptionRecord {
            arn: SubscriptionArn::generate(&topic.arn),
            owner_account_id: call.account_id.to_owned(),
            protocol,
            endpoint,
            status: SubscriptionStatus::Pending,
            token: new_token(),
            token_expires_at_ms: self.token_expiry_ms(call.now.timestamp_millis()),
            confirmation_was_authenticated: false,
            authenticate_on_unsubscribe: false,
            raw_message_delivery: false,
            delivery_policy: None,
            endpoint_base_url: call.endpoint_base_url.to_owned(),
        };
        for (name, value) in attributes {
            apply_subscription_attribute(&mut record, name, value)
                .map_err(|problem| subscribe_attribute_error(name, problem))?;
        }
        self.save_with_confirmation(call, topic, &record)?;
        Ok(record)
    }

    /// Subscribe again while pending: the same token lives longer and the confirmation is sent
    /// again (replacing one still queued).
    fn renew_pending(
        &self,
        call: &Call<'_>,
        topic: &TopicRecord,
        mut record: SubscriptionRecord,
    ) -> Result<SubscriptionRecord, ApiError> {
        record.token_expires_at_ms = self.token_expiry_ms(call.now.timestamp_millis());
        record.endpoint_base_url = call.endpoint_base_url.to_owned();
        self.save_with_confirmation(call, topic, &record)?;
        Ok(record)
    }

    fn save_with_confirmation(
        &self,
        call: &Call<'_>,
        topic: &TopicRecord,
        record: &SubscriptionRecord,
    ) -> Result<(), ApiError> {
        let deliveries: Vec<OutboxEntry> = match &self.mail_from {
            _ if record.protocol.is_http() => vec![confirmation_entry(record, call)],
            Some(from) if record.protocol.is_email() => {
                vec![mail_confirmation_entry(record, call, topic, from)?]
            }
            _ => Vec::new(),
        };
        self.lock_store().save_subscription(
            record,
            &deliveries,
            false,
            call.now.timestamp_millis(),
        )?;
        if !deliveries.is_empty() {
            self.wake.notify_one();
        }
        Ok(())
    }

    fn token_expiry_ms(&self, now_ms: i64) -> i64 {
        let lifetime = i64::try_from(self.delivery.token_lifetime.as_millis()).unwrap_or(i64::MAX);
        now_ms.saturating_add(lifetime)
    }

    pub(crate) fn confirm_subscription(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let topic_text = call.input.required("TopicArn")?;
        let token = call.input.required("Token")?;
        let topic = self.owned_topic(call, topic_text, "TopicArn", "ConfirmSubscription")?;
        let authenticate_on_unsubscribe = match call.input.get("AuthenticateOnUnsubscribe") {
            None => false,
            Some(text) if text.eq_ignore_ascii_case("true") => true,
            Some(text) if text.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(ApiError::invalid_parameter("AuthenticateOnUnsubscribe")),
        };
        self.confirm(
            &topic.arn,
            token,
            authenticate_on_unsubscribe,
            true,
            call.now.timestamp_millis(),
        )
    }

    pub(crate) fn confirm_unauthenticated(
        &self,
        topic_arn: &str,
        token: &str,
    ) -> Result<Outcome, ApiError> {
        let arn = TopicArn::parse(topic_arn, "TopicArn")?;
        if self.lock_store().topic(&arn)?.is_none() {
            return Err(ApiError::topic_not_found());
        }
        self.confirm(&arn, token, false, false, self.now_ms())
    }

    fn confirm(
        &self,
        topic: &TopicArn,
        token: &str,
        authenticate_on_unsubscribe: bool,
        authenticated: bool,
        now_ms: i64,
    ) -> Result<Outcome, ApiError> {
        let mut store = self.lock_store();
        let mut record = store
            .subscription_by_token(topic, token)?
            .ok_or_else(|| ApiError::invalid_parameter("Token"))?;
        if record.status != SubscriptionStatus::Confirmed {
            if record.token_expires_at_ms <= now_ms {
                return Err(ApiError::invalid_parameter("Token"));
            }
            record.status = SubscriptionStatus::Confirmed;
            record.confirmation_was_authenticated = authenticated;
            record.authenticate_on_unsubscribe = authenticate_on_unsubscribe;
            store.save_subscription(&record, &[], false, now_ms)?;
        }
        Ok(subscription_arn_outcome(&record.arn.to_string()))
    }

    pub(crate) fn unsubscribe(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let record = self.caller_subscription(call, "Unsubscribe")?;
        self.remove_subscription(record, call.now.timestamp_millis())
    }

    pub(crate) fn unsubscribe_unauthenticated(
        &self,
        subscription_arn: &str,
    ) -> Result<Outcome, ApiError> {
        let arn = SubscriptionArn::parse(subscription_arn)?;
        let record = self.live_subscription(&arn)?;
        if record.authenticate_on_unsubscribe {
            return Err(ApiError::authorization(
                "anonymous",
                "Unsubscribe",
                subscription_arn,
            ));
        }
        self.remove_subscription(record, self.now_ms())
    }

    fn remove_subscription(
        &self,
        mut record: SubscriptionRecord,
        now_ms: i64,
    ) -> Result<Outcome, ApiError> {
        let notify_endpoint =
            record.status == SubscriptionStatus::Confirmed && record.protocol.is_http();
        record.status = SubscriptionStatus::Deleted;
        record.token = new_token();
        record.token_expires_at_ms = self.token_expiry_ms(now_ms);
        let deliveries = if notify_endpoint {
            vec![self.unsubscribe_entry(&record, now_ms)]
        } else {
            Vec::new()
        };
        self.lock_store()
            .save_subscription(&record, &deliveries, true, now_ms)?;
        if !deliveries.is_empty() {
            self.wake.notify_one();
        }
        Ok(Outcome::default())
    }

    fn unsubscribe_entry(&self, record: &SubscriptionRecord, now_ms: i64) -> OutboxEntry {
        let message_id = uuid::Uuid::new_v4().to_string();
        let at = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        let body = unsubscribe_confirmation_body(
            &message_id,
            &record.arn,
            &record.token,
            &record.endpoint_base_url,
            at,
        );
        OutboxEntry {
            kind: MessageKind::UnsubscribeConfirmation,
            channel: DeliveryChannel::Http,
            subscription_arn: record.arn.to_string(),
            topic_arn: record.arn.topic.to_string(),
            endpoint: record.endpoint.clone(),
            message_id,
            content_type: DEFAULT_CONTENT_TYPE.to_owned(),
            raw_delivery: false,
            body,
            max_attempts: Some(i64::from(self.delivery.unsubscribe_confirmation_attempts)),
        }
    }

    /// The caller's live subscription named by `SubscriptionArn`.
    fn caller_subscription(
        &self,
        call: &Call<'_>,
        action: &str,
    ) -> Result<SubscriptionRecord, ApiError> {
        let text = call.input.required("SubscriptionArn")?;
        let arn = SubscriptionArn::parse(text)?;
        if arn.topic.region != call.region {
            return Err(ApiError::invalid_parameter("SubscriptionArn"));
        }
        if arn.topic.account_id != call.account_id {
            return Err(ApiError::authorization(call.account_id, action, text));
        }
        self.live_subscription(&arn)
    }

    fn live_subscription(&self, arn: &SubscriptionArn) -> Result<SubscriptionRecord, ApiError> {
        self.lock_store()
            .subscription(arn)?
            .filter(|record| record.status != SubscriptionStatus::Deleted)
            .ok_or_else(ApiError::subscription_not_found)
    }

    pub(crate) fn get_subscription_attributes(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let record = self.caller_subscription(call, "GetSubscriptionAttributes")?;
        let topic_policy = self
            .lock_store()
            .topic(&record.arn.topic)?
            .and_then(|topic| topic.delivery_policy);
        let attributes = subscription_attributes(&record, topic_policy.as_deref());
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

    pub(crate) fn set_subscription_attributes(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let mut record = self.caller_subscription(call, "SetSubscriptionAttributes")?;
        let name = call.input.required("AttributeName")?;
        let value = call.input.get("AttributeValue").unwrap_or_default();
        apply_subscription_attribute(&mut record, name, value).map_err(
            |problem| match problem {
                AttributeProblem::Unknown => ApiError::invalid_parameter("AttributeName"),
                AttributeProblem::Unsupported => ApiError::invalid_parameter(format!(
                    "AttributeName Reason: {name} is not supported by OpenTrail"
                )),
                AttributeProblem::BadValue(detail) => ApiError::invalid_parameter(detail),
            },
        )?;
        self.lock_store()
            .save_subscription(&record, &[], false, call.now.timestamp_millis())?;
        Ok(Outcome::default())
    }

    pub(crate) fn list_subscriptions(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let scope = SubscriptionScope::Owner {
            account_id: call.account_id,
            region: call.region,
        };
        self.subscriptions_page(call, scope)
    }

    pub(crate) fn list_subscriptions_by_topic(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let topic_text = call.input.required("TopicArn")?;
        let topic = self.owned_topic(call, topic_text, "TopicArn", "ListSubscriptionsByTopic")?;
        self.subscriptions_page(call, SubscriptionScope::Topic(&topic.arn))
    }

    fn subscriptions_page(
        &self,
        call: &Call<'_>,
        scope: SubscriptionScope<'_>,
    ) -> Result<Outcome, ApiError> {
        let after = decode_next_token(call.input.get("NextToken"))?;
        let mut records =
            self.lock_store()
                .subscriptions_page(scope, &after, SUBSCRIPTIONS_PAGE + 1)?;
        let more = records.len() > SUBSCRIPTIONS_PAGE;
        records.truncate(SUBSCRIPTIONS_PAGE);
        let mut w = XmlWriter::new();
        w.element("Subscriptions", |w| {
            for record in &records {
                write_subscription_member(w, record);
            }
        });
        if let (true, Some(last)) = (more, records.last()) {
            w.leaf("NextToken", &encode_next_token(&last.arn.to_string()));
        }
        Ok(Outcome {
            result: Some(w.finish()),
            response_elements: Value::Null,
        })
    }
}

fn subscription_arn_outcome(shown: &str) -> Outcome {
    let mut w = XmlWriter::new();
    w.leaf("SubscriptionArn", shown);
    Outcome {
        result: Some(w.finish()),
        response_elements: json!({"subscriptionArn": shown}),
    }
}

fn write_subscription_member(w: &mut XmlWriter, record: &SubscriptionRecord) {
    let arn = match record.status {
        SubscriptionStatus::Confirmed => record.arn.to_string(),
        _ => PENDING_CONFIRMATION_ARN.to_owned(),
    };
    w.element("member", |w| {
        w.leaf("TopicArn", &record.arn.topic.to_string())
            .leaf("Protocol", record.protocol.as_str())
            .leaf("SubscriptionArn", &arn)
            .leaf("Owner", &record.owner_account_id)
            .leaf("Endpoint", &record.endpoint);
    });
}

/// The SubscriptionConfirmation to queue for a pending http/https subscription.
fn confirmation_entry(record: &SubscriptionRecord, call: &Call<'_>) -> OutboxEntry {
    let message_id = uuid::Uuid::new_v4().to_string();
    let body = subscription_confirmation_body(
        &message_id,
        &record.arn.topic,
        &record.token,
        &record.endpoint_base_url,
        call.now,
    );
    OutboxEntry {
        kind: MessageKind::SubscriptionConfirmation,
        channel: DeliveryChannel::Http,
        subscription_arn: record.arn.to_string(),
        topic_arn: record.arn.topic.to_string(),
        endpoint: record.endpoint.clone(),
        message_id,
        content_type: DEFAULT_CONTENT_TYPE.to_owned(),
        raw_delivery: false,
        body,
        max_attempts: None,
    }
}

/// The confirmation e-mail to queue for a pending email/email-json subscription: SNS's text
/// with the SubscribeURL for `email`, the SubscriptionConfirmation document for `email-json`.
fn mail_confirmation_entry(
    record: &SubscriptionRecord,
    call: &Call<'_>,
    topic: &TopicRecord,
    from: &Mailbox,
) -> Result<OutboxEntry, ApiError> {
    let message_id = uuid::Uuid::new_v4().to_string();
    let (base, token) = (&record.endpoint_base_url, &record.token);
    let body = match record.protocol {
        Protocol::EmailJson => {
            subscription_confirmation_body(&message_id, &topic.arn, token, base, call.now)
        }
        _ => confirmation_text(&topic.arn, &subscribe_url(base, &topic.arn, token)),
    };
    let mail = Mail {
        from,
        display_name: &topic.display_name,
        to: &record.endpoint,
        subject: CONFIRMATION_SUBJECT,
        body,
        date: call.now,
    };
    let rendered = render(mail).map_err(|error| {
        tracing::error!(%error, "sns confirmation e-mail cannot be built");
        ApiError::invalid_parameter("Email address")
    })?;
    Ok(OutboxEntry {
        kind: MessageKind::SubscriptionConfirmation,
        channel: DeliveryChannel::Smtp,
        subscription_arn: record.arn.to_string(),
        topic_arn: topic.arn.to_string(),
        endpoint: record.endpoint.clone(),
        message_id,
        content_type: MAIL_CONTENT_TYPE.to_owned(),
        raw_delivery: false,
        body: rendered,
        max_attempts: None,
    })
}

/// GetSubscriptionAttributes' map.
fn subscription_attributes(
    record: &SubscriptionRecord,
    topic_delivery_policy: Option<&str>,
) -> Vec<(&'static str, String)> {
    let flag = |value: bool| value.to_string();
    let mut attributes = vec![
        ("Owner", record.owner_account_id.clone()),
        ("RawMessageDelivery", flag(record.raw_message_delivery)),
        ("TopicArn", record.arn.topic.to_string()),
        ("Endpoint", record.endpoint.clone()),
        ("Protocol", record.protocol.as_str().to_owned()),
        (
            "PendingConfirmation",
            flag(record.status == SubscriptionStatus::Pending),
        ),
        (
            "ConfirmationWasAuthenticated",
            flag(record.confirmation_was_authenticated),
        ),
        ("SubscriptionArn", record.arn.to_string()),
    ];
    if record.protocol.is_http() {
        let policy = record.delivery_policy.as_deref().or(topic_delivery_policy);
        attributes.push(("EffectiveDeliveryPolicy", effective_delivery_policy(policy)));
    }
    if let Some(policy) = &record.delivery_policy {
        attributes.push(("DeliveryPolicy", policy.clone()));
    }
    attributes
}

fn apply_subscription_attribute(
    record: &mut SubscriptionRecord,
    name: &str,
    value: &str,
) -> Result<(), AttributeProblem> {
    let protocol = record.protocol.as_str();
    match name {
        "RawMessageDelivery" if !record.protocol.is_http() => {
            Err(AttributeProblem::BadValue(format!(
                "Attributes Reason: Delivery protocol [{protocol}] does not support raw message delivery."
            )))
        }
        "RawMessageDelivery" => {
            record.raw_message_delivery = parse_flag(value).ok_or_else(|| {
                AttributeProblem::BadValue(format!(
                    "Attributes Reason: RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                ))
            })?;
            Ok(())
        }
        "DeliveryPolicy" if !record.protocol.is_http() => Err(AttributeProblem::BadValue(format!(
            "Attributes Reason: Delivery protocol [{protocol}] does not support delivery policies."
        ))),
        "DeliveryPolicy" => {
            record.delivery_policy = check_delivery_policy(value)?;
            Ok(())
        }
        other if UNSUPPORTED_SUBSCRIPTION_ATTRIBUTES.contains(&other) => {
            Err(AttributeProblem::Unsupported)
        }
        _ => Err(AttributeProblem::Unknown),
    }
}

fn parse_flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn subscribe_attribute_error(name: &str, problem: AttributeProblem) -> ApiError {
    match problem {
        AttributeProblem::Unknown => ApiError::invalid_parameter(format!(
            "Attributes Reason: Unknown SubscribeAttribute: {name}"
        )),
        AttributeProblem::Unsupported => ApiError::invalid_parameter(format!(
            "Attributes Reason: {name} is not supported by OpenTrail"
        )),
        AttributeProblem::BadValue(detail) => ApiError::invalid_parameter(detail),
    }
}

/// Subscribe on a confirmed subscription succeeds only with the attributes it already has.
fn check_same_subscription(
    record: &SubscriptionRecord,
    attributes: &[(String, String)],
) -> Result<(), ApiError> {
    let mut requested = record.clone();
    for (name, value) in attributes {
        apply_subscription_attribute(&mut requested, name, value)
            .map_err(|problem| subscribe_attribute_error(name, problem))?;
    }
    if requested != *record {
        return Err(ApiError::invalid_parameter(
            "Attributes Reason: Subscription already exists with different attributes",
        ));
    }
    Ok(())
}
