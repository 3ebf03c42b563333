//! SQLite persistence of trails, their tags and their status, with a versioned schema.
//!
//! The schema is a list of migrations applied in order inside transactions and recorded in
//! `schema_migrations`; a database written by a newer binary is refused rather than guessed at.
//! Selectors are stored as the JSON text `TrailSelectors::to_json()` produces and parsed back
//! through the selectors crate, so there is one definition of their format. This module knows
//! rows and columns only: no AWS rule is checked here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use opentrail_selectors::{InsightSelector, TrailSelectors, parse_put_event_selectors};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

use crate::error::ControlError;
use crate::model::{DeliveryKind, TrailRecord, TrailStatusRecord};
use crate::names::{TrailArn, TrailName, partition_for_region};
use crate::validate::Tag;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`. Append only; never edit a shipped entry.
const MIGRATIONS: &[&str] = &[
    // 1: trails, their tags and their logging/delivery status.
    "CREATE TABLE trails (
        account_id TEXT NOT NULL,
        home_region TEXT NOT NULL,
        name TEXT NOT NULL,
        s3_bucket_name TEXT NOT NULL,
        s3_key_prefix TEXT,
        sns_topic_arn TEXT,
        include_global_service_events INTEGER NOT NULL,
        is_multi_region_trail INTEGER NOT NULL,
        log_file_validation_enabled INTEGER NOT NULL,
        cloudwatch_logs_log_group_arn TEXT,
        cloudwatch_logs_role_arn TEXT,
        kms_key_id TEXT,
        is_organization_trail INTEGER NOT NULL,
        recursive_logging INTEGER NOT NULL,
        event_selectors TEXT NOT NULL,
        insight_selectors TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, home_region, name)
    );
    CREATE TABLE trail_tags (
        account_id TEXT NOT NULL,
        home_region TEXT NOT NULL,
        name TEXT NOT NULL,
        tag_key TEXT NOT NULL,
        tag_value TEXT,
        PRIMARY KEY (account_id, home_region, name, tag_key),
        FOREIGN KEY (account_id, home_region, name) REFERENCES trails ON DELETE CASCADE
    );
    CREATE TABLE trail_status (
        account_id TEXT NOT NULL,
        home_region TEXT NOT NULL,
        name TEXT NOT NULL,
        is_logging INTEGER NOT NULL DEFAULT 0,
        start_logging_time_ms INTEGER,
        stop_logging_time_ms INTEGER,
        latest_delivery_time_ms INTEGER,
        latest_delivery_attempt_time_ms INTEGER,
        latest_delivery_error TEXT,
        latest_notification_time_ms INTEGER,
        latest_notification_attempt_time_ms INTEGER,
        latest_notification_error TEXT,
        latest_cloudwatch_logs_delivery_time_ms INTEGER,
        latest_cloudwatch_logs_delivery_error TEXT,
        latest_digest_delivery_time_ms INTEGER,
        latest_digest_delivery_error TEXT,
        PRIMARY KEY (account_id, home_region, name),
        FOREIGN KEY (account_id, home_region, name) REFERENCES trails ON DELETE CASCADE
    );",
];

const TRAIL_COLUMNS: &str =
    "account_id, home_region, name, s3_bucket_name, s3_key_prefix, sns_topic_arn,
    include_global_service_events, is_multi_region_trail, log_file_validation_enabled,
    cloudwatch_logs_log_group_arn, cloudwatch_logs_role_arn, kms_key_id, is_organization_trail,
    recursive_logging, event_selectors, insight_selectors, created_at_ms";

const KEY_MATCH: &str = "account_id = ?1 AND home_region = ?2 AND name = ?3";

/// The control-plane database.
#[derive(Debug)]
pub struct Store {
    connection: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, ControlError> {
        let open_error = |source| ControlError::Open {
            path: path.to_path_buf(),
            source,
        };
        let connection = Connection::open(path).map_err(open_error)?;
        configure(&connection).map_err(open_error)?;
        let mut store = Store { connection };
        store.migrate(path)?;
        Ok(store)
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<i64, ControlError> {
        let version = self.connection.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        Ok(version)
    }

    fn migrate(&mut self, path: &Path) -> Result<(), ControlError> {
        self.connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL);",
        )?;
        let found = self.schema_version()?;
        let supported = MIGRATIONS.len() as i64;
        if found > supported {
            return Err(ControlError::SchemaTooNew {
                path: PathBuf::from(path),
                found,
                supported,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let transaction = self.connection.transaction()?;
            transaction.execute_batch(sql)?;
            transaction.execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)",
                params![index as i64 + 1, Utc::now().timestamp_millis()],
            )?;
            transaction.commit()?;
        }
        Ok(())
    }

    /// Every trail of one account, oldest first.
    pub fn account_trails(&self, account_id: &str) -> Result<Vec<TrailRecord>, ControlError> {
        let sql = format!(
            "SELECT {TRAIL_COLUMNS} FROM trails WHERE account_id = ?1 ORDER BY created_at_ms, rowid"
        );
        self.query_trails(&sql, params![account_id])
    }

    /// Every trail of every account, oldest first.
    pub fn all_trails(&self) -> Result<Vec<TrailRecord>, ControlError> {
        let sql = format!("SELECT {TRAIL_COLUMNS} FROM trails ORDER BY created_at_ms, rowid");
        self.query_trails(&sql, [])
    }

    fn query_trails(
        &self,
        sql: &str,
        parameters: impl rusqlite::Params,
    ) -> Result<Vec<TrailRecord>, ControlError> {
        let mut statement = self.connection.prepare(sql)?;
        let rows = statement.query_map(parameters, StoredTrail::from_row)?;
        rows.map(|row| row?.into_record()).collect()
    }

    /// Inserts a new trail, its empty status row and its initial tags, atomically.
    pub fn insert_trail(&mut self, trail: &TrailRecord, tags: &[Tag]) -> Result<(), ControlError> {
        let transaction = self.connection.transaction()?;
        let sql = format!(
            "INSERT INTO trails ({TRAIL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        );
        let stored = StoredTrail::from_record(trail);
        transaction.execute(
            &sql,
            params![
                stored.account_id,
                stored.home_region,
                stored.name,
                stored.s3_bucket_name,
                stored.s3_key_prefix,
                stored.sns_topic_arn,
                stored.include_global_service_events,
                stored.is_multi_region_trail,
                stored.log_file_validation_enabled,
                stored.cloudwatch_logs_log_group_arn,
                stored.cloudwatch_logs_role_arn,
                stored.kms_key_id,
                stored.is_organization_trail,
                stored.recursive_logging,
                stored.event_selectors,
                stored.insight_selectors,
                stored.created_at_ms,
            ],
        )?;
        transaction.execute(
            "INSERT INTO trail_status (account_id, home_region, name) VALUES (?1, ?2, ?3)",
            key_params(&trail.arn),
        )?;
        upsert_tags(&transaction, &trail.arn, tags)?;
        transaction.commit()?;
        Ok(())
    }

    /// Rewrites every setting of an existing trail.
    pub fn update_trail(&self, trail: &TrailRecord) -> Result<(), ControlError> {
        let stored = StoredTrail::from_record(trail);
        let sql = format!(
            "UPDATE trails SET s3_bucket_name = ?4, s3_key_prefix = ?5, sns_topic_arn = ?6,
                include_global_service_events = ?7, is_multi_region_trail = ?8, log_file_validation_enabled = ?9,
                cloudwatch_logs_log_group_arn = ?10, cloudwatch_logs_role_arn = ?11, kms_key_id = ?12,
                is_organization_trail = ?13, recursive_logging = ?14, event_selectors = ?15, insight_selectors = ?16
             WHERE {KEY_MATCH}"
        );
        self.connection.execute(
            &sql,
            params![
                stored.account_id,
                stored.home_region,
                stored.name,
                stored.s3_bucket_name,
                stored.s3_key_prefix,
                stored.sns_topic_arn,
                stored.include_global_service_events,
                stored.is_multi_region_trail,
                stored.log_file_validation_enabled,
                stored.cloudwatch_logs_log_group_arn,
                stored.cloudwatch_logs_role_arn,
                stored.kms_key_id,
                stored.is_organization_trail,
                stored.recursive_logging,
                stored.event_selectors,
                stored.insight_selectors,
            ],
        )?;
        Ok(())
    }

    /// Deletes a trail with its tags and status.
    pub fn delete_trail(&self, arn: &TrailArn) -> Result<(), ControlError> {
        self.connection.execute(
            &format!("DELETE FROM trails WHERE {KEY_MATCH}"),
            key_params(arn),
        )?;
        Ok(())
    }

    /// The status row of a trail (the default when the trail has none).
    pub fn status(&self, arn: &TrailArn) -> Result<TrailStatusRecord, ControlError> {
        let sql = format!(
            "SELECT is_logging, start_logging_time_ms, stop_logging_time_ms, latest_delivery_time_ms,
                latest_delivery_attempt_time_ms, latest_delivery_error, latest_notification_time_ms,
                latest_notification_attempt_time_ms, latest_notification_error,
                latest_cloudwatch_logs_delivery_time_ms, latest_cloudwatch_logs_delivery_error,
                latest_digest_delivery_time_ms, latest_digest_delivery_error
             FROM trail_status WHERE {KEY_MATCH}"
        );
        let status = self
            .connection
            .query_row(&sql, key_params(arn), status_from_row)
            .optional()?;
        Ok(status.unwrap_or_default())
    }

    /// Turns logging on or off; the start/stop time changes only when the state does.
    /// Returns whether the state changed.
    pub fn set_logging(
        &self,
        arn: &TrailArn,
        logging: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, ControlError> {
        let time_column = if logging {
            "start_logging_time_ms"
        } else {
            "stop_logging_time_ms"
        };
        let sql = format!(
            "UPDATE trail_status SET is_logging = ?4, {time_column} = ?5 WHERE {KEY_MATCH} AND is_logging <> ?4"
        );
        let (account, region, name) = key_params(arn);
        let changed = self.connection.execute(
            &sql,
            params![account, region, name, logging, now.timestamp_millis()],
        )?;
        Ok(changed > 0)
    }

    /// Records one delivery outcome; returns false when the trail no longer exists.
    pub fn record_delivery(
        &self,
        arn: &TrailArn,
        kind: DeliveryKind,
        at: DateTime<Utc>,
        outcome: Result<(), &str>,
    ) -> Result<bool, ControlError> {
        let (success_column, attempt_column, error_column) = delivery_columns(kind);
        let attempt = attempt_column
            .map(|c| format!(", {c} = ?4"))
            .unwrap_or_default();
        let sql = match outcome {
            Ok(()) => format!(
                "UPDATE trail_status SET {success_column} = ?4{attempt}, {error_column} = NULL WHERE {KEY_MATCH}"
            ),
            Err(_) => {
                format!("UPDATE trail_status SET {error_column} = ?5{attempt} WHERE {KEY_MATCH}")
            }
        };
        let (account, region, name) = key_params(arn);
        let at_ms = at.timestamp_millis();
        let changed = match outcome {
            Ok(()) => self
                .connection
                .execute(&sql, params![account, region, name, at_ms])?,
            Err(error) => self
                .connection
                .execute(&sql, params![account, region, name, at_ms, error])?,
        };
        Ok(changed > 0)
    }

    /// The tags of a trail in the order they were first added.
    pub fn tags(&self, arn: &TrailArn) -> Result<Vec<Tag>, ControlError> {
        let sql =
            format!("SELECT tag_key, tag_value FROM trail_tags WHERE {KEY_MATCH} ORDER BY rowid");
        let mut statement = self.connection.prepare(&sql)?;
        let rows = statement.query_map(key_params(arn), |row| {
            Ok(Tag {
                key: row.get(0)?,
                value: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds tags, overwriting the value of keys that exist.
    pub fn put_tags(&mut self, arn: &TrailArn, tags: &[Tag]) -> Result<(), ControlError> {
        let transaction = self.connection.transaction()?;
        upsert_tags(&transaction, arn, tags)?;
        transaction.commit()?;
        Ok(())
    }

    /// Removes the tags with these keys (keys that are absent are ignored).
    pub fn remove_tags(&mut self, arn: &TrailArn, keys: &[&str]) -> Result<(), ControlError> {
        let transaction = self.connection.transaction()?;
        let sql = format!("DELETE FROM trail_tags WHERE {KEY_MATCH} AND tag_key = ?4");
        let (account, region, name) = key_params(arn);
        for key in keys {
            transaction.execute(&sql, params![account, region, name, key])?;
        }
        transaction.commit()?;
        Ok(())
    }
}

fn configure(connection: &Connection) -> Result<(), rusqlite::Error> {
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn key_params(arn: &TrailArn) -> (&str, &str, &str) {
    (&arn.account_id, &arn.home_region, arn.name.as_str())
}

fn upsert_tags(
    transaction: &rusqlite::Transaction<'_>,
    arn: &TrailArn,
    tags: &[Tag],
) -> Result<(), ControlError> {
    let sql = "INSERT INTO trail_tags (account_id, home_region, name, tag_key, tag_value) VALUES (?1, ?2, ?3, ?4, ?5)
               ON CONFLICT (account_id, home_region, name, tag_key) DO UPDATE SET tag_value = excluded.tag_value";
    let (account, region, name) = key_params(arn);
    for tag in tags {
        transaction.execute(sql, params![account, region, name, tag.key, tag.value])?;
    }
    Ok(())
}

/// (time of the last success, time of the last attempt if tracked, last error) columns.
fn delivery_columns(kind: DeliveryKind) -> (&'static str, Option<&'static str>, &'static str) {
    match kind {
        DeliveryKind::LogFile => (
            "latest_delivery_time_ms",
            Some("latest_delivery_attempt_time_ms"),
            "latest_delivery_error",
        ),
        DeliveryKind::Notification => (
            "latest_notification_time_ms",
            Some("latest_notification_attempt_time_ms"),
            "latest_notification_error",
        ),
        DeliveryKind::Digest => (
            "latest_digest_delivery_time_ms",
            None,
            "latest_digest_delivery_error",
        ),
        DeliveryKind::CloudWatchLogs => (
            "latest_cloudwatch_logs_delivery_time_ms",
            None,
            "latest_cloudwatch_logs_delivery_error",
        ),
    }
}

fn time_from_ms(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::from_timestamp_millis)
}

fn status_from_row(row: &Row<'_>) -> rusqlite::Result<TrailStatusRecord> {
    let time = |index: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(time_from_ms(row.get(index)?))
    };
    Ok(TrailStatusRecord {
        is_logging: row.get(0)?,
        start_logging_time: time(1)?,
        stop_logging_time: time(2)?,
        latest_delivery_time: time(3)?,
        latest_delivery_attempt_time: time(4)?,
        latest_delivery_error: row.get(5)?,
        latest_notification_time: time(6)?,
        latest_notification_attempt_time: time(7)?,
        latest_notification_error: row.get(8)?,
        latest_cloudwatch_logs_delivery_time: time(9)?,
        latest_cloudwatch_logs_delivery_error: row.get(10)?,
        latest_digest_delivery_time: time(11)?,
        latest_digest_delivery_error: row.get(12)?,
    })
}

/// One `trails` row exactly as stored; the conversion to and from [`TrailRecord`] is the one
/// place that knows the column encodings.
struct StoredTrail {
    account_id: String,
    home_region: String,
    name: String,
    s3_bucket_name: String,
    s3_key_prefix: Option<String>,
    sns_topic_arn: Option<String>,
    include_global_service_events: bool,
    is_multi_region_trail: bool,
    log_file_validation_enabled: bool,
    cloudwatch_logs_log_group_arn: Option<String>,
    cloudwatch_logs_role_arn: Option<String>,
    kms_key_id: Option<String>,
    is_organization_trail: bool,
    recursive_logging: bool,
    event_selectors: String,
    insight_selectors: String,
    created_at_ms: i64,
}

impl StoredTrail {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredTrail> {
        Ok(StoredTrail {
            account_id: row.get(0)?,
            home_region: row.get(1)?,
            name: row.get(2)?,
            s3_bucket_name: row.get(3)?,
            s3_key_prefix: row.get(4)?,
            sns_topic_arn: row.get(5)?,
            include_global_service_events: row.get(6)?,
            is_multi_region_trail: row.get(7)?,
            log_file_validation_enabled: row.get(8)?,
            cloudwatch_logs_log_group_arn: row.get(9)?,
            cloudwatch_logs_role_arn: row.get(10)?,
            kms_key_id: row.get(11)?,
            is_organization_trail: row.get(12)?,
            recursive_logging: row.get(13)?,
            event_selectors: row.get(14)?,
            insight_selectors: row.get(15)?,
            created_at_ms: row.get(16)?,
        })
    }

    fn from_record(trail: &TrailRecord) -> StoredTrail {
        StoredTrail {
            account_id: trail.arn.account_id.clone(),
            home_region: trail.arn.home_region.clone(),
            name: trail.arn.name.as_str().to_string(),
            s3_bucket_name: trail.s3_bucket_name.clone(),
            s3_key_prefix: trail.s3_key_prefix.clone(),
            sns_topic_arn: trail.sns_topic_arn.clone(),
            include_global_service_events: trail.include_global_service_events,
            is_multi_region_trail: trail.is_multi_region_trail,
            log_file_validation_enabled: trail.log_file_validation_enabled,
            cloudwatch_logs_log_group_arn: trail.cloudwatch_logs_log_group_arn.clone(),
            cloudwatch_logs_role_arn: trail.cloudwatch_logs_role_arn.clone(),
            kms_key_id: trail.kms_key_id.clone(),
            is_organization_trail: trail.is_organization_trail,
            recursive_logging: trail.recursive_logging,
            event_selectors: trail.selectors.to_json().to_string(),
            insight_selectors: serde_json::to_string(&trail.insight_selectors)
                .unwrap_or_else(|_| "[]".into()),
            created_at_ms: trail.created_at.timestamp_millis(),
        }
    }

    fn into_record(self) -> Result<TrailRecord, ControlError> {
        let arn_text = format!(
            "arn:{}:cloudtrail:{}:{}:trail/{}",
            partition_for_region(&self.home_region),
            self.home_region,
            self.account_id,
            self.name
        );
        let corrupt = |detail: String| ControlError::CorruptRow {
            arn: arn_text.clone(),
            detail,
        };
        let name = TrailName::parse(&self.name).map_err(|e| corrupt(e.message))?;
        let selectors = stored_selectors(&self.event_selectors).map_err(corrupt)?;
        let insight_selectors: Vec<InsightSelector> =
            serde_json::from_str(&self.insight_selectors).map_err(|e| corrupt(e.to_string()))?;
        let created_at = time_from_ms(Some(self.created_at_ms))
            .ok_or_else(|| corrupt("bad creation time".into()))?;
        Ok(TrailRecord {
            arn: TrailArn::new(&self.account_id, &self.home_region, name),
            s3_bucket_name: self.s3_bucket_name,
            s3_key_prefix: self.s3_key_prefix,
            sns_topic_arn: self.sns_topic_arn,
            include_global_service_events: self.include_global_service_events,
            is_multi_region_trail: self.is_multi_region_trail,
            log_file_validation_enabled: self.log_file_validation_enabled,
            cloudwatch_logs_log_group_arn: self.cloudwatch_logs_log_group_arn,
            cloudwatch_logs_role_arn: self.cloudwatch_logs_role_arn,
            kms_key_id: self.kms_key_id,
            is_organization_trail: self.is_organization_trail,
            recursive_logging: self.recursive_logging,
            selectors,
            insight_selectors,
            created_at,
        })
    }
}

/// Parses `{"EventSelectors":[..]}` / `{"AdvancedEventSelectors":[..]}` back into selectors.
fn stored_selectors(text: &str) -> Result<TrailSelectors, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    parse_put_event_selectors(
        value.get("EventSelectors"),
        value.get("AdvancedEventSelectors"),
    )
    .map_err(|e| e.to_string())
}
