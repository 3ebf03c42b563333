//! The one error type of the delivery crate, plus [`DestinationError`], the vocabulary a
//! destination (an S3 bucket, an SNS topic) uses to say what went wrong with one request.
//!
//! [`DeliveryError`] is for failures of the consumer itself (its state database, the event log,
//! the control plane, its configuration); destination failures are not errors of the consumer:
//! they are retried and reported through GetTrailStatus. Messages are lowercase and quote the
//! offending value. Nothing here maps errors to AWS codes or HTTP statuses.

use std::path::PathBuf;

/// Everything that stops trail delivery (as opposed to one failed PUT, which is retried).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The delivery state database failed.
    #[error("delivery state database '{}': {source}", path.display())]
    State {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A file-system call on the state directory failed.
    #[error("delivery state directory '{}': {source}", path.display())]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// The error from the operating system.
        #[source]
        source: std::io::Error,
    },
    /// The state database holds something this build cannot read.
    #[error("corrupt delivery state: {0}")]
    CorruptState(String),
    /// The event log failed (reading entries, saving the cursor).
    #[error("event log: {0}")]
    EventLog(#[from] opentrail_eventlog::EventLogError),
    /// A setting is outside what delivery supports.
    #[error("invalid delivery setting '{setting}': {problem}")]
    InvalidConfig {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong with its value (quoting it).
        problem: String,
    },
    /// A digest could not be built or signed.
    #[error("digest for trail '{trail}' in region '{region}': {message}")]
    Digest {
        /// The trail ARN.
        trail: String,
        /// The digest's source region.
        region: String,
        /// What failed.
        message: String,
    },
    /// An S3-compatible destination could not be configured.
    #[error("s3 destination for bucket '{bucket}': {message}")]
    DestinationSetup {
        /// The bucket.
        bucket: String,
        /// What the client builder said.
        message: String,
    },
    /// A delivery task panicked or was lost.
    #[error("delivery task '{0}' failed")]
    TaskFailed(String),
}

impl DeliveryError {
    pub(crate) fn state(path: impl Into<PathBuf>, source: rusqlite::Error) -> Self {
        DeliveryError::State {
            path: path.into(),
            source,
        }
    }
}

/// Shorthand for results whose error is [`DeliveryError`].
pub type Result<T, E = DeliveryError> = std::result::Result<T, E>;

/// How a destination request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationErrorKind {
    /// The object already exists (a write-once put found the key taken). Delivery treats this as
    /// success when it is retrying a put of its own whose answer was lost.
    AlreadyExists,
    /// Worth retrying soon (network, 5xx, throttling, destination briefly down).
    Retryable,
    /// Retrying soon will not help (no such bucket, access denied); delivery still retries at the
    /// longest backoff, because the owner may fix the bucket.
    Permanent,
}

/// One failed destination request: what kind of failure and the destination's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DestinationError {
    /// The kind of failure.
    pub kind: DestinationErrorKind,
    /// What the destination said, shown to users as `LatestDeliveryError`.
    pub message: String,
}

impl DestinationError {
    /// A retryable failure.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(DestinationErrorKind::Retryable, message)
    }

    /// A failure retrying soon will not fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(DestinationErrorKind::Permanent, message)
    }

    /// A write-once put that found its key taken.
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(DestinationErrorKind::AlreadyExists, message)
    }

    fn new(kind: DestinationErrorKind, message: impl Into<String>) -> Self {
        DestinationError {
            kind,
            message: message.into(),
        }
    }

    /// Whether retrying soon may help.
    pub fn is_retryable(&self) -> bool {
        self.kind == DestinationErrorKind::Retryable
    }
}
