//! Retention: deleting events whose `eventTime` is past the configured window, partition by
//! partition, in transactions of at most [`REMOVAL_BATCH`] events so writers and lookups are
//! never held up for long. An expired event's lookup rows are found again from its stored record
//! (the same `summary` that wrote them), so the lookup table needs no index by event id.
//! Lookups already hide expired events; removal only reclaims space.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::History;
use crate::error::HistoryError;
use crate::store::{decode_record, open_connection};
use crate::summary::summarize;

/// Events deleted per transaction.
const REMOVAL_BATCH: i64 = 500;

impl History {
    /// Deletes events older than the retention as of `now`; returns how many were deleted.
    pub fn remove_expired(&self, now: DateTime<Utc>) -> Result<u64, HistoryError> {
        let cutoff = now.timestamp().saturating_sub(self.retention_seconds());
        let mut connection = open_connection(self.path())?;
        let partitions: Vec<i64> = connection
            .prepare("SELECT num FROM partitions")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut removed = 0u64;
        for partition_num in partitions {
            loop {
                let batch = remove_batch(&mut connection, partition_num, cutoff)?;
                removed += batch;
                if batch < REMOVAL_BATCH as u64 {
                    break;
                }
            }
        }
        Ok(removed)
    }
}

fn remove_batch(
    connection: &mut Connection,
    partition_num: i64,
    cutoff: i64,
) -> Result<u64, HistoryError> {
    let transaction = connection.transaction()?;
    let expired: Vec<(i64, Vec<u8>)> = transaction
        .prepare_cached(
            "SELECT id, record FROM events WHERE partition_num = ?1 AND event_time < ?2 LIMIT ?3",
        )?
        .query_map(params![partition_num, cutoff, REMOVAL_BATCH], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    {
        let mut delete_lookup = transaction.prepare_cached(
            "DELETE FROM lookup WHERE partition_num = ?1 AND attr = ?2 AND value = ?3
             AND event_time = ?4 AND id = ?5",
        )?;
        let mut delete_event = transaction.prepare_cached("DELETE FROM events WHERE id = ?1")?;
        for (id, stored) in &expired {
            if let Some(summary) = summarize(&decode_record(stored)?) {
                for (key, value) in summary.attribute_values() {
                    delete_lookup.execute(params![
                        partition_num,
                        key as i64,
                        value,
                        summary.event_time,
                        id
                    ])?;
                }
            }
            delete_event.execute([id])?;
        }
    }
    transaction.commit()?;
    Ok(expired.len() as u64)
}
