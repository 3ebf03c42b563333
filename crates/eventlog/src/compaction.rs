//! Retention: removing whole old segments that no consumer needs any more.
//!
//! A sealed segment is removable when every entry in it is below every registered consumer's
//! cursor and its file was last modified (that is, its last entry was written) more than the
//! retention ago. Only a prefix of the segment list is removed, so the log never has holes, and
//! the active segment is never removed. With no consumer registered, only age decides.
//! This module does not schedule itself; the server calls `EventLog::compact` periodically.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::error::{EventLogError, Result};
use crate::log::LogState;
use crate::segment::{SegmentMeta, sync_dir};
use crate::seq::Seq;

/// What one compaction removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactionReport {
    /// The segment files deleted, oldest first.
    pub removed_segments: Vec<PathBuf>,
    /// Entries those segments held.
    pub removed_entries: u64,
    /// The oldest Seq in the log afterwards.
    pub log_start: Seq,
}

pub(crate) fn compact(
    state: &LogState,
    retention: Duration,
    now: SystemTime,
) -> Result<CompactionReport> {
    // Held throughout so that no consumer registers at a log start that is about to disappear.
    let cursors = state.cursors.lock();
    let oldest_cursor = cursors.values().min().copied().unwrap_or(Seq(u64::MAX));
    let segments: Vec<SegmentMeta> = state.segments().clone();
    let mut removable = 0;
    for pair in segments.windows(2) {
        let (segment, next_first_seq) = (&pair[0], pair[1].first_seq);
        if next_first_seq > oldest_cursor || !older_than(segment, retention, now)? {
            break;
        }
        removable += 1;
    }
    if removable > 0 {
        remove_segments(state, &segments[..removable])?;
    }
    drop(cursors);
    Ok(CompactionReport {
        removed_segments: segments[..removable]
            .iter()
            .map(|segment| segment.path.clone())
            .collect(),
        removed_entries: segments[removable]
            .first_seq
            .entries_since(segments[0].first_seq),
        log_start: segments[removable].first_seq,
    })
}

fn older_than(segment: &SegmentMeta, retention: Duration, now: SystemTime) -> Result<bool> {
    let modified = fs::metadata(&segment.path)
        .and_then(|metadata| metadata.modified())
        .map_err(|error| EventLogError::io("reading metadata of", &segment.path, error))?;
    // A modification time in the future (clock changes) counts as young: keeping data is the safe side.
    Ok(now
        .duration_since(modified)
        .is_ok_and(|age| age > retention))
}

/// Takes the segments out of the list first (new readers then see the new log start), then deletes
/// the files and fsyncs the directory. Readers that already have a file open keep reading it.
fn remove_segments(state: &LogState, removed: &[SegmentMeta]) -> Result<()> {
    state.segments().drain(..removed.len());
    for segment in removed {
        tracing::info!(segment = %segment.path.display(), "retention removes segment");
        fs::remove_file(&segment.path)
            .map_err(|error| EventLogError::io("removing segment", &segment.path, error))?;
    }
    sync_dir(&state.dir)
}
