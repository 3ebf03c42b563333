//! Object bytes on disk: one immutable file per object or part under `blobs/`.
//!
//! A blob is written to `blobs/.staging/`, fsynced, renamed into `blobs/` and the directory fsynced,
//! all before any index row names it. Blobs are never modified after that; an overwrite writes a new
//! blob and deletes the old one once the index no longer names it. Files no row names (a crash between
//! rename and commit, or between commit and delete) are swept by [`BlobStore::sweep`] when the front
//! opens. This module never looks at the index and never holds a whole object in memory.

use std::collections::HashSet;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio_util::io::ReaderStream;

use crate::error::S3Error;

const STAGING_DIR: &str = ".staging";
const WRITE_BUFFER: usize = 1 << 20;
const READ_CHUNK: usize = 256 << 10;

/// A boxed error from a request body stream.
pub(crate) type BodyError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A blob that is durable under its final name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredBlob {
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) md5: [u8; 16],
}

/// Why a streamed write failed.
#[derive(Debug)]
pub(crate) enum BlobWriteError {
    /// The request body failed (client disconnect, bad aws-chunked signature, wrong payload hash).
    Body(BodyError),
    /// The disk failed.
    Storage(S3Error),
}

/// A stream over part of a blob.
pub(crate) type BlobReader = ReaderStream<tokio::io::Take<tokio::fs::File>>;

/// The blob directory.
#[derive(Debug, Clone)]
pub(crate) struct BlobStore {
    dir: PathBuf,
    staging: PathBuf,
}

impl BlobStore {
    /// Opens `dir`, creating it, and empties its staging area.
    pub(crate) fn open(dir: &Path) -> Result<Self, S3Error> {
        let staging = dir.join(STAGING_DIR);
        std::fs::create_dir_all(&staging).map_err(|error| S3Error::io(&staging, error))?;
        for entry in std::fs::read_dir(&staging).map_err(|error| S3Error::io(&staging, error))? {
            let path = entry.map_err(|error| S3Error::io(&staging, error))?.path();
            std::fs::remove_file(&path).map_err(|error| S3Error::io(&path, error))?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            staging,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Streams a request body into a new durable blob, computing its MD5 on the way.
    pub(crate) async fn write_stream<S, E>(&self, mut body: S) -> Result<StoredBlob, BlobWriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Into<BodyError>,
    {
        let staged = StagedFile::new(&self.staging);
        let storage = |error| BlobWriteError::Storage(S3Error::io(&staged.path, error));
        let file = tokio::fs::File::create(&staged.path)
            .await
            .map_err(storage)?;
        let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut md5 = Md5::new();
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|error| BlobWriteError::Body(error.into()))?;
            md5.update(&chunk);
            size += chunk.len() as u64;
            writer.write_all(&chunk).await.map_err(storage)?;
        }
        writer.flush().await.map_err(storage)?;
        writer.into_inner().sync_all().await.map_err(storage)?;
        let name = self
            .publish(staged)
            .await
            .map_err(BlobWriteError::Storage)?;
        Ok(StoredBlob {
            name,
            size,
            md5: md5.finalize().into(),
        })
    }

    /// Writes bytes already in memory as a new durable blob.
    pub(crate) async fn write_bytes(&self, bytes: Bytes) -> Result<StoredBlob, S3Error> {
        let stream = futures::stream::iter([Ok::<_, std::io::Error>(bytes)]);
        match self.write_stream(stream).await {
            Ok(stored) => Ok(stored),
            Err(BlobWriteError::Storage(error)) => Err(error),
            Err(BlobWriteError::Body(error)) => Err(S3Error::Background(error.to_string())),
        }
    }

    /// Concatenates blobs (multipart parts) into a new durable blob.
    pub(crate) async fn concat(&self, names: Vec<String>) -> Result<StoredBlob, S3Error> {
        let store = self.clone();
        let staged = StagedFile::new(&self.staging);
        let staged = blocking(move || {
            let mut out = std::fs::File::create(&staged.path)
                .map_err(|error| S3Error::io(&staged.path, error))?;
            for name in &names {
                let source = store.path(name);
                let mut input =
                    std::fs::File::open(&source).map_err(|error| S3Error::io(&source, error))?;
                std::io::copy(&mut input, &mut out)
                    .map_err(|error| S3Error::io(&staged.path, error))?;
            }
            out.sync_all()
                .map_err(|error| S3Error::io(&staged.path, error))?;
            Ok(staged)
        })
        .await?;
        let size = tokio::fs::metadata(&staged.path)
            .await
            .map_err(|error| S3Error::io(&staged.path, error))?
            .len();
        let name = self.publish(staged).await?;
        Ok(StoredBlob {
            name,
            size,
            md5: [0; 16],
        })
    }

    /// A new blob with the same bytes as `name` (a hard link: blobs are immutable).
    pub(crate) async fn duplicate(&self, name: &str) -> Result<String, S3Error> {
        let source = self.path(name);
        let copy_name = new_blob_name();
        let target = self.path(&copy_name);
        let dir = self.dir.clone();
        blocking(move || {
            if std::fs::hard_link(&source, &target).is_err() {
                std::fs::copy(&source, &target).map_err(|error| S3Error::io(&source, error))?;
                let file =
                    std::fs::File::open(&target).map_err(|error| S3Error::io(&target, error))?;
                file.sync_all()
                    .map_err(|error| S3Error::io(&target, error))?;
            }
            sync_dir(&dir)
        })
        .await?;
        Ok(copy_name)
    }

    /// A stream over `len` bytes of blob `name` from `start`; `None` when the blob is gone.
    pub(crate) async fn open_range(
        &self,
        name: &str,
        start: u64,
        len: u64,
    ) -> Result<Option<BlobReader>, S3Error> {
        let path = self.path(name);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(S3Error::io(&path, error)),
        };
        if start > 0 {
            file.seek(SeekFrom::Start(start))
                .await
                .map_err(|error| S3Error::io(&path, error))?;
        }
        Ok(Some(ReaderStream::with_capacity(
            file.take(len),
            READ_CHUNK,
        )))
    }

    /// Deletes blobs no row names any more; failures are logged and left to the next sweep.
    pub(crate) async fn remove(&self, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        let store = self.clone();
        let outcome = blocking(move || {
            for name in names {
                let path = store.path(&name);
                if let Err(error) = std::fs::remove_file(&path)
                    && error.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(?path, %error, "could not delete an unreferenced blob; the next start sweeps it");
                }
            }
            Ok(())
        })
        .await;
        if let Err(error) = outcome {
            tracing::warn!(%error, "blob deletion task failed");
        }
    }

    /// Deletes every blob file not in `referenced`; returns how many were deleted.
    pub(crate) fn sweep(&self, referenced: &HashSet<String>) -> Result<usize, S3Error> {
        let mut deleted = 0;
        for entry in std::fs::read_dir(&self.dir).map_err(|error| S3Error::io(&self.dir, error))? {
            let entry = entry.map_err(|error| S3Error::io(&self.dir, error))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_blob_name(&name) || referenced.contains(&name) {
                continue;
            }
            std::fs::remove_file(entry.path()).map_err(|error| S3Error::io(entry.path(), error))?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// Moves a synced staged file under a fresh final name and makes the rename durable.
    async fn publish(&self, staged: StagedFile) -> Result<String, S3Error> {
        let name = new_blob_name();
        let target = self.path(&name);
        let dir = self.dir.clone();
        blocking(move || {
            std::fs::rename(&staged.path, &target).map_err(|error| S3Error::io(&target, error))?;
            staged.disarm();
            sync_dir(&dir)
        })
        .await?;
        Ok(name)
    }
}

/// A staging file that is deleted when dropped unless it was published.
struct StagedFile {
    path: PathBuf,
    armed: bool,
}

impl StagedFile {
    fn new(staging: &Path) -> Self {
        Self {
            path: staging.join(new_blob_name()),
            armed: true,
        }
    }

    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn new_blob_name() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn is_blob_name(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

fn sync_dir(dir: &Path) -> Result<(), S3Error> {
    let handle = std::fs::File::open(dir).map_err(|error| S3Error::io(dir, error))?;
    handle.sync_all().map_err(|error| S3Error::io(dir, error))
}

/// Runs blocking file work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, S3Error> + Send + 'static,
) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| S3Error::Background(error.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(&dir.path().join("blobs")).unwrap();
        (dir, store)
    }

    async fn read_blob(store: &BlobStore, name: &str, start: u64, len: u64) -> Vec<u8> {
        let reader = store.open_range(name, start, len).await.unwrap().unwrap();
        let mut bytes = Vec::new();
        let mut reader = reader;
        while let Some(chunk) = reader.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        bytes
    }

    #[tokio::test]
    async fn streamed_blob_is_durable_with_md5() {
        let (_dir, store) = store();
        let chunks =
            futures::stream::iter(["hel", "lo"].map(|s| Ok::<_, std::io::Error>(Bytes::from(s))));
        let stored = store.write_stream(chunks).await.unwrap();
        assert_eq!(stored.size, 5);
        assert_eq!(hex::encode(stored.md5), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(read_blob(&store, &stored.name, 1, 3).await, b"ell");
        assert!(
            store
                .open_range("0".repeat(32).as_str(), 0, 1)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn failed_body_leaves_nothing_behind() {
        let (dir, store) = store();
        let chunks = futures::stream::iter([
            Ok(Bytes::from("x")),
            Err(std::io::Error::other("client went away")),
        ]);
        assert!(matches!(
            store.write_stream(chunks).await,
            Err(BlobWriteError::Body(_))
        ));
        let staging = std::fs::read_dir(dir.path().join("blobs").join(STAGING_DIR))
            .unwrap()
            .count();
        let blobs = store.sweep(&HashSet::new()).unwrap();
        assert_eq!((staging, blobs), (0, 0));
    }

    #[tokio::test]
    async fn concat_duplicate_and_sweep() {
        let (_dir, store) = store();
        let a = store.write_bytes(Bytes::from("ab")).await.unwrap();
        let b = store.write_bytes(Bytes::from("cd")).await.unwrap();
        let whole = store
            .concat(vec![a.name.clone(), b.name.clone()])
            .await
            .unwrap();
        assert_eq!(whole.size, 4);
        assert_eq!(read_blob(&store, &whole.name, 0, 4).await, b"abcd");
        let copy = store.duplicate(&whole.name).await.unwrap();
        store.remove(vec![whole.name.clone()]).await;
        assert_eq!(read_blob(&store, &copy, 0, 4).await, b"abcd");
        let keep = HashSet::from([copy.clone()]);
        assert_eq!(store.sweep(&keep).unwrap(), 2);
        assert_eq!(read_blob(&store, &copy, 2, 2).await, b"cd");
    }
}
