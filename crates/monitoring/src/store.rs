//! The SQLite schema of `monitoring.sqlite` (version 1) and every statement that touches it.
//!
//! - `metrics`: one row per metric (account, region, namespace, name, canonical dimension text),
//!   with the time of its last datapoint for ListMetrics' `RecentlyActive` and for retention.
//! - `samples`: raw values merged per metric, second, unit and value (`count` adds up), so a metric
//!   filter that emits `1` a thousand times a second writes one row per second. Percentiles read
//!   the distinct values with their counts.
//! - `statistic_sets`: values published as `StatisticValues`, merged per metric, second and unit.
//! - `alarms`: the configuration and state as JSON (the formats of `alarm`), the metric key for
//!   matching puts to alarms, and `next_evaluation_ms`, when the 1 s tick must look at it again.
//! - `alarm_history`: history items, newest last (`id` orders them).
//!
//! Timestamps are stored in whole seconds (samples) or milliseconds (everything else) since the
//! epoch. Retention deletes samples and idle metrics older than the datapoint retention, and
//! history older than the history retention. The database runs in WAL mode with
//! `synchronous=NORMAL`: a power loss may lose the last commits, never corrupt the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::alarm::{Alarm, AlarmConfig, AlarmState};
use crate::error::MonitoringError;
use crate::model::{MetricKey, StatisticSet};
use crate::stats::Aggregate;

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    namespace TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    last_put_ms INTEGER NOT NULL,
    UNIQUE (account_id, region, namespace, metric_name, dimensions)
);
CREATE TABLE IF NOT EXISTS samples (
    metric_id INTEGER NOT NULL,
    second INTEGER NOT NULL,
    unit TEXT NOT NULL,
    value REAL NOT NULL,
    count REAL NOT NULL,
    PRIMARY KEY (metric_id, second, unit, value)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS statistic_sets (
    metric_id INTEGER NOT NULL,
    second INTEGER NOT NULL,
    unit TEXT NOT NULL,
    sample_count REAL NOT NULL,
    sum REAL NOT NULL,
    minimum REAL NOT NULL,
    maximum REAL NOT NULL,
    PRIMARY KEY (metric_id, second, unit)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alarms (
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    alarm_name TEXT NOT NULL,
    namespace TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    next_evaluation_ms INTEGER NOT NULL,
    config TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (account_id, region, alarm_name)
);
CREATE INDEX IF NOT EXISTS alarms_by_metric
    ON alarms (account_id, region, namespace, metric_name, dimensions);
CREATE INDEX IF NOT EXISTS alarms_by_due ON alarms (next_evaluation_ms);
CREATE TABLE IF NOT EXISTS alarm_history (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    alarm_name TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    item_type TEXT NOT NULL,
    summary TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_alarm ON alarm_history (account_id, region, alarm_name, id);
CREATE INDEX IF NOT EXISTS history_by_time ON alarm_history (timestamp_ms);
";

/// The open database.
#[derive(Debug)]
pub struct Store {
    connection: Connection,
}

/// A metric row.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// The row id (ListMetrics pages by it).
    pub id: i64,
    /// The metric.
    pub key: MetricKey,
}

/// Filters of ListMetrics that SQL applies (dimension filters are applied by the caller).
#[derive(Debug, Clone, Default)]
pub struct MetricFilter<'a> {
    /// Only this namespace.
    pub namespace: Option<&'a str>,
    /// Only this metric name.
    pub metric_name: Option<&'a str>,
    /// Only metrics with a datapoint at or after this time.
    pub active_since: Option<DateTime<Utc>>,
}

/// One alarm history item.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    /// The row id (pages by it).
    pub id: i64,
    /// The alarm.
    pub alarm_name: String,
    /// When.
    pub timestamp: DateTime<Utc>,
    /// `ConfigurationUpdate`, `StateUpdate` or `Action`.
    pub item_type: String,
    /// `HistorySummary`.
    pub summary: String,
    /// `HistoryData` (JSON).
    pub data: String,
}

/// Filters of DescribeAlarmHistory.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter<'a> {
    /// Only this alarm.
    pub alarm_name: Option<&'a str>,
    /// Only this item type.
    pub item_type: Option<&'a str>,
    /// Only items at or after.
    pub start: Option<DateTime<Utc>>,
    /// Only items at or before.
    pub end: Option<DateTime<Utc>>,
    /// Oldest first instead of newest first.
    pub ascending: bool,
    /// Continue after this id.
    pub after_id: Option<i64>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, MonitoringError> {
        let open_error = |source| MonitoringError::Open {
            path: PathBuf::from(path),
            source,
        };
        let connection = Connection::open(path).map_err(open_error)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            )
            .map_err(open_error)?;
        let found: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(open_error)?;
        if found > SCHEMA_VERSION {
            return Err(MonitoringError::SchemaTooNew {
                path: PathBuf::from(path),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        connection.execute_batch(SCHEMA).map_err(open_error)?;
        connection
            .execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))
            .map_err(open_error)?;
        Ok(Store { connection })
    }

    /// Runs `work` in one transaction, committed when it returns `Ok`.
    pub fn transaction<T, E: From<rusqlite::Error>>(
        &mut self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let transaction = self.connection.transaction()?;
        let result = work(&transaction)?;
        transaction.commit()?;
        Ok(result)
    }

    /// The connection, for reads outside a transaction.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

/// Creates or touches the metric row and returns its id.
pub fn upsert_metric(
    connection: &Connection,
    account_id: &str,
    region: &str,
    key: &MetricKey,
    put_at: DateTime<Utc>,
) -> Result<i64, rusqlite::Error> {
    connection.query_row(
        "INSERT INTO metrics (account_id, region, namespace, metric_name, dimensions, last_put_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (account_id, region, namespace, metric_name, dimensions)
         DO UPDATE SET last_put_ms = max(last_put_ms, excluded.last_put_ms)
         RETURNING id",
        params![
            account_id,
            region,
            key.namespace,
            key.metric_name,
            key.dimensions_text(),
            put_at.timestamp_millis()
        ],
        |row| row.get(0),
    )
}

/// The id of a metric, if it has ever received data.
pub fn find_metric(
    connection: &Connection,
    account_id: &str,
    region: &str,
    key: &MetricKey,
) -> Result<Option<i64>, rusqlite::Error> {
    connection
        .query_row(
            "SELECT id FROM metrics WHERE account_id = ?1 AND region = ?2 AND namespace = ?3
             AND metric_name = ?4 AND dimensions = ?5",
            params![
                account_id,
                region,
                key.namespace,
                key.metric_name,
                key.dimensions_text()
            ],
            |row| row.get(0),
        )
        .optional()
}

/// Adds `count` occurrences of a raw value.
pub fn add_sample(
    connection: &Connection,
    metric_id: i64,
    second: i64,
    unit: &str,
    value: f64,
    count: f64,
) -> Result<(), rusqlite::Error> {
    connection
        .prepare_cached(
            "INSERT INTO samples (metric_id, second, unit, value, count) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (metric_id, second, unit, value) DO UPDATE SET count = count + excluded.count",
        )?
        .execute(params![metric_id, second, unit, value, count])?;
    Ok(())
}

/// Adds a statistic set.
pub fn add_statistic_set(
    connection: &Connection,
    metric_id: i64,
    second: i64,
    unit: &str,
    set: &StatisticSet,
) -> Result<(), rusqlite::Error> {
    connection
        .prepare_cached(
            "INSERT INTO statistic_sets (metric_id, second, unit, sample_count, sum, minimum, maximum)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (metric_id, second, unit) DO UPDATE SET
                 sample_count = sample_count + excluded.sample_count,
                 sum = sum + excluded.sum,
                 minimum = min(minimum, excluded.minimum),
                 maximum = max(maximum, excluded.maximum)",
        )?
        .execute(params![
            metric_id,
            second,
            unit,
            set.sample_count,
            set.sum,
            set.minimum,
            set.maximum
        ])?;
    Ok(())
}

/// Which samples an aggregation reads.
#[derive(Debug, Clone, Copy)]
pub struct SampleQuery<'a> {
    /// The metric.
    pub metric_id: i64,
    /// First second (inclusive); periods are counted from here.
    pub from: i64,
    /// Last second (exclusive).
    pub to: i64,
    /// Period length in seconds.
    pub period: i64,
    /// Only this unit, if set.
    pub unit: Option<&'a str>,
    /// Whether raw values are needed (percentiles).
    pub with_values: bool,
}

/// Aggregates per (period start in seconds, unit).
pub fn aggregates(
    connection: &Connection,
    query: &SampleQuery<'_>,
) -> Result<BTreeMap<(i64, String), Aggregate>, rusqlite::Error> {
    let mut result: BTreeMap<(i64, String), Aggregate> = BTreeMap::new();
    let raw =
        "SELECT (second - ?2) / ?4, unit, SUM(count), SUM(value * count), MIN(value), MAX(value)
               FROM samples";
    let sets =
        "SELECT (second - ?2) / ?4, unit, SUM(sample_count), SUM(sum), MIN(minimum), MAX(maximum)
                FROM statistic_sets";
    for (select, has_statistic_sets) in [(raw, false), (sets, true)] {
        let sql = format!(
            "{select} WHERE metric_id = ?1 AND second >= ?2 AND second < ?3 AND (?5 IS NULL OR unit = ?5)
             GROUP BY 1, 2"
        );
        let mut statement = connection.prepare_cached(&sql)?;
        let rows = statement.query_map(query_params(query), |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                Aggregate {
                    sample_count: row.get(2)?,
                    sum: row.get(3)?,
                    minimum: row.get(4)?,
                    maximum: row.get(5)?,
                    values: Vec::new(),
                    has_statistic_sets,
                },
            ))
        })?;
        for row in rows {
            let (index, unit, aggregate) = row?;
            result
                .entry((query.from + index * query.period.max(1), unit))
                .or_default()
                .merge(&aggregate);
        }
    }
    if query.with_values {
        add_values(connection, query, &mut result)?;
    }
    Ok(result)
}

fn query_params<'a>(query: &SampleQuery<'a>) -> (i64, i64, i64, i64, Option<&'a str>) {
    (
        query.metric_id,
        query.from,
        query.to,
        query.period.max(1),
        query.unit,
    )
}

fn add_values(
    connection: &Connection,
    query: &SampleQuery<'_>,
    result: &mut BTreeMap<(i64, String), Aggregate>,
) -> Result<(), rusqlite::Error> {
    let mut statement = connection.prepare_cached(
        "SELECT (second - ?2) / ?4, unit, value, SUM(count)
         FROM samples WHERE metric_id = ?1 AND second >= ?2 AND second < ?3 AND (?5 IS NULL OR unit = ?5)
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )?;
    let rows = statement.query_map(query_params(query), |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, f64>(2)?,
            row.get::<_, f64>(3)?,
        ))
    })?;
    for row in rows {
        let (index, unit, value, count) = row?;
        if let Some(aggregate) = result.get_mut(&(query.from + index * query.period.max(1), unit)) {
            aggregate.values.push((value, count));
        }
    }
    Ok(())
}

/// Metrics of an account and region after `after_id`, in id order.
pub fn list_metrics(
    connection: &Connection,
    account_id: &str,
    region: &str,
    filter: &MetricFilter<'_>,
    after_id: i64,
) -> Result<Vec<MetricRow>, rusqlite::Error> {
    let mut statement = connection.prepare_cached(
        "SELECT id, namespace, metric_name, dimensions FROM metrics
         WHERE account_id = ?1 AND region = ?2 AND id > ?3
           AND (?4 IS NULL OR namespace = ?4) AND (?5 IS NULL OR metric_name = ?5)
           AND (?6 IS NULL OR last_put_ms >= ?6)
         ORDER BY id",
    )?;
    let rows = statement.query_map(
        params![
            account_id,
            region,
            after_id,
            filter.namespace,
            filter.metric_name,
            filter.active_since.map(|t| t.timestamp_millis())
        ],
        |row| {
            let dimensions: String = row.get(3)?;
            Ok(MetricRow {
                id: row.get(0)?,
                key: MetricKey {
                    namespace: row.get(1)?,
                    metric_name: row.get(2)?,
                    dimensions: MetricKey::parse_dimensions(&dimensions).unwrap_or_default(),
                },
            })
        },
    )?;
    rows.collect()
}

const ALARM_COLUMNS: &str = "account_id, region, config, state";

fn read_alarm(
    row: &rusqlite::Row<'_>,
) -> Result<(String, String, String, String), rusqlite::Error> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn parse_alarm(
    (account_id, region, config, state): (String, String, String, String),
) -> Result<Alarm, MonitoringError> {
    let config: AlarmConfig = serde_json::from_str(&config)
        .map_err(|e| MonitoringError::CorruptRow(format!("alarm config: {e}")))?;
    let state: AlarmState = serde_json::from_str(&state)
        .map_err(|e| MonitoringError::CorruptRow(format!("alarm state: {e}")))?;
    Ok(Alarm {
        account_id,
        region,
        config,
        state,
    })
}

fn collect_alarms(
    statement: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<Alarm>, MonitoringError> {
    let rows = statement.query_map(params, read_alarm)?;
    let mut alarms = Vec::new();
    for row in rows {
        alarms.push(parse_alarm(row?)?);
    }
    Ok(alarms)
}

/// One alarm by name.
pub fn alarm(
    connection: &Connection,
    account_id: &str,
    region: &str,
    name: &str,
) -> Result<Option<Alarm>, MonitoringError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {ALARM_COLUMNS} FROM alarms WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3"
    ))?;
    Ok(
        collect_alarms(&mut statement, params![account_id, region, name])?
            .into_iter()
            .next(),
    )
}

/// The alarms of an account and region whose name sorts after `after`, in name order.
pub fn alarms_after(
    connection: &Connection,
    account_id: &str,
    region: &str,
    after: &str,
) -> Result<Vec<Alarm>, MonitoringError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {ALARM_COLUMNS} FROM alarms WHERE account_id = ?1 AND region = ?2 AND alarm_name > ?3
         ORDER BY alarm_name"
    ))?;
    collect_alarms(&mut statement, params![account_id, region, after])
}

/// How many alarms an account has in a region.
pub fn count_alarms(
    connection: &Connection,
    account_id: &str,
    region: &str,
) -> Result<usize, rusqlite::Error> {
    connection.query_row(
        "SELECT COUNT(*) FROM alarms WHERE account_id = ?1 AND region = ?2",
        params![account_id, region],
        |row| row.get::<_, i64>(0).map(|n| n as usize),
    )
}

/// The alarms watching a metric.
pub fn alarms_for_metric(
    connection: &Connection,
    account_id: &str,
    region: &str,
    key: &MetricKey,
) -> Result<Vec<Alarm>, MonitoringError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {ALARM_COLUMNS} FROM alarms WHERE account_id = ?1 AND region = ?2
         AND namespace = ?3 AND metric_name = ?4 AND dimensions = ?5 ORDER BY alarm_name"
    ))?;
    collect_alarms(
        &mut statement,
        params![
            account_id,
            region,
            key.namespace,
            key.metric_name,
            key.dimensions_text()
        ],
    )
}

/// Alarms whose window has moved by `now`, at most `limit` of them.
pub fn due_alarms(
    connection: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Alarm>, MonitoringError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {ALARM_COLUMNS} FROM alarms WHERE next_evaluation_ms <= ?1
         ORDER BY next_evaluation_ms LIMIT ?2"
    ))?;
    collect_alarms(
        &mut statement,
        params![now.timestamp_millis(), limit as i64],
    )
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, MonitoringError> {
    serde_json::to_string(value).map_err(|e| MonitoringError::CorruptRow(e.to_string()))
}

/// Writes an alarm (configuration and state), replacing any alarm of the same name.
pub fn save_alarm(
    connection: &Connection,
    alarm: &Alarm,
    next_evaluation: DateTime<Utc>,
) -> Result<(), MonitoringError> {
    let key = alarm.config.metric_key();
    connection
        .prepare_cached(
            "INSERT INTO alarms (account_id, region, alarm_name, namespace, metric_name, dimensions,
                                 next_evaluation_ms, config, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (account_id, region, alarm_name) DO UPDATE SET
                 namespace = excluded.namespace, metric_name = excluded.metric_name,
                 dimensions = excluded.dimensions, next_evaluation_ms = excluded.next_evaluation_ms,
                 config = excluded.config, state = excluded.state",
        )?
        .execute(params![
            alarm.account_id,
            alarm.region,
            alarm.config.alarm_name,
            key.namespace,
            key.metric_name,
            key.dimensions_text(),
            next_evaluation.timestamp_millis(),
            to_json(&alarm.config)?,
            to_json(&alarm.state)?
        ])?;
    Ok(())
}

/// Writes an alarm's state only.
pub fn save_state(connection: &Connection, alarm: &Alarm) -> Result<(), MonitoringError> {
    connection
        .prepare_cached(
            "UPDATE alarms SET state = ?4 WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3",
        )?
        .execute(params![
            alarm.account_id,
            alarm.region,
            alarm.config.alarm_name,
            to_json(&alarm.state)?
        ])?;
    Ok(())
}

/// Sets when the tick next evaluates an alarm.
pub fn set_next_evaluation(
    connection: &Connection,
    alarm: &Alarm,
    at: DateTime<Utc>,
) -> Result<(), rusqlite::Error> {
    connection
        .prepare_cached(
            "UPDATE alarms SET next_evaluation_ms = ?4
             WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3",
        )?
        .execute(params![
            alarm.account_id,
            alarm.region,
            alarm.config.alarm_name,
            at.timestamp_millis()
        ])?;
    Ok(())
}

/// Deletes an alarm; whether it existed.
pub fn delete_alarm(
    connection: &Connection,
    account_id: &str,
    region: &str,
    name: &str,
) -> Result<bool, rusqlite::Error> {
    let deleted = connection.execute(
        "DELETE FROM alarms WHERE account_id = ?1 AND region = ?2 AND alarm_name = ?3",
        params![account_id, region, name],
    )?;
    Ok(deleted > 0)
}

/// Appends a history item.
pub fn add_history(
    connection: &Connection,
    alarm: &Alarm,
    at: DateTime<Utc>,
    item_type: &str,
    summary: &str,
    data: &str,
) -> Result<(), rusqlite::Error> {
    connection
        .prepare_cached(
            "INSERT INTO alarm_history (account_id, region, alarm_name, timestamp_ms, item_type, summary, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            alarm.account_id,
            alarm.region,
            alarm.config.alarm_name,
            at.timestamp_millis(),
            item_type,
            summary,
            data
        ])?;
    Ok(())
}

/// History items of an account and region, at most `limit`.
pub fn history(
    connection: &Connection,
    account_id: &str,
    region: &str,
    filter: &HistoryFilter<'_>,
    limit: usize,
) -> Result<Vec<HistoryItem>, rusqlite::Error> {
    let order = if filter.ascending { "ASC" } else { "DESC" };
    let cursor = if filter.ascending {
        "id > ?7"
    } else {
        "id < ?7"
    };
    let mut statement = connection.prepare_cached(&format!(
        "SELECT id, alarm_name, timestamp_ms, item_type, summary, data FROM alarm_history
         WHERE account_id = ?1 AND region = ?2
           AND (?3 IS NULL OR alarm_name = ?3) AND (?4 IS NULL OR item_type = ?4)
           AND (?5 IS NULL OR timestamp_ms >= ?5) AND (?6 IS NULL OR timestamp_ms <= ?6)
           AND (?7 IS NULL OR {cursor})
         ORDER BY id {order} LIMIT ?8"
    ))?;
    let rows = statement.query_map(
        params![
            account_id,
            region,
            filter.alarm_name,
            filter.item_type,
            filter.start.map(|t| t.timestamp_millis()),
            filter.end.map(|t| t.timestamp_millis()),
            filter.after_id,
            limit as i64
        ],
        |row| {
            Ok(HistoryItem {
                id: row.get(0)?,
                alarm_name: row.get(1)?,
                timestamp: DateTime::from_timestamp_millis(row.get(2)?).unwrap_or_default(),
                item_type: row.get(3)?,
                summary: row.get(4)?,
                data: row.get(5)?,
            })
        },
    )?;
    rows.collect()
}

/// Deletes samples and idle metrics older than `datapoints_before`, and history older than
/// `history_before`.
pub fn prune(
    connection: &Connection,
    datapoints_before: DateTime<Utc>,
    history_before: DateTime<Utc>,
) -> Result<(), rusqlite::Error> {
    let cutoff = datapoints_before.timestamp();
    let ids: Vec<i64> = connection
        .prepare("SELECT id FROM metrics")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        connection.execute(
            "DELETE FROM samples WHERE metric_id = ?1 AND second < ?2",
            params![id, cutoff],
        )?;
        connection.execute(
            "DELETE FROM statistic_sets WHERE metric_id = ?1 AND second < ?2",
            params![id, cutoff],
        )?;
    }
    connection.execute(
        "DELETE FROM metrics WHERE last_put_ms < ?1",
        params![datapoints_before.timestamp_millis()],
    )?;
    connection.execute(
        "DELETE FROM alarm_history WHERE timestamp_ms < ?1",
        params![history_before.timestamp_millis()],
    )?;
    Ok(())
}
