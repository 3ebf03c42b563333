//! The subset of Amazon CloudWatch Logs that OpenTrail needs to deliver a trail's records to a
//! log group and turn them into metrics: log groups and streams, events stored in SQLite
//! (`<dir>/logs.sqlite`, WAL), GetLogEvents and FilterLogEvents, retention, and metric filters
//! whose datapoints go to a [`MetricSink`] (the alarms side).
//!
//! A tour:
//! - [`Logs::call`] runs one awsJson1.1 operation (`X-Amz-Target: Logs_20140328.<Operation>`,
//!   already authenticated by the server) on its parsed JSON body and returns the JSON answer or a
//!   [`LogsApiError`] carrying AWS's `__type` and message. `input` reads and validates members as
//!   the service does; `groups`, `streams`, `ingest`, `read` and `metric_filters` hold the
//!   operations.
//! - [`Logs::append_internal`] is the trail path: CloudTrail delivery appends records to a
//!   group's stream, creating the stream on first use.
//! - `emission` compiles each group's metric filters once (cached until they change) and turns a
//!   stored batch into [`MetricPoint`]s, which reach the sink only after the batch is committed.
//! - `store` is the SQLite schema; `tokens` every opaque string handed out; `names` identifiers,
//!   name rules and ARNs; `clock` the time source tests pin.
//!
//! What it deliberately does not do: HTTP, SigV4 and error-to-status mapping (the server crate),
//! subscription filters, Logs Insights queries, export tasks, KMS encryption (a `kmsKeyId` is
//! stored and echoed, data is not encrypted), tags beyond storing them, deletion protection,
//! log transformers, cross-account observability. Calls block on SQLite: an async caller runs
//! them on a blocking thread.

mod clock;
mod emission;
mod error;
mod groups;
mod ingest;
mod input;
mod metric_filters;
mod names;
mod read;
mod store;
mod streams;
mod tokens;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use rusqlite::Connection;
use serde_json::Value;

pub use clock::{Clock, SystemClock};
pub use error::{LogsApiError, LogsError};

use emission::FilterCache;
use names::Scope;

/// The file name of the database inside the directory given to [`Logs::open`].
pub const DATABASE_FILE: &str = "logs.sqlite";

/// The operations [`Logs::call`] serves.
pub const OPERATIONS: [&str; 15] = [
    "CreateLogGroup",
    "DeleteLogGroup",
    "DescribeLogGroups",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "CreateLogStream",
    "DeleteLogStream",
    "DescribeLogStreams",
    "PutLogEvents",
    "GetLogEvents",
    "FilterLogEvents",
    "PutMetricFilter",
    "DescribeMetricFilters",
    "DeleteMetricFilter",
    "TestMetricFilter",
];

/// Where metric filters send their datapoints (the CloudWatch metrics and alarms side).
pub trait MetricSink: Send + Sync + 'static {
    /// Datapoints emitted by metric filters for one batch of events (called after the events are durable).
    fn put(&self, account_id: &str, region: &str, points: Vec<MetricPoint>);
}

/// One datapoint produced by a metric filter.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    /// The transformation's `metricNamespace`.
    pub namespace: String,
    /// The transformation's `metricName`.
    pub metric_name: String,
    /// The metric value of a matching event, or the filter's default value.
    pub value: f64,
    /// The transformation's `unit`, if set.
    pub unit: Option<String>,
    /// The dimensions whose values the event has, in the filter's order.
    pub dimensions: Vec<(String, String)>,
    /// The event's timestamp (for a default value: the batch's latest event timestamp).
    pub timestamp_ms: i64,
}

/// What [`Logs::append_internal`] did with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Events stored.
    pub appended: usize,
    /// Events skipped because the message exceeds 256 KB (262,144 bytes counting AWS's 26 bytes
    /// of overhead), the largest event CloudTrail delivers to CloudWatch Logs.
    pub skipped_too_large: usize,
    /// Events skipped because their timestamp is before 1970 (CloudWatch Logs refuses them).
    pub skipped_before_epoch: usize,
}

/// The CloudWatch Logs service: cheap to clone, safe to share between threads.
#[derive(Clone)]
pub struct Logs {
    shared: Arc<Shared>,
}

/// State shared by clones of [`Logs`].
pub(crate) struct Shared {
    /// Every write goes through this connection, one at a time.
    writer: Mutex<Connection>,
    /// Reads use their own connection so they do not wait for writes (WAL).
    reader: Mutex<Connection>,
    sink: Arc<dyn MetricSink>,
    clock: Arc<dyn Clock>,
    filters: FilterCache,
}

impl Shared {
    pub(crate) fn write(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn read(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Hands a batch's datapoints to the sink (nothing when there are none).
    pub(crate) fn publish(&self, scope: Scope<'_>, points: Vec<MetricPoint>) {
        if !points.is_empty() {
            self.sink.put(scope.account_id, scope.region, points);
        }
    }
}

impl fmt::Debug for Logs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logs").finish_non_exhaustive()
    }
}

impl Logs {
    /// Opens (creating when needed) `<dir>/logs.sqlite`; metric datapoints go to `metrics`.
    pub fn open(dir: &Path, metrics: Arc<dyn MetricSink>) -> Result<Logs, LogsError> {
        Self::open_with_clock(dir, metrics, Arc::new(SystemClock))
    }

    /// [`Logs::open`] with an explicit time source (tests pin it).
    pub fn open_with_clock(
        dir: &Path,
        metrics: Arc<dyn MetricSink>,
        clock: Arc<dyn Clock>,
    ) -> Result<Logs, LogsError> {
        let path = dir.join(DATABASE_FILE);
        let writer = store::open_connection(&path)?;
        let reader = store::open_connection(&path)?;
        Ok(Logs {
            shared: Arc::new(Shared {
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
                sink: metrics,
                clock,
                filters: FilterCache::default(),
            }),
        })
    }

    /// One API call. Errors carry AWS's code (ResourceNotFoundException,
    /// ResourceAlreadyExistsException, InvalidParameterException, LimitExceededException, ...)
    /// and message; an operation this service does not serve is `UnknownOperationException`.
    pub fn call(
        &self,
        account_id: &str,
        region: &str,
        operation: &str,
        input: &Value,
    ) -> Result<Value, LogsApiError> {
        let (shared, scope) = (&*self.shared, Scope::new(account_id, region));
        match operation {
            "CreateLogGroup" => groups::create_log_group(shared, scope, input),
            "DeleteLogGroup" => groups::delete_log_group(shared, scope, input),
            "DescribeLogGroups" => groups::describe_log_groups(shared, scope, input),
            "PutRetentionPolicy" => groups::put_retention_policy(shared, scope, input),
            "DeleteRetentionPolicy" => groups::delete_retention_policy(shared, scope, input),
            "CreateLogStream" => streams::create_log_stream(shared, scope, input),
            "DeleteLogStream" => streams::delete_log_stream(shared, scope, input),
            "DescribeLogStreams" => streams::describe_log_streams(shared, scope, input),
            "PutLogEvents" => ingest::put_log_events(shared, scope, input),
            "GetLogEvents" => read::get_log_events(shared, scope, input),
            "FilterLogEvents" => read::filter_log_events(shared, scope, input),
            "PutMetricFilter" => metric_filters::put_metric_filter(shared, scope, input),
            "DescribeMetricFilters" => {
                metric_filters::describe_metric_filters(shared, scope, input)
            }
            "DeleteMetricFilter" => metric_filters::delete_metric_filter(shared, scope, input),
            "TestMetricFilter" => metric_filters::test_metric_filter(input),
            other => Err(LogsApiError::new(
                "UnknownOperationException",
                format!("Unknown operation {other}"),
            )),
        }
    }

    /// The trail path: appends events (timestamp ms, message) to group/stream, creating the stream
    /// if absent; the group must exist (else Err). Messages over 256 KB (AWS's event size limit
    /// incl. 26 bytes overhead) are skipped and counted in the return value. Runs the group's
    /// metric filters; their datapoints reach the sink after the events are committed.
    pub fn append_internal(
        &self,
        account_id: &str,
        region: &str,
        group: &str,
        stream: &str,
        events: &[(i64, String)],
    ) -> Result<AppendOutcome, LogsError> {
        let scope = Scope::new(account_id, region);
        ingest::append_internal(&self.shared, scope, group, stream, events)
    }

    /// [`Logs::append_internal`] for events from a sequenced source, each `(position, timestamp ms,
    /// message)` with the source's position (the event log's sequence number): events at or below
    /// the highest position this stream already holds are skipped, and the new highest position is
    /// stored in the same transaction as the events, so a consumer that replays a batch after a
    /// crash appends (and emits metric datapoints for) nothing twice.
    pub fn append_from_source(
        &self,
        account_id: &str,
        region: &str,
        group: &str,
        stream: &str,
        events: &[(i64, i64, String)],
    ) -> Result<AppendOutcome, LogsError> {
        let scope = Scope::new(account_id, region);
        ingest::append_from_source(&self.shared, scope, group, stream, events)
    }

    /// Whether a group exists (the control plane validates CloudWatchLogsLogGroupArn with it).
    /// A database failure is logged and answers `false`.
    pub fn group_exists(&self, account_id: &str, region: &str, group: &str) -> bool {
        let scope = Scope::new(account_id, region);
        match store::groups::find_group(&self.shared.read(), scope, group) {
            Ok(found) => found.is_some(),
            Err(error) => {
                tracing::error!(%error, group, "log group lookup failed");
                false
            }
        }
    }

    /// Deletes events older than their group's retention at `now` (the server calls it hourly);
    /// returns how many were removed. Each group is purged in its own transaction.
    pub fn purge_expired(&self, now: SystemTime) -> Result<u64, LogsError> {
        let now_ms = clock::system_time_ms(now);
        let mut connection = self.shared.write();
        let mut removed = 0;
        for (group, days) in store::groups::groups_with_retention(&connection)? {
            let transaction = connection.transaction()?;
            let cutoff = now_ms.saturating_sub(days.saturating_mul(clock::DAY_MS));
            let (bytes_by_stream, count) =
                store::events::delete_events_before(&transaction, group, cutoff)?;
            for (stream, bytes) in &bytes_by_stream {
                store::streams::subtract_stored_bytes(&transaction, *stream, *bytes)?;
            }
            let total: i64 = bytes_by_stream.values().sum();
            store::groups::add_stored_bytes(&transaction, group, -total)?;
            transaction.commit()?;
            removed += count;
        }
        Ok(removed)
    }
}
