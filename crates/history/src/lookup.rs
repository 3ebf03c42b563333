//! Answering one LookupEvents page: resolve the (account, Region, category) partition, run one
//! index range scan newest first from the token's position with `LIMIT page + 1` (the extra row
//! only tells whether a `NextToken` is due), then render each event from its stored record.
//!
//! Three plans: an attribute lookup scans the `lookup` primary key; `EventId` probes the unique
//! event-ID index; no attribute scans `events_by_time`. The time window is the request's range
//! clamped to the retention window. This module does not validate input (see `query`).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use crate::History;
use crate::error::{HistoryError, LookupError};
use crate::query::{LookupQuery, Position};
use crate::store::decode_record;
use crate::summary::{AttributeKey, RecordSummary, summarize};

/// One matching row before rendering.
struct Hit {
    position: Position,
    record: Vec<u8>,
}

/// The inclusive time window and the exclusive start position of one page.
struct Window {
    partition_num: i64,
    start: i64,
    end: i64,
    after: Position,
    limit: i64,
}

impl History {
    /// LookupEvents for (account, Region): validates `input` (LookupAttributes, StartTime,
    /// EndTime, EventCategory, MaxResults, NextToken) and returns `{"Events":[...],"NextToken"?}`
    /// as AWS shapes it, or the AWS exception. `now` is the end of the default range and the
    /// reference point of the retention window.
    pub fn lookup(
        &self,
        account_id: &str,
        region: &str,
        input: &Value,
        now: DateTime<Utc>,
    ) -> Result<Value, LookupError> {
        let query = LookupQuery::parse(account_id, region, input)?;
        let oldest = now.timestamp().saturating_sub(self.retention_seconds());
        let start = query.start_time.map_or(oldest, |start| start.max(oldest));
        let end = query.end_time.unwrap_or(now.timestamp());
        let after = query.after.unwrap_or(Position {
            event_time: i64::MAX,
            id: i64::MAX,
        });
        let hits = self
            .with_connection(|connection| {
                let Some(partition_num) =
                    partition_of(connection, account_id, region, query.category as i64)?
                else {
                    return Ok(Vec::new());
                };
                let window = Window {
                    partition_num,
                    start,
                    end,
                    after,
                    limit: query.max_results + 1,
                };
                find_hits(connection, account_id, &query, &window)
            })
            .map_err(|error| LookupError::internal(&error))?
            .map_err(|error: HistoryError| LookupError::internal(&error))?;
        Ok(render_page(&query, hits))
    }
}

fn partition_of(
    connection: &Connection,
    account_id: &str,
    region: &str,
    category: i64,
) -> Result<Option<i64>, HistoryError> {
    Ok(connection
        .prepare_cached(
            "SELECT p.num FROM partitions p JOIN accounts a ON a.num = p.account_num
             WHERE a.account_id = ?1 AND p.region = ?2 AND p.category = ?3",
        )?
        .query_row(params![account_id, region, category], |row| row.get(0))
        .optional()?)
}

fn find_hits(
    connection: &Connection,
    account_id: &str,
    query: &LookupQuery,
    window: &Window,
) -> Result<Vec<Hit>, HistoryError> {
    let rows: Vec<(i64, i64, Option<Vec<u8>>)> = match &query.attribute {
        None => connection
            .prepare_cached(
                "SELECT event_time, id, record FROM events
                 WHERE partition_num = ?1 AND event_time BETWEEN ?2 AND ?3
                   AND (event_time, id) < (?4, ?5)
                 ORDER BY event_time DESC, id DESC LIMIT ?6",
            )?
            .query_map(
                params![
                    window.partition_num,
                    window.start,
                    window.end,
                    window.after.event_time,
                    window.after.id,
                    window.limit
                ],
                |row| Ok((row.get(0)?, row.get(1)?, Some(row.get(2)?))),
            )?
            .collect::<rusqlite::Result<_>>()?,
        Some((AttributeKey::EventId, event_id)) => connection
            .prepare_cached(
                "SELECT e.event_time, e.id, e.record FROM events e JOIN accounts a ON a.num = e.account_num
                 WHERE e.event_id = ?1 AND a.account_id = ?2 AND e.partition_num = ?3
                   AND e.event_time BETWEEN ?4 AND ?5 AND (e.event_time, e.id) < (?6, ?7)",
            )?
            .query_map(
                params![
                    event_id,
                    account_id,
                    window.partition_num,
                    window.start,
                    window.end,
                    window.after.event_time,
                    window.after.id
                ],
                |row| Ok((row.get(0)?, row.get(1)?, Some(row.get(2)?))),
            )?
            .collect::<rusqlite::Result<_>>()?,
        Some((key, value)) => connection
            .prepare_cached(
                "SELECT event_time, id FROM lookup
                 WHERE partition_num = ?1 AND attr = ?2 AND value = ?3
                   AND event_time BETWEEN ?4 AND ?5 AND (event_time, id) < (?6, ?7)
                 ORDER BY event_time DESC, id DESC LIMIT ?8",
            )?
            .query_map(
                params![
                    window.partition_num,
                    *key as i64,
                    value,
                    window.start,
                    window.end,
                    window.after.event_time,
                    window.after.id,
                    window.limit
                ],
                |row| Ok((row.get(0)?, row.get(1)?, None)),
            )?
            .collect::<rusqlite::Result<_>>()?,
    };
    let mut record_by_id = connection.prepare_cached("SELECT record FROM events WHERE id = ?1")?;
    let mut hits = Vec::with_capacity(rows.len());
    for (event_time, id, stored) in rows {
        let stored = match stored {
            Some(stored) => stored,
            None => match record_by_id
                .query_row([id], |row| row.get::<_, Vec<u8>>(0))
                .optional()?
            {
                Some(stored) => stored,
                // Removed by retention between the two statements.
                None => continue,
            },
        };
        hits.push(Hit {
            position: Position { event_time, id },
            record: decode_record(&stored)?,
        });
    }
    Ok(hits)
}

fn render_page(query: &LookupQuery, mut hits: Vec<Hit>) -> Value {
    let page_size = usize::try_from(query.max_results).unwrap_or(usize::MAX);
    let next_token = if hits.len() > page_size {
        hits.truncate(page_size);
        hits.last().map(|hit| query.token_after(hit.position))
    } else {
        None
    };
    let events: Vec<Value> = hits.iter().map(render_event).collect();
    let mut page = Map::new();
    page.insert("Events".into(), Value::Array(events));
    if let Some(token) = next_token {
        page.insert("NextToken".into(), Value::String(token));
    }
    Value::Object(page)
}

/// One `Event` of the response; `CloudTrailEvent` is the record's original text.
fn render_event(hit: &Hit) -> Value {
    let text = String::from_utf8_lossy(&hit.record).into_owned();
    let mut event = Map::new();
    let summary: Option<RecordSummary> = summarize(&hit.record);
    if let Some(summary) = &summary {
        let mut put = |name: &str, value: Option<&str>| {
            if let Some(value) = value {
                event.insert(name.into(), Value::String(value.to_owned()));
            }
        };
        put("EventId", Some(&summary.event_id));
        put("EventName", summary.event_name.as_deref());
        put("ReadOnly", summary.read_only);
        put("AccessKeyId", summary.access_key_id.as_deref());
        put("EventSource", summary.event_source.as_deref());
        put("Username", summary.username.as_deref());
        let resources = summary
            .resources
            .iter()
            .map(|resource| match &resource.resource_type {
                Some(kind) => json!({"ResourceType": kind, "ResourceName": resource.resource_name}),
                None => json!({"ResourceName": resource.resource_name}),
            })
            .collect();
        event.insert("Resources".into(), Value::Array(resources));
    }
    event.insert("EventTime".into(), json!(hit.position.event_time as f64));
    event.insert("CloudTrailEvent".into(), Value::String(text));
    Value::Object(event)
}
