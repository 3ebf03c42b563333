//! The crate's error types: [`HistoryError`] for storage failures and [`LookupError`], the AWS
//! exception a LookupEvents call answers with. Nothing here formats HTTP responses.

/// A failure opening, writing or reading the history file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The SQLite file could not be opened or created.
    #[error("cannot open history database {path:?}: {source}")]
    Open {
        /// The path given to [`crate::History::open`].
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// A statement failed.
    #[error("history database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored record could not be decoded.
    #[error("corrupt stored record: {0}")]
    CorruptRecord(String),
}

/// A LookupEvents failure as AWS reports it: the exception name and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct LookupError {
    /// AWS's exception name, e.g. `InvalidLookupAttributesException`.
    pub code: &'static str,
    /// The human-readable message.
    pub message: String,
}

impl LookupError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        LookupError {
            code,
            message: message.into(),
        }
    }

    /// A server-side failure (storage), reported as AWS's `InternalFailure`.
    pub fn internal(error: &HistoryError) -> Self {
        LookupError::new("InternalFailure", format!("event history failed: {error}"))
    }
}

impl From<rusqlite::Error> for LookupError {
    fn from(error: rusqlite::Error) -> Self {
        LookupError::internal(&HistoryError::Sqlite(error))
    }
}
