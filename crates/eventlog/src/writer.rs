//! The writer thread: group commit.
//!
//! One dedicated OS thread owns the active segment. It blocks for the next append request, takes
//! every other request already queued (up to `max_group_bytes`), writes them all (vectored writes
//! straight from the appenders' buffers; the appenders computed the payload checksums), calls
//! fdatasync once, publishes the new durable tail and only then answers the group's requests; a
//! large group's answers go to a second thread that wakes the appenders while the writer goes on
//! with the next group.
//! Concurrent appenders therefore share one fsync, and no appender hears of success before it.
//!
//! A failed write or fsync fails every request of the group and poisons the log: all later appends
//! fail until the log is reopened. Retrying is not safe. After a failed fsync, Linux may already
//! have dropped the dirty pages or marked them clean, so a second fsync can report success for data
//! that never reached the disk; and after a failed or partial write, the file's end is unknown.
//! Reopening runs recovery, which reads back what is actually in the file and cuts what does not
//! check out. Appends of the failed group got an error but may still turn up after reopening, so a
//! client that retries can create a duplicate; consumers are idempotent by event ID for this reason.
//!
//! This module does not read entries back, and it is the only code that writes to segments.

use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, mpsc as std_mpsc};
use std::thread;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::config::EventLogConfig;
use crate::error::{EventLogError, Result};
use crate::fault::{FaultPlan, FaultPoint, check_fault};
use crate::format::{self, EntryHeader};
use crate::log::LogState;
use crate::recovery::ActiveSegment;
use crate::segment;
use crate::seq::{Seq, SeqRange};

/// One append call waiting for the writer.
#[derive(Debug)]
pub(crate) struct AppendRequest {
    pub payloads: Vec<Bytes>,
    /// `format::payload_checksum` of each payload, computed on the appending thread so that the
    /// writer thread, which all appends share, does not spend its time checksumming.
    pub payload_checksums: Vec<u32>,
    pub answer: oneshot::Sender<Result<SeqRange>>,
}

/// An entry of the group being committed: its encoded header and the appender's payload.
#[derive(Debug)]
struct PendingEntry<'group> {
    header: [u8; format::ENTRY_HEADER_LEN],
    payload: &'group Bytes,
}

/// A committed (or failed) group: each request with the answer it gets.
type AnsweredGroup = Vec<(AppendRequest, Result<SeqRange>)>;

/// The answering thread's body: tells the appenders of the groups handed to it, in commit order.
/// Waking hundreds of waiting tasks costs real time, which the writer thread spends on the next
/// group instead. Small groups are answered by the writer itself, so answers of different groups
/// may arrive out of commit order; each appender waits for its own answer only, and the durable
/// tail is published before any answer.
fn answer_groups(groups: std_mpsc::Receiver<AnsweredGroup>) {
    for group in groups {
        answer_group(group);
    }
}

fn answer_group(group: AnsweredGroup) {
    for (request, answer) in group {
        let _ = request.answer.send(answer);
    }
}

/// Groups of at most this many requests are answered by the writer itself: handing them to the
/// answering thread would cost a thread wake-up more than it saves.
const ANSWER_INLINE_UP_TO: usize = 4;

/// How many zeros to write ahead of the data at a time (see `GroupCommitter::preallocate_for`).
const PREALLOCATION_BYTES: u64 = 1024 * 1024;

/// Entries per `writev` call: two slices each, within Linux's limit of 1024 slices.
const ENTRIES_PER_WRITE_CALL: usize = 512;

/// Writes every slice completely, continuing after short writes.
fn write_all_vectored(file: &mut File, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "segment file took no bytes",
                ));
            }
            Ok(written) => IoSlice::advance_slices(&mut slices, written),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

impl AppendRequest {
    fn payload_bytes(&self) -> usize {
        self.payloads.iter().map(Bytes::len).sum()
    }
}

/// Why a group commit failed: the file it was writing and the OS error.
#[derive(Debug)]
struct CommitFailure {
    path: PathBuf,
    source: io::Error,
}

impl CommitFailure {
    fn from_log_error(error: EventLogError, path: &std::path::Path) -> Self {
        match error {
            EventLogError::Io { path, source, .. } => CommitFailure { path, source },
            other => CommitFailure {
                path: path.to_path_buf(),
                source: io::Error::other(other.to_string()),
            },
        }
    }
}

/// The state the writer thread owns.
#[derive(Debug)]
pub(crate) struct GroupCommitter {
    state: Arc<LogState>,
    active: ActiveSegment,
    next_seq: Seq,
    segment_max_bytes: u64,
    max_group_bytes: usize,
    preallocate_groups_up_to_bytes: u64,
    fault_plan: Option<FaultPlan>,
    groups_started: u64,
    failure: Option<String>,
}

impl GroupCommitter {
    pub(crate) fn new(
        state: Arc<LogState>,
        active: ActiveSegment,
        config: &EventLogConfig,
    ) -> Self {
        GroupCommitter {
            state,
            next_seq: active.meta.first_seq.plus(active.entries),
            active,
            segment_max_bytes: config.segment_max_bytes,
            max_group_bytes: config.max_group_bytes,
            preallocate_groups_up_to_bytes: config.preallocate_groups_up_to_bytes,
            fault_plan: config.fault_plan,
            groups_started: 0,
            failure: None,
        }
    }

    /// The thread's body: commit groups until every sender is gone.
    pub(crate) fn run(mut self, mut requests: mpsc::Receiver<AppendRequest>) {
        let (answers, answer_queue) = std_mpsc::channel();
        let answerer = thread::Builder::new()
            .name("eventlog-acks".to_owned())
            .spawn(move || answer_groups(answer_queue));
        let answerer = match answerer {
            Ok(handle) => handle,
            Err(error) => return self.refuse_everything(requests, &error),
        };
        while let Some(first) = requests.blocking_recv() {
            let mut group = Vec::new();
            self.collect_group(first, &mut requests, &mut group);
            let answered = self.commit_and_answer(group);
            if answered.len() <= ANSWER_INLINE_UP_TO {
                answer_group(answered);
            } else {
                let _ = answers.send(answered);
            }
        }
        drop(answers);
        let _ = answerer.join();
        if self.failure.is_none()
            && let Err(failure) = self.release_preallocation()
        {
            tracing::warn!(path = %failure.path.display(), error = %failure.source, "could not trim the active segment on close");
        }
    }

    fn collect_group(
        &self,
        first: AppendRequest,
        requests: &mut mpsc::Receiver<AppendRequest>,
        group: &mut Vec<AppendRequest>,
    ) {
        let mut bytes = first.payload_bytes();
        group.push(first);
        while bytes < self.max_group_bytes {
            let Ok(next) = requests.try_recv() else { break };
            bytes += next.payload_bytes();
            group.push(next);
        }
    }

    /// Commits a group and pairs each request with its answer.
    fn commit_and_answer(&mut self, group: Vec<AppendRequest>) -> AnsweredGroup {
        if let Some(reason) = &self.failure {
            let error = || EventLogError::Poisoned {
                reason: reason.clone(),
            };
            return group
                .into_iter()
                .map(|request| (request, Err(error())))
                .collect();
        }
        match self.commit(&group) {
            Ok(ranges) => group
                .into_iter()
                .zip(ranges)
                .map(|(request, range)| (request, Ok(range)))
                .collect(),
            Err(failure) => self.fail_group(group, failure),
        }
    }

    fn fail_group(&mut self, group: Vec<AppendRequest>, failure: CommitFailure) -> AnsweredGroup {
        let reason = format!(
            "committing to '{}' failed: {}",
            failure.path.display(),
            failure.source
        );
        tracing::error!(%reason, "event log poisoned; reopen it to append again");
        self.state.poison(reason.clone());
        self.failure = Some(reason);
        let source = Arc::new(failure.source);
        let error = || EventLogError::CommitFailed {
            path: failure.path.clone(),
            source: source.clone(),
        };
        group
            .into_iter()
            .map(|request| (request, Err(error())))
            .collect()
    }

    /// Without an answering thread the log cannot work: every request fails.
    fn refuse_everything(
        &mut self,
        mut requests: mpsc::Receiver<AppendRequest>,
        error: &io::Error,
    ) {
        let reason = format!("could not start the thread that answers appends: {error}");
        self.state.poison(reason.clone());
        while let Some(request) = requests.blocking_recv() {
            let _ = request.answer.send(Err(EventLogError::Poisoned {
                reason: reason.clone(),
            }));
        }
    }

    /// Writes and fsyncs one group; returns the range each request got.
    fn commit(&mut self, group: &[AppendRequest]) -> Result<Vec<SeqRange>, CommitFailure> {
        self.groups_started += 1;
        self.fault(FaultPoint::BeforeWrite)?;
        let mut ranges = Vec::with_capacity(group.len());
        let mut pending: Vec<PendingEntry<'_>> = Vec::new();
        let (mut pending_bytes, mut payload_bytes) = (0u64, 0u64);
        for request in group {
            let start = self.next_seq;
            for (payload, checksum) in request.payloads.iter().zip(&request.payload_checksums) {
                let encoded_len = format::encoded_entry_len(payload.len()) as u64;
                if self.must_roll_before(pending_bytes + encoded_len) {
                    self.write_entries(&pending)?;
                    self.sync_active()?;
                    self.roll()?;
                    pending.clear();
                    pending_bytes = 0;
                }
                let header = EntryHeader::new(self.next_seq, payload.len(), *checksum).encode();
                pending.push(PendingEntry { header, payload });
                pending_bytes += encoded_len;
                payload_bytes += payload.len() as u64;
                self.active.entries += 1;
                self.next_seq = self.next_seq.next();
            }
            ranges.push(SeqRange {
                start,
                end: self.next_seq,
            });
        }
        if !pending.is_empty() {
            self.preallocate_for(pending_bytes)?;
            self.write_partially_if_planned(&pending)?;
            self.write_entries(&pending)?;
            self.fault(FaultPoint::AfterWriteBeforeFsync)?;
            self.sync_active()?;
        }
        self.fault(FaultPoint::AfterFsyncBeforeAck)?;
        let entries = ranges.iter().map(SeqRange::len).sum();
        self.state.stats.record_group(entries, payload_bytes);
        self.state.publish_durable_tail(self.next_seq);
        Ok(ranges)
    }

    fn fault(&self, point: FaultPoint) -> Result<(), CommitFailure> {
        check_fault(self.fault_plan.as_ref(), point, self.groups_started)
            .map_err(|source| self.failure_here(source))
    }

    /// For the `AfterPartialWrite` fault: writes every entry but the last whole and the last one
    /// up to its middle, then fires the fault.
    fn write_partially_if_planned(
        &mut self,
        entries: &[PendingEntry<'_>],
    ) -> Result<(), CommitFailure> {
        let planned = self.fault_plan.is_some_and(|plan| {
            plan.point == FaultPoint::AfterPartialWrite && plan.at_group == self.groups_started
        });
        if !planned {
            return Ok(());
        }
        let (last, whole) = entries
            .split_last()
            .expect("a planned partial write has entries");
        self.write_entries(whole)?;
        let mut torn = last.header.to_vec();
        torn.extend_from_slice(last.payload);
        torn.truncate(torn.len() / 2);
        self.active
            .file
            .write_all(&torn)
            .map_err(|source| self.failure_here(source))?;
        self.fault(FaultPoint::AfterPartialWrite)
    }

    /// Whether the active segment must be rolled before `additional_bytes` more are written to it.
    fn must_roll_before(&self, additional_bytes: u64) -> bool {
        self.active.entries > 0 && self.active.len + additional_bytes > self.segment_max_bytes
    }

    /// Makes what was written durable in the active segment, then starts the next segment.
    fn roll(&mut self) -> Result<(), CommitFailure> {
        self.release_preallocation()?;
        let dir = self.state.dir.clone();
        let (file, meta) = segment::create_segment(&dir, self.next_seq)
            .map_err(|error| CommitFailure::from_log_error(error, &self.active.meta.path))?;
        self.state
            .stats
            .record_bytes_written(format::SEGMENT_HEADER_LEN as u64);
        self.state.add_segment(meta.clone());
        self.active = ActiveSegment {
            file,
            meta,
            len: format::SEGMENT_HEADER_LEN as u64,
            allocated: format::SEGMENT_HEADER_LEN as u64,
            entries: 0,
        };
        Ok(())
    }

    /// Before a small group is written past the zero-filled space ahead of the data, writes
    /// `PREALLOCATION_BYTES` more zeros there. Overwriting space that is already allocated and
    /// within the file's size lets fdatasync skip the file-system journal commit that a growing
    /// file needs, which makes small commits markedly cheaper. Large groups are bound by disk
    /// bandwidth, so they append without it rather than write every byte twice.
    fn preallocate_for(&mut self, pending_bytes: u64) -> Result<(), CommitFailure> {
        let data_end = self.active.len + pending_bytes;
        if data_end <= self.active.allocated || pending_bytes > self.preallocate_groups_up_to_bytes
        {
            return Ok(());
        }
        let target = (data_end + PREALLOCATION_BYTES).min(self.segment_max_bytes.max(data_end));
        let zeros_from = self.active.allocated.max(data_end);
        if target > zeros_from {
            let zeros = vec![0u8; (target - zeros_from) as usize];
            self.active
                .file
                .write_all_at(&zeros, zeros_from)
                .map_err(|source| self.failure_here(source))?;
            self.state
                .stats
                .record_bytes_preallocated(zeros.len() as u64);
        }
        self.active.allocated = target.max(data_end);
        Ok(())
    }

    /// Cuts the zero-filled space off the end of the active segment and fsyncs it, so that a
    /// sealed segment (or a cleanly closed one) ends exactly after its last entry.
    fn release_preallocation(&mut self) -> Result<(), CommitFailure> {
        if self.active.allocated <= self.active.len {
            return Ok(());
        }
        let len = self.active.len;
        self.active
            .file
            .set_len(len)
            .and_then(|()| self.active.file.sync_all())
            .map_err(|source| self.failure_here(source))?;
        self.active.allocated = len;
        Ok(())
    }

    /// Writes entries with vectored writes straight from the appenders' buffers (no copy).
    fn write_entries(&mut self, entries: &[PendingEntry<'_>]) -> Result<(), CommitFailure> {
        let mut written = 0u64;
        for chunk in entries.chunks(ENTRIES_PER_WRITE_CALL) {
            let mut slices: Vec<IoSlice<'_>> = chunk
                .iter()
                .flat_map(|entry| [IoSlice::new(&entry.header), IoSlice::new(entry.payload)])
                .collect();
            write_all_vectored(&mut self.active.file, &mut slices)
                .map_err(|source| self.failure_here(source))?;
            written += chunk
                .iter()
                .map(|entry| format::encoded_entry_len(entry.payload.len()) as u64)
                .sum::<u64>();
        }
        self.active.len += written;
        self.active.allocated = self.active.allocated.max(self.active.len);
        self.state.stats.record_bytes_written(written);
        Ok(())
    }

    fn sync_active(&mut self) -> Result<(), CommitFailure> {
        let started = Instant::now();
        self.active
            .file
            .sync_data()
            .map_err(|source| self.failure_here(source))?;
        self.state.stats.record_fsync(started.elapsed());
        Ok(())
    }

    fn failure_here(&self, source: io::Error) -> CommitFailure {
        CommitFailure {
            path: self.active.meta.path.clone(),
            source,
        }
    }
}
