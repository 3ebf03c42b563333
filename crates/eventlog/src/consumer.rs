//! The shape every OpenTrail consumer has ([`Consumer`]) and the loop that drives one
//! ([`run_consumer`]): read a batch of durable entries from the consumer's cursor, `apply` it,
//! checkpoint the cursor, repeat; sleep on the durable-tail watch when caught up.
//!
//! Delivery is at-least-once: the cursor is saved only after `apply` returned, and `apply` returns
//! only after the consumer's own output is durable, so a crash in between replays the batch on
//! restart. Saves are batched in time (`checkpoint_interval`, 1 s by default; always on stop), so a
//! crash replays at most that much. Consumers make replays harmless (OpenTrail's are idempotent by
//! event ID or by log position).
//! A consumer reads segment files on its own, so a slow one never slows appends; it only grows its
//! lag and holds back retention. This module knows nothing about what consumers do with entries.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::cursor::ConsumerName;
use crate::error::{ConsumerError, EventLogError, Result};
use crate::log::EventLog;
use crate::reader::LogReader;
use crate::seq::{Entry, Seq};

/// A component that turns log entries into its own durable output (history index, trail files, ...).
pub trait Consumer: Send + 'static {
    /// The consumer's name; it names its cursor file, so it must stay the same across restarts
    /// (see [`ConsumerName`] for the allowed characters).
    fn name(&self) -> &str;

    /// Applies a batch of consecutive entries; returns only after the consumer's own output for
    /// the whole batch is durable. A batch may repeat entries applied before a crash.
    fn apply(&mut self, batch: &[Entry]) -> Result<(), ConsumerError>;
}

/// How [`run_consumer_with`] batches and retries.
#[derive(Clone, Debug)]
pub struct ConsumerOptions {
    /// At most this many entries per `apply`. Default 1000.
    pub max_batch_entries: usize,
    /// A batch stops growing once its payloads reach this many bytes. Default 4 MiB.
    pub max_batch_bytes: usize,
    /// The first wait after a transient failure; it doubles on each further failure. Default 100 ms.
    pub initial_retry_delay: Duration,
    /// The longest wait between retries. Default 30 s.
    pub max_retry_delay: Duration,
    /// How long an applied position may stay unsaved. Saving a cursor costs two fsyncs, so under a
    /// steady trickle of single-entry batches saving after every batch would add fsyncs to the
    /// disk the appends wait on; instead the cursor is saved at most this often, when the consumer
    /// has been caught up this long, and when it stops. A crash replays what was applied since the
    /// last save, which consumers (idempotent by contract) absorb. Zero saves after every batch.
    /// Default 1 s.
    pub checkpoint_interval: Duration,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        ConsumerOptions {
            max_batch_entries: 1000,
            max_batch_bytes: 4 * 1024 * 1024,
            initial_retry_delay: Duration::from_millis(100),
            max_retry_delay: Duration::from_secs(30),
            checkpoint_interval: Duration::from_secs(1),
        }
    }
}

/// Runs `consumer` with default options until `cancel` fires; see [`run_consumer_with`].
pub async fn run_consumer<C: Consumer>(
    log: EventLog,
    consumer: C,
    cancel: CancellationToken,
) -> Result<C> {
    run_consumer_with(log, consumer, cancel, ConsumerOptions::default()).await
}

/// Runs `consumer` from its saved cursor (registering it at the oldest retained entry the first
/// time) until `cancel` fires, then returns it. Only one runner per consumer name at a time
/// ([`EventLogError::ConsumerAlreadyRunning`] otherwise). Batches are read and applied on the blocking pool;
/// cancellation is noticed between batches, so a batch in progress finishes and is checkpointed.
/// A transient `apply` failure retries the same batch after a growing delay; a permanent one
/// stops the consumer with [`EventLogError::ConsumerFailed`].
pub async fn run_consumer_with<C: Consumer>(
    log: EventLog,
    consumer: C,
    cancel: CancellationToken,
    options: ConsumerOptions,
) -> Result<C> {
    let name = ConsumerName::new(consumer.name())?;
    let _claim = log.claim_consumer(&name)?;
    let start = {
        let (log, registering) = (log.clone(), name.clone());
        tokio::task::spawn_blocking(move || log.register_consumer(&registering))
            .await
            .map_err(|_| EventLogError::ConsumerPanicked {
                name: name.to_string(),
            })??
    };
    let reader = log.reader(start)?;
    let mut run = ConsumerRun {
        log,
        consumer,
        name,
        reader,
        pending: Vec::new(),
        options,
        unsaved: None,
        last_save: Instant::now(),
    };
    let mut retry_delay = run.options.initial_retry_delay;
    loop {
        if cancel.is_cancelled() {
            return run.finish().await;
        }
        let name = run.name.to_string();
        let (returned, step) = tokio::task::spawn_blocking(move || {
            let step = run.step().and_then(|step| {
                run.save_if_due()?;
                Ok(step)
            });
            (run, step)
        })
        .await
        .map_err(|_| EventLogError::ConsumerPanicked { name })?;
        run = returned;
        match step? {
            Step::Applied => retry_delay = run.options.initial_retry_delay,
            Step::CaughtUp => {
                let due = run.unsaved.map(|_| {
                    run.options
                        .checkpoint_interval
                        .saturating_sub(run.last_save.elapsed())
                });
                tokio::select! {
                    () = cancel.cancelled() => return run.finish().await,
                    waited = run.reader.wait_for_entries() => waited?,
                    () = sleep_or_never(due) => run = run.save_blocking().await?,
                }
            }
            Step::Retry(error) => {
                tracing::warn!(consumer = %run.name, %error, delay = ?retry_delay, "consumer will retry its batch");
                tokio::select! {
                    () = cancel.cancelled() => return run.finish().await,
                    () = tokio::time::sleep(retry_delay) => {}
                }
                retry_delay = (retry_delay * 2).min(run.options.max_retry_delay);
            }
        }
    }
}

/// Sleeps for `due`, or forever when there is nothing to wait for.
async fn sleep_or_never(due: Option<Duration>) {
    match due {
        Some(due) => tokio::time::sleep(due).await,
        None => std::future::pending().await,
    }
}

struct ConsumerRun<C> {
    log: EventLog,
    consumer: C,
    name: ConsumerName,
    reader: LogReader,
    /// The batch being applied; kept across a transient failure so the retry sees the same entries.
    pending: Vec<Entry>,
    options: ConsumerOptions,
    /// The position after the last applied batch, when it is not saved yet.
    unsaved: Option<Seq>,
    last_save: Instant,
}

enum Step {
    Applied,
    CaughtUp,
    Retry(ConsumerError),
}

impl<C: Consumer> ConsumerRun<C> {
    /// Saves the applied position when the checkpoint interval has passed.
    fn save_if_due(&mut self) -> Result<()> {
        if self.last_save.elapsed() >= self.options.checkpoint_interval {
            self.save()?;
        }
        Ok(())
    }

    /// Saves the applied position, if any is unsaved.
    fn save(&mut self) -> Result<()> {
        if let Some(position) = self.unsaved.take() {
            self.log.save_consumer_cursor(&self.name, position)?;
        }
        self.last_save = Instant::now();
        Ok(())
    }

    async fn save_blocking(mut self) -> Result<Self> {
        let name = self.name.to_string();
        let (returned, saved) = tokio::task::spawn_blocking(move || {
            let saved = self.save();
            (self, saved)
        })
        .await
        .map_err(|_| EventLogError::ConsumerPanicked { name })?;
        saved?;
        Ok(returned)
    }

    /// Saves what was applied and hands the consumer back.
    async fn finish(self) -> Result<C> {
        Ok(self.save_blocking().await?.consumer)
    }

    fn step(&mut self) -> Result<Step> {
        if self.pending.is_empty() {
            self.pending = self
                .reader
                .read_batch(self.options.max_batch_entries, self.options.max_batch_bytes)?;
            if self.pending.is_empty() {
                return Ok(Step::CaughtUp);
            }
        }
        match self.consumer.apply(&self.pending) {
            Ok(()) => {
                let next = self.pending.last().expect("batch is not empty").seq.next();
                self.unsaved = Some(next);
                self.pending.clear();
                Ok(Step::Applied)
            }
            Err(error @ ConsumerError::Transient(_)) => Ok(Step::Retry(error)),
            Err(error) => Err(EventLogError::ConsumerFailed {
                name: self.name.to_string(),
                source: error,
            }),
        }
    }
}
