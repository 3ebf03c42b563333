//! The crate's error type, plus the error a consumer returns from `apply`.
//!
//! [`EventLogError`] is the one error enum of the crate. [`ConsumerError`] is not a failure of the
//! log but the vocabulary a consumer uses to say whether its failure is worth retrying, so it lives
//! here beside it rather than inside the consumer module's logic.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::format::{EntryDamage, HeaderProblem};
use crate::seq::Seq;

/// Shorthand for results whose error is [`EventLogError`].
pub type Result<T, E = EventLogError> = std::result::Result<T, E>;

/// Everything that can go wrong in the event log.
#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    /// A file-system call failed.
    #[error("{operation} '{}': {source}", path.display())]
    Io {
        /// What the log was doing.
        operation: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The error from the operating system.
        #[source]
        source: io::Error,
    },
    /// Another process (or another handle in this process) has the log directory open.
    #[error("event log '{}' is already open", path.display())]
    AlreadyOpen {
        /// The log directory.
        path: PathBuf,
    },
    /// A file's header does not decode.
    #[error("bad header in '{}': {problem}", path.display())]
    BadHeader {
        /// The segment or cursor file.
        path: PathBuf,
        /// What is wrong with it.
        problem: HeaderProblem,
    },
    /// A segment's header names a different first Seq than its file name.
    #[error("segment '{}' starts at seq '{found}' but its name says '{expected}'", path.display())]
    SegmentNameMismatch {
        /// The segment file.
        path: PathBuf,
        /// The Seq in the file name.
        expected: Seq,
        /// The Seq in the header.
        found: Seq,
    },
    /// Damage inside a sealed segment (or below the durable tail), which recovery must not cut.
    #[error("corrupt entry in '{}' at byte offset '{offset}' (seq '{seq}'): {damage}", path.display())]
    CorruptEntry {
        /// The segment file.
        path: PathBuf,
        /// Byte offset of the damaged entry within the file.
        offset: u64,
        /// The Seq the damaged entry should have had.
        seq: Seq,
        /// What is wrong with it.
        damage: EntryDamage,
    },
    /// A sealed segment holds a different number of entries than the next segment's name implies.
    #[error("segment '{}' holds '{found}' entries but the next segment implies '{expected}'", path.display())]
    SegmentEntryCountMismatch {
        /// The segment file.
        path: PathBuf,
        /// The count implied by the next segment's first Seq.
        expected: u64,
        /// The count found.
        found: u64,
    },
    /// One payload of an append is larger than the format allows.
    #[error("payload of '{length}' bytes exceeds the limit of '{limit}' bytes")]
    PayloadTooLarge {
        /// The payload's length.
        length: usize,
        /// The largest length allowed.
        limit: u32,
    },
    /// The write or fsync of the group this append belonged to failed; it may or may not be on disk.
    #[error("committing to '{}' failed: {source}", path.display())]
    CommitFailed {
        /// The segment being written.
        path: PathBuf,
        /// The error from the operating system, shared by every append of the group.
        #[source]
        source: Arc<io::Error>,
    },
    /// An earlier write or fsync failed; the log refuses appends until it is reopened.
    #[error("event log refuses appends after an earlier failure: {reason}")]
    Poisoned {
        /// The earlier failure.
        reason: String,
    },
    /// The log's writer thread is gone (the log was closed or the thread panicked).
    #[error("event log writer has stopped")]
    WriterStopped,
    /// A reader asked for an entry that retention already removed.
    #[error("seq '{requested}' was removed by retention; the log now starts at '{log_start}'")]
    SeqCompacted {
        /// The Seq asked for.
        requested: Seq,
        /// The oldest Seq still in the log.
        log_start: Seq,
    },
    /// A reader asked to start after the end of the log.
    #[error("seq '{requested}' is beyond the log's durable tail '{durable_tail}'")]
    SeqBeyondTail {
        /// The Seq asked for.
        requested: Seq,
        /// The durable tail.
        durable_tail: Seq,
    },
    /// A consumer name that cannot be used as a cursor file name.
    #[error(
        "invalid consumer name '{name}': use 1 to 64 of A-Z a-z 0-9 . _ - not starting with '.'"
    )]
    InvalidConsumerName {
        /// The rejected name.
        name: String,
    },
    /// A consumer with this name is already being run in this process.
    #[error("consumer '{name}' is already running")]
    ConsumerAlreadyRunning {
        /// The consumer.
        name: String,
    },
    /// A consumer's `apply` failed with an error it declared not retryable.
    #[error("consumer '{name}' failed: {source}")]
    ConsumerFailed {
        /// The consumer.
        name: String,
        /// Its error.
        #[source]
        source: ConsumerError,
    },
    /// A consumer's `apply` panicked.
    #[error("consumer '{name}' panicked")]
    ConsumerPanicked {
        /// The consumer.
        name: String,
    },
}

impl EventLogError {
    /// Wraps an IO error with what was being done to which path.
    pub(crate) fn io(operation: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        EventLogError::Io {
            operation,
            path: path.into(),
            source,
        }
    }
}

/// The boxed cause of a consumer failure.
pub type ConsumerErrorSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a consumer's `apply` returns when it could not make its output durable.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// Worth retrying the same batch later (a destination is briefly unreachable, a disk is full).
    #[error("transient: {0}")]
    Transient(#[source] ConsumerErrorSource),
    /// Retrying cannot help; the consumer stops and `run_consumer` returns the error.
    #[error("permanent: {0}")]
    Permanent(#[source] ConsumerErrorSource),
}

impl ConsumerError {
    /// A retryable failure described by `message`.
    pub fn transient(message: impl Into<String>) -> Self {
        ConsumerError::Transient(message.into().into())
    }

    /// A failure that retrying cannot fix, described by `message`.
    pub fn permanent(message: impl Into<String>) -> Self {
        ConsumerError::Permanent(message.into().into())
    }
}
