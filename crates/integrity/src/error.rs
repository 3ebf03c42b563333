//! The one error type of the integrity crate.
//!
//! Messages are lowercase and quote the offending value; nothing here maps errors to AWS codes or
//! HTTP statuses (the server does that).

use std::path::PathBuf;

/// Everything that can go wrong while generating, storing, loading or checking signing keys.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    /// The RSA key generator failed (system RNG or prime search).
    #[error("rsa key generation failed: {0}")]
    KeyGeneration(String),
    /// A key could not be encoded to, or decoded from, PKCS#1 DER.
    #[error("rsa key encoding failed: {0}")]
    KeyEncoding(String),
    /// A region name that is not a plain AWS region id (it becomes part of a file name).
    #[error("invalid region name {0:?}")]
    InvalidRegion(String),
    /// A filesystem operation on the key store failed.
    #[error("key store io error at {path:?}: {source}")]
    Io {
        /// The file or directory that was being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A key store file exists but cannot be understood.
    #[error("corrupt key store file {path:?}: {reason}")]
    CorruptKeyFile {
        /// The file that failed to load.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Bytes that are not a digest file's JSON (missing field, wrong type, bad timestamp).
    #[error("invalid digest file json: {0}")]
    InvalidDigestJson(String),
    /// A signature is not lower-case hex, or does not verify with the given public key.
    #[error("signature verification failed for signature {0:?}")]
    SignatureMismatch(String),
}

impl IntegrityError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IntegrityError::Io {
            path: path.into(),
            source,
        }
    }
}
