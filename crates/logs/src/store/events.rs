//! Statements on `log_events`: inserting a batch, scanning a stream or a group in either
//! direction from a position, and deleting events older than a cutoff.
//!
//! Scans hand rows to a visitor one at a time so callers can stop on their own limits (count,
//! response bytes, scan budget) without loading more than they return.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use crate::names::{GroupId, StreamId};

/// Where an event sits in the total order of a group: its timestamp, then its ingestion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct EventPosition {
    pub timestamp: i64,
    pub event_id: i64,
}

impl EventPosition {
    /// Before every event (timestamps are never negative, event ids start at 1).
    pub const START: EventPosition = EventPosition {
        timestamp: 0,
        event_id: 0,
    };
    /// After every event.
    pub const END: EventPosition = EventPosition {
        timestamp: i64::MAX,
        event_id: i64::MAX,
    };
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredEvent {
    pub position: EventPosition,
    pub stream: StreamId,
    pub ingestion_time: i64,
    pub message: String,
}

/// Which way a scan walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Oldest first, positions after the start position.
    Forward,
    /// Newest first, positions before the start position.
    Backward,
}

/// What a scan reads: one stream or every stream of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventSource {
    Stream(StreamId),
    Group(GroupId),
}

/// A scan: source, timestamps in `start..end` (end exclusive), direction and the position to
/// continue from (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventScan {
    pub source: EventSource,
    pub start: i64,
    pub end: i64,
    pub direction: Direction,
    pub from: EventPosition,
}

/// Whether a visitor wants more rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visit {
    Continue,
    Stop,
}

const COLUMNS: &str =
    "SELECT event_id, stream_id, timestamp, ingestion_time, message FROM log_events";

fn scan_sql(scan: &EventScan) -> String {
    let source = match scan.source {
        EventSource::Stream(_) => "stream_id",
        EventSource::Group(_) => "group_id",
    };
    let (comparison, order) = match scan.direction {
        Direction::Forward => (">", "timestamp, event_id"),
        Direction::Backward => ("<", "timestamp DESC, event_id DESC"),
    };
    format!(
        "{COLUMNS} WHERE {source} = ?1 AND timestamp >= ?2 AND timestamp < ?3
           AND (timestamp, event_id) {comparison} (?4, ?5) ORDER BY {order}"
    )
}

/// Walks the events of a scan in order until the visitor stops or the rows run out.
pub(crate) fn scan_events(
    connection: &Connection,
    scan: &EventScan,
    mut visit: impl FnMut(StoredEvent) -> Visit,
) -> rusqlite::Result<()> {
    let source_id = match scan.source {
        EventSource::Stream(stream) => stream.0,
        EventSource::Group(group) => group.0,
    };
    let mut statement = connection.prepare_cached(&scan_sql(scan))?;
    let mut rows = statement.query(params![
        source_id,
        scan.start,
        scan.end,
        scan.from.timestamp,
        scan.from.event_id
    ])?;
    while let Some(row) = rows.next()? {
        let event = StoredEvent {
            position: EventPosition {
                event_id: row.get(0)?,
                timestamp: row.get(2)?,
            },
            stream: StreamId(row.get(1)?),
            ingestion_time: row.get(3)?,
            message: row.get(4)?,
        };
        if visit(event) == Visit::Stop {
            break;
        }
    }
    Ok(())
}

/// Inserts a batch into one stream (the caller holds a transaction and updates statistics).
pub(crate) fn insert_events(
    connection: &Connection,
    group: GroupId,
    stream: StreamId,
    events: &[(i64, &str)],
    ingestion_time: i64,
) -> rusqlite::Result<()> {
    let mut statement = connection.prepare_cached(
        "INSERT INTO log_events(group_id, stream_id, timestamp, ingestion_time, message)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (timestamp, message) in events {
        statement.execute(params![
            group.0,
            stream.0,
            timestamp,
            ingestion_time,
            message
        ])?;
    }
    Ok(())
}

/// Deletes the group's events with timestamps before `cutoff`; returns the bytes removed per
/// stream and the number of events (the caller holds a transaction).
pub(crate) fn delete_events_before(
    connection: &Connection,
    group: GroupId,
    cutoff: i64,
) -> rusqlite::Result<(HashMap<StreamId, i64>, u64)> {
    let mut statement = connection.prepare_cached(
        "SELECT stream_id, SUM(LENGTH(CAST(message AS BLOB))), COUNT(*) FROM log_events
         WHERE group_id = ?1 AND timestamp < ?2 GROUP BY stream_id",
    )?;
    let mut bytes_by_stream = HashMap::new();
    let mut count: u64 = 0;
    let mut rows = statement.query(params![group.0, cutoff])?;
    while let Some(row) = rows.next()? {
        bytes_by_stream.insert(StreamId(row.get(0)?), row.get::<_, i64>(1)?);
        count += row.get::<_, i64>(2)?.unsigned_abs();
    }
    connection
        .prepare_cached("DELETE FROM log_events WHERE group_id = ?1 AND timestamp < ?2")?
        .execute(params![group.0, cutoff])?;
    Ok((bytes_by_stream, count))
}
