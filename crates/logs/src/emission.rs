//! Metric filters at ingest time: each group's filters compiled once and cached, and the
//! datapoints one batch of events produces.
//!
//! Per event and filter: a matching event publishes the metric value (the literal, or the
//! number found at `$.field` / `$name`; a match without a numeric value publishes nothing) with
//! the dimensions whose values the event has, timestamped with the event's timestamp.
//!
//! Default values are published per batch: a filter with a `defaultValue` that matched none of
//! the batch's events publishes the default once, at the batch's latest event timestamp. AWS
//! documents the default as "reported during a period when logs are ingested but no matching
//! logs are found" and the API model as "the value to emit when a filter pattern does not match
//! a log event"; emulators that compare with AWS (Floci) emit it once per PutLogEvents batch, and
//! per event would make SampleCount equal to the number of ingested events, which is not what
//! alarms on CloudTrail metrics observe. A matching event without a numeric value still counts as
//! a match (no default for that batch). Filters never look at events stored before they existed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use opentrail_filterpattern::{DimensionValue, FilterPattern, LogEvent, MetricValue, PatternError};

use crate::MetricPoint;
use crate::names::GroupId;
use crate::store::filters::{StoredMetricFilter, Transformation};

/// One metric filter ready to run.
#[derive(Debug)]
pub(crate) struct CompiledMetricFilter {
    pattern: FilterPattern,
    metric_name: String,
    metric_namespace: String,
    value: MetricValue,
    default_value: Option<f64>,
    dimensions: Vec<(String, DimensionValue)>,
    unit: Option<String>,
}

/// Why a filter's parts do not compile, by part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CompileError {
    Pattern(PatternError),
    MetricValue(PatternError),
    Dimension { name: String, error: PatternError },
}

impl CompiledMetricFilter {
    /// Compiles a pattern and its transformation (PutMetricFilter's checks use the same path).
    pub fn compile(
        filter_pattern: &str,
        transformation: &Transformation,
    ) -> Result<Self, CompileError> {
        let pattern = FilterPattern::compile(filter_pattern).map_err(CompileError::Pattern)?;
        let value = MetricValue::parse(&transformation.metric_value, &pattern)
            .map_err(CompileError::MetricValue)?;
        let mut dimensions = Vec::with_capacity(transformation.dimensions.len());
        for (name, reference) in &transformation.dimensions {
            let dimension = DimensionValue::parse(reference, &pattern).map_err(|error| {
                CompileError::Dimension {
                    name: name.clone(),
                    error,
                }
            })?;
            dimensions.push((name.clone(), dimension));
        }
        Ok(CompiledMetricFilter {
            pattern,
            metric_name: transformation.metric_name.clone(),
            metric_namespace: transformation.metric_namespace.clone(),
            value,
            default_value: transformation.default_value,
            dimensions,
            unit: transformation.unit.clone(),
        })
    }

    fn point(
        &self,
        value: f64,
        dimensions: Vec<(String, String)>,
        timestamp_ms: i64,
    ) -> MetricPoint {
        MetricPoint {
            namespace: self.metric_namespace.clone(),
            metric_name: self.metric_name.clone(),
            value,
            unit: self.unit.clone(),
            dimensions,
            timestamp_ms,
        }
    }

    /// The datapoint of a matching event, if its metric value is a number.
    fn point_for(&self, event: &LogEvent<'_>, timestamp_ms: i64) -> Option<MetricPoint> {
        let value = self.value.evaluate(event)?;
        let dimensions = self
            .dimensions
            .iter()
            .filter_map(|(name, reference)| Some((name.clone(), reference.evaluate(event)?)))
            .collect();
        Some(self.point(value, dimensions, timestamp_ms))
    }
}

/// The datapoints a batch produces: per event (each event parsed once for all filters), then the
/// defaults of filters that matched nothing.
pub(crate) fn metric_points(
    filters: &[CompiledMetricFilter],
    events: &[(i64, &str)],
) -> Vec<MetricPoint> {
    let Some(last_timestamp) = events.iter().map(|&(timestamp, _)| timestamp).max() else {
        return Vec::new();
    };
    let mut points = Vec::new();
    let mut matched = vec![false; filters.len()];
    for &(timestamp, message) in events {
        let event = LogEvent::new(message);
        for (index, filter) in filters.iter().enumerate() {
            if filter.pattern.matches(&event) {
                matched[index] = true;
                points.extend(filter.point_for(&event, timestamp));
            }
        }
    }
    for (filter, matched) in filters.iter().zip(matched) {
        if let (false, Some(default)) = (matched, filter.default_value) {
            points.push(filter.point(default, Vec::new(), last_timestamp));
        }
    }
    points
}

/// Compiled filters per group, loaded on first use and dropped whenever the group's filters
/// change (the caller invalidates while it still holds the write lock, so no stale set survives).
#[derive(Debug, Default)]
pub(crate) struct FilterCache {
    groups: Mutex<HashMap<GroupId, Arc<[CompiledMetricFilter]>>>,
}

impl FilterCache {
    /// The group's compiled filters, loading them with `load` on a miss. A stored filter that no
    /// longer compiles (a database from another version) is logged and skipped.
    pub fn get_or_load<E>(
        &self,
        group: GroupId,
        load: impl FnOnce() -> Result<Vec<StoredMetricFilter>, E>,
    ) -> Result<Arc<[CompiledMetricFilter]>, E> {
        if let Some(filters) = self.lock().get(&group) {
            return Ok(Arc::clone(filters));
        }
        let compiled: Arc<[CompiledMetricFilter]> = load()?
            .iter()
            .filter_map(|stored| {
                CompiledMetricFilter::compile(&stored.filter_pattern, &stored.transformation)
                    .inspect_err(|error| {
                        tracing::warn!(group = %stored.group_name, filter = %stored.filter_name, ?error,
                            "stored metric filter does not compile; skipped");
                    })
                    .ok()
            })
            .collect();
        self.lock().insert(group, Arc::clone(&compiled));
        Ok(compiled)
    }

    /// Forgets a group's filters.
    pub fn invalidate(&self, group: GroupId) {
        self.lock().remove(&group);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<GroupId, Arc<[CompiledMetricFilter]>>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transformation(
        value: &str,
        default_value: Option<f64>,
        dimensions: &[(&str, &str)],
    ) -> Transformation {
        Transformation {
            metric_name: "M".into(),
            metric_namespace: "N".into(),
            metric_value: value.into(),
            default_value,
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            unit: Some("Bytes".into()),
        }
    }

    fn filter(
        pattern: &str,
        value: &str,
        default_value: Option<f64>,
        dimensions: &[(&str, &str)],
    ) -> CompiledMetricFilter {
        CompiledMetricFilter::compile(pattern, &transformation(value, default_value, dimensions))
            .unwrap()
    }

    /// A point as compared: value, dimensions, timestamp.
    type Seen = (f64, Vec<(String, String)>, i64);
    /// An expected point: value, dimensions, timestamp.
    type Want<'a> = (f64, &'a [(&'a str, &'a str)], i64);
    /// One compile case: pattern, transformation, the expected error kind.
    type CompileCase = (&'static str, Transformation, fn(&CompileError) -> bool);

    fn check(filters: &[CompiledMetricFilter], events: &[(i64, &str)], expected: &[Want<'_>]) {
        let points = metric_points(filters, events);
        let actual: Vec<Seen> = points
            .iter()
            .map(|p| (p.value, p.dimensions.clone(), p.timestamp_ms))
            .collect();
        let expected: Vec<Seen> = expected
            .iter()
            .map(|(v, d, t)| {
                (
                    *v,
                    d.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    *t,
                )
            })
            .collect();
        assert_eq!(actual, expected, "events {events:?}");
        assert!(points.iter().all(|p| p.unit.as_deref() == Some("Bytes")
            && p.namespace == "N"
            && p.metric_name == "M"));
    }

    #[test]
    fn values_defaults_and_dimensions() {
        let get = r#"{"eventName":"GetObject","bytes":1500,"ip":"1.2.3.4"}"#;
        let put = r#"{"eventName":"PutObject","bytes":20}"#;
        let no_ip = r#"{"eventName":"GetObject","bytes":"7"}"#;
        let text = r#"{"eventName":"GetObject","bytes":"many"}"#;
        let count = filter(r#"{ $.eventName = "GetObject" }"#, "1", None, &[]);
        check(
            &[count],
            &[(10, get), (11, put), (12, no_ip)],
            &[(1.0, &[], 10), (1.0, &[], 12)],
        );
        let bytes = filter(
            r#"{ $.eventName = "GetObject" }"#,
            "$.bytes",
            None,
            &[("ip", "$.ip")],
        );
        check(
            &[bytes],
            &[(10, get), (11, no_ip), (12, text)],
            &[(1500.0, &[("ip", "1.2.3.4")], 10), (7.0, &[], 11)],
        );
        let with_default = || filter(r#"{ $.eventName = "GetObject" }"#, "1", Some(0.0), &[]);
        check(
            &[with_default()],
            &[(10, put), (20, put)],
            &[(0.0, &[], 20)],
        );
        check(
            &[with_default()],
            &[(10, put), (20, get)],
            &[(1.0, &[], 20)],
        );
        check(&[with_default()], &[], &[]);
        let matched_without_number = filter(
            r#"{ $.eventName = "GetObject" }"#,
            "$.bytes",
            Some(0.0),
            &[],
        );
        check(&[matched_without_number], &[(5, text)], &[]);
        let two = [
            filter("PutObject", "2", None, &[]),
            filter("GetObject", "3", None, &[]),
        ];
        check(&two, &[(1, get), (2, put)], &[(3.0, &[], 1), (2.0, &[], 2)]);
    }

    #[test]
    fn compile_errors_name_the_part() {
        let cases: [CompileCase; 3] = [
            ("{ $.a = ", transformation("1", None, &[]), |e| {
                matches!(e, CompileError::Pattern(_))
            }),
            ("ERROR", transformation("$.a", None, &[]), |e| {
                matches!(e, CompileError::MetricValue(_))
            }),
            (
                "ERROR",
                transformation("1", None, &[("d", "$.a")]),
                |e| matches!(e, CompileError::Dimension { name, .. } if name == "d"),
            ),
        ];
        for (pattern, transformation, expected) in cases {
            let error = CompiledMetricFilter::compile(pattern, &transformation).unwrap_err();
            assert!(expected(&error), "{pattern}: {error:?}");
        }
    }

    #[test]
    fn the_cache_loads_once_until_invalidated() {
        let cache = FilterCache::default();
        let stored = StoredMetricFilter {
            group_id: GroupId(1),
            group_name: "g".into(),
            filter_name: "f".into(),
            filter_pattern: "ERROR".into(),
            transformation: transformation("1", None, &[]),
            creation_time: 0,
        };
        let mut loads = 0;
        for _ in 0..3 {
            let filters = cache
                .get_or_load::<()>(GroupId(1), || {
                    loads += 1;
                    Ok(vec![stored.clone()])
                })
                .unwrap();
            assert_eq!(filters.len(), 1);
        }
        assert_eq!(loads, 1);
        cache.invalidate(GroupId(1));
        cache
            .get_or_load::<()>(GroupId(1), || {
                loads += 1;
                Ok(vec![])
            })
            .unwrap();
        assert_eq!(loads, 2);
    }
}
