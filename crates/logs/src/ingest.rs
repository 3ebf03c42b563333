//! Writing events: PutLogEvents (its batch rules and `rejectedLogEventsInfo`), the trail path
//! behind [`crate::Logs::append_internal`], and the one routine both use to store a batch and
//! compute its metric datapoints.
//!
//! PutLogEvents rules (API reference): at most 10,000 events and 1,048,576 bytes counted as each
//! message's UTF-8 length plus 26; events in chronological order, else the whole batch fails;
//! events more than 2 hours ahead, more than 14 days old or older than the group's retention are
//! rejected while the rest are stored; the stored events may span at most 24 hours. The sequence
//! token is accepted and ignored, and a new one is returned, as today's AWS does.
//!
//! The trail path applies none of the age rules (CloudTrail's records are what they are), skips
//! messages over CloudTrail's 256 KB event limit and creates the stream on first use.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::clock::{DAY_MS, HOUR_MS};
use crate::emission::{CompiledMetricFilter, metric_points};
use crate::error::{LogsApiError, LogsError};
use crate::groups::{existing_group, required};
use crate::input::{
    EVENT_MESSAGE, LOG_GROUP_NAME, LOG_STREAM_NAME, Request, SEQUENCE_TOKEN, wrong_type,
};
use crate::names::{GroupId, Scope, StreamId, is_valid_group_name, is_valid_stream_name};
use crate::store;
use crate::store::groups::GroupRow;
use crate::store::streams::BatchStats;
use crate::tokens::sequence_token;
use crate::{AppendOutcome, MetricPoint, Shared};

/// Bytes AWS adds to each message when sizing a batch or an event.
pub(crate) const EVENT_OVERHEAD_BYTES: usize = 26;
/// Largest PutLogEvents batch, and largest single event, in bytes (with overhead).
pub(crate) const MAX_BATCH_BYTES: usize = 1_048_576;
/// Most events in one PutLogEvents batch.
pub(crate) const MAX_BATCH_EVENTS: usize = 10_000;
/// Largest event CloudTrail delivers to CloudWatch Logs, in bytes (with overhead).
pub(crate) const MAX_TRAIL_EVENT_BYTES: usize = 262_144;

/// How far ahead of now an event may be.
const TOO_NEW_MS: i64 = 2 * HOUR_MS;
/// How old an event may be.
const TOO_OLD_MS: i64 = 14 * DAY_MS;
/// The widest time span of one batch's stored events.
const MAX_SPAN_MS: i64 = 24 * HOUR_MS;

/// The size AWS counts for one message.
pub(crate) fn event_size(message: &str) -> usize {
    message.len() + EVENT_OVERHEAD_BYTES
}

/// A batch stored: its new upload counter, and its datapoints for the sink.
#[derive(Debug)]
pub(crate) struct StoredBatch {
    pub upload_sequence: i64,
    pub points: Vec<MetricPoint>,
}

/// Stores events in one transaction and computes their datapoints with the group's filters.
/// The caller holds the write connection and hands the points to the sink after releasing it.
pub(crate) fn store_batch(
    shared: &Shared,
    connection: &mut rusqlite::Connection,
    group: GroupId,
    stream: StreamId,
    events: &[(i64, &str)],
    source_position: Option<i64>,
) -> Result<StoredBatch, LogsError> {
    if events.is_empty() {
        let upload_sequence = store::streams::bump_upload_sequence(connection, stream)?;
        return Ok(StoredBatch {
            upload_sequence,
            points: Vec::new(),
        });
    }
    let filters: Arc<[CompiledMetricFilter]> = shared.filters.get_or_load(group, || {
        store::filters::filters_of_group(connection, group)
    })?;
    let stats = BatchStats {
        first_timestamp: events.iter().map(|e| e.0).min().unwrap_or_default(),
        last_timestamp: events.iter().map(|e| e.0).max().unwrap_or_default(),
        ingestion_time: shared.now_ms(),
        bytes: events.iter().map(|(_, message)| message.len() as i64).sum(),
    };
    let transaction = connection.transaction()?;
    store::events::insert_events(&transaction, group, stream, events, stats.ingestion_time)?;
    let upload_sequence = store::streams::record_batch(&transaction, stream, stats)?;
    store::groups::add_stored_bytes(&transaction, group, stats.bytes)?;
    if let Some(position) = source_position {
        store::streams::set_source_position(&transaction, stream, position)?;
    }
    transaction.commit()?;
    Ok(StoredBatch {
        upload_sequence,
        points: metric_points(&filters, events),
    })
}

/// PutLogEvents.
pub(crate) fn put_log_events(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let group_name = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    let stream_name = request.required_string("logStreamName", LOG_STREAM_NAME)?;
    request.string("sequenceToken", SEQUENCE_TOKEN)?;
    let events = read_input_events(&mut request)?;
    request.finish()?;
    check_batch(&events)?;
    let now = shared.now_ms();
    let (stored, rejected) = {
        let mut connection = shared.write();
        let group = existing_group(&connection, scope, required(group_name))?;
        let stream = store::streams::find_stream(&connection, group.id, required(stream_name))?
            .ok_or_else(LogsApiError::stream_not_found)?;
        let (accepted, rejected) = classify(&events, now, group.retention_days);
        check_span(&events[accepted.clone()])?;
        let stored = store_batch(
            shared,
            &mut connection,
            group.id,
            stream.id,
            &events[accepted],
            None,
        )?;
        (stored, rejected)
    };
    shared.publish(scope, stored.points);
    let mut output = json!({ "nextSequenceToken": sequence_token(stored.upload_sequence) });
    if let Some(rejected) = rejected.to_json() {
        output["rejectedLogEventsInfo"] = rejected;
    }
    Ok(output)
}

/// `logEvents`: 1–10,000 `{timestamp, message}` objects.
fn read_input_events<'a>(request: &mut Request<'a>) -> Result<Vec<(i64, &'a str)>, LogsApiError> {
    let items = request.list("logEvents", 1, MAX_BATCH_EVENTS)?;
    request.violations().require("logEvents", &items);
    let mut events = Vec::with_capacity(items.map_or(0, <[Value]>::len));
    for (index, item) in items.unwrap_or_default().iter().enumerate() {
        let path = format!("logEvents.{}.member", index + 1);
        let object = item
            .as_object()
            .ok_or_else(|| wrong_type(&path, "a structure"))?;
        let violations = request.violations();
        let timestamp_path = format!("{path}.timestamp");
        let timestamp =
            violations.integer(&timestamp_path, object.get("timestamp"), Some(0), None)?;
        violations.require(&timestamp_path, &timestamp);
        let message_path = format!("{path}.message");
        let message = violations.string(&message_path, object.get("message"), EVENT_MESSAGE)?;
        violations.require(&message_path, &message);
        events.push((timestamp.unwrap_or_default(), message.unwrap_or_default()));
    }
    Ok(events)
}

/// The whole-batch rules: event and batch size, chronological order.
fn check_batch(events: &[(i64, &str)]) -> Result<(), LogsApiError> {
    if let Some(size) = events
        .iter()
        .map(|(_, m)| event_size(m))
        .find(|&size| size > MAX_BATCH_BYTES)
    {
        return Err(LogsApiError::invalid_parameter(format!(
            "Log event too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )));
    }
    let total: usize = events.iter().map(|(_, m)| event_size(m)).sum();
    if total > MAX_BATCH_BYTES {
        return Err(LogsApiError::invalid_parameter(format!(
            "Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )));
    }
    if events.windows(2).any(|pair| pair[1].0 < pair[0].0) {
        return Err(LogsApiError::invalid_parameter(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    Ok(())
}

/// The stored events of one batch may span at most 24 hours.
fn check_span(accepted: &[(i64, &str)]) -> Result<(), LogsApiError> {
    if let (Some(first), Some(last)) = (accepted.first(), accepted.last())
        && last.0 - first.0 > MAX_SPAN_MS
    {
        return Err(LogsApiError::invalid_parameter(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
        ));
    }
    Ok(())
}

/// PutLogEvents' `rejectedLogEventsInfo`: indexes into the (chronological) batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RejectedEvents {
    /// First index of the events more than 2 hours ahead (inclusive).
    pub too_new_start: Option<usize>,
    /// End of the events more than 14 days old (exclusive).
    pub too_old_end: Option<usize>,
    /// End of the events older than the group's retention (exclusive).
    pub expired_end: Option<usize>,
}

impl RejectedEvents {
    fn to_json(self) -> Option<Value> {
        let members = [
            ("tooNewLogEventStartIndex", self.too_new_start),
            ("tooOldLogEventEndIndex", self.too_old_end),
            ("expiredLogEventEndIndex", self.expired_end),
        ];
        let object: Map<String, Value> = members
            .into_iter()
            .filter_map(|(name, index)| Some((name.to_owned(), json!(index?))))
            .collect();
        (!object.is_empty()).then_some(Value::Object(object))
    }
}

/// Splits a chronological batch into the range to store and the rejected indexes.
pub(crate) fn classify(
    events: &[(i64, &str)],
    now: i64,
    retention_days: Option<i64>,
) -> (std::ops::Range<usize>, RejectedEvents) {
    let count_before = |cutoff: i64| events.iter().take_while(|(t, _)| *t < cutoff).count();
    let too_old = count_before(now - TOO_OLD_MS);
    let expired = retention_days.map_or(0, |days| count_before(now - days * DAY_MS));
    let too_new = events.iter().position(|(t, _)| *t > now + TOO_NEW_MS);
    let start = too_old.max(expired);
    let end = too_new.unwrap_or(events.len()).max(start);
    let rejected = RejectedEvents {
        too_new_start: too_new,
        too_old_end: (too_old > 0).then_some(too_old),
        expired_end: (expired > 0).then_some(expired),
    };
    (start..end, rejected)
}

/// The trail path: see [`crate::Logs::append_internal`].
pub(crate) fn append_internal(
    shared: &Shared,
    scope: Scope<'_>,
    group_name: &str,
    stream_name: &str,
    events: &[(i64, String)],
) -> Result<AppendOutcome, LogsError> {
    check_internal_names(group_name, stream_name)?;
    let mut outcome = AppendOutcome::default();
    let accepted: Vec<(i64, &str)> = events
        .iter()
        .filter(|(timestamp, message)| outcome.accept(*timestamp, message))
        .map(|(timestamp, message)| (*timestamp, message.as_str()))
        .collect();
    let stored = {
        let mut connection = shared.write();
        let group = find_internal_group(&connection, scope, group_name)?;
        let stream = match store::streams::find_stream(&connection, group.id, stream_name)? {
            Some(stream) => stream.id,
            None => create_internal_stream(shared, &connection, group.id, stream_name)?,
        };
        if accepted.is_empty() {
            return Ok(outcome);
        }
        store_batch(shared, &mut connection, group.id, stream, &accepted, None)?
    };
    shared.publish(scope, stored.points);
    outcome.appended = accepted.len();
    Ok(outcome)
}

/// Like [`append_internal`], for events that come from a sequenced source (the event log): each event
/// carries its source position, and events at or below the stream's recorded position are skipped,
/// the position being stored in the same transaction as the events. A replayed batch therefore
/// appends nothing twice.
pub(crate) fn append_from_source(
    shared: &Shared,
    scope: Scope<'_>,
    group_name: &str,
    stream_name: &str,
    events: &[(i64, i64, String)],
) -> Result<AppendOutcome, LogsError> {
    check_internal_names(group_name, stream_name)?;
    let mut connection = shared.write();
    let group = find_internal_group(&connection, scope, group_name)?;
    let stream = match store::streams::find_stream(&connection, group.id, stream_name)? {
        Some(stream) => stream.id,
        None => create_internal_stream(shared, &connection, group.id, stream_name)?,
    };
    let already = store::streams::source_position(&connection, stream)?;
    let mut outcome = AppendOutcome::default();
    let fresh: Vec<&(i64, i64, String)> = events
        .iter()
        .filter(|(position, _, _)| *position > already)
        .collect();
    let Some(last_position) = fresh.iter().map(|(position, _, _)| *position).max() else {
        return Ok(outcome);
    };
    let accepted: Vec<(i64, &str)> = fresh
        .iter()
        .filter(|(_, timestamp, message)| outcome.accept(*timestamp, message))
        .map(|(_, timestamp, message)| (*timestamp, message.as_str()))
        .collect();
    let stored = if accepted.is_empty() {
        store::streams::set_source_position(&connection, stream, last_position)?;
        None
    } else {
        Some(store_batch(
            shared,
            &mut connection,
            group.id,
            stream,
            &accepted,
            Some(last_position),
        )?)
    };
    drop(connection);
    if let Some(stored) = stored {
        shared.publish(scope, stored.points);
    }
    outcome.appended = accepted.len();
    Ok(outcome)
}

fn check_internal_names(group: &str, stream: &str) -> Result<(), LogsError> {
    if !is_valid_group_name(group) {
        return Err(LogsError::InvalidName {
            what: "group",
            name: group.to_owned(),
        });
    }
    if !is_valid_stream_name(stream) {
        return Err(LogsError::InvalidName {
            what: "stream",
            name: stream.to_owned(),
        });
    }
    Ok(())
}

fn find_internal_group(
    connection: &rusqlite::Connection,
    scope: Scope<'_>,
    group: &str,
) -> Result<GroupRow, LogsError> {
    store::groups::find_group(connection, scope, group)?.ok_or_else(|| {
        LogsError::LogGroupNotFound {
            account_id: scope.account_id.to_owned(),
            region: scope.region.to_owned(),
            group: group.to_owned(),
        }
    })
}

fn create_internal_stream(
    shared: &Shared,
    connection: &rusqlite::Connection,
    group: GroupId,
    name: &str,
) -> Result<StreamId, LogsError> {
    let created = store::streams::insert_stream(connection, group, name, shared.now_ms())?;
    Ok(created.expect("the stream was looked up under the same write lock"))
}

impl AppendOutcome {
    /// Counts a refused event; `true` when the event is to be stored.
    fn accept(&mut self, timestamp: i64, message: &str) -> bool {
        if event_size(message) > MAX_TRAIL_EVENT_BYTES {
            self.skipped_too_large += 1;
            return false;
        }
        if timestamp < 0 {
            self.skipped_before_epoch += 1;
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000_000;

    fn check(
        offsets_ms: &[i64],
        retention_days: Option<i64>,
        expected: (std::ops::Range<usize>, RejectedEvents),
    ) {
        let events: Vec<(i64, &str)> = offsets_ms
            .iter()
            .map(|offset| (NOW + offset, "m"))
            .collect();
        assert_eq!(
            classify(&events, NOW, retention_days),
            expected,
            "{offsets_ms:?} retention {retention_days:?}"
        );
    }

    #[test]
    fn classifies_by_age_as_rejected_log_events_info() {
        let none = RejectedEvents::default();
        check(&[-1000, 0, 1000], None, (0..3, none));
        check(
            &[-15 * DAY_MS, -15 * DAY_MS, 0],
            None,
            (
                2..3,
                RejectedEvents {
                    too_old_end: Some(2),
                    ..none
                },
            ),
        );
        check(
            &[0, 2 * HOUR_MS, 2 * HOUR_MS + 1, 3 * HOUR_MS],
            None,
            (
                0..2,
                RejectedEvents {
                    too_new_start: Some(2),
                    ..none
                },
            ),
        );
        check(
            &[-4 * DAY_MS, -2 * DAY_MS, 0],
            Some(3),
            (
                1..3,
                RejectedEvents {
                    expired_end: Some(1),
                    ..none
                },
            ),
        );
        check(
            &[-20 * DAY_MS, -4 * DAY_MS, 0],
            Some(3),
            (
                2..3,
                RejectedEvents {
                    too_old_end: Some(1),
                    expired_end: Some(2),
                    ..none
                },
            ),
        );
        check(
            &[-20 * DAY_MS, 5 * HOUR_MS],
            None,
            (
                1..1,
                RejectedEvents {
                    too_old_end: Some(1),
                    too_new_start: Some(1),
                    ..none
                },
            ),
        );
        check(
            &[3 * HOUR_MS],
            None,
            (
                0..0,
                RejectedEvents {
                    too_new_start: Some(0),
                    ..none
                },
            ),
        );
    }

    #[test]
    fn batch_rules() {
        let big = "x".repeat(MAX_BATCH_BYTES - EVENT_OVERHEAD_BYTES);
        type Case<'a> = (Vec<(i64, &'a str)>, Option<&'a str>);
        let cases: Vec<Case<'_>> = vec![
            (vec![(1, "a"), (1, "b"), (2, "c")], None),
            (
                vec![(2, "a"), (1, "b")],
                Some("Log events in a single PutLogEvents request must be in chronological order."),
            ),
            (vec![(1, big.as_str())], None),
            (
                vec![(1, big.as_str()), (1, "a")],
                Some("Upload too large: 1048603 bytes exceeds limit of 1048576"),
            ),
            (
                vec![(1, &big[..]), (2, "")],
                Some("Upload too large: 1048602 bytes exceeds limit of 1048576"),
            ),
        ];
        for (events, expected) in cases {
            let outcome = check_batch(&events).err().map(|error| error.message);
            assert_eq!(outcome.as_deref(), expected);
        }
        let too_large = format!("{big}x");
        assert_eq!(
            check_batch(&[(1, &too_large)]).unwrap_err().message,
            "Log event too large: 1048577 bytes exceeds limit of 1048576"
        );
        assert!(check_span(&[(0, "a"), (MAX_SPAN_MS, "b")]).is_ok());
        assert!(check_span(&[(0, "a"), (MAX_SPAN_MS + 1, "b")]).is_err());
    }
}
