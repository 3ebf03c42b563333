//! The subset of Amazon CloudWatch (`monitoring`, API 2010-08-01) that alarms on CloudTrail
//! events need: metric datapoints and statistics, metric alarms evaluated on every put and every
//! second, alarm history, and state-change notifications handed to an [`AlarmActionSink`] (the
//! server wires it to SNS Publish). The unmodified aws CLI and boto3 work against it in all three
//! protocols the model lists: rpc-v2-cbor (what they speak today), awsJson1.0 and query.
//!
//! A tour:
//! - [`Monitoring::handle`] answers one authenticated request; `protocol` detects and decodes the
//!   protocol (`cbor`, `json`, `query` are the codecs over the neutral [`value`] tree that `input`
//!   reads leniently), `operations` dispatches to `metric_api` and `alarm_api`, and the answer
//!   goes back in the request's protocol. `error` maps codes to statuses in one place.
//! - [`Monitoring::put_metric_data`] is the metric filters' path: no protocol, same checks.
//! - `evaluate` decides alarm states (its documentation says exactly how periods, the open
//!   period and missing data are treated); `engine` applies them to the store; `notify` renders
//!   the SNS message; `store` is the SQLite schema (`monitoring.sqlite`).
//! - [`Monitoring::start`] runs the 1 s evaluator that turns silence into state changes.
//!
//! What it deliberately does not do: SigV4 and HTTP serving (the server crate), delivering
//! notifications (the sink), composite alarms, metric math, anomaly detection, dashboards,
//! metric streams, insight rules and tags. Calls block on SQLite; `handle` moves them to a
//! blocking thread.

mod alarm;
mod alarm_api;
mod cbor;
mod engine;
mod error;
mod evaluate;
#[cfg(test)]
mod fixtures;
mod format;
mod input;
mod json;
mod metric_api;
mod model;
mod notify;
mod operations;
mod protocol;
mod query;
mod stats;
mod store;
mod token;
mod value;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

pub use error::{ApiError, ErrorCode, MonitoringError};
pub use model::{Dimension, MetricDatum, MetricValue, StatisticSet};

use notify::Notification;
use operations::{Context, Limits, Operation};
use protocol::Protocol;
use store::Store;

/// The file the service keeps its state in, inside the directory given to [`Monitoring::open`].
pub const DATABASE_FILE: &str = "monitoring.sqlite";

/// Where alarm actions go.
pub trait AlarmActionSink: Send + Sync + 'static {
    /// Called once per state change for every action ARN configured for the new state (when the
    /// alarm's actions are enabled), after the change is committed. `subject` is
    /// `ALARM: "name" in US East (N. Virginia)`; `message` is the JSON CloudWatch publishes to
    /// SNS for an alarm (AlarmName, AlarmDescription, AWSAccountId,
    /// AlarmConfigurationUpdatedTimestamp, NewStateValue, NewStateReason, StateChangeTime,
    /// Region, AlarmArn, OldStateValue, OKActions, AlarmActions, InsufficientDataActions,
    /// Trigger). It must not block for long: state changes found by a put are handed over
    /// before that put answers.
    fn alarm_action(
        &self,
        account_id: &str,
        region: &str,
        action_arn: &str,
        subject: &str,
        message: &str,
    );
}

/// Where the service reads the time (tests pin it).
pub trait Clock: Send + Sync + 'static {
    /// Now.
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

/// Tunables of the service; [`Default`] is what `opentrail serve` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringOptions {
    /// How long datapoints are kept (15 days).
    pub datapoint_retention: Duration,
    /// How long alarm history is kept (30 days, as CloudWatch).
    pub history_retention: Duration,
    /// How many metric alarms an account may have per region (10,000).
    pub max_alarms_per_region: usize,
    /// The evaluator's tick (1 s).
    pub tick: Duration,
    /// How often retention runs (10 minutes).
    pub prune_interval: Duration,
}

impl Default for MonitoringOptions {
    fn default() -> Self {
        MonitoringOptions {
            datapoint_retention: Duration::from_secs(15 * 24 * 3600),
            history_retention: Duration::from_secs(30 * 24 * 3600),
            max_alarms_per_region: 10_000,
            tick: Duration::from_secs(1),
            prune_interval: Duration::from_secs(600),
        }
    }
}

/// How many due alarms one tick evaluates at most (the rest wait for the next tick).
const ALARMS_PER_TICK: usize = 1000;

/// The CloudWatch service of one data directory. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Monitoring {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    sink: Arc<dyn AlarmActionSink>,
    clock: Arc<dyn Clock>,
    options: MonitoringOptions,
    limits: Limits,
    last_prune: Mutex<Option<DateTime<Utc>>>,
}

impl fmt::Debug for Monitoring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitoring")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Monitoring {
    /// Opens (creating if needed) `<dir>/monitoring.sqlite` with the default options and the
    /// system clock.
    pub fn open(dir: &Path, actions: Arc<dyn AlarmActionSink>) -> Result<Self, MonitoringError> {
        Monitoring::open_with(
            dir,
            actions,
            MonitoringOptions::default(),
            Arc::new(SystemClock),
        )
    }

    /// Opens with explicit options and clock.
    pub fn open_with(
        dir: &Path,
        actions: Arc<dyn AlarmActionSink>,
        options: MonitoringOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, MonitoringError> {
        let path = dir.join(DATABASE_FILE);
        std::fs::create_dir_all(dir).map_err(|source| MonitoringError::CreateDirectory {
            path: dir.to_path_buf(),
            source,
        })?;
        let store = Store::open(&path)?;
        Ok(Monitoring {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                sink: actions,
                limits: Limits {
                    max_alarms_per_region: options.max_alarms_per_region,
                },
                clock,
                options,
                last_prune: Mutex::new(None),
            }),
        })
    }

    /// Answers one request for `(account_id, region)`: decodes any of the three protocols, runs
    /// the operation, and encodes the answer in the same protocol. Bad input gets an AWS-style
    /// error, never a panic.
    pub async fn handle(
        &self,
        account_id: &str,
        region: &str,
        request: http::Request<Bytes>,
    ) -> http::Response<Bytes> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (parts, body) = request.into_parts();
        let protocol = Protocol::detect(&parts.headers, parts.uri.path());
        let service = self.clone();
        let account_id = account_id.to_owned();
        let region = region.to_owned();
        let id = request_id.clone();
        let answer = tokio::task::spawn_blocking(move || {
            service.handle_blocking(protocol, &account_id, &region, &parts, &body, &id)
        })
        .await;
        answer.unwrap_or_else(|join_error| {
            tracing::error!(error = %join_error, "monitoring request task failed");
            protocol::encode_error(protocol, &request_id, &ApiError::internal())
        })
    }

    /// What a request asks, for its audit record: the operation name and its parameters as JSON
    /// (members in the model's names; query-protocol leaves are strings, timestamps are epoch
    /// seconds). `None` when the request does not decode (its answer will say why).
    pub fn describe_request(
        parts: &http::request::Parts,
        body: &Bytes,
    ) -> Option<(String, serde_json::Value)> {
        let protocol = Protocol::detect(&parts.headers, parts.uri.path());
        let decoded = protocol::decode(protocol, parts, body).ok()?;
        Some((
            decoded.operation.name().to_owned(),
            json::to_json(&decoded.params),
        ))
    }

    fn handle_blocking(
        &self,
        protocol: Protocol,
        account_id: &str,
        region: &str,
        parts: &http::request::Parts,
        body: &Bytes,
        request_id: &str,
    ) -> http::Response<Bytes> {
        let decoded = match protocol::decode(protocol, parts, body) {
            Ok(decoded) => decoded,
            Err(error) => return protocol::encode_error(protocol, request_id, &error),
        };
        match self.run(decoded.operation, account_id, region, &decoded.params) {
            Ok(output) => {
                protocol::encode_success(protocol, decoded.operation, request_id, output.as_ref())
            }
            Err(error) => protocol::encode_error(protocol, request_id, &error),
        }
    }

    fn run(
        &self,
        operation: Operation,
        account_id: &str,
        region: &str,
        params: &value::Value,
    ) -> Result<Option<value::Value>, ApiError> {
        let context = Context {
            account_id,
            region,
            now: self.now(),
            limits: &self.inner.limits,
        };
        let outcome = {
            let mut store = self.lock_store();
            operations::run(operation, &mut store, &context, input::Input::root(params))?
        };
        self.deliver(outcome.notifications);
        Ok(outcome.output)
    }

    /// Stores datums from the metric filters and evaluates the alarms on their metrics; state
    /// changes reach the sink before this returns. Datums are checked as PutMetricData checks
    /// them (a refused one fails the whole call with [`MonitoringError::InvalidMetricDatum`]).
    /// Blocks on SQLite (about 1 ms per call in a debug build): call it from a blocking thread.
    /// Batch datums per call; values are stored per second, so a batch of identical values at
    /// the same second costs one row.
    pub fn put_metric_data(
        &self,
        account_id: &str,
        region: &str,
        data: Vec<MetricDatum>,
    ) -> Result<(), MonitoringError> {
        let now = self.now();
        for (index, datum) in data.iter().enumerate() {
            let path = format!("MetricData.member.{}", index + 1);
            metric_api::check_namespace("Namespace", &datum.namespace)
                .and_then(|()| model::check_datum(datum, &path, now))
                .map_err(|error| MonitoringError::InvalidMetricDatum {
                    code: error.code.as_str(),
                    message: error.message,
                })?;
        }
        let context = Context {
            account_id,
            region,
            now,
            limits: &self.inner.limits,
        };
        let notifications = {
            let mut store = self.lock_store();
            metric_api::store_data(&mut store, &context, &data)?
        };
        self.deliver(notifications);
        Ok(())
    }

    /// Evaluates every alarm whose window has moved (a period boundary passed, or its
    /// configuration changed) and runs retention when due; returns how many alarms changed
    /// state. The evaluator started by [`Monitoring::start`] calls this every tick.
    pub fn evaluate_due_alarms(&self) -> Result<usize, MonitoringError> {
        let now = self.now();
        let (changed, notifications) = {
            let mut store = self.lock_store();
            let result = store.transaction(|connection| {
                let mut notifications = Vec::new();
                let mut changed = 0;
                for mut alarm in store::due_alarms(connection, now, ALARMS_PER_TICK)? {
                    if engine::evaluate_alarm(connection, &mut alarm, now, &mut notifications)? {
                        changed += 1;
                    }
                }
                Ok::<_, MonitoringError>((changed, notifications))
            })?;
            self.prune_if_due(&mut store, now)?;
            result
        };
        self.deliver(notifications);
        Ok(changed)
    }

    /// Starts the evaluator: a task that calls [`Monitoring::evaluate_due_alarms`] every tick on
    /// a blocking thread. Must be called inside a tokio runtime. Dropping the handle stops it.
    pub fn start(&self) -> EvaluatorHandle {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let service = self.clone();
        let tick = self.inner.options.tick;
        let task = tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = interval.tick() => {
                        let worker = service.clone();
                        match tokio::task::spawn_blocking(move || worker.evaluate_due_alarms()).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(error)) => tracing::error!(%error, "alarm evaluation failed"),
                            Err(error) => tracing::error!(%error, "alarm evaluation task failed"),
                        }
                    }
                }
            }
        });
        EvaluatorHandle {
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        let now = self.inner.clock.now();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }

    fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn prune_if_due(&self, store: &mut Store, now: DateTime<Utc>) -> Result<(), MonitoringError> {
        let mut last = self
            .inner
            .last_prune
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let interval = chrono::Duration::from_std(self.inner.options.prune_interval)
            .unwrap_or(chrono::Duration::MAX);
        if last.is_some_and(|at| now - at < interval) {
            return Ok(());
        }
        *last = Some(now);
        let before = |retention: Duration| {
            now - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX)
        };
        store.transaction(|connection| {
            store::prune(
                connection,
                before(self.inner.options.datapoint_retention),
                before(self.inner.options.history_retention),
            )
        })?;
        Ok(())
    }

    fn deliver(&self, notifications: Vec<Notification>) {
        for notification in notifications {
            let sink = &self.inner.sink;
            let delivered = catch_unwind(AssertUnwindSafe(|| {
                sink.alarm_action(
                    &notification.account_id,
                    &notification.region,
                    &notification.action_arn,
                    &notification.subject,
                    &notification.message,
                );
            }));
            if delivered.is_err() {
                tracing::error!(action = %notification.action_arn, "alarm action sink panicked");
            }
        }
    }
}

/// The running evaluator; [`EvaluatorHandle::shutdown`] stops it and waits, dropping it stops it.
#[derive(Debug)]
pub struct EvaluatorHandle {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl EvaluatorHandle {
    /// Stops the evaluator after its current tick and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EvaluatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests;
