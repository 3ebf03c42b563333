//! The subset of Amazon SNS that CloudTrail notifications and CloudWatch alarms use, speaking
//! SNS's query protocol (API 2010-03-31) so that the unmodified aws CLI and boto3 work, with
//! topics, subscriptions and a durable outbox of deliveries in SQLite.
//!
//! A tour:
//! - [`SnsService::handle`] runs one query-protocol request (decoded form parameters) and returns
//!   the HTTP status, the XML body and what the self-audit record needs ([`SnsResponse`]).
//! - `query` reads the wire input (botocore's flattening of maps and lists); `xml` writes the
//!   wire output; `audit` turns parameters into CloudTrail's `requestParameters`.
//! - `topics`, `subscriptions`, `publish` and `tags` hold the operations; `names` the
//!   identifiers and their rules; `error` the codes and the one code-to-status mapping.
//! - `store` is the SQLite schema: topics, tags, subscriptions and the outbox. Publishing commits
//!   one outbox row per confirmed subscriber it delivers to before it answers.
//! - `messages` renders the JSON documents POSTed to subscribers and `mail` the e-mails sent to
//!   `email` / `email-json` subscribers; `delivery` is the background loop
//!   ([`SnsService::run_delivery`]) that POSTs documents (and hands e-mails to `smtp`) with capped
//!   exponential backoff until a 2xx (or SMTP's acceptance) arrives or the subscription is gone,
//!   surviving restarts.
//!
//! What it deliberately does not do: HTTP serving and SigV4 (the server crate), topic policy
//! evaluation (only the owning account may use a topic; policies are stored and returned),
//! message signing (docs/adr/0009-sns-subset.md), FIFO topics, SMS, mobile push, SQS/Lambda
//! subscriptions, filter policies. E-mail goes out only when [`DeliveryConfig::smtp`] is set;
//! without it email subscriptions are stored and stay pending, and nothing is mailed.
//! Calls block on SQLite: the async server runs [`SnsService::handle`] on a blocking thread.

mod audit;
mod delivery;
mod error;
mod mail;
mod messages;
mod names;
mod operations;
mod publish;
mod query;
mod smtp;
mod store;
mod subscriptions;
mod tags;
mod topics;
mod xml;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use error::{ApiError, SnsError};
pub use messages::{DEFAULT_CONTENT_TYPE, USER_AGENT};
pub use names::{Protocol, SubscriptionArn, TopicArn, TopicName};
pub use operations::ALL_OPERATIONS;

use query::QueryInput;
use store::Store;

/// Who calls and how the server is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsCaller {
    /// The caller's 12-digit account id.
    pub account_id: String,
    /// The region of the SigV4 scope: topics are regional.
    pub region: String,
    /// The request id the server answers with (`<RequestId>`).
    pub request_id: String,
    /// The server's base URL as clients reach it, for the SubscribeURL and UnsubscribeURL it
    /// serves (e.g. `http://127.0.0.1:4580`).
    pub endpoint_base_url: String,
}

/// One answered request: what goes on the wire and what the self-audit record needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SnsResponse {
    /// The HTTP status (200, or SNS's status for the error code).
    pub status: u16,
    /// The XML body (`text/xml`).
    pub body: String,
    /// The `Action` (the record's `eventName`); empty when the request had none.
    pub action: String,
    /// The request id in the body.
    pub request_id: String,
    /// The SNS error code on failure (`errorCode`).
    pub error_code: Option<String>,
    /// The error message on failure (`errorMessage`).
    pub error_message: Option<String>,
    /// `requestParameters` in CloudTrail's lower-camel naming (`null` when there are none);
    /// message bodies, subjects, message attributes and tokens are hidden as CloudTrail hides them.
    pub request_parameters: Value,
    /// `responseElements` for successful mutating calls, else `null`.
    pub response_elements: Value,
    /// Whether the action only reads (`readOnly`).
    pub read_only: bool,
    /// `false` for Publish, which CloudTrail records as a data event.
    pub management_event: bool,
}

/// How the delivery loop retries and how long it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Delay after the first failed attempt; it doubles per attempt.
    pub min_backoff: Duration,
    /// The cap on the delay between attempts (deliveries are never dropped for age).
    pub max_backoff: Duration,
    /// How long one POST (or one SMTP transaction) may take before it counts as failed (SNS
    /// uses 15 s).
    pub request_timeout: Duration,
    /// How many POSTs and SMTP transactions may be in flight at once.
    pub max_in_flight: usize,
    /// Attempts made for an UnsubscribeConfirmation, whose subscription is already gone.
    pub unsubscribe_confirmation_attempts: u32,
    /// How long confirmation tokens (SubscribeURL) stay valid.
    pub token_lifetime: Duration,
    /// The SMTP server that `email` and `email-json` subscriptions are mailed through. `None`
    /// (the default): Subscribe still answers "pending confirmation" but no confirmation e-mail
    /// is sent, so such subscriptions stay pending, and Publish mails nothing.
    pub smtp: Option<SmtpConfig>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            request_timeout: Duration::from_secs(15),
            max_in_flight: 16,
            unsubscribe_confirmation_attempts: 4,
            token_lifetime: Duration::from_secs(3 * 24 * 3600),
            smtp: None,
        }
    }
}

/// The SMTP server e-mail notifications are handed to (a relay or submission server; OpenTrail
/// does no MX lookup). Implicit TLS (port 465, "SMTPS") is not supported: use STARTTLS.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Host name or IP address of the server (also the name its TLS certificate must carry).
    pub host: String,
    /// Its port (587 for submission with STARTTLS, 25 for a relay).
    pub port: u16,
    /// The sender: an address, optionally with a name (`OpenTrail <alerts@example.com>`). It is
    /// the envelope sender and the `From` header; a topic's `DisplayName`, when set, replaces
    /// the name, as SNS uses it.
    pub from: String,
    /// The AUTH user (PLAIN or LOGIN); set together with `password`, or neither.
    pub username: Option<String>,
    /// The AUTH password.
    pub password: Option<String>,
    /// Whether to require STARTTLS (rustls with the system's roots, or Mozilla's when the
    /// system has none); `false` speaks plain SMTP, for a trusted local relay only.
    pub starttls: bool,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("starttls", &self.starttls)
            .finish()
    }
}

/// Where the service reads the time (tests pin it).
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The SNS service: owns the SQLite database and the delivery outbox; `Send + Sync`, one
/// instance per server.
#[derive(Clone)]
pub struct SnsService {
    inner: Arc<Inner>,
}

/// The shared state behind [`SnsService`] (cloned into the delivery loop's blocking tasks).
struct Inner {
    store: Mutex<Store>,
    delivery: DeliveryConfig,
    /// The checked `From` of [`SmtpConfig`]; `None` when e-mail is off.
    mail_from: Option<Mailbox>,
    clock: Arc<dyn Clock>,
    /// Woken whenever a delivery is queued, so the loop need not poll.
    wake: Notify,
}

impl fmt::Debug for SnsService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnsService")
            .field("delivery", &self.inner.delivery)
            .finish_non_exhaustive()
    }
}

/// What a successful operation produced: the members of its `<Action>Result` (`None` for
/// operations without an output shape) and its CloudTrail `responseElements`.
#[derive(Debug, Default)]
struct Outcome {
    result: Option<String>,
    response_elements: Value,
}

/// One call as the operations see it.
#[derive(Debug, Clone, Copy)]
struct Call<'a> {
    account_id: &'a str,
    region: &'a str,
    endpoint_base_url: &'a str,
    input: QueryInput<'a>,
    now: DateTime<Utc>,
}

impl SnsService {
    /// Opens (or creates) the database at `db_path`, migrates it, and forgets unsubscribed
    /// subscriptions whose restore token has expired. Fails with [`SnsError::SmtpConfig`] when
    /// the SMTP settings cannot work (checked here, before anything is queued).
    pub fn open(db_path: &Path, delivery: DeliveryConfig) -> Result<Self, SnsError> {
        Self::open_with_clock(db_path, delivery, Arc::new(SystemClock))
    }

    /// [`SnsService::open`] with a chosen clock.
    pub fn open_with_clock(
        db_path: &Path,
        delivery: DeliveryConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SnsError> {
        let mail_from = delivery.smtp.as_ref().map(smtp::check_config).transpose()?;
        let store = Store::open(db_path)?;
        store.purge_expired_deleted(clock.now().timestamp_millis())?;
        Ok(SnsService {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                delivery,
                mail_from,
                clock,
                wake: Notify::new(),
            }),
        })
    }

    /// Runs one query-protocol request from an authenticated caller.
    pub fn handle(&self, caller: &SnsCaller, params: &[(String, String)]) -> SnsResponse {
        let input = QueryInput::new(params);
        let call = Call {
            account_id: &caller.account_id,
            region: &caller.region,
            endpoint_base_url: &caller.endpoint_base_url,
            input,
            now: self.inner.clock.now(),
        };
        let action = input.get("Action").unwrap_or_default();
        let outcome = self.inner.dispatch(&call, action);
        respond(action, &caller.request_id, input, outcome)
    }

    /// Whether an SNS action is read-only (`Get*`, `List*`, `Check*`), for every action of the
    /// 2010-03-31 API; `None` for names that are not SNS actions.
    pub fn is_read_only(action: &str) -> Option<bool> {
        operations::is_read_only(action)
    }

    /// ConfirmSubscription reached without credentials, as the SubscribeURL in a
    /// SubscriptionConfirmation is (SNS allows that: the token is the proof). Not audited by
    /// CloudTrail, as on AWS. The request id is generated here.
    pub fn confirm_by_token_unauthenticated(&self, topic_arn: &str, token: &str) -> SnsResponse {
        let request_id = uuid::Uuid::new_v4().to_string();
        let outcome = self.inner.confirm_unauthenticated(topic_arn, token);
        let params = [
            ("Action".to_owned(), "ConfirmSubscription".to_owned()),
            ("TopicArn".to_owned(), topic_arn.to_owned()),
            ("Token".to_owned(), token.to_owned()),
        ];
        respond(
            "ConfirmSubscription",
            &request_id,
            QueryInput::new(&params),
            outcome,
        )
    }

    /// Unsubscribe reached without credentials, as the UnsubscribeURL in a Notification is.
    /// Refused with `AuthorizationError` when the subscription was confirmed with
    /// `AuthenticateOnUnsubscribe=true`.
    pub fn unsubscribe_unauthenticated(&self, subscription_arn: &str) -> SnsResponse {
        let request_id = uuid::Uuid::new_v4().to_string();
        let outcome = self.inner.unsubscribe_unauthenticated(subscription_arn);
        let params = [
            ("Action".to_owned(), "Unsubscribe".to_owned()),
            ("SubscriptionArn".to_owned(), subscription_arn.to_owned()),
        ];
        respond(
            "Unsubscribe",
            &request_id,
            QueryInput::new(&params),
            outcome,
        )
    }

    /// Publishes for OpenTrail itself (trail notifications, alarms): no authorization, the
    /// caller has checked ownership. Returns the MessageId once a delivery is durably queued
    /// for every confirmed HTTP/HTTPS subscription of the topic (and every confirmed
    /// email/email-json one when SMTP is configured).
    pub fn publish_internal(
        &self,
        topic_arn: &str,
        subject: Option<&str>,
        message: &str,
    ) -> Result<String, SnsError> {
        self.inner.publish_internal(topic_arn, subject, message)
    }

    /// Whether the topic exists.
    pub fn topic_exists(&self, topic_arn: &str) -> bool {
        self.topic_policy(topic_arn).is_some()
    }

    /// The topic's access policy (AWS's default policy for the owner when none was set), or
    /// `None` when the topic does not exist.
    pub fn topic_policy(&self, topic_arn: &str) -> Option<String> {
        self.inner.topic_policy(topic_arn)
    }

    /// How many deliveries are queued (for metrics and tests).
    pub fn pending_deliveries(&self) -> Result<i64, SnsError> {
        self.inner.lock_store().outbox_len()
    }

    /// The background delivery loop: POSTs queued documents to HTTP/HTTPS subscribers and
    /// hands queued e-mails to the SMTP server, with capped exponential backoff, at least once,
    /// until each is acknowledged (a 2xx, or SMTP's acceptance) or its subscription is gone. Returns when `cancel` fires; deliveries in flight then are retried
    /// after the next start (the outbox is in SQLite).
    pub async fn run_delivery(&self, cancel: CancellationToken) {
        delivery::run(self.inner.clone(), cancel).await;
    }
}

impl Inner {
    fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// The operation table (wiring only).
    fn dispatch(&self, call: &Call<'_>, action: &str) -> Result<Outcome, ApiError> {
        match action {
            "" => Err(ApiError::missing_action()),
            "CreateTopic" => self.create_topic(call),
            "DeleteTopic" => self.delete_topic(call),
            "ListTopics" => self.list_topics(call),
            "GetTopicAttributes" => self.get_topic_attributes(call),
            "SetTopicAttributes" => self.set_topic_attributes(call),
            "Subscribe" => self.subscribe(call),
            "ConfirmSubscription" => self.confirm_subscription(call),
            "Unsubscribe" => self.unsubscribe(call),
            "ListSubscriptions" => self.list_subscriptions(call),
            "ListSubscriptionsByTopic" => self.list_subscriptions_by_topic(call),
            "GetSubscriptionAttributes" => self.get_subscription_attributes(call),
            "SetSubscriptionAttributes" => self.set_subscription_attributes(call),
            "Publish" => self.publish(call),
            "ListTagsForResource" => self.list_tags_for_resource(call),
            "TagResource" => self.tag_resource(call),
            "UntagResource" => self.untag_resource(call),
            other => Err(ApiError::invalid_action(
                other,
                operations::is_read_only(other).is_some(),
            )),
        }
    }
}

/// Turns an operation's outcome into the wire response and the audit fields.
fn respond(
    action: &str,
    request_id: &str,
    input: QueryInput<'_>,
    outcome: Result<Outcome, ApiError>,
) -> SnsResponse {
    let read_only = operations::is_read_only(action).unwrap_or(false);
    let request_parameters = audit::request_parameters(input);
    let base = SnsResponse {
        status: 200,
        body: String::new(),
        action: action.to_owned(),
        request_id: request_id.to_owned(),
        error_code: None,
        error_message: None,
        request_parameters,
        response_elements: Value::Null,
        read_only,
        management_event: action != "Publish",
    };
    match outcome {
        Ok(outcome) => SnsResponse {
            body: xml::success_document(action, outcome.result.as_deref(), request_id),
            response_elements: if read_only {
                Value::Null
            } else {
                outcome.response_elements
            },
            ..base
        },
        Err(error) => SnsResponse {
            status: error.http_status(),
            body: xml::error_document(&error, request_id),
            error_code: Some(error.code.to_owned()),
            error_message: Some(error.message),
            ..base
        },
    }
}

#[cfg(test)]
mod tests;
