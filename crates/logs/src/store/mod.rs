//! The SQLite file behind CloudWatch Logs (`<dir>/logs.sqlite`): connection settings, the schema
//! (the one definition of the persisted format, versioned by `PRAGMA user_version`) and the
//! statements, split by table into `groups`, `streams`, `events` and `filters`.
//!
//! Tables:
//! - `log_groups(group_id, account_id, region, name, ...)`: one row per group, unique per
//!   account, region and name; `stored_bytes` is kept up to date by every write of events;
//! - `log_streams(stream_id, group_id, name, ...)`: first/last event timestamps, last ingestion
//!   time, the upload counter behind sequence tokens and `stored_bytes`;
//! - `log_events(event_id, group_id, stream_id, timestamp, ingestion_time, message)`: one row per
//!   event; `event_id` grows with ingestion, so `(timestamp, event_id)` orders events totally and
//!   is the position that pagination tokens and event ids encode; indexes on
//!   `(stream_id, timestamp)` and `(group_id, timestamp)` serve GetLogEvents and FilterLogEvents;
//! - `metric_filters(group_id, filter_name, ...)`: the filter as written (pattern text and the
//!   one metric transformation); compiled forms live in memory only.
//!
//! This module knows no API shapes and no filter-pattern semantics.

pub(crate) mod events;
pub(crate) mod filters;
pub(crate) mod groups;
pub(crate) mod streams;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::LogsError;

/// The schema version this binary writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS log_groups(
    group_id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    retention_days INTEGER,
    kms_key_id TEXT,
    log_group_class TEXT NOT NULL,
    tags TEXT,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    UNIQUE(account_id, region, name));
CREATE TABLE IF NOT EXISTS log_streams(
    stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    first_event_timestamp INTEGER,
    last_event_timestamp INTEGER,
    last_ingestion_time INTEGER,
    upload_sequence INTEGER NOT NULL DEFAULT 0,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    source_position INTEGER NOT NULL DEFAULT -1,
    UNIQUE(group_id, name));
CREATE TABLE IF NOT EXISTS log_events(
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL,
    stream_id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    ingestion_time INTEGER NOT NULL,
    message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS log_events_by_stream ON log_events(stream_id, timestamp);
CREATE INDEX IF NOT EXISTS log_events_by_group ON log_events(group_id, timestamp);
CREATE TABLE IF NOT EXISTS metric_filters(
    group_id INTEGER NOT NULL,
    filter_name TEXT NOT NULL,
    filter_pattern TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    metric_namespace TEXT NOT NULL,
    metric_value TEXT NOT NULL,
    default_value REAL,
    dimensions TEXT,
    unit TEXT,
    creation_time INTEGER NOT NULL,
    PRIMARY KEY(group_id, filter_name));
";

/// Opens a connection to the logs file, creating it and its schema when needed.
pub(crate) fn open_connection(path: &Path) -> Result<Connection, LogsError> {
    let open_error = |source| LogsError::Open {
        path: path.to_path_buf(),
        source,
    };
    let connection = Connection::open(path).map_err(open_error)?;
    connection
        .busy_timeout(Duration::from_secs(10))
        .map_err(open_error)?;
    connection
        .pragma_update(None, "journal_mode", "WAL")
        .map_err(open_error)?;
    // FULL: a batch is fsynced before its metric datapoints are handed to the sink.
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(open_error)?;
    connection.set_prepared_statement_cache_capacity(64);
    migrate(&connection, path)?;
    Ok(connection)
}

/// Creates the schema in a new file, refuses a file from a newer OpenTrail.
fn migrate(connection: &Connection, path: &Path) -> Result<(), LogsError> {
    let found: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(LogsError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    connection.execute_batch(SCHEMA)?;
    connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_newer_schema_and_reopens_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs.sqlite");
        drop(open_connection(&path).unwrap());
        drop(open_connection(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let error = open_connection(&path).unwrap_err();
        assert!(
            matches!(error, LogsError::SchemaTooNew { found: 2, .. }),
            "{error}"
        );
    }
}
