//! Metric filter operations: PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter and
//! TestMetricFilter, with the validation of a filter's pattern and metric transformation.
//!
//! Limits enforced: 100 filters per group (an update of an existing filter does not count), one
//! transformation per filter, at most 3 dimensions, no `defaultValue` together with dimensions,
//! dimensions only for JSON and space-delimited patterns. Not enforced: the quota of five regex
//! patterns per log group (the two-per-pattern quota is the filter-pattern crate's). Filters on
//! groups outside the STANDARD class are refused, as on AWS. Log transformers and centralised
//! logging options (`applyOnTransformedLogs`, `fieldSelectionCriteria`,
//! `emitSystemFieldDimensions`) are not supported and refused when set.

use opentrail_filterpattern::{FilterPattern, LogEvent, MAX_DIMENSIONS, PatternError};
use serde_json::{Map, Value, json};

use crate::Shared;
use crate::emission::{CompileError, CompiledMetricFilter};
use crate::error::LogsApiError;
use crate::groups::{existing_group, required};
use crate::input::{
    DIMENSION_TEXT, ENUM_TEXT, EVENT_MESSAGE, FILTER_NAME, FILTER_PATTERN, LOG_GROUP_NAME,
    METRIC_NAME, METRIC_VALUE, NEXT_TOKEN, Request, Violations, wrong_type,
};
use crate::names::Scope;
use crate::store;
use crate::store::filters::{StoredMetricFilter, Transformation};
use crate::tokens::page_of;

/// Most metric filters one log group may have.
pub(crate) const MAX_FILTERS_PER_GROUP: usize = 100;
/// Most messages one TestMetricFilter call may test.
const MAX_TEST_MESSAGES: usize = 50;
/// Most filters one DescribeMetricFilters page holds (also the default).
const DESCRIBE_LIMIT: i64 = 50;

/// The model's `StandardUnit` values.
const STANDARD_UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// PutMetricFilter: creates or replaces a filter of a group.
pub(crate) fn put_metric_filter(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let group_name = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    let filter_name = request.required_string("filterName", FILTER_NAME)?;
    let pattern = request.required_string("filterPattern", FILTER_PATTERN)?;
    let transformation = read_transformations(&mut request)?;
    refuse_unsupported_options(&mut request)?;
    request.finish()?;
    let (pattern, transformation) = (required(pattern), required(transformation));
    check_transformation(pattern, &transformation)?;
    let filter_name = required(filter_name);
    let connection = shared.write();
    let group = existing_group(&connection, scope, required(group_name))?;
    if group.log_group_class != "STANDARD" {
        return Err(LogsApiError::new(
            "InvalidOperationException",
            format!(
                "Metric filters are not supported for log groups of class {}.",
                group.log_group_class
            ),
        ));
    }
    let replacing = store::filters::filter_exists(&connection, group.id, filter_name)?;
    if !replacing && group.metric_filter_count >= MAX_FILTERS_PER_GROUP as i64 {
        return Err(LogsApiError::new(
            "LimitExceededException",
            "Resource limit exceeded.",
        ));
    }
    store::filters::upsert_filter(
        &connection,
        group.id,
        filter_name,
        pattern,
        &transformation,
        shared.now_ms(),
    )?;
    shared.filters.invalidate(group.id);
    Ok(json!({}))
}

/// `metricTransformations`: exactly one.
fn read_transformations(request: &mut Request<'_>) -> Result<Option<Transformation>, LogsApiError> {
    let Some(value) = request.member("metricTransformations") else {
        request
            .violations()
            .push(None, "metricTransformations", "must not be null");
        return Ok(None);
    };
    let items = value
        .as_array()
        .ok_or_else(|| wrong_type("metricTransformations", "a list"))?;
    let transformations = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            read_transformation(
                request.violations(),
                item,
                &format!("metricTransformations.{}.member", index + 1),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    if transformations.len() != 1 {
        let rendered: Vec<String> = transformations.iter().map(render_transformation).collect();
        let constraint = match transformations.len() {
            0 => "must have length greater than or equal to 1",
            _ => "must have length less than or equal to 1",
        };
        let value = format!("[{}]", rendered.join(", "));
        request
            .violations()
            .push(Some(&value), "metricTransformations", constraint);
    }
    Ok(transformations.into_iter().next())
}

/// One `MetricTransformation` (constraint violations are recorded, wrong types fail at once).
fn read_transformation(
    violations: &mut Violations,
    value: &Value,
    path: &str,
) -> Result<Transformation, LogsApiError> {
    let object = value
        .as_object()
        .ok_or_else(|| wrong_type(path, "a structure"))?;
    let mut text = |name: &str, shape| -> Result<String, LogsApiError> {
        let member_path = format!("{path}.{name}");
        let text = violations.string(&member_path, object.get(name), shape)?;
        violations.require(&member_path, &text);
        Ok(text.unwrap_or_default().to_owned())
    };
    let metric_name = text("metricName", METRIC_NAME)?;
    let metric_namespace = text("metricNamespace", METRIC_NAME)?;
    let metric_value = text("metricValue", METRIC_VALUE)?;
    let default_value = match object.get("defaultValue").filter(|v| !v.is_null()) {
        None => None,
        Some(value) => Some(
            value
                .as_f64()
                .ok_or_else(|| wrong_type(&format!("{path}.defaultValue"), "a number"))?,
        ),
    };
    let unit_path = format!("{path}.unit");
    let unit = violations.string(&unit_path, object.get("unit"), ENUM_TEXT)?;
    violations.one_of(&unit_path, unit, &STANDARD_UNITS);
    let dimensions = read_dimensions(
        violations,
        object.get("dimensions"),
        &format!("{path}.dimensions"),
    )?;
    Ok(Transformation {
        metric_name,
        metric_namespace,
        metric_value,
        default_value,
        dimensions,
        unit: unit.map(str::to_owned),
    })
}

fn read_dimensions(
    violations: &mut Violations,
    value: Option<&Value>,
    path: &str,
) -> Result<Vec<(String, String)>, LogsApiError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let map: &Map<String, Value> = value.as_object().ok_or_else(|| wrong_type(path, "a map"))?;
    let mut dimensions = Vec::with_capacity(map.len());
    for (name, reference) in map {
        violations.string(
            &format!("{path}.key"),
            Some(&Value::String(name.clone())),
            DIMENSION_TEXT,
        )?;
        let reference =
            violations.string(&format!("{path}.value"), Some(reference), DIMENSION_TEXT)?;
        dimensions.push((name.clone(), reference.unwrap_or_default().to_owned()));
    }
    Ok(dimensions)
}

/// Java's rendering of a transformation, as AWS prints it in a list-length violation.
fn render_transformation(transformation: &Transformation) -> String {
    let or_null = |value: Option<String>| value.unwrap_or_else(|| "null".to_owned());
    let dimensions = (!transformation.dimensions.is_empty()).then(|| {
        let pairs: Vec<String> = transformation
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{{{}}}", pairs.join(", "))
    });
    format!(
        "MetricTransformation(metricName={}, metricNamespace={}, metricValue={}, defaultValue={}, unit={}, dimensions={})",
        transformation.metric_name,
        transformation.metric_namespace,
        transformation.metric_value,
        or_null(transformation.default_value.map(|v| v.to_string())),
        or_null(transformation.unit.clone()),
        or_null(dimensions),
    )
}

fn refuse_unsupported_options(request: &mut Request<'_>) -> Result<(), LogsApiError> {
    let transformed = request.boolean("applyOnTransformedLogs")?.unwrap_or(false);
    let criteria = request
        .string("fieldSelectionCriteria", ENUM_TEXT)?
        .is_some_and(|c| !c.is_empty());
    let system_fields = request
        .list("emitSystemFieldDimensions", 0, usize::MAX)?
        .is_some_and(|l| !l.is_empty());
    let refused = [
        (transformed, "applyOnTransformedLogs"),
        (criteria, "fieldSelectionCriteria"),
        (system_fields, "emitSystemFieldDimensions"),
    ];
    match refused.iter().find(|(set, _)| *set) {
        Some((_, name)) => Err(LogsApiError::invalid_parameter(format!(
            "{name} is not supported by OpenTrail"
        ))),
        None => Ok(()),
    }
}

/// The checks that need the pattern: it compiles, the value and dimensions refer to it, and
/// the transformation's combination rules.
fn check_transformation(
    pattern: &str,
    transformation: &Transformation,
) -> Result<(), LogsApiError> {
    CompiledMetricFilter::compile(pattern, transformation).map_err(|error| match error {
        CompileError::Pattern(error) => invalid_metric_filter_pattern(&error),
        CompileError::MetricValue(error) => LogsApiError::invalid_parameter(format!(
            "Invalid metric value '{}': {error}",
            transformation.metric_value
        )),
        CompileError::Dimension { name, error } => dimension_error(&name, &error),
    })?;
    if transformation.dimensions.len() > MAX_DIMENSIONS {
        return Err(LogsApiError::invalid_parameter(format!(
            "A metric transformation can have at most {MAX_DIMENSIONS} dimensions; got {}.",
            transformation.dimensions.len()
        )));
    }
    if transformation.default_value.is_some() && !transformation.dimensions.is_empty() {
        return Err(LogsApiError::invalid_parameter(
            "A metric transformation cannot have both a default value and dimensions.",
        ));
    }
    Ok(())
}

fn invalid_metric_filter_pattern(error: &PatternError) -> LogsApiError {
    LogsApiError::invalid_parameter(format!("Invalid metric filter pattern: {error}"))
}

fn dimension_error(name: &str, error: &PatternError) -> LogsApiError {
    if error.message == "the specified filter pattern does not support dimensions" {
        return LogsApiError::invalid_parameter(
            "The specified filter pattern does not support dimensions",
        );
    }
    LogsApiError::invalid_parameter(format!("Invalid dimension '{name}': {error}"))
}

/// DescribeMetricFilters: a group's filters, or the scope's, ordered by group then filter name.
pub(crate) fn describe_metric_filters(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let group_name = request.string("logGroupName", LOG_GROUP_NAME)?;
    let prefix = request.string("filterNamePrefix", FILTER_NAME)?;
    let metric_name = request.string("metricName", METRIC_NAME)?;
    let metric_namespace = request.string("metricNamespace", METRIC_NAME)?;
    let token = request.string("nextToken", NEXT_TOKEN)?;
    let limit = request.integer("limit", Some(1), Some(DESCRIBE_LIMIT))?;
    request.finish()?;
    if metric_name.is_some() != metric_namespace.is_some() {
        return Err(LogsApiError::invalid_parameter(
            "metricName and metricNamespace must be specified together.",
        ));
    }
    let filters = {
        let connection = shared.read();
        match group_name {
            Some(name) => {
                let group = existing_group(&connection, scope, name)?;
                store::filters::filters_of_group(&connection, group.id)?
            }
            None => store::filters::filters_of_scope(&connection, scope)?,
        }
    };
    let filters: Vec<StoredMetricFilter> = filters
        .into_iter()
        .filter(|filter| prefix.is_none_or(|prefix| filter.filter_name.starts_with(prefix)))
        .filter(|filter| metric_name.is_none_or(|name| filter.transformation.metric_name == name))
        .filter(|filter| {
            metric_namespace.is_none_or(|ns| filter.transformation.metric_namespace == ns)
        })
        .collect();
    let limit = limit.unwrap_or(DESCRIBE_LIMIT) as usize;
    let sort_key =
        |filter: &StoredMetricFilter| format!("{}\u{0}{}", filter.group_name, filter.filter_name);
    let (page, next) = page_of(filters, sort_key, false, token, limit)?;
    let metric_filters: Vec<Value> = page.iter().map(filter_json).collect();
    let mut output = json!({ "metricFilters": metric_filters });
    if let Some(next) = next {
        output["nextToken"] = Value::String(next);
    }
    Ok(output)
}

/// One `MetricFilter`.
fn filter_json(filter: &StoredMetricFilter) -> Value {
    let t = &filter.transformation;
    let mut transformation = Map::new();
    transformation.insert("metricName".into(), json!(t.metric_name));
    transformation.insert("metricNamespace".into(), json!(t.metric_namespace));
    transformation.insert("metricValue".into(), json!(t.metric_value));
    if let Some(default) = t.default_value {
        transformation.insert("defaultValue".into(), json!(default));
    }
    if !t.dimensions.is_empty() {
        let dimensions: Map<String, Value> = t
            .dimensions
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        transformation.insert("dimensions".into(), Value::Object(dimensions));
    }
    if let Some(unit) = &t.unit {
        transformation.insert("unit".into(), json!(unit));
    }
    json!({
        "filterName": filter.filter_name,
        "filterPattern": filter.filter_pattern,
        "metricTransformations": [Value::Object(transformation)],
        "creationTime": filter.creation_time,
        "logGroupName": filter.group_name,
        "applyOnTransformedLogs": false,
    })
}

/// DeleteMetricFilter.
pub(crate) fn delete_metric_filter(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let group_name = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    let filter_name = request.required_string("filterName", FILTER_NAME)?;
    request.finish()?;
    let connection = shared.write();
    let group = existing_group(&connection, scope, required(group_name))?;
    if !store::filters::delete_filter(&connection, group.id, required(filter_name))? {
        return Err(LogsApiError::new(
            "ResourceNotFoundException",
            "The specified metric filter does not exist.",
        ));
    }
    shared.filters.invalidate(group.id);
    Ok(json!({}))
}

/// TestMetricFilter: which messages match (0-based `eventNumber`) and what the pattern extracts.
pub(crate) fn test_metric_filter(input: &Value) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let pattern = request.required_string("filterPattern", FILTER_PATTERN)?;
    let items = request.list("logEventMessages", 1, MAX_TEST_MESSAGES)?;
    request.violations().require("logEventMessages", &items);
    let mut messages = Vec::new();
    for (index, item) in items.unwrap_or_default().iter().enumerate() {
        let path = format!("logEventMessages.{}.member", index + 1);
        messages.extend(
            request
                .violations()
                .string(&path, Some(item), EVENT_MESSAGE)?,
        );
    }
    request.finish()?;
    let pattern = FilterPattern::compile(required(pattern))
        .map_err(|error| invalid_metric_filter_pattern(&error))?;
    let matches: Vec<Value> = messages
        .iter()
        .enumerate()
        .filter_map(|(number, message)| {
            let extracted = pattern.extracted_values(&LogEvent::new(message))?;
            Some(json!({"eventNumber": number, "eventMessage": message, "extractedValues": extracted}))
        })
        .collect();
    Ok(json!({ "matches": matches }))
}
