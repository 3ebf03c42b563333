//! Log stream operations: CreateLogStream, DeleteLogStream, DescribeLogStreams.
//!
//! DescribeLogStreams reports `storedBytes` as 0, as AWS has done for streams since 2019; the
//! bytes are still counted per stream so group totals stay right when a stream is deleted.

use serde_json::{Map, Value, json};

use crate::Shared;
use crate::error::LogsApiError;
use crate::groups::{GroupSelector, existing_group, required};
use crate::input::{
    ENUM_TEXT, LOG_GROUP_NAME, LOG_STREAM_NAME, LOG_STREAM_NAME_PREFIX, NEXT_TOKEN, Request,
};
use crate::names::Scope;
use crate::store;
use crate::store::streams::StreamRow;
use crate::tokens::{page_of, sequence_token};

/// Most streams one DescribeLogStreams page holds (also the default).
const DESCRIBE_LIMIT: i64 = 50;

/// CreateLogStream.
pub(crate) fn create_log_stream(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let group = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    let stream = request.required_string("logStreamName", LOG_STREAM_NAME)?;
    request.finish()?;
    let connection = shared.write();
    let group = existing_group(&connection, scope, required(group))?;
    if store::streams::insert_stream(&connection, group.id, required(stream), shared.now_ms())?
        .is_none()
    {
        return Err(LogsApiError::new(
            "ResourceAlreadyExistsException",
            "The specified log stream already exists",
        ));
    }
    Ok(json!({}))
}

/// DeleteLogStream: the stream goes with its events.
pub(crate) fn delete_log_stream(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let group = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    let stream = request.required_string("logStreamName", LOG_STREAM_NAME)?;
    request.finish()?;
    let mut connection = shared.write();
    let group = existing_group(&connection, scope, required(group))?;
    let stream = store::streams::find_stream(&connection, group.id, required(stream))?
        .ok_or_else(LogsApiError::stream_not_found)?;
    let transaction = connection.transaction()?;
    store::streams::delete_stream(&transaction, group.id, &stream)?;
    transaction.commit()?;
    Ok(json!({}))
}

/// How DescribeLogStreams orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamOrder {
    Name,
    LastEventTime,
}

impl StreamOrder {
    /// A string whose byte order is the list order (ascending).
    fn sort_key(self, stream: &StreamRow) -> String {
        match self {
            StreamOrder::Name => stream.name.clone(),
            // Streams without events sort first; +1 keeps 0 for them.
            StreamOrder::LastEventTime => format!(
                "{:020}/{}",
                stream
                    .last_event_timestamp
                    .map_or(0, |t| t.saturating_add(1)),
                stream.name
            ),
        }
    }
}

/// DescribeLogStreams.
pub(crate) fn describe_log_streams(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let selector = GroupSelector::read(&mut request)?;
    let prefix = request.string("logStreamNamePrefix", LOG_STREAM_NAME_PREFIX)?;
    let order = request.string("orderBy", ENUM_TEXT)?;
    request
        .violations()
        .one_of("orderBy", order, &["LogStreamName", "LastEventTime"]);
    let descending = request.boolean("descending")?.unwrap_or(false);
    let token = request.string("nextToken", NEXT_TOKEN)?;
    let limit = request.integer("limit", Some(1), Some(DESCRIBE_LIMIT))?;
    request.finish()?;
    let order = match order {
        Some("LastEventTime") => StreamOrder::LastEventTime,
        _ => StreamOrder::Name,
    };
    if order == StreamOrder::LastEventTime && prefix.is_some() {
        return Err(LogsApiError::invalid_parameter(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let group_name = selector.resolve(scope)?;
    let streams = {
        let connection = shared.read();
        let group = existing_group(&connection, scope, group_name)?;
        store::streams::list_streams(&connection, group.id)?
    };
    let mut streams: Vec<StreamRow> = streams
        .into_iter()
        .filter(|stream| prefix.is_none_or(|prefix| stream.name.starts_with(prefix)))
        .collect();
    streams.sort_by_cached_key(|stream| order.sort_key(stream));
    if descending {
        streams.reverse();
    }
    let limit = limit.unwrap_or(DESCRIBE_LIMIT) as usize;
    let (page, next) = page_of(
        streams,
        |stream| order.sort_key(stream),
        descending,
        token,
        limit,
    )?;
    let log_streams: Vec<Value> = page
        .iter()
        .map(|stream| stream_json(scope, group_name, stream))
        .collect();
    let mut output = json!({ "logStreams": log_streams });
    if let Some(next) = next {
        output["nextToken"] = Value::String(next);
    }
    Ok(output)
}

/// One `LogStream`.
fn stream_json(scope: Scope<'_>, group: &str, stream: &StreamRow) -> Value {
    let mut object = Map::new();
    object.insert("logStreamName".into(), json!(stream.name));
    object.insert("creationTime".into(), json!(stream.creation_time));
    let optional = [
        ("firstEventTimestamp", stream.first_event_timestamp),
        ("lastEventTimestamp", stream.last_event_timestamp),
        ("lastIngestionTime", stream.last_ingestion_time),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            object.insert(name.into(), json!(value));
        }
    }
    if stream.upload_sequence > 0 {
        object.insert(
            "uploadSequenceToken".into(),
            json!(sequence_token(stream.upload_sequence)),
        );
    }
    object.insert("arn".into(), json!(scope.stream_arn(group, &stream.name)));
    object.insert("storedBytes".into(), json!(0));
    Value::Object(object)
}
