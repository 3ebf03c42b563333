//! [`EventLog`], the handle everything else uses: open (with recovery), append, read, consumer
//! cursors, lag, retention and statistics.
//!
//! The handle is cheap to clone. The state shared with the writer thread and with readers is
//! [`LogState`]; only the writer thread writes segments, and readers never see past the durable
//! tail the writer publishes. Dropping the last handle closes the request queue and waits for the
//! writer thread to finish the group it holds (acknowledged appends are already fsynced, so there
//! is nothing to flush).

use std::fmt;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};

use crate::compaction::{self, CompactionReport};
use crate::config::EventLogConfig;
use crate::cursor::{ConsumerName, CursorRegistry};
use crate::error::{EventLogError, Result};
use crate::format::{self, MAX_PAYLOAD_LEN};
use crate::reader::LogReader;
use crate::recovery::{self, RecoveryReport};
use crate::segment::{SegmentMeta, sync_dir};
use crate::seq::{Seq, SeqRange};
use crate::stats::{EventLogStats, StatsRecorder};
use crate::writer::{AppendRequest, GroupCommitter};

/// One consumer's position and how far it is behind the durable tail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerLag {
    /// The consumer.
    pub name: ConsumerName,
    /// Its saved cursor: the next entry it has not applied.
    pub cursor: Seq,
    /// Durable entries it has not applied yet (durable tail - cursor).
    pub lag: u64,
}

/// State shared by the handle, the writer thread and readers.
#[derive(Debug)]
pub(crate) struct LogState {
    pub dir: PathBuf,
    segments: Mutex<Vec<SegmentMeta>>,
    durable_tail: watch::Sender<Seq>,
    pub stats: StatsRecorder,
    poisoned: AtomicBool,
    poison_reason: Mutex<Option<String>>,
    pub cursors: CursorRegistry,
    pub recovery: RecoveryReport,
}

impl LogState {
    /// The segment list, oldest first; the last one is active.
    pub(crate) fn segments(&self) -> MutexGuard<'_, Vec<SegmentMeta>> {
        self.segments.lock().expect("segment list lock poisoned")
    }

    pub(crate) fn add_segment(&self, meta: SegmentMeta) {
        self.segments().push(meta);
    }

    pub(crate) fn log_start(&self) -> Seq {
        self.segments()[0].first_seq
    }

    pub(crate) fn durable_tail(&self) -> Seq {
        *self.durable_tail.borrow()
    }

    pub(crate) fn subscribe_durable_tail(&self) -> watch::Receiver<Seq> {
        self.durable_tail.subscribe()
    }

    pub(crate) fn publish_durable_tail(&self, tail: Seq) {
        self.durable_tail.send_replace(tail);
    }

    pub(crate) fn poison(&self, reason: String) {
        *self.poison_reason.lock().expect("poison lock poisoned") = Some(reason);
        self.poisoned.store(true, Ordering::Release);
    }

    fn refuse_if_poisoned(&self) -> Result<()> {
        if !self.poisoned.load(Ordering::Acquire) {
            return Ok(());
        }
        let reason = self
            .poison_reason
            .lock()
            .expect("poison lock poisoned")
            .clone()
            .unwrap_or_default();
        Err(EventLogError::Poisoned { reason })
    }
}

/// The durable event log of one directory. Clones share the same log.
#[derive(Clone)]
pub struct EventLog {
    handle: Arc<LogHandle>,
}

struct LogHandle {
    state: Arc<LogState>,
    requests: Option<mpsc::Sender<AppendRequest>>,
    writer: Option<JoinHandle<()>>,
    _lock: File,
}

impl Drop for LogHandle {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl fmt::Debug for EventLog {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("EventLog")
            .field("dir", &self.handle.state.dir)
            .field("durable_tail", &self.durable_tail())
            .finish_non_exhaustive()
    }
}

impl EventLog {
    /// Opens (creating if needed) the log in `dir`: takes its lock, recovers it (cutting a torn
    /// tail), loads consumer cursors and starts the writer thread. Blocking; call it at startup or
    /// from `spawn_blocking`.
    pub fn open(dir: impl AsRef<Path>, config: EventLogConfig) -> Result<EventLog> {
        let dir = dir.as_ref().to_path_buf();
        create_log_dir(&dir)?;
        let lock = lock_log_dir(&dir)?;
        let recovered = recovery::recover(&dir, &config)?;
        if let Some(damage) = &recovered.report.tail_damage {
            tracing::warn!(
                ?damage,
                cut_bytes = recovered.report.truncated_bytes,
                "event log recovered from a torn tail"
            );
        }
        let cursors = CursorRegistry::open(&dir)?;
        let state = Arc::new(LogState {
            dir,
            segments: Mutex::new(recovered.segments),
            durable_tail: watch::Sender::new(recovered.report.next_seq),
            stats: StatsRecorder::new(),
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(None),
            cursors,
            recovery: recovered.report,
        });
        let (requests, receiver) = mpsc::channel(config.request_queue_len.max(1));
        let committer = GroupCommitter::new(state.clone(), recovered.active, &config);
        let writer = thread::Builder::new()
            .name("eventlog-writer".to_owned())
            .spawn(move || committer.run(receiver))
            .map_err(|error| EventLogError::io("starting writer thread for", &state.dir, error))?;
        let handle = LogHandle {
            state,
            requests: Some(requests),
            writer: Some(writer),
            _lock: lock,
        };
        Ok(EventLog {
            handle: Arc::new(handle),
        })
    }

    /// Appends `payloads` as consecutive entries and resolves once they are fsynced, with their
    /// sequence numbers. If the future is dropped after the request was queued, the entries may
    /// still be written; they are just not acknowledged.
    pub async fn append(&self, payloads: Vec<Bytes>) -> Result<SeqRange> {
        let (request, answer) = self.prepare_append(payloads)?;
        self.sender()
            .send(request)
            .await
            .map_err(|_| EventLogError::WriterStopped)?;
        answer.await.map_err(|_| EventLogError::WriterStopped)?
    }

    /// [`EventLog::append`] for threads outside the async runtime; panics if called from async
    /// code (use `append` there).
    pub fn append_blocking(&self, payloads: Vec<Bytes>) -> Result<SeqRange> {
        let (request, answer) = self.prepare_append(payloads)?;
        self.sender()
            .blocking_send(request)
            .map_err(|_| EventLogError::WriterStopped)?;
        answer
            .blocking_recv()
            .map_err(|_| EventLogError::WriterStopped)?
    }

    fn prepare_append(
        &self,
        payloads: Vec<Bytes>,
    ) -> Result<(AppendRequest, oneshot::Receiver<Result<SeqRange>>)> {
        self.handle.state.refuse_if_poisoned()?;
        if let Some(payload) = payloads
            .iter()
            .find(|payload| payload.len() > MAX_PAYLOAD_LEN as usize)
        {
            return Err(EventLogError::PayloadTooLarge {
                length: payload.len(),
                limit: MAX_PAYLOAD_LEN,
            });
        }
        let payload_checksums = payloads
            .iter()
            .map(|payload| format::payload_checksum(payload))
            .collect();
        let (answer_sender, answer) = oneshot::channel();
        let request = AppendRequest {
            payloads,
            payload_checksums,
            answer: answer_sender,
        };
        Ok((request, answer))
    }

    fn sender(&self) -> &mpsc::Sender<AppendRequest> {
        self.handle
            .requests
            .as_ref()
            .expect("request sender lives until the handle drops")
    }

    /// A reader positioned at `from` that yields durable entries only.
    pub fn reader(&self, from: Seq) -> Result<LogReader> {
        LogReader::new(self.handle.state.clone(), from)
    }

    /// The Seq after the last durable entry: every entry below it is fsynced and readable.
    pub fn durable_tail(&self) -> Seq {
        self.handle.state.durable_tail()
    }

    /// A watch that changes whenever the durable tail advances, so consumers wake without polling.
    pub fn subscribe_durable_tail(&self) -> watch::Receiver<Seq> {
        self.handle.state.subscribe_durable_tail()
    }

    /// The oldest Seq still in the log (retention removes older segments).
    pub fn log_start(&self) -> Seq {
        self.handle.state.log_start()
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.handle.state.dir
    }

    /// What recovery found and did when this log was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.handle.state.recovery
    }

    /// A snapshot of the append counters and histograms.
    pub fn stats(&self) -> EventLogStats {
        self.handle.state.stats.snapshot()
    }

    /// Registers a consumer at the oldest retained entry unless it is registered already; returns
    /// its cursor. From then on retention keeps every entry at or after its cursor.
    pub fn register_consumer(&self, name: &ConsumerName) -> Result<Seq> {
        let state = &self.handle.state;
        state.cursors.register(name, || state.log_start())
    }

    /// Claims `name` for one runner until the returned guard drops.
    pub(crate) fn claim_consumer(&self, name: &ConsumerName) -> Result<ConsumerClaim> {
        self.handle.state.cursors.start_run(name)?;
        Ok(ConsumerClaim {
            log: self.clone(),
            name: name.clone(),
        })
    }

    /// The saved cursor of a registered consumer.
    pub fn consumer_cursor(&self, name: &ConsumerName) -> Option<Seq> {
        self.handle.state.cursors.position(name)
    }

    /// Durably saves a consumer's cursor (the next entry it has not applied). Call only after the
    /// consumer's output for every entry below `position` is durable. Cursors never move back.
    pub fn save_consumer_cursor(&self, name: &ConsumerName, position: Seq) -> Result<()> {
        self.handle.state.cursors.save(name, position)
    }

    /// Unregisters a consumer so it no longer holds back retention; returns whether it existed.
    pub fn remove_consumer(&self, name: &ConsumerName) -> Result<bool> {
        self.handle.state.cursors.remove(name)
    }

    /// Every registered consumer's cursor and lag behind the durable tail.
    pub fn consumer_lags(&self) -> Vec<ConsumerLag> {
        let tail = self.durable_tail();
        let cursors = self.handle.state.cursors.all();
        cursors
            .into_iter()
            .map(|(name, cursor)| ConsumerLag {
                name,
                cursor,
                lag: tail.entries_since(cursor),
            })
            .collect()
    }

    /// Removes whole sealed segments that every registered consumer has passed and that were last
    /// written more than `retention` ago. Never removes the active segment.
    pub fn compact(&self, retention: Duration) -> Result<CompactionReport> {
        self.compact_as_of(retention, SystemTime::now())
    }

    /// [`EventLog::compact`] with the current time given, so that tests can pin it.
    pub fn compact_as_of(&self, retention: Duration, now: SystemTime) -> Result<CompactionReport> {
        compaction::compact(&self.handle.state, retention, now)
    }
}

/// Proof that a consumer is being run by one runner only; releases the claim when dropped.
#[derive(Debug)]
pub(crate) struct ConsumerClaim {
    log: EventLog,
    name: ConsumerName,
}

impl Drop for ConsumerClaim {
    fn drop(&mut self) {
        self.log.handle.state.cursors.finish_run(&self.name);
    }
}

fn create_log_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|error| EventLogError::io("creating directory", dir, error))?;
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => Ok(()),
    }
}

fn lock_log_dir(dir: &Path) -> Result<File> {
    let path = dir.join(format::LOCK_FILE_NAME);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|error| EventLogError::io("opening lock file", &path, error))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(EventLogError::AlreadyOpen {
            path: dir.to_path_buf(),
        }),
        Err(fs::TryLockError::Error(error)) => Err(EventLogError::io("locking", &path, error)),
    }
}
