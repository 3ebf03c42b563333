//! Statements on `log_groups`, including the cascade that deletes a group's streams, events and
//! metric filters with it.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::names::{GroupId, Scope};

/// One stored log group, with its metric filter count.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupRow {
    pub id: GroupId,
    pub name: String,
    pub creation_time: i64,
    pub retention_days: Option<i64>,
    pub kms_key_id: Option<String>,
    pub log_group_class: String,
    pub stored_bytes: i64,
    pub metric_filter_count: i64,
}

/// What CreateLogGroup stores.
#[derive(Debug, Clone)]
pub(crate) struct NewGroup<'a> {
    pub name: &'a str,
    pub creation_time: i64,
    pub kms_key_id: Option<&'a str>,
    pub log_group_class: &'a str,
    /// The tags as a JSON object, kept for a later ListTagsForResource.
    pub tags: Option<String>,
}

const SELECT_GROUP: &str =
    "SELECT g.group_id, g.name, g.creation_time, g.retention_days, g.kms_key_id,
        g.log_group_class, g.stored_bytes,
        (SELECT COUNT(*) FROM metric_filters f WHERE f.group_id = g.group_id)
    FROM log_groups g";

fn group_from_row(row: &Row<'_>) -> rusqlite::Result<GroupRow> {
    Ok(GroupRow {
        id: GroupId(row.get(0)?),
        name: row.get(1)?,
        creation_time: row.get(2)?,
        retention_days: row.get(3)?,
        kms_key_id: row.get(4)?,
        log_group_class: row.get(5)?,
        stored_bytes: row.get(6)?,
        metric_filter_count: row.get(7)?,
    })
}

/// The group with this name in the scope.
pub(crate) fn find_group(
    connection: &Connection,
    scope: Scope<'_>,
    name: &str,
) -> rusqlite::Result<Option<GroupRow>> {
    let sql = format!("{SELECT_GROUP} WHERE g.account_id = ?1 AND g.region = ?2 AND g.name = ?3");
    connection
        .prepare_cached(&sql)?
        .query_row(
            params![scope.account_id, scope.region, name],
            group_from_row,
        )
        .optional()
}

/// Every group of the scope, ordered by name (byte order, which is ASCII order).
pub(crate) fn list_groups(
    connection: &Connection,
    scope: Scope<'_>,
) -> rusqlite::Result<Vec<GroupRow>> {
    let sql = format!("{SELECT_GROUP} WHERE g.account_id = ?1 AND g.region = ?2 ORDER BY g.name");
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(params![scope.account_id, scope.region], group_from_row)?;
    rows.collect()
}

/// Inserts a group; `false` when one with the name already exists.
pub(crate) fn insert_group(
    connection: &Connection,
    scope: Scope<'_>,
    group: &NewGroup<'_>,
) -> rusqlite::Result<bool> {
    let inserted = connection.prepare_cached(
        "INSERT INTO log_groups(account_id, region, name, creation_time, kms_key_id, log_group_class, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        scope.account_id,
        scope.region,
        group.name,
        group.creation_time,
        group.kms_key_id,
        group.log_group_class,
        group.tags
    ])?;
    Ok(inserted == 1)
}

/// Deletes a group with its streams, events and metric filters (the caller holds a transaction).
pub(crate) fn delete_group(connection: &Connection, group: GroupId) -> rusqlite::Result<()> {
    for sql in [
        "DELETE FROM log_events WHERE group_id = ?1",
        "DELETE FROM log_streams WHERE group_id = ?1",
        "DELETE FROM metric_filters WHERE group_id = ?1",
        "DELETE FROM log_groups WHERE group_id = ?1",
    ] {
        connection.prepare_cached(sql)?.execute([group.0])?;
    }
    Ok(())
}

/// Sets or clears (`None`) the retention in days.
pub(crate) fn set_retention(
    connection: &Connection,
    group: GroupId,
    days: Option<i64>,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached("UPDATE log_groups SET retention_days = ?2 WHERE group_id = ?1")?
        .execute(params![group.0, days])?;
    Ok(())
}

/// Adds `delta` (negative to subtract) to the group's stored bytes.
pub(crate) fn add_stored_bytes(
    connection: &Connection,
    group: GroupId,
    delta: i64,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "UPDATE log_groups SET stored_bytes = MAX(0, stored_bytes + ?2) WHERE group_id = ?1",
        )?
        .execute(params![group.0, delta])?;
    Ok(())
}

/// Every group (all scopes) with a retention policy, and its days.
pub(crate) fn groups_with_retention(
    connection: &Connection,
) -> rusqlite::Result<Vec<(GroupId, i64)>> {
    let mut statement = connection.prepare_cached(
        "SELECT group_id, retention_days FROM log_groups WHERE retention_days IS NOT NULL",
    )?;
    let rows = statement.query_map([], |row| Ok((GroupId(row.get(0)?), row.get(1)?)))?;
    rows.collect()
}
