//! Reading events: GetLogEvents (one stream, `f/…/s` and `b/…/s` tokens both ways) and
//! FilterLogEvents (a group, optionally some streams, a filter pattern, paging by `nextToken`).
//!
//! GetLogEvents: without a token, `startFromHead` picks the oldest (true) or newest (false, the
//! default) events; a page is always returned oldest first. `nextForwardToken` continues after
//! the page's last event, `nextBackwardToken` before its first; a page that finds nothing returns
//! the token it was given (the documented end-of-stream signal) and the opposite-direction token
//! for the same position.
//!
//! FilterLogEvents reads at most [`SCAN_BUDGET`] events per call; when the budget runs out first,
//! the page may be short or empty and still carry a `nextToken`, as AWS documents. Pages are
//! limited to `limit` events (default 10,000) and 1 MB of messages (plus 26 bytes per event).
//! `searchedLogStreams` is always empty, as on AWS since 2020.

use std::collections::{HashMap, HashSet};

use opentrail_filterpattern::{FilterPattern, LogEvent};
use serde_json::{Value, json};

use crate::Shared;
use crate::error::LogsApiError;
use crate::groups::{GroupSelector, existing_group, required};
use crate::ingest::{MAX_BATCH_BYTES, event_size};
use crate::input::{FILTER_PATTERN, LOG_STREAM_NAME, LOG_STREAM_NAME_PREFIX, NEXT_TOKEN, Request};
use crate::names::{GroupId, Scope, StreamId};
use crate::store;
use crate::store::events::{Direction, EventPosition, EventScan, EventSource, StoredEvent, Visit};
use crate::tokens::{StreamToken, encode_filter_token, event_id, parse_filter_token};

/// Most events one page returns, and the default.
const MAX_EVENTS: i64 = 10_000;
/// Most bytes (messages plus 26 each) one page returns.
const MAX_RESPONSE_BYTES: usize = MAX_BATCH_BYTES;
/// Most stored events one FilterLogEvents call reads.
const SCAN_BUDGET: usize = 100_000;
/// `startFromHead=false` needs a `startTime` on or after 2024-01-01T00:00:00Z (API reference).
const DESCENDING_FILTER_EARLIEST_START: i64 = 1_704_067_200_000;

/// GetLogEvents.
pub(crate) fn get_log_events(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let selector = GroupSelector::read(&mut request)?;
    let stream_name = request.required_string("logStreamName", LOG_STREAM_NAME)?;
    let start = request.integer("startTime", Some(0), None)?;
    let end = request.integer("endTime", Some(0), None)?;
    let token = request.string("nextToken", NEXT_TOKEN)?;
    let limit = request.integer("limit", Some(1), Some(MAX_EVENTS))?;
    let from_head = request.boolean("startFromHead")?.unwrap_or(false);
    request.boolean("unmask")?;
    request.finish()?;
    let group_name = selector.resolve(scope)?;
    let token = token.map(StreamToken::parse).transpose()?;
    let (direction, from) = match token {
        Some(token) => (token.direction, token.position),
        None if from_head => (Direction::Forward, EventPosition::START),
        None => (Direction::Backward, EventPosition::END),
    };
    let connection = shared.read();
    let group = existing_group(&connection, scope, group_name)?;
    let stream = store::streams::find_stream(&connection, group.id, required(stream_name))?
        .ok_or_else(LogsApiError::stream_not_found)?;
    let scan = EventScan {
        source: EventSource::Stream(stream.id),
        start: start.unwrap_or(0),
        end: end.unwrap_or(i64::MAX),
        direction,
        from,
    };
    let mut page = read_page(&connection, &scan, limit.unwrap_or(MAX_EVENTS) as usize)?;
    drop(connection);
    if direction == Direction::Backward {
        page.reverse();
    }
    let (forward, backward) = match (page.first(), page.last(), token) {
        (Some(first), Some(last), _) => (last.position, first.position),
        (_, _, Some(token)) => (token.position, token.position),
        _ => (EventPosition::START, EventPosition::START),
    };
    let events: Vec<Value> = page
        .iter()
        .map(|event| json!({"timestamp": event.position.timestamp, "message": event.message, "ingestionTime": event.ingestion_time}))
        .collect();
    Ok(json!({
        "events": events,
        "nextForwardToken": StreamToken { direction: Direction::Forward, position: forward }.encode(),
        "nextBackwardToken": StreamToken { direction: Direction::Backward, position: backward }.encode(),
    }))
}

/// Up to `limit` events of a scan in scan order, within the response size.
fn read_page(
    connection: &rusqlite::Connection,
    scan: &EventScan,
    limit: usize,
) -> rusqlite::Result<Vec<StoredEvent>> {
    let mut page = Vec::new();
    let mut bytes = 0;
    store::events::scan_events(connection, scan, |event| {
        bytes += event_size(&event.message);
        if page.len() == limit || bytes > MAX_RESPONSE_BYTES {
            return Visit::Stop;
        }
        page.push(event);
        Visit::Continue
    })?;
    Ok(page)
}

/// What FilterLogEvents reads, once validated.
#[derive(Debug)]
struct FilterQuery {
    pattern: FilterPattern,
    streams: Option<HashSet<StreamId>>,
    scan: EventScan,
    limit: usize,
    budget: usize,
}

/// FilterLogEvents.
pub(crate) fn filter_log_events(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    filter_log_events_with_budget(shared, scope, input, SCAN_BUDGET)
}

/// FilterLogEvents' members, validated.
#[derive(Debug)]
struct FilterRequest<'a> {
    selector: GroupSelector<'a>,
    stream_names: Option<Vec<&'a str>>,
    prefix: Option<&'a str>,
    start: i64,
    /// Exclusive (the API's `endTime` is inclusive).
    end: i64,
    pattern: FilterPattern,
    direction: Direction,
    from: EventPosition,
    limit: usize,
}

fn read_filter_request(input: &Value) -> Result<FilterRequest<'_>, LogsApiError> {
    let mut request = Request::new(input)?;
    let selector = GroupSelector::read(&mut request)?;
    let stream_names = read_stream_names(&mut request)?;
    let prefix = request.string("logStreamNamePrefix", LOG_STREAM_NAME_PREFIX)?;
    let start = request.integer("startTime", Some(0), None)?;
    let end = request.integer("endTime", Some(0), None)?;
    let pattern = request.string("filterPattern", FILTER_PATTERN)?;
    let token = request.string("nextToken", NEXT_TOKEN)?;
    let limit = request.integer("limit", Some(1), Some(MAX_EVENTS))?;
    let from_head = request.boolean("startFromHead")?.unwrap_or(true);
    request.boolean("interleaved")?;
    request.boolean("unmask")?;
    request.finish()?;
    if stream_names.is_some() && prefix.is_some() {
        return Err(LogsApiError::invalid_parameter(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    let pattern = FilterPattern::compile(pattern.unwrap_or("")).map_err(|error| {
        LogsApiError::invalid_parameter(format!("Invalid filter pattern: {error}"))
    })?;
    let (direction, from) = match token.map(parse_filter_token).transpose()? {
        Some(continuation) => continuation,
        None if from_head => (Direction::Forward, EventPosition::START),
        None => (Direction::Backward, EventPosition::END),
    };
    if direction == Direction::Backward
        && start.is_some_and(|start| start < DESCENDING_FILTER_EARLIEST_START)
    {
        return Err(LogsApiError::invalid_parameter(
            "startFromHead=false is supported only when startTime is on or after 2024-01-01T00:00:00Z.",
        ));
    }
    Ok(FilterRequest {
        selector,
        stream_names,
        prefix,
        start: start.unwrap_or(0),
        end: end.map_or(i64::MAX, |end| end.saturating_add(1)),
        pattern,
        direction,
        from,
        limit: limit.unwrap_or(MAX_EVENTS) as usize,
    })
}

/// FilterLogEvents reading at most `budget` stored events.
pub(crate) fn filter_log_events_with_budget(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
    budget: usize,
) -> Result<Value, LogsApiError> {
    let request = read_filter_request(input)?;
    let group_name = request.selector.resolve(scope)?;
    let connection = shared.read();
    let group = existing_group(&connection, scope, group_name)?;
    let names = store::streams::stream_names(&connection, group.id)?;
    let selected = selected_streams(&names, request.stream_names.as_deref(), request.prefix);
    let direction = request.direction;
    let Some((source, streams)) = scan_source(group.id, selected) else {
        return Ok(filter_output(&FilterPage::default(), &names, direction));
    };
    let query = FilterQuery {
        scan: EventScan {
            source,
            start: request.start,
            end: request.end,
            direction,
            from: request.from,
        },
        pattern: request.pattern,
        streams,
        limit: request.limit,
        budget,
    };
    let page = filter_page(&connection, &query)?;
    drop(connection);
    Ok(filter_output(&page, &names, direction))
}

/// What to scan for a stream selection: `None` when no stream is selected; one selected stream
/// reads that stream's index instead of filtering the group's rows.
fn scan_source(
    group: GroupId,
    selected: Option<HashSet<StreamId>>,
) -> Option<(EventSource, Option<HashSet<StreamId>>)> {
    match selected {
        Some(streams) if streams.is_empty() => None,
        Some(streams) if streams.len() == 1 => {
            let only = streams.into_iter().next().expect("one stream");
            Some((EventSource::Stream(only), None))
        }
        selected => Some((EventSource::Group(group), selected)),
    }
}

fn read_stream_names<'a>(request: &mut Request<'a>) -> Result<Option<Vec<&'a str>>, LogsApiError> {
    let Some(items) = request.list("logStreamNames", 1, 100)? else {
        return Ok(None);
    };
    let mut names = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let path = format!("logStreamNames.{}.member", index + 1);
        names.extend(
            request
                .violations()
                .string(&path, Some(item), LOG_STREAM_NAME)?,
        );
    }
    Ok(Some(names))
}

/// The streams a query reads (`None`: all). Unknown names select nothing.
fn selected_streams(
    names: &HashMap<StreamId, String>,
    wanted: Option<&[&str]>,
    prefix: Option<&str>,
) -> Option<HashSet<StreamId>> {
    let keep = |name: &str| match (wanted, prefix) {
        (Some(wanted), _) => wanted.contains(&name),
        (None, Some(prefix)) => name.starts_with(prefix),
        (None, None) => true,
    };
    (wanted.is_some() || prefix.is_some()).then(|| {
        names
            .iter()
            .filter(|(_, name)| keep(name))
            .map(|(id, _)| *id)
            .collect()
    })
}

/// One FilterLogEvents page and where to continue.
#[derive(Debug, Default)]
struct FilterPage {
    events: Vec<StoredEvent>,
    next: Option<EventPosition>,
}

/// Scans until the page is full (then looks for one more match to know whether to offer a
/// token), the rows end, or the budget is spent.
fn filter_page(
    connection: &rusqlite::Connection,
    query: &FilterQuery,
) -> rusqlite::Result<FilterPage> {
    let mut page = FilterPage::default();
    let (mut bytes, mut scanned) = (0, 0);
    let mut last_read = None;
    let mut more_matches = false;
    store::events::scan_events(connection, &query.scan, |event| {
        scanned += 1;
        let position = event.position;
        let wanted = query
            .streams
            .as_ref()
            .is_none_or(|streams| streams.contains(&event.stream));
        if wanted && query.pattern.matches(&LogEvent::new(&event.message)) {
            let size = event_size(&event.message);
            if page.events.len() == query.limit || bytes + size > MAX_RESPONSE_BYTES {
                more_matches = true;
                return Visit::Stop;
            }
            bytes += size;
            page.events.push(event);
        }
        last_read = Some(position);
        match scanned >= query.budget {
            true => Visit::Stop,
            false => Visit::Continue,
        }
    })?;
    page.next = match (more_matches, page.events.last()) {
        (true, Some(last)) => Some(last.position),
        _ if scanned >= query.budget => last_read,
        _ => None,
    };
    Ok(page)
}

fn filter_output(
    page: &FilterPage,
    names: &HashMap<StreamId, String>,
    direction: Direction,
) -> Value {
    let events: Vec<Value> = page
        .events
        .iter()
        .map(|event| {
            json!({
                "logStreamName": names.get(&event.stream).map_or("", String::as_str),
                "timestamp": event.position.timestamp,
                "message": event.message,
                "ingestionTime": event.ingestion_time,
                "eventId": event_id(event.position),
            })
        })
        .collect();
    let mut output = json!({ "events": events, "searchedLogStreams": [] });
    if let Some(next) = page.next {
        output["nextToken"] = Value::String(encode_filter_token(direction, next));
    }
    output
}
