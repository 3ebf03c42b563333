//! The delivery loop: takes due rows from the SQLite outbox, POSTs them to HTTP/HTTPS
//! subscribers with SNS's headers or hands e-mail rows to the SMTP server (`smtp`), deletes a
//! row on a 2xx (or once SMTP accepted the e-mail) and otherwise schedules the next attempt
//! with capped exponential backoff and jitter; both channels follow the same rules. Never drops
//! a message for age or attempt count (only unsubscribe notices have a bounded number of
//! attempts); a row leaves the outbox when it is acknowledged or its subscription no longer
//! wants it.
//!
//! At least once: a row is leased while in flight, and a crash or shutdown before the outcome
//! is recorded sends it again after the next start. The loop sleeps until the next row is due
//! or a publish wakes it; it never polls on a fixed tick. SQLite work runs on blocking threads.
//! HTTPS uses rustls (ring) with the system's roots, or Mozilla's when the system has none. An
//! e-mail row found while SMTP is not configured (or its client cannot be built) fails its
//! attempt and waits in the outbox like any other failure.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::SnsError;
use crate::messages::USER_AGENT;
use crate::smtp::SmtpSender;
use crate::store::{DeliveryChannel, DueDelivery, MessageKind};
use crate::{DeliveryConfig, Inner};

/// The longest the loop sleeps without looking at the outbox again (a safety net only: queued
/// work wakes it).
const MAX_IDLE: Duration = Duration::from_secs(60);

/// How long the loop waits after a storage failure before trying again.
const STORAGE_RETRY: Duration = Duration::from_secs(1);

/// Runs until `cancel` fires.
pub async fn run(inner: Arc<Inner>, cancel: CancellationToken) {
    let client = match Senders::new(&inner.delivery) {
        Ok(client) => Arc::new(client),
        Err(error) => {
            tracing::error!(%error, "sns delivery cannot start; deliveries stay queued");
            return;
        }
    };
    let mut in_flight: JoinSet<()> = JoinSet::new();
    loop {
        let capacity = inner.delivery.max_in_flight.saturating_sub(in_flight.len());
        let wait = if capacity == 0 {
            // Full: a finishing delivery wakes the loop through `join_next`.
            MAX_IDLE
        } else {
            claim_and_spawn(&inner, &client, &mut in_flight, capacity).await
        };
        tokio::select! {
            () = cancel.cancelled() => break,
            () = inner.wake.notified() => {}
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    in_flight.shutdown().await;
}

/// Starts deliveries for up to `capacity` due rows and returns how long to wait before looking
/// again.
async fn claim_and_spawn(
    inner: &Arc<Inner>,
    client: &Arc<Senders>,
    in_flight: &mut JoinSet<()>,
    capacity: usize,
) -> Duration {
    match claim(inner, capacity).await {
        Ok(claimed) => {
            for due in claimed {
                in_flight.spawn(deliver_one(inner.clone(), client.clone(), due));
            }
            next_wait(inner).await
        }
        Err(error) => {
            tracing::error!(%error, "sns outbox unavailable");
            STORAGE_RETRY
        }
    }
}

/// Leases up to `capacity` due rows.
async fn claim(inner: &Arc<Inner>, capacity: usize) -> Result<Vec<DueDelivery>, SnsError> {
    let inner = inner.clone();
    blocking(move || {
        let now = inner.now_ms();
        let lease = inner.delivery.request_timeout + Duration::from_secs(5);
        let lease_until = now.saturating_add(millis(lease));
        inner.lock_store().claim_due(now, capacity, lease_until)
    })
    .await
}

/// How long until the next queued row falls due.
async fn next_wait(inner: &Arc<Inner>) -> Duration {
    let inner = inner.clone();
    let next = blocking(move || {
        let next = inner.lock_store().next_due_ms()?;
        Ok(next.map(|due| due - inner.now_ms()))
    })
    .await;
    match next {
        Ok(Some(delta)) => {
            Duration::from_millis(u64::try_from(delta.max(0)).unwrap_or(0)).min(MAX_IDLE)
        }
        Ok(None) => MAX_IDLE,
        Err(error) => {
            tracing::error!(%error, "sns outbox unavailable");
            STORAGE_RETRY
        }
    }
}

/// One attempt at one row, and its outcome recorded.
async fn deliver_one(inner: Arc<Inner>, client: Arc<Senders>, due: DueDelivery) {
    let outcome = client.send(&due).await;
    let recorded = blocking({
        let inner = inner.clone();
        move || record_outcome(&inner, &due, outcome)
    })
    .await;
    if let Err(error) = recorded {
        // The lease runs out and the row is sent again: at least once.
        tracing::error!(%error, "recording an sns delivery outcome failed");
    }
    // Something may now be due sooner than the loop thinks (e.g. a row whose lease we hold).
    inner.wake.notify_one();
}

fn record_outcome(
    inner: &Inner,
    due: &DueDelivery,
    outcome: Result<(), String>,
) -> Result<(), SnsError> {
    let store = inner.lock_store();
    match outcome {
        Ok(()) => store.delivery_succeeded(due.id),
        Err(error) => {
            let delay = backoff(&inner.delivery, due.attempts + 1, rand::random::<f64>());
            let next = inner.now_ms().saturating_add(millis(delay));
            let kept = store.delivery_failed(due.id, next, &error)?;
            tracing::warn!(
                endpoint = %due.entry.endpoint,
                message_id = %due.entry.message_id,
                attempts = due.attempts + 1,
                retry_in_ms = millis(delay),
                kept,
                %error,
                "sns delivery failed"
            );
            Ok(())
        }
    }
}

/// The delay after the `failures`-th failed attempt: `min_backoff * 2^(failures-1)`, capped at
/// `max_backoff`, then scaled by a jitter factor in `[0.5, 1.0]` (`random` in `[0, 1)`).
pub fn backoff(config: &DeliveryConfig, failures: i64, random: f64) -> Duration {
    let exponent = u32::try_from(failures.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let raw = config
        .min_backoff
        .saturating_mul(2u32.saturating_pow(exponent));
    let capped = raw
        .min(config.max_backoff)
        .max(config.min_backoff.min(config.max_backoff));
    capped.mul_f64(0.5 + 0.5 * random.clamp(0.0, 1.0))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SnsError> + Send + 'static,
) -> Result<T, SnsError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(join_error) => Err(SnsError::StorageTask(join_error.to_string())),
    }
}

/// What the loop sends with: the HTTP client, and the SMTP client when e-mail is configured
/// (or why it is not usable).
struct Senders {
    http: DeliveryClient,
    smtp: Result<SmtpSender, String>,
}

impl Senders {
    fn new(config: &DeliveryConfig) -> Result<Self, SnsError> {
        let http = DeliveryClient::new(config)?;
        let smtp = match &config.smtp {
            None => Err("smtp is not configured".to_owned()),
            Some(smtp) => SmtpSender::new(smtp, config.request_timeout).map_err(|error| {
                tracing::error!(%error, "sns e-mail delivery cannot start; e-mails stay queued");
                error.to_string()
            }),
        };
        Ok(Senders { http, smtp })
    }

    /// One attempt over the row's channel; `Ok` once acknowledged.
    async fn send(&self, due: &DueDelivery) -> Result<(), String> {
        match due.entry.channel {
            DeliveryChannel::Http => self.http.post(due).await,
            DeliveryChannel::Smtp => match &self.smtp {
                Ok(smtp) => smtp.send(&due.entry.endpoint, &due.entry.body).await,
                Err(reason) => Err(reason.clone()),
            },
        }
    }
}

/// The HTTP/HTTPS client that POSTs documents.
struct DeliveryClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl DeliveryClient {
    fn new(config: &DeliveryConfig) -> Result<Self, SnsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = match builder.with_provider_and_native_roots(provider.clone()) {
            Ok(builder) => builder,
            Err(error) => {
                tracing::info!(%error, "no system TLS roots; sns https delivery uses Mozilla's roots");
                hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_webpki_roots(provider)
                    .map_err(|error| SnsError::TlsSetup(error.to_string()))?
            }
        };
        let connector = builder.https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(DeliveryClient {
            client,
            timeout: config.request_timeout,
        })
    }

    /// One POST; `Ok` on a 2xx, otherwise what went wrong.
    async fn post(&self, due: &DueDelivery) -> Result<(), String> {
        let request = build_request(due)?;
        match tokio::time::timeout(self.timeout, self.client.request(request)).await {
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
            Ok(Err(error)) => Err(format!("request failed: {error}")),
            Ok(Ok(response)) if response.status().is_success() => Ok(()),
            Ok(Ok(response)) => Err(format!("endpoint answered HTTP {}", response.status())),
        }
    }
}

/// The POST SNS sends: its `x-amz-sns-*` headers, Content-Type and User-Agent.
fn build_request(due: &DueDelivery) -> Result<http::Request<Full<Bytes>>, String> {
    let entry = &due.entry;
    let mut builder = http::Request::post(entry.endpoint.as_str())
        .header("x-amz-sns-message-type", entry.kind.as_str())
        .header("x-amz-sns-message-id", entry.message_id.as_str())
        .header("x-amz-sns-topic-arn", entry.topic_arn.as_str())
        .header(http::header::CONTENT_TYPE, entry.content_type.as_str())
        .header(http::header::USER_AGENT, USER_AGENT);
    if entry.kind != MessageKind::SubscriptionConfirmation {
        builder = builder.header(
            "x-amz-sns-subscription-arn",
            entry.subscription_arn.as_str(),
        );
    }
    if entry.raw_delivery {
        builder = builder.header("x-amz-sns-rawdelivery", "true");
    }
    builder
        .body(Full::new(Bytes::from(entry.body.clone())))
        .map_err(|error| format!("cannot build the request: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OutboxEntry;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let config = DeliveryConfig {
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            ..DeliveryConfig::default()
        };
        let check = |failures: i64, random: f64, expected_ms: u128| {
            assert_eq!(
                backoff(&config, failures, random).as_millis(),
                expected_ms,
                "failures {failures}, random {random}"
            );
        };
        check(1, 1.0, 1_000);
        check(1, 0.0, 500);
        check(2, 1.0, 2_000);
        check(3, 1.0, 4_000);
        check(6, 1.0, 32_000);
        check(7, 1.0, 60_000);
        check(1_000, 1.0, 60_000);
        check(1_000, 0.0, 30_000);
        check(0, 1.0, 1_000);
    }

    #[test]
    fn requests_carry_sns_headers() {
        let entry = |kind, raw| DueDelivery {
            id: 1,
            attempts: 0,
            entry: OutboxEntry {
                kind,
                channel: DeliveryChannel::Http,
                subscription_arn: "arn:aws:sns:us-east-1:123456789012:t:id".to_owned(),
                topic_arn: "arn:aws:sns:us-east-1:123456789012:t".to_owned(),
                endpoint: "http://127.0.0.1:9/hook".to_owned(),
                message_id: "m".to_owned(),
                content_type: "text/plain; charset=UTF-8".to_owned(),
                raw_delivery: raw,
                body: "{}".to_owned(),
                max_attempts: None,
            },
        };
        let request = build_request(&entry(MessageKind::Notification, true)).unwrap();
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(
            header("x-amz-sns-message-type").as_deref(),
            Some("Notification")
        );
        assert_eq!(header("x-amz-sns-message-id").as_deref(), Some("m"));
        assert_eq!(
            header("x-amz-sns-subscription-arn").as_deref(),
            Some("arn:aws:sns:us-east-1:123456789012:t:id")
        );
        assert_eq!(header("x-amz-sns-rawdelivery").as_deref(), Some("true"));
        assert_eq!(
            header("content-type").as_deref(),
            Some("text/plain; charset=UTF-8")
        );
        assert_eq!(header("user-agent").as_deref(), Some(USER_AGENT));
        let confirmation =
            build_request(&entry(MessageKind::SubscriptionConfirmation, false)).unwrap();
        assert!(
            confirmation
                .headers()
                .get("x-amz-sns-subscription-arn")
                .is_none()
        );
        assert!(
            confirmation
                .headers()
                .get("x-amz-sns-rawdelivery")
                .is_none()
        );
    }
}
