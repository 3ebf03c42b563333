//! The SQLite file behind event history: connection settings, the schema and the stored form of
//! a record's text.
//!
//! Tables (ADR 0011 explains the choices):
//! - `accounts(num, account_id)` and `partitions(num, account_num, region, category)` turn the
//!   text keys into small integers so index rows stay short;
//! - `events(id, account_num, partition_num, event_time, event_id, record)`: one row per indexed
//!   record, `record` being the original JSON text, deflated when that saves space; a unique index
//!   on `(event_id, account_num)` makes ingest idempotent and answers `EventId` lookups, and
//!   `(partition_num, event_time)` (plus the implicit id) serves plain time-range pages;
//! - `lookup(partition_num, attr, value, event_time, id)`, a `WITHOUT ROWID` table whose primary
//!   key is the covering index for every other attribute lookup.
//!
//! This module does not know LookupEvents or the event log.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use rusqlite::Connection;

use crate::error::HistoryError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts(
    num INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS partitions(
    num INTEGER PRIMARY KEY,
    account_num INTEGER NOT NULL,
    region TEXT NOT NULL,
    category INTEGER NOT NULL,
    UNIQUE(account_num, region, category));
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY,
    account_num INTEGER NOT NULL,
    partition_num INTEGER NOT NULL,
    event_time INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    record BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_event_id ON events(event_id, account_num);
CREATE INDEX IF NOT EXISTS events_by_time ON events(partition_num, event_time);
CREATE TABLE IF NOT EXISTS lookup(
    partition_num INTEGER NOT NULL,
    attr INTEGER NOT NULL,
    value TEXT NOT NULL,
    event_time INTEGER NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY(partition_num, attr, value, event_time, id)) WITHOUT ROWID;
";

/// The first byte of a stored record: how the rest is encoded.
const RAW: u8 = 0;
const DEFLATE: u8 = 1;

/// Records shorter than this are stored raw: deflate saves too little on them.
const COMPRESS_FROM_BYTES: usize = 256;

/// Opens a connection to the history file, creating it and its schema when needed.
pub fn open_connection(path: &Path) -> Result<Connection, HistoryError> {
    let connection = Connection::open(path).map_err(|source| HistoryError::Open {
        path: path.display().to_string(),
        source,
    })?;
    connection.busy_timeout(Duration::from_secs(10))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is fsynced before `apply` returns and the event log checkpoints past it.
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "cache_size", -65536)?;
    connection.pragma_update(None, "mmap_size", 1i64 << 30)?;
    connection.set_prepared_statement_cache_capacity(32);
    connection.execute_batch(SCHEMA)?;
    Ok(connection)
}

/// Encodes a record's JSON text for the `record` column.
pub fn encode_record(record: &[u8]) -> Vec<u8> {
    if record.len() >= COMPRESS_FROM_BYTES {
        let mut encoder = DeflateEncoder::new(
            Vec::with_capacity(record.len() / 2 + 16),
            Compression::new(3),
        );
        encoder.get_mut().push(DEFLATE);
        if encoder.write_all(record).is_ok()
            && let Ok(encoded) = encoder.finish()
            && encoded.len() < record.len()
        {
            return encoded;
        }
    }
    let mut raw = Vec::with_capacity(record.len() + 1);
    raw.push(RAW);
    raw.extend_from_slice(record);
    raw
}

/// Decodes the `record` column back to the original JSON bytes.
pub fn decode_record(stored: &[u8]) -> Result<Vec<u8>, HistoryError> {
    match stored.split_first() {
        Some((&RAW, rest)) => Ok(rest.to_vec()),
        Some((&DEFLATE, rest)) => {
            let mut record = Vec::with_capacity(rest.len() * 3);
            DeflateDecoder::new(rest)
                .read_to_end(&mut record)
                .map_err(|error| HistoryError::CorruptRecord(error.to_string()))?;
            Ok(record)
        }
        Some((other, _)) => Err(HistoryError::CorruptRecord(format!(
            "unknown record encoding {other}"
        ))),
        None => Err(HistoryError::CorruptRecord("empty record".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_records_decode_to_the_original_bytes() {
        let long = format!(r#"{{"n":1.688560107857E9,"pad":"{}"}}"#, "x".repeat(500));
        for record in [&b"{}"[..], br#"{"a":"\u00e9"}"#, long.as_bytes()] {
            let stored = encode_record(record);
            assert_eq!(decode_record(&stored).unwrap(), record);
        }
        assert!(encode_record(long.as_bytes()).len() < long.len() / 2);
        assert!(decode_record(&[]).is_err());
        assert!(decode_record(&[7, 1]).is_err());
        assert!(decode_record(&[DEFLATE, 0xff, 0xff]).is_err());
    }
}
