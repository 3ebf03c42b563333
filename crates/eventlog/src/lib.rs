//! OpenTrail's durable event log: every audit event is appended here and acknowledged only after
//! it is fsynced; every consumer (event history, trail delivery, log groups, ...) reads from here
//! at its own durable cursor.
//!
//! A tour, in data-flow order:
//! - [`format`] is the one definition of the bytes on disk: segment and entry headers, cursor
//!   files, file names. Read it first; ADR 0002 explains the choices.
//! - [`EventLog`] (module `log`) is the handle: `open` recovers the directory (`recovery` cuts a
//!   torn tail, refuses damage elsewhere), `append` queues payloads for the writer thread
//!   (`writer`), which commits whole groups with one fdatasync and answers after it.
//! - [`LogReader`] (module `reader`) yields durable entries from any [`Seq`]; the durable tail is
//!   published on a `tokio::sync::watch` so readers wake without polling.
//! - [`Consumer`] and [`run_consumer`] (module `consumer`) are the shape of every consumer; their
//!   checkpoints live in `cursor`.
//! - `compaction` removes whole old segments every consumer has passed ([`EventLog::compact`]).
//! - [`EventLogStats`] (module `stats`) holds raw counters for metrics; [`FaultPlan`] (module
//!   `fault`) lets crash tests abort the process at chosen points of a commit.
//!
//! Payloads are opaque bytes: this crate never parses them. It does not know HTTP, records or what
//! any consumer produces, and nothing else in OpenTrail opens segment files.

mod compaction;
mod config;
mod consumer;
mod cursor;
mod error;
mod fault;
pub mod format;
mod log;
mod reader;
mod recovery;
mod segment;
mod seq;
mod snapshot;
mod stats;
mod writer;

pub use compaction::CompactionReport;
pub use config::EventLogConfig;
pub use consumer::{Consumer, ConsumerOptions, run_consumer, run_consumer_with};
pub use cursor::ConsumerName;
pub use error::{ConsumerError, ConsumerErrorSource, EventLogError, Result};
pub use fault::{FaultAction, FaultPlan, FaultPoint};
pub use log::{ConsumerLag, EventLog};
pub use reader::LogReader;
pub use recovery::{RecoveryReport, TailDamage, TailDamageKind};
pub use seq::{Entry, Seq, SeqRange};
pub use snapshot::{SnapshotReader, read_snapshot};
pub use stats::{EventLogStats, FSYNC_LATENCY_BOUNDS_MICROS, GROUP_ENTRIES_BOUNDS, Histogram};
pub use tokio_util::sync::CancellationToken;

#[cfg(test)]
mod tests;
