//! Statements on `metric_filters`: a filter is stored as written (pattern text and its one metric
//! transformation); dimensions are a JSON array of `[name, reference]` pairs so their order
//! survives.

use rusqlite::{Connection, Row, params};

use crate::names::{GroupId, Scope};

/// A metric filter's one metric transformation, as PutMetricFilter received it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transformation {
    pub metric_name: String,
    pub metric_namespace: String,
    pub metric_value: String,
    pub default_value: Option<f64>,
    pub dimensions: Vec<(String, String)>,
    pub unit: Option<String>,
}

/// One stored metric filter with the name of its group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredMetricFilter {
    pub group_id: GroupId,
    pub group_name: String,
    pub filter_name: String,
    pub filter_pattern: String,
    pub transformation: Transformation,
    pub creation_time: i64,
}

const SELECT_FILTER: &str =
    "SELECT f.group_id, g.name, f.filter_name, f.filter_pattern, f.metric_name,
        f.metric_namespace, f.metric_value, f.default_value, f.dimensions, f.unit, f.creation_time
    FROM metric_filters f JOIN log_groups g ON g.group_id = f.group_id";

fn filter_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMetricFilter> {
    let dimensions: Option<String> = row.get(8)?;
    let dimensions = match dimensions {
        None => Vec::new(),
        Some(text) => serde_json::from_str(&text).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(
                8,
                rusqlite::types::Type::Text,
                Box::new(error),
            )
        })?,
    };
    Ok(StoredMetricFilter {
        group_id: GroupId(row.get(0)?),
        group_name: row.get(1)?,
        filter_name: row.get(2)?,
        filter_pattern: row.get(3)?,
        transformation: Transformation {
            metric_name: row.get(4)?,
            metric_namespace: row.get(5)?,
            metric_value: row.get(6)?,
            default_value: row.get(7)?,
            dimensions,
            unit: row.get(9)?,
        },
        creation_time: row.get(10)?,
    })
}

/// Creates or replaces a filter of a group.
pub(crate) fn upsert_filter(
    connection: &Connection,
    group: GroupId,
    filter_name: &str,
    filter_pattern: &str,
    transformation: &Transformation,
    creation_time: i64,
) -> rusqlite::Result<()> {
    let dimensions = (!transformation.dimensions.is_empty()).then(|| {
        serde_json::to_string(&transformation.dimensions).expect("pairs of strings serialise")
    });
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO metric_filters(group_id, filter_name, filter_pattern, metric_name,
                metric_namespace, metric_value, default_value, dimensions, unit, creation_time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            group.0,
            filter_name,
            filter_pattern,
            transformation.metric_name,
            transformation.metric_namespace,
            transformation.metric_value,
            transformation.default_value,
            dimensions,
            transformation.unit,
            creation_time
        ])?;
    Ok(())
}

/// Deletes a filter; `false` when the group has no filter of that name.
pub(crate) fn delete_filter(
    connection: &Connection,
    group: GroupId,
    filter_name: &str,
) -> rusqlite::Result<bool> {
    let deleted = connection
        .prepare_cached("DELETE FROM metric_filters WHERE group_id = ?1 AND filter_name = ?2")?
        .execute(params![group.0, filter_name])?;
    Ok(deleted == 1)
}

/// Whether the group has a filter of that name.
pub(crate) fn filter_exists(
    connection: &Connection,
    group: GroupId,
    filter_name: &str,
) -> rusqlite::Result<bool> {
    connection
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM metric_filters WHERE group_id = ?1 AND filter_name = ?2)",
        )?
        .query_row(params![group.0, filter_name], |row| row.get(0))
}

/// The group's filters, ordered by name.
pub(crate) fn filters_of_group(
    connection: &Connection,
    group: GroupId,
) -> rusqlite::Result<Vec<StoredMetricFilter>> {
    let sql = format!("{SELECT_FILTER} WHERE f.group_id = ?1 ORDER BY f.filter_name");
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map([group.0], filter_from_row)?;
    rows.collect()
}

/// Every filter of the scope, ordered by group name, then filter name.
pub(crate) fn filters_of_scope(
    connection: &Connection,
    scope: Scope<'_>,
) -> rusqlite::Result<Vec<StoredMetricFilter>> {
    let sql = format!(
        "{SELECT_FILTER} WHERE g.account_id = ?1 AND g.region = ?2 ORDER BY g.name, f.filter_name"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(params![scope.account_id, scope.region], filter_from_row)?;
    rows.collect()
}
