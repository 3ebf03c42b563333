//! The crate's one error type, for failures that are not S3 protocol answers.
//!
//! Protocol errors that a client sees (`NoSuchBucket`, `BadDigest`, ...) are `s3s::S3Error` values built
//! in [`crate::aws_errors`]; this enum is what [`crate::S3Front::open`] and
//! [`crate::S3Front::put_object_internal`] return, and what the storage layers raise before it is turned
//! into an `InternalError` for a client.

use std::path::PathBuf;

/// Everything that can go wrong in the S3 front outside the S3 protocol itself.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// A file or directory operation in the data directory failed.
    #[error("i/o error on {path:?}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The SQLite bucket/object index failed.
    #[error("index database error: {0}")]
    Index(#[from] rusqlite::Error),
    /// A stored row could not be decoded (a corrupt or foreign index).
    #[error("corrupt index row for {what:?}: {reason}")]
    CorruptIndex {
        /// Which row.
        what: String,
        /// Why it could not be decoded.
        reason: String,
    },
    /// A blocking task was cancelled or panicked.
    #[error("background task failed: {0}")]
    Background(String),
    /// The configuration cannot be used.
    #[error("invalid s3 configuration: {0}")]
    InvalidConfig(String),
    /// The bucket does not exist.
    #[error("no such bucket {0:?}")]
    NoSuchBucket(String),
    /// A write-once put found an object already under the key.
    #[error("object {key:?} already exists in bucket {bucket:?}")]
    ObjectExists {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
}

impl S3Error {
    /// Wraps an i/o error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
