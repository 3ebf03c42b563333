//! [`TrailDelivery`]: the public entry point and the coordinator task. It keeps one
//! [`TrailWorker`] per trail in step with the control plane, and saves the event-log consumer
//! cursor (`trail-delivery`) at the minimum of the workers' safe positions.
//!
//! Why not `run_consumer`: its contract is "apply a batch, then checkpoint after it", one batch at
//! a time for the whole consumer. Trail delivery must let each trail move at its own pace (a trail
//! whose bucket is down may sit on a backlog for days while others deliver every few seconds), and
//! a trail's records stay in an open file for a whole delivery interval before anything is
//! durable. So each worker reads the log with its own [`opentrail_eventlog::LogReader`] from its
//! own position, and the cursor (which only bounds retention and restarts) trails the slowest one.
//!
//! New trails start reading at the saved cursor. That is safe because the cursor is saved only
//! while the coordinator's view of the trail set is current (the control plane's trail generation
//! did not move between reading positions and saving): a trail created later had its StartLogging
//! after every entry below the cursor was appended, so the logging-window rule excludes them anyway.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use opentrail_control::{ControlPlane, TrailConfig};
use opentrail_eventlog::{CancellationToken, ConsumerName, EventLog, Seq};
use opentrail_integrity::KeyStore;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::{Clock, DeliveryConfig, SystemClock};
use crate::destination::DestinationResolver;
use crate::error::{DeliveryError, Result};
use crate::notify::Notifier;
use crate::shared::{DeliveryHandle, Shared};
use crate::state::StateDb;
use crate::worker::TrailWorker;
use crate::worker_core::WorkerCore;

/// The event-log consumer name of trail delivery (names its cursor file).
pub const CONSUMER_NAME: &str = "trail-delivery";

/// How often the coordinator looks at the control plane's trail generation and saves the cursor.
const TRAIL_POLL: Duration = Duration::from_millis(100);

/// Trail delivery: the consumer that writes every logging trail's files, digests and notices.
pub struct TrailDelivery {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for TrailDelivery {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TrailDelivery")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// The coordinator's view of one running worker.
struct WorkerSlot {
    trail: watch::Sender<TrailConfig>,
    safe_position: watch::Receiver<Seq>,
    cancel: CancellationToken,
}

impl TrailDelivery {
    /// Checks `config` and opens the state database in `config.state_dir`.
    pub fn new(
        log: EventLog,
        control: Arc<ControlPlane>,
        keys: Arc<KeyStore>,
        resolver: Arc<dyn DestinationResolver>,
        notifier: Arc<dyn Notifier>,
        config: DeliveryConfig,
    ) -> Result<Self> {
        config.validate()?;
        let state = Arc::new(StateDb::open(&config.state_dir)?);
        let shared = Shared {
            log,
            state,
            control,
            keys,
            resolver,
            notifier,
            config,
            clock: Arc::new(SystemClock),
            handle: DeliveryHandle::new(),
        };
        Ok(TrailDelivery {
            shared: Arc::new(shared),
        })
    }

    /// Uses `clock` instead of the system clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        Arc::get_mut(&mut self.shared)
            .expect("not running yet")
            .clock = clock;
        self
    }

    /// A handle to wake, flush and watch this delivery.
    pub fn handle(&self) -> DeliveryHandle {
        self.shared.handle.clone()
    }

    /// Runs until `cancel` fires. Every worker stops at its next await; whatever was sealed is
    /// put on the next run, whatever was only in open files is read again from the log.
    pub async fn run(self, cancel: CancellationToken) -> Result<()> {
        let mut coordinator = Coordinator::start(self.shared).await?;
        let outcome = coordinator.run(&cancel).await;
        coordinator.stop().await;
        outcome?;
        coordinator.save_cursor().await
    }
}

struct Coordinator {
    shared: Arc<Shared>,
    name: ConsumerName,
    saved_cursor: Seq,
    workers: BTreeMap<String, WorkerSlot>,
    removed: BTreeSet<String>,
    tasks: JoinSet<(String, Result<()>)>,
    synced_generation: u64,
}

impl Coordinator {
    async fn start(shared: Arc<Shared>) -> Result<Self> {
        let name = ConsumerName::new(CONSUMER_NAME)?;
        let (log, registering) = (shared.log.clone(), name.clone());
        let saved_cursor = tokio::task::spawn_blocking(move || log.register_consumer(&registering))
            .await
            .map_err(|_| DeliveryError::TaskFailed("register".into()))??;
        Ok(Coordinator {
            shared,
            name,
            saved_cursor,
            workers: BTreeMap::new(),
            removed: BTreeSet::new(),
            tasks: JoinSet::new(),
            synced_generation: 0,
        })
    }

    async fn run(&mut self, cancel: &CancellationToken) -> Result<()> {
        loop {
            self.sync_trails().await?;
            self.save_cursor().await?;
            tokio::select! {
                () = cancel.cancelled() => return Ok(()),
                () = tokio::time::sleep(TRAIL_POLL) => {}
                Some(joined) = self.tasks.join_next() => self.worker_finished(joined).await?,
            }
        }
    }

    async fn stop(&mut self) {
        for slot in self.workers.values() {
            slot.cancel.cancel();
        }
        while self.tasks.join_next().await.is_some() {}
    }

    async fn worker_finished(
        &mut self,
        joined: std::result::Result<(String, Result<()>), tokio::task::JoinError>,
    ) -> Result<()> {
        let (key, outcome) =
            joined.map_err(|error| DeliveryError::TaskFailed(error.to_string()))?;
        outcome?;
        if self.removed.remove(&key) {
            let state = self.shared.state.clone();
            blocking(move || state.delete_trail(&key)).await?;
        }
        Ok(())
    }

    /// Starts, updates and stops workers to match the control plane's trails.
    async fn sync_trails(&mut self) -> Result<()> {
        let generation = self.shared.control.trail_generation();
        if generation == self.synced_generation {
            return Ok(());
        }
        let control = self.shared.control.clone();
        let trails = match blocking(move || Ok(control.try_trails_snapshot())).await? {
            Ok(trails) => trails,
            Err(error) => {
                tracing::warn!(%error, "reading trails failed; delivery keeps its current view");
                return Ok(());
            }
        };
        let current: BTreeMap<String, TrailConfig> = trails
            .into_iter()
            .map(|trail| (trail_key(&trail), trail))
            .collect();
        self.stop_removed_workers(&current);
        for (key, trail) in current {
            match self.workers.get(&key) {
                Some(slot) => {
                    slot.trail
                        .send_if_modified(|old| replace_if_changed(old, trail));
                }
                None => self.start_worker(key, trail).await?,
            }
        }
        self.forget_unknown_trails().await?;
        self.synced_generation = generation;
        Ok(())
    }

    fn stop_removed_workers(&mut self, current: &BTreeMap<String, TrailConfig>) {
        let gone: Vec<String> = self
            .workers
            .keys()
            .filter(|key| !current.contains_key(*key))
            .cloned()
            .collect();
        for key in gone {
            if let Some(slot) = self.workers.remove(&key) {
                slot.cancel.cancel();
                self.removed.insert(key);
            }
        }
    }

    /// Drops saved state of trails that no longer exist and have no worker winding down.
    async fn forget_unknown_trails(&mut self) -> Result<()> {
        let state = self.shared.state.clone();
        let saved = blocking(move || state.trail_keys()).await?;
        for key in saved {
            if !self.workers.contains_key(&key) && !self.removed.contains(&key) {
                let state = self.shared.state.clone();
                blocking(move || state.delete_trail(&key)).await?;
            }
        }
        Ok(())
    }

    async fn start_worker(&mut self, key: String, trail: TrailConfig) -> Result<()> {
        let (shared, floor, core_key) = (self.shared.clone(), self.saved_cursor, key.clone());
        let core = blocking(move || WorkerCore::open(shared, core_key, floor)).await?;
        let (trail_sender, trail_receiver) = watch::channel(trail);
        let (position_sender, position_receiver) = watch::channel(floor);
        let cancel = CancellationToken::new();
        let worker = TrailWorker::new(
            self.shared.clone(),
            key.clone(),
            trail_receiver,
            core,
            position_sender,
        );
        let (task_key, task_cancel) = (key.clone(), cancel.clone());
        self.tasks
            .spawn(async move { (task_key, worker.run(task_cancel).await) });
        let slot = WorkerSlot {
            trail: trail_sender,
            safe_position: position_receiver,
            cancel,
        };
        self.workers.insert(key, slot);
        Ok(())
    }

    /// Saves the cursor at the slowest worker's safe position (the durable tail when there are
    /// no trails), but only while the trail set is current.
    async fn save_cursor(&mut self) -> Result<()> {
        let tail = self.shared.log.durable_tail();
        let target = self
            .workers
            .values()
            .map(|slot| *slot.safe_position.borrow())
            .min()
            .unwrap_or(tail);
        let current = self.shared.control.trail_generation() == self.synced_generation;
        if !current || target <= self.saved_cursor {
            return Ok(());
        }
        let (log, name) = (self.shared.log.clone(), self.name.clone());
        blocking(move || Ok(log.save_consumer_cursor(&name, target)?)).await?;
        self.saved_cursor = target;
        Ok(())
    }
}

/// A trail's identity across renames of nothing: its ARN plus its creation time, so a trail
/// deleted and created again with the same name starts afresh.
fn trail_key(trail: &TrailConfig) -> String {
    format!(
        "{}#{}",
        trail.trail.arn,
        trail.trail.created_at.timestamp_millis()
    )
}

fn replace_if_changed(old: &mut TrailConfig, new: TrailConfig) -> bool {
    if *old == new {
        return false;
    }
    *old = new;
    true
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| DeliveryError::TaskFailed(error.to_string()))?
}
