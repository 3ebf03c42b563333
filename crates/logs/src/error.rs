//! The crate's two error types: [`LogsError`], a failure of OpenTrail's own machinery or of the
//! programmatic trail path (the one `thiserror` enum of the crate), and [`LogsApiError`], the
//! CloudWatch Logs exception an API call answers with (its `__type` and message).
//!
//! The HTTP status of an exception is the server's business; this module only names the codes.
//! Messages of [`LogsApiError`] are worded as AWS words them where that is known (observed
//! responses), so clients that match on text keep working.

use std::path::PathBuf;

/// A failure of the logs service itself, or a refusal on the trail path.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// The database file could not be opened or prepared.
    #[error("cannot open logs database {path:?}: {source}")]
    Open {
        /// The database path.
        path: PathBuf,
        /// What SQLite reported.
        source: rusqlite::Error,
    },
    /// The database was written by a newer OpenTrail with a schema this binary does not know.
    #[error(
        "logs database {path:?} has schema version {found}, newer than the {supported} this binary knows"
    )]
    SchemaTooNew {
        /// The database path.
        path: PathBuf,
        /// The schema version recorded in the database.
        found: i64,
        /// The highest schema version this binary knows.
        supported: i64,
    },
    /// A statement failed after the database was open.
    #[error("logs database statement failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// [`crate::Logs::append_internal`] named a log group that does not exist.
    #[error("log group '{group}' does not exist in account '{account_id}' region '{region}'")]
    LogGroupNotFound {
        /// The caller's account.
        account_id: String,
        /// The caller's region.
        region: String,
        /// The missing group's name.
        group: String,
    },
    /// [`crate::Logs::append_internal`] was given a name CloudWatch Logs would refuse.
    #[error("invalid log {what} name '{name}'")]
    InvalidName {
        /// `group` or `stream`.
        what: &'static str,
        /// The refused name.
        name: String,
    },
}

/// A CloudWatch Logs exception: the wire `__type` and the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct LogsApiError {
    /// The exception name, e.g. `ResourceNotFoundException`.
    pub code: &'static str,
    /// Human-readable text.
    pub message: String,
}

impl LogsApiError {
    /// An error with this exact code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        LogsApiError {
            code,
            message: message.into(),
        }
    }

    /// `InvalidParameterException`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    /// `ResourceNotFoundException` for a missing log group, worded as AWS does.
    pub fn group_not_found() -> Self {
        Self::new(
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        )
    }

    /// `ResourceNotFoundException` for a missing log stream, worded as AWS does.
    pub fn stream_not_found() -> Self {
        Self::new(
            "ResourceNotFoundException",
            "The specified log stream does not exist.",
        )
    }

    /// `InvalidParameterException` for a pagination token this service did not issue.
    pub fn invalid_next_token() -> Self {
        Self::invalid_parameter("The specified nextToken is invalid.")
    }

    /// `ServiceUnavailableException`: OpenTrail failed internally (the cause is logged).
    pub fn service_unavailable() -> Self {
        Self::new(
            "ServiceUnavailableException",
            "The service cannot complete the request.",
        )
    }

    /// Whether the fault is the service's (`ServiceUnavailableException`) rather than the caller's.
    pub fn is_server_fault(&self) -> bool {
        self.code == "ServiceUnavailableException"
    }
}

impl From<LogsError> for LogsApiError {
    fn from(error: LogsError) -> Self {
        tracing::error!(%error, "logs call failed internally");
        LogsApiError::service_unavailable()
    }
}

impl From<rusqlite::Error> for LogsApiError {
    fn from(error: rusqlite::Error) -> Self {
        LogsError::Sqlite(error).into()
    }
}
