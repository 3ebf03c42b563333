//! The bucket store: S3 semantics over the index and the blob files, independent of HTTP and s3s DTOs.
//!
//! Every write follows one order: blob durable, then index row committed, then replaced blobs deleted.
//! Reads look up the row, then open its blob, retrying if a concurrent overwrite deleted the blob in
//! between. Authorization is not checked here (the access gate did it); protocol errors come back as
//! `s3s::S3Error` built by [`crate::aws_errors`].

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::{Stream, StreamExt};

use crate::aws_errors;
use crate::blobs::{BlobReader, BlobStore, BlobWriteError, BodyError, StoredBlob};
use crate::checksums::ChecksumVerifier;
use crate::error::S3Error;
use crate::index::{
    BucketCreate, BucketDelete, BucketRow, Index, ObjectAttributes, ObjectPut, ObjectRow, PartPut,
    PartRow, PutMode, UploadComplete, UploadRow,
};
use crate::listing::{self, ListPage, ListQuery};
use crate::multipart::{self, RequestedPart};

/// How often a read retries when a concurrent overwrite removed the blob it was about to open.
const READ_ATTEMPTS: usize = 3;

/// Settings of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreSettings {
    pub(crate) default_region: String,
    pub(crate) min_part_size: u64,
}

/// Buckets and objects in one data directory.
#[derive(Debug)]
pub(crate) struct BucketStore {
    index: Arc<Index>,
    blobs: BlobStore,
    settings: StoreSettings,
}

/// What an upload body must match: its Content-MD5 and flexible checksums.
#[derive(Debug, Default)]
pub(crate) struct Integrity {
    /// The decoded Content-MD5 header.
    pub(crate) content_md5: Option<[u8; 16]>,
    /// The `x-amz-checksum-*` values sent as headers or trailers.
    pub(crate) checksums: Option<ChecksumVerifier>,
}

/// An object opened for reading.
pub(crate) struct OpenedObject {
    pub(crate) row: ObjectRow,
    /// The byte range served; the whole object when no Range was asked.
    pub(crate) span: Range<u64>,
    pub(crate) reader: BlobReader,
}

impl BucketStore {
    /// Opens `dir` (creating `index.db` and `blobs/`) and sweeps blobs no row names.
    pub(crate) fn open(dir: &Path, settings: StoreSettings) -> Result<Self, S3Error> {
        std::fs::create_dir_all(dir).map_err(|error| S3Error::io(dir, error))?;
        let index = Index::open(&dir.join("index.db"))?;
        let blobs = BlobStore::open(&dir.join("blobs"))?;
        let swept = blobs.sweep(&index.referenced_blobs()?)?;
        if swept > 0 {
            tracing::info!(swept, "deleted blob files that no index row names");
        }
        Ok(Self {
            index: Arc::new(index),
            blobs,
            settings,
        })
    }

    /// The default region of new buckets.
    pub(crate) fn default_region(&self) -> &str {
        &self.settings.default_region
    }

    /// Runs an index call on a blocking thread.
    async fn index<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Index) -> Result<T, S3Error> + Send + 'static,
    ) -> Result<T, S3Error> {
        let index = Arc::clone(&self.index);
        crate::blobs::blocking(move || call(&index)).await
    }

    /// The bucket `name`, read synchronously (for the control plane).
    pub(crate) fn bucket_now(&self, name: &str) -> Result<Option<BucketRow>, S3Error> {
        self.index.bucket(name)
    }

    /// The bucket `name`.
    pub(crate) async fn bucket(&self, name: &str) -> Result<Option<BucketRow>, S3Error> {
        let name = name.to_owned();
        self.index(move |index| index.bucket(&name)).await
    }

    async fn existing_bucket(&self, name: &str) -> Result<BucketRow, s3s::S3Error> {
        self.bucket(name)
            .await?
            .ok_or_else(aws_errors::no_such_bucket)
    }

    /// Creates a bucket owned by `account_id`.
    pub(crate) async fn create_bucket(
        &self,
        name: &str,
        account_id: &str,
        region: &str,
    ) -> Result<(), s3s::S3Error> {
        let row = BucketRow {
            name: name.to_owned(),
            owner_account_id: account_id.to_owned(),
            region: region.to_owned(),
            created_ms: now_ms(),
            policy: None,
        };
        match self.index(move |index| index.create_bucket(&row)).await? {
            BucketCreate::Created => Ok(()),
            BucketCreate::AlreadyOwnedByYou => Err(aws_errors::bucket_already_owned_by_you()),
            BucketCreate::AlreadyExists => Err(aws_errors::bucket_already_exists()),
        }
    }

    /// Deletes an empty bucket.
    pub(crate) async fn delete_bucket(&self, name: &str) -> Result<(), s3s::S3Error> {
        let owned = name.to_owned();
        match self.index(move |index| index.delete_bucket(&owned)).await? {
            BucketDelete::Deleted { orphaned_blobs } => {
                self.blobs.remove(orphaned_blobs).await;
                Ok(())
            }
            BucketDelete::NotEmpty => Err(aws_errors::bucket_not_empty()),
            BucketDelete::Missing => Err(aws_errors::no_such_bucket()),
        }
    }

    /// The buckets of `account_id`, by name.
    pub(crate) async fn buckets_owned_by(
        &self,
        account_id: &str,
    ) -> Result<Vec<BucketRow>, s3s::S3Error> {
        let account_id = account_id.to_owned();
        Ok(self
            .index(move |index| index.buckets_owned_by(&account_id))
            .await?)
    }

    /// Sets (`Some`) or deletes (`None`) a bucket policy.
    pub(crate) async fn set_policy(
        &self,
        bucket: &str,
        policy: Option<String>,
    ) -> Result<(), s3s::S3Error> {
        let bucket = bucket.to_owned();
        let found = self
            .index(move |index| index.set_policy(&bucket, policy.as_deref()))
            .await?;
        if found {
            Ok(())
        } else {
            Err(aws_errors::no_such_bucket())
        }
    }

    /// A bucket's policy.
    pub(crate) async fn policy(&self, bucket: &str) -> Result<String, s3s::S3Error> {
        self.existing_bucket(bucket)
            .await?
            .policy
            .ok_or_else(aws_errors::no_such_bucket_policy)
    }

    /// Streams a body into a new object version, checked against `integrity` before it is committed.
    pub(crate) async fn put_object<S, E>(
        &self,
        bucket: &str,
        key: &str,
        body: S,
        attributes: ObjectAttributes,
        integrity: &Integrity,
        mode: PutMode,
    ) -> Result<ObjectRow, s3s::S3Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Into<BodyError>,
    {
        self.existing_bucket(bucket).await?;
        let stored = self.write_checked(body, integrity).await?;
        let row = ObjectRow {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: stored.size,
            etag: hex::encode(stored.md5),
            last_modified_ms: now_ms(),
            attributes,
            blob: stored.name,
        };
        Ok(self.commit_object(row, mode).await?)
    }

    /// Writes bytes already in memory as an object (internal, write-once deliveries).
    pub(crate) async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        attributes: ObjectAttributes,
        mode: PutMode,
    ) -> Result<ObjectRow, S3Error> {
        if self.bucket(bucket).await?.is_none() {
            return Err(S3Error::NoSuchBucket(bucket.to_owned()));
        }
        let stored = self.blobs.write_bytes(body).await?;
        let row = ObjectRow {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: stored.size,
            etag: hex::encode(stored.md5),
            last_modified_ms: now_ms(),
            attributes,
            blob: stored.name,
        };
        self.commit_object(row, mode).await
    }

    /// Writes a body to a blob and checks it against `integrity`; a mismatch leaves nothing behind.
    async fn write_checked<S, E>(
        &self,
        body: S,
        integrity: &Integrity,
    ) -> Result<StoredBlob, s3s::S3Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Into<BodyError>,
    {
        let checksums = integrity.checksums.as_ref();
        let body = body.inspect(|chunk| {
            if let (Ok(data), Some(checksums)) = (chunk, checksums) {
                checksums.observe(data);
            }
        });
        let stored = match self.blobs.write_stream(body).await {
            Ok(stored) => stored,
            Err(BlobWriteError::Storage(error)) => return Err(error.into()),
            Err(BlobWriteError::Body(error)) => return Err(body_error(error)),
        };
        let verdict = match (integrity.content_md5, checksums) {
            (Some(expected), _) if expected != stored.md5 => Err(aws_errors::bad_digest()),
            (_, Some(checksums)) => checksums.verify(),
            _ => Ok(()),
        };
        if let Err(error) = verdict {
            self.blobs.remove(vec![stored.name]).await;
            return Err(error);
        }
        Ok(stored)
    }

    /// Commits an object row whose blob is durable, then drops the blob it replaced.
    async fn commit_object(&self, row: ObjectRow, mode: PutMode) -> Result<ObjectRow, S3Error> {
        let committed = row.clone();
        let outcome = self
            .index(move |index| index.put_object(&committed, mode))
            .await;
        match outcome {
            Ok(ObjectPut::Stored { replaced_blob }) => {
                self.blobs.remove(replaced_blob.into_iter().collect()).await;
                Ok(row)
            }
            Ok(ObjectPut::Exists) => {
                self.blobs.remove(vec![row.blob]).await;
                Err(S3Error::ObjectExists {
                    bucket: row.bucket,
                    key: row.key,
                })
            }
            Ok(ObjectPut::NoBucket) => {
                self.blobs.remove(vec![row.blob]).await;
                Err(S3Error::NoSuchBucket(row.bucket))
            }
            Err(error) => {
                self.blobs.remove(vec![row.blob]).await;
                Err(error)
            }
        }
    }

    /// The object row, with NoSuchBucket / NoSuchKey.
    pub(crate) async fn head_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<ObjectRow, s3s::S3Error> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let (found_bucket, object) = self
            .index(move |index| {
                Ok((
                    index.bucket(&bucket)?.is_some(),
                    index.object(&bucket, &key)?,
                ))
            })
            .await?;
        match (found_bucket, object) {
            (false, _) => Err(aws_errors::no_such_bucket()),
            (true, None) => Err(aws_errors::no_such_key()),
            (true, Some(object)) => Ok(object),
        }
    }

    /// Opens an object (or a range of it) for streaming.
    pub(crate) async fn open_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<s3s::dto::Range>,
    ) -> Result<OpenedObject, s3s::S3Error> {
        for _ in 0..READ_ATTEMPTS {
            let row = self.head_object(bucket, key).await?;
            let span = resolve_range(range, row.size)?;
            if let Some(reader) = self
                .blobs
                .open_range(&row.blob, span.start, span.end - span.start)
                .await?
            {
                return Ok(OpenedObject { row, span, reader });
            }
        }
        Err(aws_errors::internal(format!(
            "blob of {bucket}/{key} kept disappearing"
        )))
    }

    /// Deletes an object; deleting a missing key succeeds, as on S3.
    pub(crate) async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), s3s::S3Error> {
        self.existing_bucket(bucket).await?;
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let blob = self
            .index(move |index| index.delete_object(&bucket, &key))
            .await?;
        self.blobs.remove(blob.into_iter().collect()).await;
        Ok(())
    }

    /// Deletes several objects in one index transaction (DeleteObjects).
    pub(crate) async fn delete_objects(
        &self,
        bucket: &str,
        keys: Vec<String>,
    ) -> Result<(), s3s::S3Error> {
        let bucket = bucket.to_owned();
        match self
            .index(move |index| index.delete_objects(&bucket, &keys))
            .await?
        {
            Some(blobs) => {
                self.blobs.remove(blobs).await;
                Ok(())
            }
            None => Err(aws_errors::no_such_bucket()),
        }
    }

    /// Copies an object; `replacement` carries new attributes (metadata directive REPLACE).
    pub(crate) async fn copy_object(
        &self,
        source: (&str, &str),
        target: (&str, &str),
        replacement: Option<ObjectAttributes>,
    ) -> Result<ObjectRow, s3s::S3Error> {
        self.existing_bucket(target.0).await?;
        for _ in 0..READ_ATTEMPTS {
            let original = self.head_object(source.0, source.1).await?;
            let Ok(blob) = self.blobs.duplicate(&original.blob).await else {
                continue;
            };
            let row = ObjectRow {
                bucket: target.0.to_owned(),
                key: target.1.to_owned(),
                size: original.size,
                etag: original.etag,
                last_modified_ms: now_ms(),
                attributes: replacement.unwrap_or(original.attributes),
                blob,
            };
            return Ok(self.commit_object(row, PutMode::Overwrite).await?);
        }
        Err(aws_errors::internal(format!(
            "source {}/{} kept disappearing",
            source.0, source.1
        )))
    }

    /// One page of a bucket listing.
    pub(crate) async fn list(
        &self,
        bucket: &str,
        query: ListQuery<'_>,
    ) -> Result<ListPage<ObjectRow>, s3s::S3Error> {
        self.existing_bucket(bucket).await?;
        let index = Arc::clone(&self.index);
        let bucket = bucket.to_owned();
        let (prefix, delimiter, start_after) = (
            query.prefix.to_owned(),
            query.delimiter.map(str::to_owned),
            query.start_after.map(str::to_owned),
        );
        let max_keys = query.max_keys;
        let page = crate::blobs::blocking(move || {
            let query = ListQuery {
                prefix: &prefix,
                delimiter: delimiter.as_deref(),
                start_after: start_after.as_deref(),
                max_keys,
            };
            listing::list_page(&query, |seek, end, limit| {
                index.objects_from(&bucket, seek, end, limit)
            })
        })
        .await?;
        Ok(page)
    }

    /// Starts a multipart upload.
    pub(crate) async fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        attributes: ObjectAttributes,
        account_id: &str,
    ) -> Result<String, s3s::S3Error> {
        let upload = UploadRow {
            upload_id: uuid::Uuid::now_v7().simple().to_string(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            initiated_ms: now_ms(),
            initiator_account_id: account_id.to_owned(),
            attributes,
        };
        let upload_id = upload.upload_id.clone();
        if self
            .index(move |index| index.create_upload(&upload))
            .await?
        {
            Ok(upload_id)
        } else {
            Err(aws_errors::no_such_bucket())
        }
    }

    /// The upload `upload_id` of `bucket`/`key`.
    pub(crate) async fn upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<UploadRow, s3s::S3Error> {
        self.existing_bucket(bucket).await?;
        let id = upload_id.to_owned();
        let upload = self.index(move |index| index.upload(&id)).await?;
        upload
            .filter(|upload| upload.bucket == bucket && upload.key == key)
            .ok_or_else(aws_errors::no_such_upload)
    }

    /// Stores one part.
    pub(crate) async fn upload_part<S, E>(
        &self,
        (bucket, key, upload_id): (&str, &str, &str),
        part_number: i32,
        body: S,
        integrity: &Integrity,
    ) -> Result<PartRow, s3s::S3Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Into<BodyError>,
    {
        self.upload(bucket, key, upload_id).await?;
        let stored = self.write_checked(body, integrity).await?;
        let part = PartRow {
            upload_id: upload_id.to_owned(),
            part_number,
            size: stored.size,
            etag: hex::encode(stored.md5),
            last_modified_ms: now_ms(),
            blob: stored.name,
        };
        let row = part.clone();
        match self.index(move |index| index.put_part(&row)).await {
            Ok(PartPut::Stored { replaced_blob }) => {
                self.blobs.remove(replaced_blob.into_iter().collect()).await;
                Ok(part)
            }
            Ok(PartPut::NoUpload) => {
                self.blobs.remove(vec![part.blob]).await;
                Err(aws_errors::no_such_upload())
            }
            Err(error) => {
                self.blobs.remove(vec![part.blob]).await;
                Err(error.into())
            }
        }
    }

    /// The parts of an upload.
    pub(crate) async fn parts(&self, upload_id: &str) -> Result<Vec<PartRow>, s3s::S3Error> {
        let id = upload_id.to_owned();
        Ok(self.index(move |index| index.parts(&id)).await?)
    }

    /// Assembles the requested parts into the object.
    pub(crate) async fn complete_upload(
        &self,
        (bucket, key, upload_id): (&str, &str, &str),
        requested: &[RequestedPart],
    ) -> Result<ObjectRow, s3s::S3Error> {
        let upload = self.upload(bucket, key, upload_id).await?;
        let parts = self.parts(upload_id).await?;
        let chosen = multipart::check_completion(requested, &parts, self.settings.min_part_size)?;
        let etag = multipart::multipart_etag(chosen.iter().map(|part| part.etag.as_str()));
        let assembled = self
            .blobs
            .concat(chosen.iter().map(|part| part.blob.clone()).collect())
            .await?;
        let row = ObjectRow {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: assembled.size,
            etag,
            last_modified_ms: now_ms(),
            attributes: upload.attributes,
            blob: assembled.name,
        };
        let (committed, id) = (row.clone(), upload_id.to_owned());
        match self
            .index(move |index| index.complete_upload(&id, &committed))
            .await
        {
            Ok(UploadComplete::Done { orphaned_blobs }) => {
                self.blobs.remove(orphaned_blobs).await;
                Ok(row)
            }
            Ok(UploadComplete::NoUpload) => {
                self.blobs.remove(vec![row.blob]).await;
                Err(aws_errors::no_such_upload())
            }
            Ok(UploadComplete::NoBucket) => {
                self.blobs.remove(vec![row.blob]).await;
                Err(aws_errors::no_such_bucket())
            }
            Err(error) => {
                self.blobs.remove(vec![row.blob]).await;
                Err(error.into())
            }
        }
    }

    /// Drops an upload and its parts.
    pub(crate) async fn abort_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), s3s::S3Error> {
        self.upload(bucket, key, upload_id).await?;
        let id = upload_id.to_owned();
        match self.index(move |index| index.abort_upload(&id)).await? {
            Some(blobs) => {
                self.blobs.remove(blobs).await;
                Ok(())
            }
            None => Err(aws_errors::no_such_upload()),
        }
    }

    /// The uploads in progress in a bucket.
    pub(crate) async fn uploads_in(&self, bucket: &str) -> Result<Vec<UploadRow>, s3s::S3Error> {
        self.existing_bucket(bucket).await?;
        let bucket = bucket.to_owned();
        Ok(self.index(move |index| index.uploads_in(&bucket)).await?)
    }
}

/// The byte range to serve: all of it without a Range, else the satisfiable part or InvalidRange.
pub(crate) fn resolve_range(
    range: Option<s3s::dto::Range>,
    size: u64,
) -> Result<Range<u64>, s3s::S3Error> {
    match range {
        None => Ok(0..size),
        Some(range) => range.check(size).map_err(|_| aws_errors::invalid_range()),
    }
}

/// How a failed request body is answered: s3s's own S3 errors pass through (a bad payload hash is
/// `XAmzContentSHA256Mismatch` or `SignatureDoesNotMatch`), anything else is an incomplete body.
fn body_error(error: BodyError) -> s3s::S3Error {
    match error.downcast::<s3s::S3Error>() {
        Ok(s3_error) => *s3_error,
        Err(other) => {
            tracing::info!(error = %other, "request body failed");
            s3s::S3Error::with_message(
                s3s::S3ErrorCode::IncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            )
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}

/// A stored millisecond timestamp as a point in time.
pub(crate) fn system_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::Range as HttpRange;

    #[test]
    fn ranges_resolve_like_s3() {
        let check = |header: Option<&str>, size: u64, expected: Result<Range<u64>, &str>| {
            let range = header.map(|header| HttpRange::parse(header).unwrap());
            let outcome =
                resolve_range(range, size).map_err(|error| error.code().as_str().to_owned());
            assert_eq!(
                outcome,
                expected.map_err(str::to_owned),
                "{header:?} of {size}"
            );
        };
        check(None, 10, Ok(0..10));
        check(Some("bytes=0-4"), 10, Ok(0..5));
        check(Some("bytes=5-"), 10, Ok(5..10));
        check(Some("bytes=8-100"), 10, Ok(8..10));
        check(Some("bytes=-3"), 10, Ok(7..10));
        check(Some("bytes=-30"), 10, Ok(0..10));
        check(Some("bytes=10-"), 10, Err("InvalidRange"));
        check(Some("bytes=0-"), 0, Err("InvalidRange"));
        check(Some("bytes=-0"), 10, Err("InvalidRange"));
        assert!(HttpRange::parse("bytes=5-1").is_err());
        assert!(HttpRange::parse("items=0-1").is_err());
    }

    fn settings() -> StoreSettings {
        StoreSettings {
            default_region: "us-east-1".into(),
            min_part_size: 2,
        }
    }

    fn body(parts: &[&'static str]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures::stream::iter(
            parts
                .iter()
                .map(|part| Ok(Bytes::from_static(part.as_bytes())))
                .collect::<Vec<_>>(),
        )
    }

    async fn read(store: &BucketStore, key: &str) -> Vec<u8> {
        use futures::StreamExt;
        let mut opened = store.open_object("b", key, None).await.unwrap();
        let mut bytes = Vec::new();
        while let Some(chunk) = opened.reader.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        bytes
    }

    #[tokio::test]
    async fn bad_digest_stores_nothing_and_reopen_sweeps() {
        let dir = tempfile::tempdir().unwrap();
        let store = BucketStore::open(dir.path(), settings()).unwrap();
        store.create_bucket("b", "1", "us-east-1").await.unwrap();
        let wrong = Integrity {
            content_md5: Some([0u8; 16]),
            checksums: None,
        };
        let error = store
            .put_object(
                "b",
                "k",
                body(&["abc"]),
                ObjectAttributes::default(),
                &wrong,
                PutMode::Overwrite,
            )
            .await
            .unwrap_err();
        assert_eq!(error.code().as_str(), "BadDigest");
        assert_eq!(
            store
                .head_object("b", "k")
                .await
                .unwrap_err()
                .code()
                .as_str(),
            "NoSuchKey"
        );
        let right = Integrity {
            content_md5: Some(
                hex::decode("900150983cd24fb0d6963f7d28e17f72")
                    .unwrap()
                    .try_into()
                    .unwrap(),
            ),
            checksums: None,
        };
        store
            .put_object(
                "b",
                "k",
                body(&["a", "bc"]),
                ObjectAttributes::default(),
                &right,
                PutMode::Overwrite,
            )
            .await
            .unwrap();
        std::fs::write(dir.path().join("blobs").join("f".repeat(32)), b"orphan").unwrap();
        drop(store);
        let store = BucketStore::open(dir.path(), settings()).unwrap();
        assert_eq!(read(&store, "k").await, b"abc");
        let blob_files = std::fs::read_dir(dir.path().join("blobs")).unwrap().count();
        assert_eq!(blob_files, 2, "the object's blob and the staging directory");
    }

    #[tokio::test]
    async fn multipart_assembles_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = BucketStore::open(dir.path(), settings()).unwrap();
        store.create_bucket("b", "1", "us-east-1").await.unwrap();
        let upload_id = store
            .create_upload("b", "big", ObjectAttributes::default(), "1")
            .await
            .unwrap();
        let first = store
            .upload_part(
                ("b", "big", &upload_id),
                1,
                body(&["ab"]),
                &Integrity::default(),
            )
            .await
            .unwrap();
        let second = store
            .upload_part(
                ("b", "big", &upload_id),
                2,
                body(&["c"]),
                &Integrity::default(),
            )
            .await
            .unwrap();
        let requested = [
            RequestedPart {
                part_number: 1,
                etag: first.etag.clone(),
            },
            RequestedPart {
                part_number: 2,
                etag: second.etag.clone(),
            },
        ];
        let object = store
            .complete_upload(("b", "big", &upload_id), &requested)
            .await
            .unwrap();
        assert!(object.etag.ends_with("-2"));
        assert_eq!(read(&store, "big").await, b"abc");
        assert_eq!(
            store
                .abort_upload("b", "big", &upload_id)
                .await
                .unwrap_err()
                .code()
                .as_str(),
            "NoSuchUpload"
        );
        let blob_files = std::fs::read_dir(dir.path().join("blobs")).unwrap().count();
        assert_eq!(
            blob_files, 2,
            "only the assembled object and the staging directory remain"
        );
    }
}
