//! The metric operations: PutMetricData (and the programmatic path behind it), ListMetrics,
//! GetMetricStatistics and GetMetricData, with CloudWatch's validation and error wording.
//!
//! Storing datapoints evaluates, in the same transaction, every alarm on the metrics written
//! (see `evaluate` for why that fires within the put). GetMetricData answers `MetricStat` queries;
//! metric math `Expression`s are refused with a clear error rather than evaluated.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::alarm::dimensions_output;
use crate::engine;
use crate::error::{ApiError, ErrorCode, MonitoringError};
use crate::input::{Input, ListItem};
use crate::model::{
    Dimension, MetricDatum, MetricKey, MetricValue, StatisticSet, check_datum, check_length,
    check_unit,
};
use crate::notify::Notification;
use crate::operations::{Context, Outcome};
use crate::stats::{Aggregate, Percentile, Stat, Statistic};
use crate::store::{self, MetricFilter, SampleQuery, Store};
use crate::token;
use crate::value::{StructureBuilder, Value};

/// How many metrics one ListMetrics page holds.
const METRICS_PAGE: usize = 500;

/// PutMetricData.
pub fn put_metric_data(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let data = parse_put_metric_data(&input, context.now)?;
    let notifications = store_data(store, context, &data)?;
    Ok(Outcome {
        output: None,
        notifications,
    })
}

/// Reads and checks the datums of a PutMetricData request.
pub fn parse_put_metric_data(
    input: &Input<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<MetricDatum>, ApiError> {
    let namespace = input.required_string("Namespace")?;
    check_namespace("Namespace", namespace)?;
    if namespace.starts_with("AWS/") {
        return Err(ApiError::invalid_value("Namespace", namespace));
    }
    let items = input.structures("MetricData")?;
    if items.is_empty() {
        return Err(ApiError::missing("MetricData"));
    }
    if items.len() > 1000 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "The collection MetricData must not have a size greater than 1000.",
        ));
    }
    let mut data = Vec::with_capacity(items.len());
    for item in &items {
        let datum = parse_datum(namespace, item, now)?;
        check_datum(&datum, item.path(), now)?;
        data.push(datum);
    }
    Ok(data)
}

/// Checks a namespace: 1 to 255 characters, not starting with `:`.
pub fn check_namespace(member: &str, namespace: &str) -> Result<(), ApiError> {
    check_length(member, namespace, 1, 255)?;
    if namespace.starts_with(':') {
        return Err(ApiError::constraint(
            member,
            namespace,
            "Member must satisfy regular expression pattern: [^:].*",
        ));
    }
    Ok(())
}

fn parse_datum(
    namespace: &str,
    item: &ListItem<'_>,
    now: DateTime<Utc>,
) -> Result<MetricDatum, ApiError> {
    let input = item.input();
    if let Some(resolution) = input.integer("StorageResolution")?
        && resolution != 1
        && resolution != 60
    {
        return Err(ApiError::invalid_value(
            &input.parameter("StorageResolution"),
            resolution,
        ));
    }
    Ok(MetricDatum {
        namespace: namespace.to_owned(),
        metric_name: input.required_string("MetricName")?.to_owned(),
        dimensions: parse_dimensions(&input, "Dimensions")?,
        timestamp: input.timestamp("Timestamp")?.unwrap_or(now),
        value: parse_value(&input, item.path())?,
        unit: input.string("Unit")?.map(str::to_owned),
    })
}

/// A list of `Dimension` structures (both members required).
pub fn parse_dimensions(input: &Input<'_>, name: &str) -> Result<Vec<Dimension>, ApiError> {
    let items = input.structures(name)?;
    if items.len() > 30 {
        return Err(ApiError::constraint(
            name,
            format!("[{} dimensions]", items.len()),
            "Member must have length less than or equal to 30",
        ));
    }
    items
        .iter()
        .map(|item| {
            let dimension = item.input();
            Ok(Dimension::new(
                dimension.required_string("Name")?,
                dimension.required_string("Value")?,
            ))
        })
        .collect()
}

fn parse_value(input: &Input<'_>, path: &str) -> Result<MetricValue, ApiError> {
    let single = input.double("Value")?;
    let values = input.doubles("Values")?;
    let statistic_values = input.structure("StatisticValues")?;
    let exclusive = |first: &str, second: &str, code: ErrorCode| {
        ApiError::new(
            code,
            format!(
                "The parameters {path}.{first} and {path}.{second} are mutually exclusive and you have specified both."
            ),
        )
    };
    match (single, values.is_empty(), statistic_values) {
        (Some(_), false, _) => Err(exclusive(
            "Value",
            "Values",
            ErrorCode::InvalidParameterValue,
        )),
        (Some(_), true, Some(_)) => Err(exclusive(
            "Value",
            "StatisticValues",
            ErrorCode::InvalidParameterCombination,
        )),
        (None, false, Some(_)) => Err(exclusive(
            "Values",
            "StatisticValues",
            ErrorCode::InvalidParameterCombination,
        )),
        (Some(value), true, None) => Ok(MetricValue::Single(value)),
        (None, false, None) => Ok(MetricValue::Values {
            values,
            counts: input.doubles("Counts")?,
        }),
        (None, true, Some(set)) => parse_statistic_set(&set.input()).map(MetricValue::StatisticSet),
        (None, true, None) => Err(ApiError::new(
            ErrorCode::InvalidParameterCombination,
            format!(
                "At least one of the parameters {path}.Value, {path}.Values or {path}.StatisticValues must be specified."
            ),
        )),
    }
}

fn parse_statistic_set(input: &Input<'_>) -> Result<StatisticSet, ApiError> {
    let required = |name: &str| {
        input
            .double(name)?
            .ok_or_else(|| ApiError::missing(&input.parameter(name)))
    };
    Ok(StatisticSet {
        sample_count: required("SampleCount")?,
        sum: required("Sum")?,
        minimum: required("Minimum")?,
        maximum: required("Maximum")?,
    })
}

/// Stores checked datums and evaluates the alarms on the metrics they touch, in one
/// transaction; returns the notifications of the state changes.
pub fn store_data(
    store: &mut Store,
    context: &Context<'_>,
    data: &[MetricDatum],
) -> Result<Vec<Notification>, MonitoringError> {
    store.transaction(|connection| {
        let mut metric_ids: BTreeMap<(String, String, String), (i64, MetricKey)> = BTreeMap::new();
        for datum in data {
            let key = MetricKey::new(
                &datum.namespace,
                &datum.metric_name,
                datum.dimensions.clone(),
            );
            let map_key = (
                key.namespace.clone(),
                key.metric_name.clone(),
                key.dimensions_text(),
            );
            let metric_id = match metric_ids.get(&map_key) {
                Some((id, _)) => *id,
                None => {
                    let id = store::upsert_metric(
                        connection,
                        context.account_id,
                        context.region,
                        &key,
                        context.now,
                    )?;
                    metric_ids.insert(map_key, (id, key));
                    id
                }
            };
            write_datum(connection, metric_id, datum)?;
        }
        let mut notifications = Vec::new();
        for (_, key) in metric_ids.values() {
            let alarms =
                store::alarms_for_metric(connection, context.account_id, context.region, key)?;
            for mut alarm in alarms {
                engine::evaluate_alarm(connection, &mut alarm, context.now, &mut notifications)?;
            }
        }
        Ok(notifications)
    })
}

fn write_datum(
    connection: &Connection,
    metric_id: i64,
    datum: &MetricDatum,
) -> Result<(), rusqlite::Error> {
    let second = datum.timestamp.timestamp();
    let unit = datum.unit.as_deref().unwrap_or("None");
    match &datum.value {
        MetricValue::Single(value) => {
            store::add_sample(connection, metric_id, second, unit, *value, 1.0)
        }
        MetricValue::Values { values, counts } => {
            for (index, value) in values.iter().enumerate() {
                let count = counts.get(index).copied().unwrap_or(1.0);
                if count > 0.0 {
                    store::add_sample(connection, metric_id, second, unit, *value, count)?;
                }
            }
            Ok(())
        }
        MetricValue::StatisticSet(set) => {
            store::add_statistic_set(connection, metric_id, second, unit, set)
        }
    }
}

/// ListMetrics.
pub fn list_metrics(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let active_since = match input.string("RecentlyActive")? {
        None => None,
        Some("PT3H") => Some(context.now - chrono::Duration::hours(3)),
        Some(other) => {
            return Err(ApiError::constraint(
                "RecentlyActive",
                other,
                "Member must satisfy enum value set: [PT3H]",
            ));
        }
    };
    let filters = parse_dimension_filters(&input)?;
    let after_id = match input.string("NextToken")? {
        None => 0,
        Some(text) => token::decode("metrics", text)
            .and_then(|cursor| cursor.parse::<i64>().ok())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidParameterValue,
                    "Request parameter NextToken is invalid",
                )
            })?,
    };
    let filter = MetricFilter {
        namespace: input.string("Namespace")?,
        metric_name: input.string("MetricName")?,
        active_since,
    };
    let rows = store::list_metrics(
        store.connection(),
        context.account_id,
        context.region,
        &filter,
        after_id,
    )?;
    let mut matching = rows
        .into_iter()
        .filter(|row| matches_filters(&row.key.dimensions, &filters));
    let page: Vec<_> = matching.by_ref().take(METRICS_PAGE).collect();
    let more = matching.next().is_some();
    let metrics = page
        .iter()
        .map(|row| metric_output(&row.key))
        .collect::<Vec<_>>();
    let output = StructureBuilder::new()
        .field("Metrics", Value::List(metrics))
        .optional(
            "NextToken",
            more.then(|| {
                page.last()
                    .map(|row| token::encode("metrics", &row.id.to_string()))
            })
            .flatten(),
        )
        .build();
    Ok(Outcome::output(output))
}

fn parse_dimension_filters(input: &Input<'_>) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let items = input.structures("Dimensions")?;
    if items.len() > 10 {
        return Err(ApiError::constraint(
            "Dimensions",
            format!("[{} filters]", items.len()),
            "Member must have length less than or equal to 10",
        ));
    }
    items
        .iter()
        .map(|item| {
            let filter = item.input();
            Ok((
                filter.required_string("Name")?.to_owned(),
                filter.string("Value")?.map(str::to_owned),
            ))
        })
        .collect()
}

fn matches_filters(dimensions: &[Dimension], filters: &[(String, Option<String>)]) -> bool {
    filters.iter().all(|(name, value)| {
        dimensions
            .iter()
            .any(|d| &d.name == name && value.as_ref().is_none_or(|v| &d.value == v))
    })
}

/// A `Metric` structure.
pub fn metric_output(key: &MetricKey) -> Value {
    StructureBuilder::new()
        .field("Namespace", &key.namespace)
        .field("MetricName", &key.metric_name)
        .field("Dimensions", dimensions_output(&key.dimensions))
        .build()
}

/// Checks a statistics period: 1, 5, 10, 30 or a multiple of 60.
fn check_query_period(parameter: &str, period: i64) -> Result<(), ApiError> {
    if period < 1 {
        return Err(ApiError::constraint(
            parameter,
            period,
            "Member must have value greater than or equal to 1",
        ));
    }
    if ![1, 5, 10, 30].contains(&period) && period % 60 != 0 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!("The parameter {parameter} must be 1, 5, 10, 30, or a multiple of 60."),
        ));
    }
    Ok(())
}

/// `1,441` as CloudWatch prints counts in messages.
fn with_thousands(number: i64) -> String {
    let digits = number.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// GetMetricStatistics.
pub fn get_metric_statistics(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let namespace = input.required_string("Namespace")?;
    let metric_name = input.required_string("MetricName")?;
    let dimensions = parse_dimensions(&input, "Dimensions")?;
    let start = required_time(&input, "StartTime")?;
    let end = required_time(&input, "EndTime")?;
    let period = input
        .integer("Period")?
        .ok_or_else(|| ApiError::missing("Period"))?;
    check_query_period("Period", period)?;
    let statistics = parse_statistics(&input)?;
    let unit = input.string("Unit")?;
    if let Some(unit) = unit {
        check_unit("Unit", unit)?;
    }
    if start >= end {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterValue,
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    let (from, to) = aligned_range(start, end, period);
    let requested = (to - from) / period;
    if requested > 1440 {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterCombination,
            format!(
                "You have requested up to {} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
                with_thousands(requested)
            ),
        ));
    }
    let key = MetricKey::new(namespace, metric_name, dimensions);
    let needs_values = statistics.iter().any(Stat::needs_values);
    let aggregates = read_aggregates(
        store.connection(),
        context,
        &key,
        from,
        to,
        period,
        unit,
        needs_values,
    )?;
    let datapoints = aggregates
        .iter()
        .map(|((start, unit), aggregate)| datapoint_output(*start, unit, aggregate, &statistics))
        .collect();
    let output = StructureBuilder::new()
        .field("Label", metric_name)
        .field("Datapoints", Value::List(datapoints))
        .build();
    Ok(Outcome::output(output))
}

fn required_time(input: &Input<'_>, name: &str) -> Result<DateTime<Utc>, ApiError> {
    input
        .timestamp(name)?
        .ok_or_else(|| ApiError::missing(name))
}

/// `[from, to)` in seconds: the start rounded down to a period boundary, the end rounded up to a
/// whole second.
fn aligned_range(start: DateTime<Utc>, end: DateTime<Utc>, period: i64) -> (i64, i64) {
    let from = start.timestamp().div_euclid(period) * period;
    let to = end.timestamp() + i64::from(end.timestamp_subsec_millis() > 0);
    (from, to)
}

fn parse_statistics(input: &Input<'_>) -> Result<Vec<Stat>, ApiError> {
    let simple = input.strings("Statistics")?;
    let extended = input.strings("ExtendedStatistics")?;
    if simple.is_empty() && extended.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterCombination,
            "Must specify either Statistics or ExtendedStatistics",
        ));
    }
    if simple.len() > 5 {
        return Err(ApiError::constraint(
            "Statistics",
            format!("[{}]", simple.join(", ")),
            "Member must have length less than or equal to 5",
        ));
    }
    if extended.len() > 10 {
        return Err(ApiError::constraint(
            "ExtendedStatistics",
            format!("[{}]", extended.join(", ")),
            "Member must have length less than or equal to 10",
        ));
    }
    let mut statistics = Vec::new();
    for (index, text) in simple.iter().enumerate() {
        let member = format!("Statistics.member.{}", index + 1);
        statistics.push(Stat::Simple(Statistic::parse_member(&member, text)?));
    }
    for (index, text) in extended.iter().enumerate() {
        let parameter = format!("ExtendedStatistics.member.{}", index + 1);
        statistics.push(Stat::Percentile(Percentile::parse_parameter(
            &parameter, text,
        )?));
    }
    Ok(statistics)
}

#[allow(clippy::too_many_arguments)]
fn read_aggregates(
    connection: &Connection,
    context: &Context<'_>,
    key: &MetricKey,
    from: i64,
    to: i64,
    period: i64,
    unit: Option<&str>,
    with_values: bool,
) -> Result<BTreeMap<(i64, String), Aggregate>, ApiError> {
    let Some(metric_id) = store::find_metric(connection, context.account_id, context.region, key)?
    else {
        return Ok(BTreeMap::new());
    };
    let query = SampleQuery {
        metric_id,
        from,
        to,
        period,
        unit,
        with_values,
    };
    Ok(store::aggregates(connection, &query)?)
}

fn datapoint_output(start: i64, unit: &str, aggregate: &Aggregate, statistics: &[Stat]) -> Value {
    let simple = |statistic: Statistic| {
        statistics
            .contains(&Stat::Simple(statistic))
            .then(|| statistic.value(aggregate))
    };
    let percentiles: Vec<(String, Value)> = statistics
        .iter()
        .filter_map(|stat| match stat {
            Stat::Percentile(p) => aggregate
                .percentile(p.value)
                .map(|value| (p.label.clone(), Value::Double(value))),
            Stat::Simple(_) => None,
        })
        .collect();
    StructureBuilder::new()
        .field(
            "Timestamp",
            DateTime::from_timestamp(start, 0).unwrap_or_default(),
        )
        .optional("SampleCount", simple(Statistic::SampleCount))
        .optional("Average", simple(Statistic::Average))
        .optional("Sum", simple(Statistic::Sum))
        .optional("Minimum", simple(Statistic::Minimum))
        .optional("Maximum", simple(Statistic::Maximum))
        .field("Unit", unit)
        .optional(
            "ExtendedStatistics",
            (!percentiles.is_empty()).then_some(Value::Map(percentiles)),
        )
        .build()
}

/// One MetricStat query of GetMetricData.
#[derive(Debug)]
pub struct DataQuery {
    id: String,
    label: String,
    return_data: bool,
    key: MetricKey,
    period: i64,
    stat: Stat,
    unit: Option<String>,
}

/// GetMetricData.
pub fn get_metric_data(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let start = required_time(&input, "StartTime")?;
    let end = required_time(&input, "EndTime")?;
    if start == end {
        return Err(ApiError::validation(
            "The parameter StartTime must not equal parameter EndTime.",
        ));
    }
    if start > end {
        return Err(ApiError::validation(
            "The parameter EndTime must be greater than StartTime.",
        ));
    }
    let descending = match input.string("ScanBy")?.unwrap_or("TimestampDescending") {
        "TimestampDescending" => true,
        "TimestampAscending" => false,
        other => {
            return Err(ApiError::constraint(
                "ScanBy",
                other,
                "Member must satisfy enum value set: [TimestampDescending, TimestampAscending]",
            ));
        }
    };
    let max_datapoints = input.integer("MaxDatapoints")?.unwrap_or(100_800);
    if max_datapoints < 1 {
        return Err(ApiError::invalid_value("MaxDatapoints", max_datapoints));
    }
    let queries = parse_data_queries(&input)?;
    let cursor = match input.string("NextToken")? {
        None => None,
        Some(text) => Some(
            token::decode("data", text)
                .and_then(|cursor| cursor.parse::<i64>().ok())
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidNextToken, "Invalid NextToken."))?,
        ),
    };
    let mut series = Vec::new();
    for query in queries.iter().filter(|q| q.return_data) {
        let (from, to) = aligned_range(start, end, query.period);
        let aggregates = read_aggregates(
            store.connection(),
            context,
            &query.key,
            from,
            to,
            query.period,
            query.unit.as_deref(),
            query.stat.needs_values(),
        )?;
        series.push((query, by_period(&aggregates, &query.stat)));
    }
    let page = page_timestamps(&series, cursor, descending, max_datapoints as usize);
    let results = series
        .iter()
        .map(|(query, points)| data_result(query, points, &page, descending))
        .collect();
    let output = StructureBuilder::new()
        .field("MetricDataResults", Value::List(results))
        .optional(
            "NextToken",
            page.next_cursor
                .map(|cursor| token::encode("data", &cursor.to_string())),
        )
        .field("Messages", Value::List(Vec::new()))
        .build();
    Ok(Outcome::output(output))
}

pub fn parse_data_queries(input: &Input<'_>) -> Result<Vec<DataQuery>, ApiError> {
    let items = input.structures("MetricDataQueries")?;
    if items.is_empty() {
        return Err(ApiError::missing("MetricDataQueries"));
    }
    if items.len() > 500 {
        return Err(ApiError::constraint(
            "MetricDataQueries",
            format!("[{} queries]", items.len()),
            "Member must have length less than or equal to 500",
        ));
    }
    let mut seen = HashSet::new();
    let mut queries = Vec::new();
    for item in &items {
        let query = parse_data_query(item)?;
        if !seen.insert(query.id.clone()) {
            return Err(ApiError::validation(format!(
                "The value {} for parameter {}.Id is already used by another query.",
                query.id,
                item.path()
            )));
        }
        queries.push(query);
    }
    Ok(queries)
}

fn valid_query_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_data_query(item: &ListItem<'_>) -> Result<DataQuery, ApiError> {
    let input = item.input();
    let path = item.path();
    let id = input.required_string("Id")?;
    if !valid_query_id(id) || id.len() > 255 {
        return Err(ApiError::validation(format!(
            "The value {id} for parameter {path}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$."
        )));
    }
    let metric_stat = input.structure("MetricStat")?;
    let expression = input.has("Expression");
    let metric_stat = match (metric_stat, expression) {
        (Some(_), true) | (None, false) => {
            return Err(ApiError::validation(format!(
                "Exactly one of {path}.MetricStat and {path}.Expression must be specified."
            )));
        }
        (None, true) => {
            return Err(ApiError::validation(format!(
                "The metric math expression of {path} cannot be evaluated: OpenTrail supports MetricStat queries only."
            )));
        }
        (Some(metric_stat), false) => metric_stat,
    };
    let stat_input = metric_stat.input();
    let metric = stat_input
        .structure("Metric")?
        .ok_or_else(|| ApiError::missing(&format!("{path}.MetricStat.Metric")))?;
    let metric_input = metric.input();
    let namespace = metric_input.required_string("Namespace")?;
    let metric_name = metric_input.required_string("MetricName")?;
    let dimensions = parse_dimensions(&metric_input, "Dimensions")?;
    let period = stat_input
        .integer("Period")?
        .ok_or_else(|| ApiError::missing(&format!("{path}.MetricStat.Period")))?;
    check_query_period(&format!("{path}.MetricStat.Period"), period)?;
    let stat_text = stat_input.required_string("Stat")?;
    let stat = Stat::parse(stat_text).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameterValue,
            format!("The value {stat_text} for parameter {path}.MetricStat.Stat is not supported."),
        )
    })?;
    let unit = stat_input.string("Unit")?;
    if let Some(unit) = unit {
        check_unit(&format!("{path}.MetricStat.Unit"), unit)?;
    }
    Ok(DataQuery {
        id: id.to_owned(),
        label: input.string("Label")?.unwrap_or(metric_name).to_owned(),
        return_data: input.boolean("ReturnData")?.unwrap_or(true),
        key: MetricKey::new(namespace, metric_name, dimensions),
        period,
        stat,
        unit: unit.map(str::to_owned),
    })
}

/// The statistic per period start, units merged.
fn by_period(aggregates: &BTreeMap<(i64, String), Aggregate>, stat: &Stat) -> BTreeMap<i64, f64> {
    let mut merged: BTreeMap<i64, Aggregate> = BTreeMap::new();
    for ((start, _), aggregate) in aggregates {
        merged.entry(*start).or_default().merge(aggregate);
    }
    merged
        .into_iter()
        .filter_map(|(start, aggregate)| stat.value(&aggregate).map(|value| (start, value)))
        .collect()
}

/// Which timestamps one GetMetricData page covers.
struct Page {
    timestamps: BTreeSet<i64>,
    next_cursor: Option<i64>,
}

fn page_timestamps(
    series: &[(&DataQuery, BTreeMap<i64, f64>)],
    cursor: Option<i64>,
    descending: bool,
    max_datapoints: usize,
) -> Page {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, points) in series {
        for start in points.keys() {
            let remaining = match cursor {
                Some(cursor) if descending => *start < cursor,
                Some(cursor) => *start > cursor,
                None => true,
            };
            if remaining {
                *counts.entry(*start).or_default() += 1;
            }
        }
    }
    let ordered: Vec<(i64, usize)> = if descending {
        counts.into_iter().rev().collect()
    } else {
        counts.into_iter().collect()
    };
    let mut page = Page {
        timestamps: BTreeSet::new(),
        next_cursor: None,
    };
    let mut total = 0;
    for (start, count) in ordered {
        if total + count > max_datapoints && !page.timestamps.is_empty() {
            page.next_cursor = page
                .timestamps
                .iter()
                .copied()
                .reduce(|a, b| if descending { a.min(b) } else { a.max(b) });
            break;
        }
        total += count;
        page.timestamps.insert(start);
    }
    page
}

fn data_result(
    query: &DataQuery,
    points: &BTreeMap<i64, f64>,
    page: &Page,
    descending: bool,
) -> Value {
    let mut selected: Vec<(i64, f64)> = points
        .iter()
        .filter(|(start, _)| page.timestamps.contains(start))
        .map(|(start, value)| (*start, *value))
        .collect();
    if descending {
        selected.reverse();
    }
    let status = if page.next_cursor.is_some() {
        "PartialData"
    } else {
        "Complete"
    };
    StructureBuilder::new()
        .field("Id", &query.id)
        .field("Label", &query.label)
        .field(
            "Timestamps",
            Value::List(
                selected
                    .iter()
                    .map(|(start, _)| {
                        Value::Timestamp(DateTime::from_timestamp(*start, 0).unwrap_or_default())
                    })
                    .collect(),
            ),
        )
        .field(
            "Values",
            Value::List(selected.iter().map(|(_, v)| Value::Double(*v)).collect()),
        )
        .field("StatusCode", status)
        .field("Messages", Value::List(Vec::new()))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_print_with_thousands_separators() {
        assert_eq!(with_thousands(1441), "1,441");
        assert_eq!(with_thousands(100), "100");
        assert_eq!(with_thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn query_ids_follow_the_pattern() {
        for (id, valid) in [
            ("m1", true),
            ("a_B9", true),
            ("M1", false),
            ("1m", false),
            ("", false),
            ("m-1", false),
        ] {
            assert_eq!(valid_query_id(id), valid, "{id}");
        }
    }

    #[test]
    fn dimension_filters_match_names_and_optional_values() {
        let dimensions = vec![Dimension::new("Bucket", "a"), Dimension::new("Op", "Get")];
        let check = |filters: &[(&str, Option<&str>)], expected: bool| {
            let filters: Vec<(String, Option<String>)> = filters
                .iter()
                .map(|(n, v)| (n.to_string(), v.map(str::to_owned)))
                .collect();
            assert_eq!(
                matches_filters(&dimensions, &filters),
                expected,
                "{filters:?}"
            );
        };
        check(&[], true);
        check(&[("Bucket", None)], true);
        check(&[("Bucket", Some("a")), ("Op", None)], true);
        check(&[("Bucket", Some("b"))], false);
        check(&[("Missing", None)], false);
    }

    #[test]
    fn pages_hold_whole_timestamps_up_to_the_limit() {
        let query = DataQuery {
            id: "m1".into(),
            label: "M".into(),
            return_data: true,
            key: MetricKey::new("N", "M", vec![]),
            period: 60,
            stat: Stat::Simple(Statistic::Sum),
            unit: None,
        };
        let points: BTreeMap<i64, f64> = [(0, 1.0), (60, 2.0), (120, 3.0)].into_iter().collect();
        let series = vec![(&query, points.clone()), (&query, points)];
        let first = page_timestamps(&series, None, true, 4);
        assert_eq!(first.timestamps, [60, 120].into_iter().collect());
        assert_eq!(first.next_cursor, Some(60));
        let second = page_timestamps(&series, first.next_cursor, true, 4);
        assert_eq!(second.timestamps, [0].into_iter().collect());
        assert_eq!(second.next_cursor, None);
        let ascending = page_timestamps(&series, None, false, 3);
        assert_eq!(ascending.timestamps, [0].into_iter().collect());
        assert_eq!(ascending.next_cursor, Some(0));
    }
}
