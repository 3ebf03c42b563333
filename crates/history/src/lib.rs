//! OpenTrail's event history: the last 90 days of management events (and Insights events) of
//! every account and Region, indexed in one SQLite file for `LookupEvents`.
//!
//! A tour:
//! - [`summary`] reads what history needs from one record (category, time, region, the eight
//!   lookup attributes) and decides what history holds: management events only, as on AWS, and
//!   Insights events for `EventCategory=insight`.
//! - `store` owns the SQLite file: schema, connection settings, the stored record form.
//! - [`HistoryConsumer`] (module `ingest`) is the event-log consumer that writes the index, one
//!   transaction per batch, idempotent by event ID per account.
//! - [`History::lookup`] (modules `query` and `lookup`) validates a LookupEvents request and
//!   answers one page, newest first, with an opaque `NextToken` bound to the query.
//! - [`History::remove_expired`] (module `retention`) deletes events past the retention in small
//!   transactions.
//!
//! This crate does not speak HTTP, authorise callers, throttle (AWS allows 2 lookups/s) or read
//! the event log itself: the server runs the consumer with `opentrail_eventlog::run_consumer`.

mod error;
mod ingest;
mod lookup;
mod query;
mod retention;
mod store;
pub mod summary;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

pub use error::{HistoryError, LookupError};
pub use ingest::{CONSUMER_NAME, HistoryConsumer, IngestCounts};

/// Reader connections kept open for reuse; more concurrent lookups open (and drop) extra ones.
const MAX_IDLE_READERS: usize = 8;

/// How event history is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryConfig {
    /// Events older than this (by `eventTime`) are never returned and are removed by
    /// [`History::remove_expired`]. Default 90 days, as on AWS.
    pub retention: Duration,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            retention: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

/// The event-history index. Cheap to clone; clones share the file and its reader connections.
#[derive(Clone)]
pub struct History {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    config: HistoryConfig,
    readers: Mutex<Vec<Connection>>,
}

impl fmt::Debug for History {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("History")
            .field("path", &self.inner.path)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl History {
    /// Opens (creating when needed) the history file at `path`, in WAL mode.
    pub fn open(path: &Path, config: HistoryConfig) -> Result<Self, HistoryError> {
        let first = store::open_connection(path)?;
        Ok(History {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                config,
                readers: Mutex::new(vec![first]),
            }),
        })
    }

    /// The consumer that feeds this history from the event log (its own writer connection).
    pub fn consumer(&self) -> Result<HistoryConsumer, HistoryError> {
        HistoryConsumer::new(self)
    }

    /// The history file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The configuration the history was opened with.
    pub fn config(&self) -> &HistoryConfig {
        &self.inner.config
    }

    /// Runs `work` on a pooled connection.
    fn with_connection<T>(&self, work: impl FnOnce(&Connection) -> T) -> Result<T, HistoryError> {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let connection = match pooled {
            Some(connection) => connection,
            None => store::open_connection(&self.inner.path)?,
        };
        let outcome = work(&connection);
        let mut readers = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if readers.len() < MAX_IDLE_READERS {
            readers.push(connection);
        }
        Ok(outcome)
    }

    /// The retention as whole seconds.
    fn retention_seconds(&self) -> i64 {
        i64::try_from(self.inner.config.retention.as_secs()).unwrap_or(i64::MAX)
    }
}
