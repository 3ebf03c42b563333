//! [`TrailWorker`]: the async half of one trail's delivery, one tokio task per trail so a trail
//! whose destination is down never holds up another.
//!
//! Its loop: put the sealed objects in order (retrying with capped exponential backoff, giving
//! up only after `max_retry_age`), publish queued notifications, then run one blocking
//! [`WorkerCore::step`] (read, route, seal), publish the safe position for the coordinator, and
//! sleep until the next deadline, new entries, a trail change or a nudge. While an object cannot
//! be put the worker reads nothing further: the trail's backlog stays in the event log (its cursor
//! does not pass the trail's safe position), so memory stays bounded by one open file per region.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use opentrail_control::{DeliveryKind, TrailConfig};
use opentrail_eventlog::{CancellationToken, Seq};
use tokio::sync::watch;

use crate::error::{DeliveryError, DestinationError, DestinationErrorKind, Result};
use crate::shared::{Nudge, Shared};
use crate::state::{ObjectKind, PendingObject};
use crate::worker_core::{StepOutcome, WorkerCore};

const NOTIFICATIONS_PER_ROUND: usize = 100;

/// Capped exponential backoff, timed on the delivery clock.
#[derive(Debug, Default)]
struct Backoff {
    delay: Option<Duration>,
    next_attempt: Option<DateTime<Utc>>,
}

impl Backoff {
    fn failed(&mut self, now: DateTime<Utc>, min: Duration, max: Duration, permanent: bool) {
        let delay = match (self.delay, permanent) {
            (_, true) => max,
            (None, false) => min,
            (Some(previous), false) => (previous * 2).min(max),
        };
        self.delay = Some(delay);
        self.next_attempt = Some(now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX));
    }

    fn succeeded(&mut self) {
        *self = Backoff::default();
    }

    /// The time to wait for, if an attempt now would be too early.
    fn wait_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_attempt.filter(|at| *at > now)
    }
}

/// One trail's delivery task.
pub(crate) struct TrailWorker {
    shared: Arc<Shared>,
    trail_key: String,
    trail: watch::Receiver<TrailConfig>,
    core: Arc<Mutex<WorkerCore>>,
    safe_position: watch::Sender<Seq>,
    nudge: watch::Receiver<Nudge>,
    flushes_seen: u64,
    put_backoff: Backoff,
    notify_backoff: Backoff,
}

/// Why a worker woke.
enum Wake {
    Cancelled,
    Other,
}

impl TrailWorker {
    pub fn new(
        shared: Arc<Shared>,
        trail_key: String,
        trail: watch::Receiver<TrailConfig>,
        core: WorkerCore,
        safe_position: watch::Sender<Seq>,
    ) -> Self {
        let nudge = shared.handle.nudge.subscribe();
        // A flush asked for before this worker existed still applies to it.
        let flushes_seen = 0;
        TrailWorker {
            shared,
            trail_key,
            trail,
            core: Arc::new(Mutex::new(core)),
            safe_position,
            nudge,
            flushes_seen,
            put_backoff: Backoff::default(),
            notify_backoff: Backoff::default(),
        }
    }

    /// Runs until `cancel` fires; errors are failures of the state database or the event log.
    pub async fn run(mut self, cancel: CancellationToken) -> Result<()> {
        loop {
            if cancel.is_cancelled() {
                return Ok(());
            }
            let trail = self.trail.borrow_and_update().clone();
            if let Some(until) = self.put_pending(&trail).await? {
                if let Wake::Cancelled = self.sleep(Some(until), None, &cancel).await {
                    return Ok(());
                }
                continue;
            }
            self.publish_notifications(&trail).await?;
            let flush = self.take_flush();
            let outcome = self.step(trail, flush).await?;
            self.safe_position.send_replace(outcome.safe_position);
            if outcome.sealed > 0 || !outcome.caught_up {
                continue;
            }
            let deadline = [outcome.next_deadline, self.notify_backoff.next_attempt]
                .into_iter()
                .flatten()
                .min();
            let position = Some(outcome.read_position);
            if let Wake::Cancelled = self.sleep(deadline, position, &cancel).await {
                return Ok(());
            }
        }
    }

    fn take_flush(&mut self) -> bool {
        let flushes = self.nudge.borrow_and_update().flushes;
        let flush = flushes != self.flushes_seen;
        self.flushes_seen = flushes;
        flush
    }

    async fn step(&self, trail: TrailConfig, flush: bool) -> Result<StepOutcome> {
        let core = self.core.clone();
        self.blocking(move || {
            let mut core = core
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            core.step(&trail, flush)
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| DeliveryError::TaskFailed(self.trail_key.clone()))?
    }

    /// Sleeps until `deadline` (delivery clock), a durable entry at `read_position`, a trail
    /// change, a nudge or cancellation.
    async fn sleep(
        &mut self,
        deadline: Option<DateTime<Utc>>,
        read_position: Option<Seq>,
        cancel: &CancellationToken,
    ) -> Wake {
        let pause = deadline.map(|at| (at - self.shared.now()).to_std().unwrap_or(Duration::ZERO));
        let mut tail = self.shared.log.subscribe_durable_tail();
        let new_entries = async {
            match read_position {
                Some(position) => drop(tail.wait_for(|tail| *tail > position).await),
                None => std::future::pending().await,
            }
        };
        let timer = async {
            match pause {
                Some(pause) => tokio::time::sleep(pause).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = cancel.cancelled() => Wake::Cancelled,
            () = timer => Wake::Other,
            () = new_entries => Wake::Other,
            _ = self.trail.changed() => Wake::Other,
            _ = self.nudge.changed() => Wake::Other,
        }
    }

    /// Puts sealed objects in order; returns when to try again if one failed.
    async fn put_pending(&mut self, trail: &TrailConfig) -> Result<Option<DateTime<Utc>>> {
        loop {
            if let Some(until) = self.put_backoff.wait_until(self.shared.now()) {
                return Ok(Some(until));
            }
            let (state, key) = (self.shared.state.clone(), self.trail_key.clone());
            let Some(object) = self.blocking(move || state.first_pending(&key)).await? else {
                return Ok(None);
            };
            let destination = self.shared.resolver.destination_for(&object.bucket);
            let outcome = destination
                .put_object(
                    &object.bucket,
                    &object.key,
                    Bytes::from(object.body.clone()),
                    &object.content_type,
                    &object.metadata,
                )
                .await;
            match outcome {
                Ok(()) => self.stored(trail, object).await?,
                Err(error) if error.kind == DestinationErrorKind::AlreadyExists => {
                    self.stored(trail, object).await?
                }
                Err(error) => self.put_failed(trail, object, error).await?,
            }
        }
    }

    async fn stored(&mut self, trail: &TrailConfig, object: PendingObject) -> Result<()> {
        self.put_backoff.succeeded();
        let now = self.shared.now();
        let notify = object.kind == ObjectKind::LogFile && trail.trail.sns_topic_arn.is_some();
        let shared = self.shared.clone();
        let (trail_key, arn) = (self.trail_key.clone(), trail.trail.arn.clone());
        self.blocking(move || {
            let notice = notify.then_some((object.bucket.as_str(), object.key.as_str()));
            shared.state.confirm_stored(&trail_key, object.id, notice)?;
            shared.report(&arn, delivery_kind(object.kind), now, Ok(()));
            Ok(())
        })
        .await?;
        self.shared.handle.count(|counters| match object.kind {
            ObjectKind::LogFile => counters.log_files += 1,
            ObjectKind::Digest => counters.digests += 1,
        });
        Ok(())
    }

    async fn put_failed(
        &mut self,
        trail: &TrailConfig,
        object: PendingObject,
        error: DestinationError,
    ) -> Result<()> {
        let now = self.shared.now();
        let config = &self.shared.config;
        let age = now - object.first_failure.unwrap_or(now);
        let give_up = age.to_std().unwrap_or(Duration::ZERO) >= config.max_retry_age;
        tracing::warn!(trail = %trail.trail.arn, key = %object.key, %error, give_up, "delivery failed");
        self.shared
            .handle
            .count(|counters| counters.failed_attempts += 1);
        let permanent = error.kind == DestinationErrorKind::Permanent;
        if !give_up {
            self.put_backoff.failed(
                now,
                config.min_retry_delay,
                config.max_retry_delay,
                permanent,
            );
        } else {
            self.shared.handle.count(|counters| counters.abandoned += 1);
        }
        let shared = self.shared.clone();
        let (trail_key, arn) = (self.trail_key.clone(), trail.trail.arn.clone());
        self.blocking(move || {
            shared.report(&arn, delivery_kind(object.kind), now, Err(&error.message));
            match give_up {
                true => shared.state.confirm_stored(&trail_key, object.id, None),
                false => shared.state.note_failure(object.id, now),
            }
        })
        .await
    }

    /// Publishes queued notifications (one per log file) unless backing off; drops the queue
    /// when the trail no longer has a topic.
    async fn publish_notifications(&mut self, trail: &TrailConfig) -> Result<()> {
        if self.notify_backoff.wait_until(self.shared.now()).is_some() {
            return Ok(());
        }
        let shared = self.shared.clone();
        let (trail_key, trail) = (self.trail_key.clone(), trail.clone());
        let outcome = self
            .blocking(move || publish_round(&shared, &trail_key, &trail))
            .await?;
        match outcome {
            Ok(0) => {}
            Ok(sent) => {
                self.notify_backoff.succeeded();
                self.shared
                    .handle
                    .count(|counters| counters.notifications += sent);
            }
            Err(error) => {
                let config = &self.shared.config;
                self.shared
                    .handle
                    .count(|counters| counters.failed_attempts += 1);
                self.notify_backoff.failed(
                    self.shared.now(),
                    config.min_retry_delay,
                    config.max_retry_delay,
                    !error.is_retryable(),
                );
            }
        }
        Ok(())
    }
}

/// One round of notifications on a blocking thread: how many were sent, or the first failure.
fn publish_round(
    shared: &Shared,
    trail_key: &str,
    trail: &TrailConfig,
) -> Result<Result<u64, DestinationError>> {
    let queued = shared
        .state
        .notifications(trail_key, NOTIFICATIONS_PER_ROUND)?;
    if trail.trail.sns_topic_arn.is_none() {
        let ids: Vec<i64> = queued.iter().map(|(id, _, _)| *id).collect();
        shared.state.delete_notifications(&ids)?;
        return Ok(Ok(0));
    }
    let mut sent = 0;
    for (id, bucket, key) in queued {
        let now = shared.now();
        let outcome = shared.notifier.notify(trail, &bucket, &[key]);
        let arn = &trail.trail.arn;
        match outcome {
            Ok(()) => {
                shared.state.delete_notifications(&[id])?;
                shared.report(arn, DeliveryKind::Notification, now, Ok(()));
                sent += 1;
            }
            Err(error) => {
                shared.report(arn, DeliveryKind::Notification, now, Err(&error.message));
                return Ok(Err(error));
            }
        }
    }
    Ok(Ok(sent))
}

fn delivery_kind(kind: ObjectKind) -> DeliveryKind {
    match kind {
        ObjectKind::LogFile => DeliveryKind::LogFile,
        ObjectKind::Digest => DeliveryKind::Digest,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_permanent_errors_wait_the_cap() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(5));
        let mut backoff = Backoff::default();
        assert_eq!(backoff.wait_until(now), None);
        let mut waits = Vec::new();
        for permanent in [false, false, false, false, true] {
            backoff.failed(now, min, max, permanent);
            waits.push((backoff.wait_until(now).unwrap() - now).num_seconds());
        }
        assert_eq!(waits, vec![1, 2, 4, 5, 5]);
        backoff.succeeded();
        assert_eq!(backoff.wait_until(now), None);
        backoff.failed(now, min, max, false);
        assert_eq!(backoff.wait_until(now + TimeDelta::seconds(1)), None);
    }
}
