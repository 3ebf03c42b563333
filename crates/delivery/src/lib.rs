//! Trail delivery: the event-log consumer that makes OpenTrail's trails deliver, as CloudTrail
//! does, gzipped `{"Records":[...]}` log files, hourly (configurable) signed digest files and SNS
//! notices to each trail's S3 bucket, exactly once as users see it.
//!
//! A tour, in data-flow order:
//! - [`TrailDelivery`] (module `coordinator`) is the entry point: one worker per trail, kept in
//!   step with the control plane, and the consumer cursor saved at the slowest worker's safe
//!   position (ADR 0010 explains why it drives the log itself instead of `run_consumer`).
//! - `worker` is a trail's async loop: put sealed objects with backoff, publish notices, step,
//!   sleep. `worker_core` is its blocking half: read the trail's own log reader, route records
//!   (`routing`, over the fields `record` reads), fill per-region files (`logfile`), seal them and
//!   the digests into the state database (`state`, `delivery.sqlite`) before anything is put.
//! - [`Destination`] and [`DestinationResolver`] (module `destination`) are where objects go;
//!   [`S3CompatibleDestination`] reaches any S3 endpoint, [`MemoryDestination`] serves tests.
//!   [`Notifier`] (module `notify`) is the SNS seam.
//! - [`routing`] holds the rules (account, region, global services, selectors) and the loop guard
//!   [`routing::suppresses_delivery_write`] that the S3 data-event recorder can call too.
//!
//! It does not create buckets, check bucket policies (the control plane does at CreateTrail), sign
//! with its own keys (the integrity crate's [`opentrail_integrity::KeyStore`]), deliver Insights
//! or CloudWatch Logs, or know HTTP.

mod config;
mod coordinator;
mod destination;
mod error;
mod logfile;
mod notify;
mod record;
pub mod routing;
mod s3_destination;
mod shared;
mod state;
mod worker;
mod worker_core;

pub use config::{
    Clock, DeliveryConfig, MIN_DELIVERY_INTERVAL, MIN_DIGEST_INTERVAL, MIN_FILE_BYTES, ManualClock,
    SystemClock,
};
pub use coordinator::{CONSUMER_NAME, TrailDelivery};
pub use destination::{
    BoxFuture, Destination, DestinationResolver, MemoryDestination, SingleDestination, StoredObject,
};
pub use error::{DeliveryError, DestinationError, DestinationErrorKind, Result};
pub use logfile::{OpenLogFile, SealedLogFile};
pub use notify::{NoNotifier, Notifier, notification_message};
pub use record::{RecordSummary, ResourceSummary};
pub use s3_destination::{S3CompatibleDestination, S3Endpoint};
pub use shared::{DeliveryCounters, DeliveryHandle};
pub use state::STATE_FILE_NAME;
pub use worker_core::OBJECT_CONTENT_TYPE;
