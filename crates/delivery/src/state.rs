//! The delivery state database (`delivery.sqlite`, schema version 1): per trail, how far it has
//! read the event log, up to which entry each region's files are sealed, the sealed objects not yet
//! confirmed stored, pending notifications, and the digest chains with their window contents.
//!
//! Every state change that must survive a crash is one transaction, committed before the effect it
//! enables: a log file is sealed (its gzipped body, key and covered entries recorded) before its
//! PUT, so a crash after the PUT replays the same key and finds it stored; a digest is sealed
//! (body, signature, chain advanced) before its PUT for the same reason. This module only stores;
//! it decides nothing about trails, routing or timing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeZone, Utc};
use opentrail_eventlog::Seq;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::{DeliveryError, Result};

/// The file name of the state database inside the state directory.
pub const STATE_FILE_NAME: &str = "delivery.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS trails (
    trail_key TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    chain_epoch INTEGER
);
CREATE TABLE IF NOT EXISTS regions (
    trail_key TEXT NOT NULL,
    region TEXT NOT NULL,
    sealed_below INTEGER NOT NULL,
    PRIMARY KEY (trail_key, region)
);
CREATE TABLE IF NOT EXISTS pending_objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trail_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    region TEXT NOT NULL,
    bucket TEXT NOT NULL,
    object_key TEXT NOT NULL,
    body BLOB NOT NULL,
    content_type TEXT NOT NULL,
    metadata TEXT NOT NULL,
    sealed_at INTEGER NOT NULL,
    first_failure INTEGER
);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trail_key TEXT NOT NULL,
    bucket TEXT NOT NULL,
    object_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS digest_chains (
    trail_key TEXT NOT NULL,
    region TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    last_end INTEGER,
    prev_bucket TEXT,
    prev_key TEXT,
    prev_hash TEXT,
    prev_signature TEXT,
    PRIMARY KEY (trail_key, region)
);
CREATE TABLE IF NOT EXISTS digest_entries (
    trail_key TEXT NOT NULL,
    region TEXT NOT NULL,
    delivered_at INTEGER NOT NULL,
    bucket TEXT NOT NULL,
    object_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    oldest INTEGER NOT NULL,
    newest INTEGER NOT NULL
);
PRAGMA user_version = 1;
";

/// Which kind of object a pending put is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A log file.
    LogFile,
    /// A digest file.
    Digest,
}

impl ObjectKind {
    fn as_str(self) -> &'static str {
        match self {
            ObjectKind::LogFile => "log",
            ObjectKind::Digest => "digest",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "log" => Ok(ObjectKind::LogFile),
            "digest" => Ok(ObjectKind::Digest),
            other => Err(DeliveryError::CorruptState(format!(
                "unknown object kind '{other}'"
            ))),
        }
    }
}

/// A sealed object waiting for its PUT to be confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingObject {
    /// Row id (pending objects are stored in this order).
    pub id: i64,
    /// Log file or digest.
    pub kind: ObjectKind,
    /// The region in its key.
    pub region: String,
    /// Destination bucket.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// The gzipped body.
    pub body: Vec<u8>,
    /// Content type.
    pub content_type: String,
    /// User metadata.
    pub metadata: Vec<(String, String)>,
    /// When it was sealed (its delivery time).
    pub sealed_at: DateTime<Utc>,
    /// When its first PUT failed, if one did.
    pub first_failure: Option<DateTime<Utc>>,
}

/// The previous digest of a chain, as the next digest links it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousDigest {
    /// Its bucket.
    pub bucket: String,
    /// Its key.
    pub key: String,
    /// SHA-256 hex of its uncompressed bytes.
    pub hash: String,
    /// Its signature hex.
    pub signature: String,
}

/// One (trail, source region) digest chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestChain {
    /// The source region.
    pub region: String,
    /// Start of the open window.
    pub window_start: DateTime<Utc>,
    /// End of the last digest written for this region (digest keys must never repeat).
    pub last_end: Option<DateTime<Utc>>,
    /// The previous digest; `None` means the next one is a starting digest.
    pub previous: Option<PreviousDigest>,
}

/// One delivered log file waiting to be listed in a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestEntry {
    /// Bucket of the log file.
    pub bucket: String,
    /// Key of the log file.
    pub key: String,
    /// SHA-256 hex of its uncompressed body.
    pub sha256: String,
    /// Oldest event time inside.
    pub oldest: DateTime<Utc>,
    /// Newest event time inside.
    pub newest: DateTime<Utc>,
}

/// What sealing one log file records.
#[derive(Debug)]
pub struct LogFileSeal<'a> {
    /// The object to put.
    pub object: NewObject<'a>,
    /// Every entry below this Seq that routes to the file's region is in a sealed file.
    pub sealed_below: Seq,
    /// The trail's resume position after this seal.
    pub position: Seq,
    /// The digest entry, when the trail's digest chain is running.
    pub digest_entry: Option<DigestEntry>,
}

/// An object about to be sealed.
#[derive(Debug)]
pub struct NewObject<'a> {
    /// Log file or digest.
    pub kind: ObjectKind,
    /// The region in its key.
    pub region: &'a str,
    /// Destination bucket.
    pub bucket: &'a str,
    /// Object key.
    pub key: &'a str,
    /// Gzipped body.
    pub body: &'a [u8],
    /// Content type.
    pub content_type: &'a str,
    /// User metadata.
    pub metadata: &'a [(String, String)],
    /// Delivery time.
    pub sealed_at: DateTime<Utc>,
}

/// What a trail resumes from after a restart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailResume {
    /// The saved resume position, if the trail was seen before.
    pub position: Option<Seq>,
    /// Per region: entries below this Seq are already in sealed files.
    pub sealed_below: BTreeMap<String, Seq>,
}

/// The state database. Blocking; callers use it from blocking threads.
#[derive(Debug)]
pub struct StateDb {
    path: PathBuf,
    connection: Mutex<Connection>,
}

fn ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn from_ms(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn seq_from(value: i64) -> Seq {
    Seq(u64::try_from(value).unwrap_or(0))
}

fn seq_to(seq: Seq) -> i64 {
    i64::try_from(seq.0).unwrap_or(i64::MAX)
}

impl StateDb {
    /// Opens (creating if needed) `delivery.sqlite` in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| DeliveryError::StateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(STATE_FILE_NAME);
        let fail = |error| DeliveryError::state(&path, error);
        let connection = Connection::open(&path).map_err(fail)?;
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(fail)?;
        connection.execute_batch(SCHEMA).map_err(fail)?;
        Ok(StateDb {
            path,
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fail(&self, error: rusqlite::Error) -> DeliveryError {
        DeliveryError::state(&self.path, error)
    }

    /// Runs `work` in one transaction, committed when it returns `Ok`.
    fn transaction<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.fail(e))?;
        let value = work(&transaction).map_err(|e| self.fail(e))?;
        transaction.commit().map_err(|e| self.fail(e))?;
        Ok(value)
    }

    /// Every trail key with saved state.
    pub fn trail_keys(&self) -> Result<Vec<String>> {
        self.transaction(|tx| {
            let mut statement = tx.prepare("SELECT trail_key FROM trails")?;
            let keys = statement.query_map([], |row| row.get(0))?;
            keys.collect()
        })
    }

    /// Forgets everything about a trail (it was deleted).
    pub fn delete_trail(&self, trail: &str) -> Result<()> {
        self.transaction(|tx| {
            for table in [
                "trails",
                "regions",
                "pending_objects",
                "notifications",
                "digest_chains",
                "digest_entries",
            ] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE trail_key = ?1"),
                    [trail],
                )?;
            }
            Ok(())
        })
    }

    /// Registers a trail at `position` unless known; returns where it resumes.
    pub fn resume_trail(&self, trail: &str, position: Seq) -> Result<TrailResume> {
        self.transaction(|tx| {
            let saved: Option<i64> = tx
                .query_row(
                    "SELECT position FROM trails WHERE trail_key = ?1",
                    [trail],
                    |row| row.get(0),
                )
                .optional()?;
            if saved.is_none() {
                tx.execute(
                    "INSERT INTO trails (trail_key, position) VALUES (?1, ?2)",
                    params![trail, seq_to(position)],
                )?;
            }
            let mut statement =
                tx.prepare("SELECT region, sealed_below FROM regions WHERE trail_key = ?1")?;
            let regions = statement
                .query_map([trail], |row| {
                    Ok((row.get::<_, String>(0)?, seq_from(row.get(1)?)))
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(TrailResume {
                position: saved.map(seq_from),
                sealed_below: regions,
            })
        })
    }

    /// Seals a log file: the object, the region's sealed-below mark, the trail's position, and
    /// the digest entry, all in one transaction.
    pub fn seal_log_file(&self, trail: &str, seal: &LogFileSeal<'_>) -> Result<i64> {
        self.transaction(|tx| {
            let id = insert_object(tx, trail, &seal.object)?;
            tx.execute(
                "INSERT INTO regions (trail_key, region, sealed_below) VALUES (?1, ?2, ?3)
                 ON CONFLICT (trail_key, region) DO UPDATE SET sealed_below = excluded.sealed_below",
                params![trail, seal.object.region, seq_to(seal.sealed_below)],
            )?;
            tx.execute(
                "UPDATE trails SET position = ?2 WHERE trail_key = ?1",
                params![trail, seq_to(seal.position)],
            )?;
            if let Some(entry) = &seal.digest_entry {
                insert_digest_entry(tx, trail, seal.object.region, seal.object.sealed_at, entry)?;
            }
            Ok(id)
        })
    }

    /// The oldest pending object of a trail.
    pub fn first_pending(&self, trail: &str) -> Result<Option<PendingObject>> {
        self.transaction(|tx| {
            tx.query_row(
                "SELECT id, kind, region, bucket, object_key, body, content_type, metadata,
                        sealed_at, first_failure
                 FROM pending_objects WHERE trail_key = ?1 ORDER BY id LIMIT 1",
                [trail],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        PendingObject {
                            id: row.get(0)?,
                            kind: ObjectKind::LogFile,
                            region: row.get(2)?,
                            bucket: row.get(3)?,
                            key: row.get(4)?,
                            body: row.get(5)?,
                            content_type: row.get(6)?,
                            metadata: Vec::new(),
                            sealed_at: from_ms(row.get(8)?),
                            first_failure: row.get::<_, Option<i64>>(9)?.map(from_ms),
                        },
                        row.get::<_, String>(7)?,
                    ))
                },
            )
            .optional()
        })?
        .map(|(_, kind, mut object, metadata)| {
            object.kind = ObjectKind::parse(&kind)?;
            object.metadata = serde_json::from_str(&metadata).map_err(|error| {
                DeliveryError::CorruptState(format!("metadata '{metadata}': {error}"))
            })?;
            Ok(object)
        })
        .transpose()
    }

    /// The object is stored (or given up): forget it, and queue a notification when asked.
    pub fn confirm_stored(&self, trail: &str, id: i64, notify: Option<(&str, &str)>) -> Result<()> {
        self.transaction(|tx| {
            tx.execute("DELETE FROM pending_objects WHERE id = ?1", [id])?;
            if let Some((bucket, key)) = notify {
                tx.execute(
                    "INSERT INTO notifications (trail_key, bucket, object_key) VALUES (?1, ?2, ?3)",
                    params![trail, bucket, key],
                )?;
            }
            Ok(())
        })
    }

    /// Remembers when an object's PUT first failed.
    pub fn note_failure(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        self.transaction(|tx| {
            tx.execute(
                "UPDATE pending_objects SET first_failure = ?2
                 WHERE id = ?1 AND first_failure IS NULL",
                params![id, ms(at)],
            )
            .map(drop)
        })
    }

    /// Up to `limit` queued notifications of a trail, oldest first: (id, bucket, key).
    pub fn notifications(&self, trail: &str, limit: usize) -> Result<Vec<(i64, String, String)>> {
        self.transaction(|tx| {
            let mut statement = tx.prepare(
                "SELECT id, bucket, object_key FROM notifications WHERE trail_key = ?1
                 ORDER BY id LIMIT ?2",
            )?;
            let rows = statement.query_map(params![trail, limit as i64], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            rows.collect()
        })
    }

    /// Forgets sent (or dropped) notifications.
    pub fn delete_notifications(&self, ids: &[i64]) -> Result<()> {
        self.transaction(|tx| {
            for id in ids {
                tx.execute("DELETE FROM notifications WHERE id = ?1", [id])?;
            }
            Ok(())
        })
    }

    /// The StartLogging time (ms) the trail's running digest chains began with, if any run.
    pub fn chain_epoch(&self, trail: &str) -> Result<Option<i64>> {
        self.transaction(|tx| {
            tx.query_row(
                "SELECT chain_epoch FROM trails WHERE trail_key = ?1",
                [trail],
                |row| row.get(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// Starts new digest chains (a starting digest comes next) for `region` at `now`, dropping the
    /// old chains but keeping each region's last digest end so keys never repeat.
    pub fn start_chains(
        &self,
        trail: &str,
        epoch: i64,
        region: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.transaction(|tx| {
            tx.execute(
                "UPDATE trails SET chain_epoch = ?2 WHERE trail_key = ?1",
                params![trail, epoch],
            )?;
            tx.execute("DELETE FROM digest_entries WHERE trail_key = ?1", [trail])?;
            tx.execute(
                "UPDATE digest_chains SET window_start = -1, prev_bucket = NULL, prev_key = NULL,
                    prev_hash = NULL, prev_signature = NULL
                 WHERE trail_key = ?1",
                [trail],
            )?;
            ensure_chain(tx, trail, region, now)
        })
    }

    /// Stops the trail's digest chains (StopLogging or validation turned off).
    pub fn end_chains(&self, trail: &str) -> Result<()> {
        self.transaction(|tx| {
            tx.execute(
                "UPDATE trails SET chain_epoch = NULL WHERE trail_key = ?1",
                [trail],
            )?;
            tx.execute("DELETE FROM digest_entries WHERE trail_key = ?1", [trail])?;
            tx.execute(
                "UPDATE digest_chains SET window_start = -1, prev_bucket = NULL, prev_key = NULL,
                    prev_hash = NULL, prev_signature = NULL
                 WHERE trail_key = ?1",
                [trail],
            )
            .map(drop)
        })
    }

    /// The running chains of a trail (regions with a dormant chain are left out).
    pub fn chains(&self, trail: &str) -> Result<Vec<DigestChain>> {
        self.transaction(|tx| {
            let mut statement = tx.prepare(
                "SELECT region, window_start, last_end, prev_bucket, prev_key, prev_hash,
                        prev_signature
                 FROM digest_chains WHERE trail_key = ?1 AND window_start >= 0 ORDER BY region",
            )?;
            let rows = statement.query_map([trail], chain_from_row)?;
            rows.collect()
        })
    }

    /// The log files delivered before `end` in a chain's window.
    pub fn entries_before(
        &self,
        trail: &str,
        region: &str,
        end: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>> {
        self.transaction(|tx| {
            let mut statement = tx.prepare(
                "SELECT bucket, object_key, sha256, oldest, newest FROM digest_entries
                 WHERE trail_key = ?1 AND region = ?2 AND delivered_at < ?3 ORDER BY rowid",
            )?;
            let rows = statement.query_map(params![trail, region, ms(end)], |row| {
                Ok(DigestEntry {
                    bucket: row.get(0)?,
                    key: row.get(1)?,
                    sha256: row.get(2)?,
                    oldest: from_ms(row.get(3)?),
                    newest: from_ms(row.get(4)?),
                })
            })?;
            rows.collect()
        })
    }

    /// Seals a digest: stores the object, links the chain to it, opens the next window at its
    /// end and drops the entries it listed.
    pub fn seal_digest(
        &self,
        trail: &str,
        object: &NewObject<'_>,
        end: DateTime<Utc>,
        digest: &PreviousDigest,
    ) -> Result<i64> {
        self.transaction(|tx| {
            let id = insert_object(tx, trail, object)?;
            tx.execute(
                "UPDATE digest_chains SET window_start = ?3, last_end = ?3, prev_bucket = ?4,
                    prev_key = ?5, prev_hash = ?6, prev_signature = ?7
                 WHERE trail_key = ?1 AND region = ?2",
                params![
                    trail,
                    object.region,
                    ms(end),
                    digest.bucket,
                    digest.key,
                    digest.hash,
                    digest.signature
                ],
            )?;
            tx.execute(
                "DELETE FROM digest_entries WHERE trail_key = ?1 AND region = ?2 AND delivered_at < ?3",
                params![trail, object.region, ms(end)],
            )?;
            Ok(id)
        })
    }
}

fn chain_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DigestChain> {
    let previous = match (
        row.get::<_, Option<String>>(3)?,
        row.get::<_, Option<String>>(4)?,
        row.get::<_, Option<String>>(5)?,
        row.get::<_, Option<String>>(6)?,
    ) {
        (Some(bucket), Some(key), Some(hash), Some(signature)) => Some(PreviousDigest {
            bucket,
            key,
            hash,
            signature,
        }),
        _ => None,
    };
    Ok(DigestChain {
        region: row.get(0)?,
        window_start: from_ms(row.get(1)?),
        last_end: row.get::<_, Option<i64>>(2)?.map(from_ms),
        previous,
    })
}

fn insert_object(
    tx: &Transaction<'_>,
    trail: &str,
    object: &NewObject<'_>,
) -> rusqlite::Result<i64> {
    let metadata = serde_json::to_string(object.metadata).expect("string pairs serialise");
    tx.execute(
        "INSERT INTO pending_objects (trail_key, kind, region, bucket, object_key, body,
            content_type, metadata, sealed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            trail,
            object.kind.as_str(),
            object.region,
            object.bucket,
            object.key,
            object.body,
            object.content_type,
            metadata,
            ms(object.sealed_at)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Makes sure a running chain exists for the region (a new region of a multi-Region trail starts
/// its own chain with a starting digest).
fn ensure_chain(
    tx: &Transaction<'_>,
    trail: &str,
    region: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO digest_chains (trail_key, region, window_start) VALUES (?1, ?2, ?3)
         ON CONFLICT (trail_key, region) DO UPDATE SET window_start = excluded.window_start
         WHERE digest_chains.window_start < 0",
        params![trail, region, ms(now)],
    )
    .map(drop)
}

fn insert_digest_entry(
    tx: &Transaction<'_>,
    trail: &str,
    region: &str,
    delivered_at: DateTime<Utc>,
    entry: &DigestEntry,
) -> rusqlite::Result<()> {
    ensure_chain(tx, trail, region, delivered_at)?;
    tx.execute(
        "INSERT INTO digest_entries (trail_key, region, delivered_at, bucket, object_key, sha256,
            oldest, newest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            trail,
            region,
            ms(delivered_at),
            entry.bucket,
            entry.key,
            entry.sha256,
            ms(entry.oldest),
            ms(entry.newest)
        ],
    )
    .map(drop)
}
