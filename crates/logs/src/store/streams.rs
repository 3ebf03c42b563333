//! Statements on `log_streams`: lookups, creation, deletion with the stream's events, and the
//! per-batch statistics (first/last event, last ingestion, upload counter, stored bytes).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::names::{GroupId, StreamId};

/// One stored log stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamRow {
    pub id: StreamId,
    pub name: String,
    pub creation_time: i64,
    pub first_event_timestamp: Option<i64>,
    pub last_event_timestamp: Option<i64>,
    pub last_ingestion_time: Option<i64>,
    pub upload_sequence: i64,
    pub stored_bytes: i64,
}

/// What one stored batch changes on its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchStats {
    pub first_timestamp: i64,
    pub last_timestamp: i64,
    pub ingestion_time: i64,
    pub bytes: i64,
}

const SELECT_STREAM: &str = "SELECT stream_id, name, creation_time, first_event_timestamp,
        last_event_timestamp, last_ingestion_time, upload_sequence, stored_bytes
    FROM log_streams";

fn stream_from_row(row: &Row<'_>) -> rusqlite::Result<StreamRow> {
    Ok(StreamRow {
        id: StreamId(row.get(0)?),
        name: row.get(1)?,
        creation_time: row.get(2)?,
        first_event_timestamp: row.get(3)?,
        last_event_timestamp: row.get(4)?,
        last_ingestion_time: row.get(5)?,
        upload_sequence: row.get(6)?,
        stored_bytes: row.get(7)?,
    })
}

/// The stream with this name in the group.
pub(crate) fn find_stream(
    connection: &Connection,
    group: GroupId,
    name: &str,
) -> rusqlite::Result<Option<StreamRow>> {
    let sql = format!("{SELECT_STREAM} WHERE group_id = ?1 AND name = ?2");
    connection
        .prepare_cached(&sql)?
        .query_row(params![group.0, name], stream_from_row)
        .optional()
}

/// The highest source position (event-log sequence number) appended to the stream by
/// `append_from_source`, or -1.
pub(crate) fn source_position(connection: &Connection, stream: StreamId) -> rusqlite::Result<i64> {
    connection
        .prepare_cached("SELECT source_position FROM log_streams WHERE stream_id = ?1")?
        .query_row([stream.0], |row| row.get(0))
}

/// Records the highest source position appended (inside the batch's transaction).
pub(crate) fn set_source_position(
    connection: &Connection,
    stream: StreamId,
    position: i64,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached("UPDATE log_streams SET source_position = ?2 WHERE stream_id = ?1")?
        .execute(params![stream.0, position])?;
    Ok(())
}

/// Every stream of the group, ordered by name.
pub(crate) fn list_streams(
    connection: &Connection,
    group: GroupId,
) -> rusqlite::Result<Vec<StreamRow>> {
    let sql = format!("{SELECT_STREAM} WHERE group_id = ?1 ORDER BY name");
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map([group.0], stream_from_row)?;
    rows.collect()
}

/// Stream names by id, for labelling FilterLogEvents results.
pub(crate) fn stream_names(
    connection: &Connection,
    group: GroupId,
) -> rusqlite::Result<HashMap<StreamId, String>> {
    let mut statement =
        connection.prepare_cached("SELECT stream_id, name FROM log_streams WHERE group_id = ?1")?;
    let rows = statement.query_map([group.0], |row| Ok((StreamId(row.get(0)?), row.get(1)?)))?;
    rows.collect()
}

/// Inserts a stream; `None` when one with the name already exists.
pub(crate) fn insert_stream(
    connection: &Connection,
    group: GroupId,
    name: &str,
    creation_time: i64,
) -> rusqlite::Result<Option<StreamId>> {
    let inserted = connection
        .prepare_cached(
            "INSERT INTO log_streams(group_id, name, creation_time) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![group.0, name, creation_time])?;
    Ok((inserted == 1).then(|| StreamId(connection.last_insert_rowid())))
}

/// Deletes a stream and its events, and takes its bytes off the group (caller holds a transaction).
pub(crate) fn delete_stream(
    connection: &Connection,
    group: GroupId,
    stream: &StreamRow,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached("DELETE FROM log_events WHERE stream_id = ?1")?
        .execute([stream.id.0])?;
    connection
        .prepare_cached("DELETE FROM log_streams WHERE stream_id = ?1")?
        .execute([stream.id.0])?;
    super::groups::add_stored_bytes(connection, group, -stream.stored_bytes)
}

/// Records a stored batch on its stream and returns the new upload counter.
pub(crate) fn record_batch(
    connection: &Connection,
    stream: StreamId,
    stats: BatchStats,
) -> rusqlite::Result<i64> {
    connection
        .prepare_cached(
            "UPDATE log_streams SET
                first_event_timestamp = MIN(COALESCE(first_event_timestamp, ?2), ?2),
                last_event_timestamp = MAX(COALESCE(last_event_timestamp, ?3), ?3),
                last_ingestion_time = ?4,
                upload_sequence = upload_sequence + 1,
                stored_bytes = stored_bytes + ?5
             WHERE stream_id = ?1
             RETURNING upload_sequence",
        )?
        .query_row(
            params![
                stream.0,
                stats.first_timestamp,
                stats.last_timestamp,
                stats.ingestion_time,
                stats.bytes
            ],
            |row| row.get(0),
        )
}

/// Bumps the upload counter of a stream without events (a PutLogEvents whose events were all
/// rejected still answers with a new sequence token).
pub(crate) fn bump_upload_sequence(
    connection: &Connection,
    stream: StreamId,
) -> rusqlite::Result<i64> {
    connection
        .prepare_cached(
            "UPDATE log_streams SET upload_sequence = upload_sequence + 1 WHERE stream_id = ?1
             RETURNING upload_sequence",
        )?
        .query_row([stream.0], |row| row.get(0))
}

/// Takes `bytes` off a stream's stored bytes (retention purge).
pub(crate) fn subtract_stored_bytes(
    connection: &Connection,
    stream: StreamId,
    bytes: i64,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "UPDATE log_streams SET stored_bytes = MAX(0, stored_bytes - ?2) WHERE stream_id = ?1",
        )?
        .execute(params![stream.0, bytes])?;
    Ok(())
}
