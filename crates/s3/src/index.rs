//! The bucket/object index: one SQLite database (`index.db`) holding buckets, objects, multipart
//! uploads and their parts, and the persisted shape of each.
//!
//! Object bytes are not here; rows name blob files in [`crate::blobs`]. A row is written only after its
//! blob is durable, and a blob is deleted only after the row that named it is gone, so the index never
//! points at a missing file (see the ADR). Keys are stored as BLOBs so that ordering is plain byte order
//! (S3's UTF-8 binary order) and listing is a range scan. Every method is synchronous and short; callers
//! run them on a blocking thread.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::error::S3Error;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    owner_account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    policy TEXT
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    content_type TEXT,
    headers_json TEXT NOT NULL,
    metadata_json TEXT NOT NULL,
    blob TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    initiated_ms INTEGER NOT NULL,
    initiator_account_id TEXT NOT NULL,
    content_type TEXT,
    headers_json TEXT NOT NULL,
    metadata_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, initiated_ms);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    blob TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
";

/// A bucket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BucketRow {
    pub(crate) name: String,
    pub(crate) owner_account_id: String,
    pub(crate) region: String,
    pub(crate) created_ms: i64,
    pub(crate) policy: Option<String>,
}

/// Content-Type, the other standard headers and the user metadata of an object or upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ObjectAttributes {
    /// The Content-Type given at upload.
    pub(crate) content_type: Option<String>,
    /// Standard headers by lower-case name: cache-control, content-disposition, content-encoding,
    /// content-language, expires, x-amz-website-redirect-location.
    pub(crate) headers: BTreeMap<String, String>,
    /// `x-amz-meta-*` values by lower-case suffix.
    pub(crate) metadata: BTreeMap<String, String>,
}

/// An object as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectRow {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) size: u64,
    /// The ETag without quotes.
    pub(crate) etag: String,
    pub(crate) last_modified_ms: i64,
    pub(crate) attributes: ObjectAttributes,
    /// The blob file holding the bytes.
    pub(crate) blob: String,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UploadRow {
    pub(crate) upload_id: String,
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) initiated_ms: i64,
    pub(crate) initiator_account_id: String,
    pub(crate) attributes: ObjectAttributes,
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartRow {
    pub(crate) upload_id: String,
    pub(crate) part_number: i32,
    pub(crate) size: u64,
    /// The part's MD5 in hex (its ETag without quotes).
    pub(crate) etag: String,
    pub(crate) last_modified_ms: i64,
    pub(crate) blob: String,
}

/// The outcome of creating a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BucketCreate {
    Created,
    AlreadyOwnedByYou,
    AlreadyExists,
}

/// The outcome of deleting a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BucketDelete {
    /// Deleted; the blobs of abandoned multipart parts may now be removed.
    Deleted {
        orphaned_blobs: Vec<String>,
    },
    NotEmpty,
    Missing,
}

/// Whether a put may replace an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PutMode {
    Overwrite,
    IfAbsent,
}

/// The outcome of storing an object row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ObjectPut {
    /// Stored; the replaced object's blob (if any) may now be removed.
    Stored {
        replaced_blob: Option<String>,
    },
    Exists,
    NoBucket,
}

/// The outcome of storing a part row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PartPut {
    Stored { replaced_blob: Option<String> },
    NoUpload,
}

/// The outcome of completing an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UploadComplete {
    /// The object row is in; these blobs (parts, replaced object) may now be removed.
    Done {
        orphaned_blobs: Vec<String>,
    },
    NoUpload,
    NoBucket,
}

/// Where a key range scan starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seek {
    /// At this key or after.
    From(Vec<u8>),
    /// Strictly after this key.
    After(Vec<u8>),
}

/// The index database.
#[derive(Debug)]
pub(crate) struct Index {
    connection: Mutex<Connection>,
}

impl Index {
    /// Opens (creating if needed) the index at `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, S3Error> {
        let connection = Connection::open(path)?;
        connection.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
        connection.execute_batch(SCHEMA)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Creates a bucket unless the name is taken.
    pub(crate) fn create_bucket(&self, bucket: &BucketRow) -> Result<BucketCreate, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let owner: Option<String> = transaction
            .query_row(
                "SELECT owner_account_id FROM buckets WHERE name = ?1",
                [&bucket.name],
                |row| row.get(0),
            )
            .optional()?;
        let outcome = match owner {
            Some(owner) if owner == bucket.owner_account_id => BucketCreate::AlreadyOwnedByYou,
            Some(_) => BucketCreate::AlreadyExists,
            None => {
                transaction.execute(
                    "INSERT INTO buckets (name, owner_account_id, region, created_ms, policy) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![bucket.name, bucket.owner_account_id, bucket.region, bucket.created_ms, bucket.policy],
                )?;
                BucketCreate::Created
            }
        };
        transaction.commit()?;
        Ok(outcome)
    }

    /// The bucket called `name`.
    pub(crate) fn bucket(&self, name: &str) -> Result<Option<BucketRow>, S3Error> {
        let connection = self.lock();
        let row = connection
            .query_row(
                "SELECT name, owner_account_id, region, created_ms, policy FROM buckets WHERE name = ?1",
                [name],
                bucket_from_row,
            )
            .optional()?;
        Ok(row)
    }

    /// The buckets of one account, by name.
    pub(crate) fn buckets_owned_by(&self, account_id: &str) -> Result<Vec<BucketRow>, S3Error> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT name, owner_account_id, region, created_ms, policy FROM buckets WHERE owner_account_id = ?1 ORDER BY name",
        )?;
        let rows = statement.query_map([account_id], bucket_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes an empty bucket together with its abandoned multipart uploads.
    pub(crate) fn delete_bucket(&self, name: &str) -> Result<BucketDelete, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let exists: Option<i64> = transaction
            .query_row("SELECT 1 FROM buckets WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()?;
        if exists.is_none() {
            return Ok(BucketDelete::Missing);
        }
        let has_objects: Option<i64> = transaction
            .query_row(
                "SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1",
                [name],
                |row| row.get(0),
            )
            .optional()?;
        if has_objects.is_some() {
            return Ok(BucketDelete::NotEmpty);
        }
        let orphaned_blobs = {
            let mut statement = transaction.prepare(
                "SELECT parts.blob FROM parts JOIN uploads ON parts.upload_id = uploads.upload_id WHERE uploads.bucket = ?1",
            )?;
            let blobs = statement.query_map([name], |row| row.get(0))?;
            blobs.collect::<Result<Vec<String>, _>>()?
        };
        transaction.execute(
            "DELETE FROM parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?1)",
            [name],
        )?;
        transaction.execute("DELETE FROM uploads WHERE bucket = ?1", [name])?;
        transaction.execute("DELETE FROM buckets WHERE name = ?1", [name])?;
        transaction.commit()?;
        Ok(BucketDelete::Deleted { orphaned_blobs })
    }

    /// Sets or clears a bucket's policy; false when the bucket does not exist.
    pub(crate) fn set_policy(&self, name: &str, policy: Option<&str>) -> Result<bool, S3Error> {
        let connection = self.lock();
        let changed = connection.execute(
            "UPDATE buckets SET policy = ?2 WHERE name = ?1",
            params![name, policy],
        )?;
        Ok(changed == 1)
    }

    /// The object under `key`.
    pub(crate) fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRow>, S3Error> {
        let connection = self.lock();
        let row = connection
            .query_row(
                &format!("{OBJECT_COLUMNS} WHERE bucket = ?1 AND key = ?2"),
                params![bucket, key.as_bytes()],
                object_from_row,
            )
            .optional()?;
        row.transpose()
    }

    /// Stores an object row whose blob is already durable.
    pub(crate) fn put_object(
        &self,
        object: &ObjectRow,
        mode: PutMode,
    ) -> Result<ObjectPut, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        if !bucket_exists(&transaction, &object.bucket)? {
            return Ok(ObjectPut::NoBucket);
        }
        let replaced_blob = object_blob(&transaction, &object.bucket, &object.key)?;
        if replaced_blob.is_some() && mode == PutMode::IfAbsent {
            return Ok(ObjectPut::Exists);
        }
        insert_object(&transaction, object)?;
        transaction.commit()?;
        Ok(ObjectPut::Stored { replaced_blob })
    }

    /// Removes an object row, returning the blob it named.
    pub(crate) fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<String>, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let blob = object_blob(&transaction, bucket, key)?;
        transaction.execute(
            "DELETE FROM objects WHERE bucket = ?1 AND key = ?2",
            params![bucket, key.as_bytes()],
        )?;
        transaction.commit()?;
        Ok(blob)
    }

    /// Removes several object rows in one transaction, returning the blobs they named; `None` when the
    /// bucket does not exist.
    pub(crate) fn delete_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Option<Vec<String>>, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        if !bucket_exists(&transaction, bucket)? {
            return Ok(None);
        }
        let mut blobs = Vec::new();
        for key in keys {
            blobs.extend(object_blob(&transaction, bucket, key)?);
            transaction.execute(
                "DELETE FROM objects WHERE bucket = ?1 AND key = ?2",
                params![bucket, key.as_bytes()],
            )?;
        }
        transaction.commit()?;
        Ok(Some(blobs))
    }

    /// Up to `limit` objects of `bucket` from `seek` on, below `end` (exclusive) when given, in key order.
    pub(crate) fn objects_from(
        &self,
        bucket: &str,
        seek: &Seek,
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<ObjectRow>, S3Error> {
        let (operator, start) = match seek {
            Seek::From(start) => (">=", start),
            Seek::After(start) => (">", start),
        };
        let end_clause = if end.is_some() {
            "AND key < ?3"
        } else {
            "AND ?3 IS NULL"
        };
        let sql = format!(
            "{OBJECT_COLUMNS} WHERE bucket = ?1 AND key {operator} ?2 {end_clause} ORDER BY key LIMIT ?4"
        );
        let connection = self.lock();
        let mut statement = connection.prepare_cached(&sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = statement.query_map(params![bucket, start, end, limit], object_from_row)?;
        rows.map(|row| row?).collect()
    }

    /// Records a new multipart upload; false when the bucket does not exist.
    pub(crate) fn create_upload(&self, upload: &UploadRow) -> Result<bool, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        if !bucket_exists(&transaction, &upload.bucket)? {
            return Ok(false);
        }
        let attributes = AttributesJson::encode(&upload.attributes)?;
        transaction.execute(
            "INSERT INTO uploads (upload_id, bucket, key, initiated_ms, initiator_account_id, content_type, headers_json, metadata_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                upload.upload_id,
                upload.bucket,
                upload.key.as_bytes(),
                upload.initiated_ms,
                upload.initiator_account_id,
                upload.attributes.content_type,
                attributes.headers,
                attributes.metadata
            ],
        )?;
        transaction.commit()?;
        Ok(true)
    }

    /// The upload `upload_id`.
    pub(crate) fn upload(&self, upload_id: &str) -> Result<Option<UploadRow>, S3Error> {
        let connection = self.lock();
        let row = connection
            .query_row(
                &format!("{UPLOAD_COLUMNS} WHERE upload_id = ?1"),
                [upload_id],
                upload_from_row,
            )
            .optional()?;
        row.transpose()
    }

    /// The uploads in progress in `bucket`, by key, then initiation time.
    pub(crate) fn uploads_in(&self, bucket: &str) -> Result<Vec<UploadRow>, S3Error> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(&format!(
            "{UPLOAD_COLUMNS} WHERE bucket = ?1 ORDER BY key, initiated_ms, upload_id"
        ))?;
        let rows = statement.query_map([bucket], upload_from_row)?;
        rows.map(|row| row?).collect()
    }

    /// Stores a part whose blob is already durable.
    pub(crate) fn put_part(&self, part: &PartRow) -> Result<PartPut, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let upload: Option<i64> = transaction
            .query_row(
                "SELECT 1 FROM uploads WHERE upload_id = ?1",
                [&part.upload_id],
                |row| row.get(0),
            )
            .optional()?;
        if upload.is_none() {
            return Ok(PartPut::NoUpload);
        }
        let replaced_blob: Option<String> = transaction
            .query_row(
                "SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                params![part.upload_id, part.part_number],
                |row| row.get(0),
            )
            .optional()?;
        transaction.execute(
            "INSERT OR REPLACE INTO parts (upload_id, part_number, size, etag, last_modified_ms, blob) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![part.upload_id, part.part_number, to_sql_size(part.size), part.etag, part.last_modified_ms, part.blob],
        )?;
        transaction.commit()?;
        Ok(PartPut::Stored { replaced_blob })
    }

    /// The parts of an upload, by part number.
    pub(crate) fn parts(&self, upload_id: &str) -> Result<Vec<PartRow>, S3Error> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT upload_id, part_number, size, etag, last_modified_ms, blob FROM parts WHERE upload_id = ?1 ORDER BY part_number",
        )?;
        let rows = statement.query_map([upload_id], part_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces an upload and its parts by the assembled object.
    pub(crate) fn complete_upload(
        &self,
        upload_id: &str,
        object: &ObjectRow,
    ) -> Result<UploadComplete, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let upload: Option<i64> = transaction
            .query_row(
                "SELECT 1 FROM uploads WHERE upload_id = ?1",
                [upload_id],
                |row| row.get(0),
            )
            .optional()?;
        if upload.is_none() {
            return Ok(UploadComplete::NoUpload);
        }
        if !bucket_exists(&transaction, &object.bucket)? {
            return Ok(UploadComplete::NoBucket);
        }
        let mut orphaned_blobs = part_blobs(&transaction, upload_id)?;
        orphaned_blobs.extend(object_blob(&transaction, &object.bucket, &object.key)?);
        insert_object(&transaction, object)?;
        transaction.execute("DELETE FROM parts WHERE upload_id = ?1", [upload_id])?;
        transaction.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
        transaction.commit()?;
        Ok(UploadComplete::Done { orphaned_blobs })
    }

    /// Drops an upload; returns its part blobs, or `None` when the upload does not exist.
    pub(crate) fn abort_upload(&self, upload_id: &str) -> Result<Option<Vec<String>>, S3Error> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let blobs = part_blobs(&transaction, upload_id)?;
        transaction.execute("DELETE FROM parts WHERE upload_id = ?1", [upload_id])?;
        let removed =
            transaction.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
        transaction.commit()?;
        Ok((removed == 1).then_some(blobs))
    }

    /// Every blob name a row refers to (objects and parts).
    pub(crate) fn referenced_blobs(&self) -> Result<HashSet<String>, S3Error> {
        let connection = self.lock();
        let mut statement =
            connection.prepare("SELECT blob FROM objects UNION SELECT blob FROM parts")?;
        let names = statement.query_map([], |row| row.get(0))?;
        Ok(names.collect::<Result<_, _>>()?)
    }
}

const OBJECT_COLUMNS: &str = "SELECT bucket, key, size, etag, last_modified_ms, content_type, headers_json, metadata_json, blob FROM objects";

const UPLOAD_COLUMNS: &str = "SELECT upload_id, bucket, key, initiated_ms, initiator_account_id, content_type, headers_json, metadata_json FROM uploads";

fn bucket_exists(connection: &Connection, name: &str) -> rusqlite::Result<bool> {
    let found: Option<i64> = connection
        .query_row("SELECT 1 FROM buckets WHERE name = ?1", [name], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(found.is_some())
}

fn object_blob(
    connection: &Connection,
    bucket: &str,
    key: &str,
) -> rusqlite::Result<Option<String>> {
    connection
        .query_row(
            "SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2",
            params![bucket, key.as_bytes()],
            |row| row.get(0),
        )
        .optional()
}

fn part_blobs(connection: &Connection, upload_id: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = connection.prepare("SELECT blob FROM parts WHERE upload_id = ?1")?;
    let blobs = statement.query_map([upload_id], |row| row.get(0))?;
    blobs.collect()
}

fn insert_object(connection: &Connection, object: &ObjectRow) -> Result<(), S3Error> {
    let attributes = AttributesJson::encode(&object.attributes)?;
    connection.execute(
        "INSERT OR REPLACE INTO objects (bucket, key, size, etag, last_modified_ms, content_type, headers_json, metadata_json, blob)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            object.bucket,
            object.key.as_bytes(),
            to_sql_size(object.size),
            object.etag,
            object.last_modified_ms,
            object.attributes.content_type,
            attributes.headers,
            attributes.metadata,
            object.blob
        ],
    )?;
    Ok(())
}

fn to_sql_size(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

fn from_sql_size(size: i64) -> u64 {
    u64::try_from(size).unwrap_or(0)
}

/// The two JSON columns of [`ObjectAttributes`].
struct AttributesJson {
    headers: String,
    metadata: String,
}

impl AttributesJson {
    fn encode(attributes: &ObjectAttributes) -> Result<Self, S3Error> {
        let encode = |map: &BTreeMap<String, String>| {
            serde_json::to_string(map).map_err(|error| S3Error::CorruptIndex {
                what: "object attributes".into(),
                reason: error.to_string(),
            })
        };
        Ok(Self {
            headers: encode(&attributes.headers)?,
            metadata: encode(&attributes.metadata)?,
        })
    }

    fn decode(
        what: &str,
        content_type: Option<String>,
        headers: &str,
        metadata: &str,
    ) -> Result<ObjectAttributes, S3Error> {
        let decode = |json: &str| {
            serde_json::from_str::<BTreeMap<String, String>>(json).map_err(|error| {
                S3Error::CorruptIndex {
                    what: what.to_owned(),
                    reason: error.to_string(),
                }
            })
        };
        Ok(ObjectAttributes {
            content_type,
            headers: decode(headers)?,
            metadata: decode(metadata)?,
        })
    }
}

fn key_from_bytes(what: &str, bytes: Vec<u8>) -> Result<String, S3Error> {
    String::from_utf8(bytes).map_err(|_| S3Error::CorruptIndex {
        what: what.to_owned(),
        reason: "key is not utf-8".into(),
    })
}

fn bucket_from_row(row: &Row<'_>) -> rusqlite::Result<BucketRow> {
    Ok(BucketRow {
        name: row.get(0)?,
        owner_account_id: row.get(1)?,
        region: row.get(2)?,
        created_ms: row.get(3)?,
        policy: row.get(4)?,
    })
}

fn object_from_row(row: &Row<'_>) -> rusqlite::Result<Result<ObjectRow, S3Error>> {
    let bucket: String = row.get(0)?;
    let key: Vec<u8> = row.get(1)?;
    let headers: String = row.get(6)?;
    let metadata: String = row.get(7)?;
    let (size, etag, last_modified_ms, content_type, blob) = (
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(8)?,
    );
    Ok((|| {
        let what = format!("object in bucket {bucket}");
        Ok(ObjectRow {
            key: key_from_bytes(&what, key)?,
            size: from_sql_size(size),
            etag,
            last_modified_ms,
            attributes: AttributesJson::decode(&what, content_type, &headers, &metadata)?,
            blob,
            bucket,
        })
    })())
}

fn upload_from_row(row: &Row<'_>) -> rusqlite::Result<Result<UploadRow, S3Error>> {
    let upload_id: String = row.get(0)?;
    let key: Vec<u8> = row.get(2)?;
    let headers: String = row.get(6)?;
    let metadata: String = row.get(7)?;
    let (bucket, initiated_ms, initiator_account_id, content_type) =
        (row.get(1)?, row.get(3)?, row.get(4)?, row.get(5)?);
    Ok((|| {
        let what = format!("upload {upload_id}");
        Ok(UploadRow {
            key: key_from_bytes(&what, key)?,
            attributes: AttributesJson::decode(&what, content_type, &headers, &metadata)?,
            upload_id,
            bucket,
            initiated_ms,
            initiator_account_id,
        })
    })())
}

fn part_from_row(row: &Row<'_>) -> rusqlite::Result<PartRow> {
    Ok(PartRow {
        upload_id: row.get(0)?,
        part_number: row.get(1)?,
        size: from_sql_size(row.get(2)?),
        etag: row.get(3)?,
        last_modified_ms: row.get(4)?,
        blob: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> (tempfile::TempDir, Index) {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("index.db")).unwrap();
        (dir, index)
    }

    fn bucket(name: &str, owner: &str) -> BucketRow {
        BucketRow {
            name: name.into(),
            owner_account_id: owner.into(),
            region: "us-east-1".into(),
            created_ms: 1,
            policy: None,
        }
    }

    fn object(bucket: &str, key: &str, blob: &str) -> ObjectRow {
        ObjectRow {
            bucket: bucket.into(),
            key: key.into(),
            size: 3,
            etag: "e".into(),
            last_modified_ms: 2,
            attributes: ObjectAttributes {
                content_type: Some("text/plain".into()),
                headers: BTreeMap::from([("cache-control".into(), "no-cache".into())]),
                metadata: BTreeMap::from([("owner".into(), "me".into())]),
            },
            blob: blob.into(),
        }
    }

    #[test]
    fn bucket_names_are_global_and_owned() {
        let (_dir, index) = index();
        assert_eq!(
            index.create_bucket(&bucket("b", "1")).unwrap(),
            BucketCreate::Created
        );
        assert_eq!(
            index.create_bucket(&bucket("b", "1")).unwrap(),
            BucketCreate::AlreadyOwnedByYou
        );
        assert_eq!(
            index.create_bucket(&bucket("b", "2")).unwrap(),
            BucketCreate::AlreadyExists
        );
        index.create_bucket(&bucket("a", "1")).unwrap();
        index.create_bucket(&bucket("c", "2")).unwrap();
        let names: Vec<String> = index
            .buckets_owned_by("1")
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn objects_round_trip_and_replace() {
        let (_dir, index) = index();
        index.create_bucket(&bucket("b", "1")).unwrap();
        assert_eq!(
            index
                .put_object(&object("nob", "k", "x"), PutMode::Overwrite)
                .unwrap(),
            ObjectPut::NoBucket
        );
        let first = object("b", "k", "blob1");
        assert_eq!(
            index.put_object(&first, PutMode::Overwrite).unwrap(),
            ObjectPut::Stored {
                replaced_blob: None
            }
        );
        assert_eq!(index.object("b", "k").unwrap(), Some(first));
        assert_eq!(
            index
                .put_object(&object("b", "k", "blob2"), PutMode::IfAbsent)
                .unwrap(),
            ObjectPut::Exists
        );
        assert_eq!(
            index
                .put_object(&object("b", "k", "blob2"), PutMode::Overwrite)
                .unwrap(),
            ObjectPut::Stored {
                replaced_blob: Some("blob1".into())
            }
        );
        assert_eq!(index.delete_bucket("b").unwrap(), BucketDelete::NotEmpty);
        assert_eq!(index.delete_object("b", "k").unwrap(), Some("blob2".into()));
        assert_eq!(index.delete_object("b", "k").unwrap(), None);
        index
            .put_object(&object("b", "x", "bx"), PutMode::Overwrite)
            .unwrap();
        let keys = ["x".to_owned(), "missing".to_owned()];
        assert_eq!(
            index.delete_objects("b", &keys).unwrap(),
            Some(vec!["bx".to_owned()])
        );
        assert_eq!(index.delete_objects("nob", &keys).unwrap(), None);
        assert_eq!(
            index.delete_bucket("b").unwrap(),
            BucketDelete::Deleted {
                orphaned_blobs: vec![]
            }
        );
        assert_eq!(index.delete_bucket("b").unwrap(), BucketDelete::Missing);
    }

    #[test]
    fn range_scan_is_byte_ordered() {
        let (_dir, index) = index();
        index.create_bucket(&bucket("b", "1")).unwrap();
        for key in ["b", "a/2", "a/1", "é", "B", "a+"] {
            index
                .put_object(&object("b", key, key), PutMode::Overwrite)
                .unwrap();
        }
        let keys = |seek: Seek, end: Option<&[u8]>, limit| -> Vec<String> {
            index
                .objects_from("b", &seek, end, limit)
                .unwrap()
                .into_iter()
                .map(|o| o.key)
                .collect()
        };
        assert_eq!(
            keys(Seek::From(vec![]), None, 10),
            ["B", "a+", "a/1", "a/2", "b", "é"]
        );
        assert_eq!(keys(Seek::After(b"a/1".to_vec()), None, 2), ["a/2", "b"]);
        assert_eq!(
            keys(Seek::From(b"a/".to_vec()), Some(b"a0"), 10),
            ["a/1", "a/2"]
        );
    }

    #[test]
    fn uploads_complete_into_objects() {
        let (_dir, index) = index();
        index.create_bucket(&bucket("b", "1")).unwrap();
        let upload = UploadRow {
            upload_id: "u1".into(),
            bucket: "b".into(),
            key: "k".into(),
            initiated_ms: 5,
            initiator_account_id: "1".into(),
            attributes: ObjectAttributes::default(),
        };
        assert!(index.create_upload(&upload).unwrap());
        assert_eq!(index.upload("u1").unwrap(), Some(upload.clone()));
        let part = |number, blob: &str| PartRow {
            upload_id: "u1".into(),
            part_number: number,
            size: 1,
            etag: "p".into(),
            last_modified_ms: 6,
            blob: blob.into(),
        };
        assert_eq!(
            index.put_part(&part(1, "p1")).unwrap(),
            PartPut::Stored {
                replaced_blob: None
            }
        );
        assert_eq!(
            index.put_part(&part(1, "p1b")).unwrap(),
            PartPut::Stored {
                replaced_blob: Some("p1".into())
            }
        );
        index.put_part(&part(2, "p2")).unwrap();
        assert_eq!(index.parts("u1").unwrap().len(), 2);
        assert_eq!(
            index.referenced_blobs().unwrap(),
            HashSet::from(["p1b".into(), "p2".into()])
        );
        let done = index
            .complete_upload("u1", &object("b", "k", "whole"))
            .unwrap();
        let UploadComplete::Done { mut orphaned_blobs } = done else {
            panic!("{done:?}")
        };
        orphaned_blobs.sort();
        assert_eq!(orphaned_blobs, ["p1b", "p2"]);
        assert_eq!(index.upload("u1").unwrap(), None);
        assert_eq!(
            index.complete_upload("u1", &object("b", "k", "x")).unwrap(),
            UploadComplete::NoUpload
        );
        assert_eq!(index.abort_upload("u1").unwrap(), None);
        let mut upload2 = upload;
        upload2.upload_id = "u2".into();
        index.create_upload(&upload2).unwrap();
        assert_eq!(
            index
                .put_part(&PartRow {
                    upload_id: "u2".into(),
                    ..part(1, "q")
                })
                .unwrap(),
            PartPut::Stored {
                replaced_blob: None
            }
        );
        assert_eq!(index.abort_upload("u2").unwrap(), Some(vec!["q".into()]));
        assert_eq!(index.put_part(&part(1, "r")).unwrap(), PartPut::NoUpload);
    }
}
