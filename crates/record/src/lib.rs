//! The CloudTrail record model shared by every OpenTrail component.
//!
//! A tour:
//! - [`envelope`] is the one format that goes into the durable event log: the owning account, where the
//!   record came from, and the record's original JSON bytes.
//! - [`identity`] renders the `userIdentity` object for OpenTrail's principals (IAMUser and Root shapes).
//! - [`audit`] builds the record of one API call (self-audit) in CloudTrail's own key order.
//! - [`ingest`] splits CloudTrail log files and JSON lines into records, keeping each record's original
//!   bytes, and checks each one on its own so one bad record never sinks a batch.
//! - [`naming`] converts AWS request members to CloudTrail's lower-camel `requestParameters` style.
//!
//! This crate does no IO and knows nothing about HTTP, storage or consumers.

pub mod audit;
pub mod envelope;
pub mod identity;
pub mod ingest;
pub mod naming;

pub use audit::{ApiCallRecord, TlsDetails};
pub use envelope::{Envelope, EnvelopeError, RecordSource};
pub use identity::PrincipalIdentity;
pub use ingest::{
    IngestError, IngestedRecord, RecordRejection, SplitOutcome, split_records, validate_record,
};

/// The current CloudTrail record format version that OpenTrail writes.
pub const EVENT_VERSION: &str = "1.11";

/// CloudTrail's limit on the size of one record, in bytes.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// Formats a time as CloudTrail's `eventTime` (`YYYY-MM-DDTHH:MM:SSZ`, UTC, whole seconds).
pub fn format_event_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
