//! What every trail worker and the coordinator share: the event log, the state database, the
//! control plane, the signing keys, the destinations and notifier, the settings and the clock;
//! plus [`DeliveryHandle`], the outside view of a running delivery (wake it, flush it, watch what
//! it delivered).
//!
//! Nothing here decides anything; `worker` and `coordinator` do.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use opentrail_control::{ControlPlane, DeliveryKind, TrailArn};
use opentrail_eventlog::EventLog;
use opentrail_integrity::KeyStore;
use tokio::sync::watch;

use crate::config::{Clock, DeliveryConfig};
use crate::destination::DestinationResolver;
use crate::notify::Notifier;
use crate::state::StateDb;

/// Counters of what a running delivery has done, for tests, benchmarks and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounters {
    /// Log files confirmed stored.
    pub log_files: u64,
    /// Digest files confirmed stored.
    pub digests: u64,
    /// Notifications published.
    pub notifications: u64,
    /// Failed PUT or publish attempts.
    pub failed_attempts: u64,
    /// Objects given up after the retry age.
    pub abandoned: u64,
}

/// Requests from outside to the workers: a wake-up counter and a flush counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Nudge {
    pub wakes: u64,
    pub flushes: u64,
}

/// A handle on a running (or about to run) [`crate::TrailDelivery`]; cheap to clone.
#[derive(Clone)]
pub struct DeliveryHandle {
    pub(crate) nudge: Arc<watch::Sender<Nudge>>,
    pub(crate) counters: Arc<watch::Sender<DeliveryCounters>>,
    /// Set once the delivery and all its blocking work are gone.
    pub(crate) stopped: Arc<watch::Sender<bool>>,
}

impl fmt::Debug for DeliveryHandle {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DeliveryHandle")
            .field("counters", &*self.counters.borrow())
            .finish()
    }
}

impl DeliveryHandle {
    pub(crate) fn new() -> Self {
        DeliveryHandle {
            nudge: Arc::new(watch::Sender::new(Nudge::default())),
            counters: Arc::new(watch::Sender::new(DeliveryCounters::default())),
            stopped: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Resolves once the delivery has stopped and none of its blocking work (state commits,
    /// sealing) is still running, e.g. after its `run` future was dropped.
    pub async fn stopped(&self) {
        let mut stopped = self.stopped.subscribe();
        let _ = stopped.wait_for(|stopped| *stopped).await;
    }

    /// Makes every worker re-check its deadlines now (after a [`crate::ManualClock`] moved).
    pub fn wake(&self) {
        self.nudge.send_modify(|nudge| nudge.wakes += 1);
    }

    /// Makes every worker seal its open log files now, whatever their age, and deliver them.
    pub fn flush_now(&self) {
        self.nudge.send_modify(|nudge| nudge.flushes += 1);
    }

    /// A watch of the counters, to wait for deliveries without polling.
    pub fn subscribe(&self) -> watch::Receiver<DeliveryCounters> {
        self.counters.subscribe()
    }

    /// The counters now.
    pub fn counters(&self) -> DeliveryCounters {
        *self.counters.borrow()
    }

    pub(crate) fn count(&self, change: impl FnOnce(&mut DeliveryCounters)) {
        self.counters.send_modify(change);
    }
}

/// Everything the workers and the coordinator share.
pub(crate) struct Shared {
    pub log: EventLog,
    pub state: Arc<StateDb>,
    pub control: Arc<ControlPlane>,
    pub keys: Arc<KeyStore>,
    pub resolver: Arc<dyn DestinationResolver>,
    pub notifier: Arc<dyn Notifier>,
    pub config: DeliveryConfig,
    pub clock: Arc<dyn Clock>,
    pub handle: DeliveryHandle,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.handle.stopped.send_replace(true);
    }
}

impl Shared {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Reports one delivery outcome for GetTrailStatus; a failure to record it is only logged.
    pub fn report(
        &self,
        arn: &TrailArn,
        kind: DeliveryKind,
        at: DateTime<Utc>,
        outcome: Result<(), &str>,
    ) {
        if let Err(error) = self.control.record_delivery_status(arn, kind, at, outcome) {
            tracing::warn!(%error, trail = %arn, "recording delivery status failed");
        }
    }
}
