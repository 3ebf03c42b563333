//! Recovery when a log directory is opened: find the segments, check them, cut a torn tail.
//!
//! Only the active (last) segment can legitimately end in a torn or garbage tail, because a
//! segment is fsynced before the next one is created. So damage at the end of the active segment is
//! cut off (and reported with the number of bytes cut), while damage in a sealed segment is an
//! error naming the file and offset: cutting there would silently drop acknowledged entries.
//! Sealed segments get a header check; reading all their entries is opt-in
//! (`verify_sealed_segments_on_open`), otherwise readers check them as they read.
//! This module does not start the writer or load cursors.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::config::EventLogConfig;
use crate::error::{EventLogError, Result};
use crate::format::{EntryDamage, SEGMENT_HEADER_LEN, SegmentHeader};
use crate::segment::{self, SegmentMeta};
use crate::seq::Seq;

const SCAN_BUFFER_BYTES: usize = 1 << 20;

/// What recovery found and did when the log was opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segment files in the log after recovery.
    pub segments: usize,
    /// The oldest Seq in the log.
    pub log_start: Seq,
    /// The Seq the next append gets; also the durable tail right after open.
    pub next_seq: Seq,
    /// Entries found in the active segment.
    pub active_segment_entries: u64,
    /// Sealed segments whose every entry was read and checked.
    pub sealed_segments_verified: usize,
    /// Bytes cut from the end of the active segment.
    pub truncated_bytes: u64,
    /// What was cut, if anything.
    pub tail_damage: Option<TailDamage>,
}

/// A torn or damaged tail that recovery cut off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailDamage {
    /// The active segment.
    pub segment: PathBuf,
    /// The byte offset the file was cut at.
    pub offset: u64,
    /// What was found there.
    pub kind: TailDamageKind,
}

/// The kind of damage recovery cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TailDamageKind {
    /// The segment was created but its header never fully reached the disk; the header is rewritten.
    TornSegmentHeader,
    /// An entry that never fully reached the disk (or garbage after the last whole entry).
    Entry(EntryDamage),
}

/// The active segment as recovery leaves it: open, positioned at its end.
#[derive(Debug)]
pub(crate) struct ActiveSegment {
    pub file: File,
    pub meta: SegmentMeta,
    /// Bytes of header and entries: where the next entry goes.
    pub len: u64,
    /// Bytes in the file: `len` plus any zero-filled space the writer prepared ahead of the data.
    pub allocated: u64,
    /// Entries in the file.
    pub entries: u64,
}

/// The recovered log, ready for the writer.
#[derive(Debug)]
pub(crate) struct RecoveredLog {
    pub segments: Vec<SegmentMeta>,
    pub active: ActiveSegment,
    pub report: RecoveryReport,
}

/// Recovers the log in `dir`, creating its first segment if it has none.
pub(crate) fn recover(dir: &Path, config: &EventLogConfig) -> Result<RecoveredLog> {
    let mut segments = segment::list_segments(dir)?;
    if segments.is_empty() {
        let (file, meta) = segment::create_segment(dir, Seq::ZERO)?;
        segments.push(meta.clone());
        let active = ActiveSegment {
            file,
            meta,
            len: SEGMENT_HEADER_LEN as u64,
            allocated: SEGMENT_HEADER_LEN as u64,
            entries: 0,
        };
        return Ok(assemble(segments, active, 0, None));
    }
    let mut verified = 0;
    for pair in segments.windows(2) {
        if check_sealed_segment(
            &pair[0],
            pair[1].first_seq,
            config.verify_sealed_segments_on_open,
        )? {
            verified += 1;
        }
    }
    let (active, damage) = recover_active_segment(segments.last().expect("at least one segment"))?;
    Ok(assemble(segments, active, verified, damage))
}

fn assemble(
    segments: Vec<SegmentMeta>,
    active: ActiveSegment,
    sealed_segments_verified: usize,
    cut: Option<(TailDamage, u64)>,
) -> RecoveredLog {
    let (tail_damage, truncated_bytes) = match cut {
        Some((damage, bytes)) => (Some(damage), bytes),
        None => (None, 0),
    };
    let report = RecoveryReport {
        segments: segments.len(),
        log_start: segments[0].first_seq,
        next_seq: active.meta.first_seq.plus(active.entries),
        active_segment_entries: active.entries,
        sealed_segments_verified,
        truncated_bytes,
        tail_damage,
    };
    RecoveredLog {
        segments,
        active,
        report,
    }
}

/// Checks a sealed segment's header and, if asked, every entry; returns whether entries were read.
fn check_sealed_segment(
    meta: &SegmentMeta,
    next_first_seq: Seq,
    read_entries: bool,
) -> Result<bool> {
    let file = File::open(&meta.path)
        .map_err(|error| EventLogError::io("opening segment", &meta.path, error))?;
    let mut reader = BufReader::with_capacity(SCAN_BUFFER_BYTES, file);
    segment::read_segment_header(&mut reader, meta)?;
    if !read_entries {
        return Ok(false);
    }
    let scan = segment::scan_entries(&mut reader, meta.first_seq)
        .map_err(|error| EventLogError::io("reading segment", &meta.path, error))?;
    if let Some(damage) = scan.damage {
        return Err(EventLogError::CorruptEntry {
            path: meta.path.clone(),
            offset: scan.valid_len,
            seq: meta.first_seq.plus(scan.entries),
            damage,
        });
    }
    let expected = next_first_seq.entries_since(meta.first_seq);
    if scan.entries != expected {
        return Err(EventLogError::SegmentEntryCountMismatch {
            path: meta.path.clone(),
            expected,
            found: scan.entries,
        });
    }
    Ok(true)
}

/// Opens the active segment, cuts any torn tail, and leaves it positioned at its end.
fn recover_active_segment(
    meta: &SegmentMeta,
) -> Result<(ActiveSegment, Option<(TailDamage, u64)>)> {
    let io_error = |operation| move |error| EventLogError::io(operation, &meta.path, error);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&meta.path)
        .map_err(io_error("opening segment"))?;
    let file_len = file
        .metadata()
        .map_err(io_error("reading metadata of"))?
        .len();
    if header_never_reached_disk(&mut file, file_len).map_err(io_error("reading segment header"))? {
        return rewrite_torn_header(file, meta, file_len);
    }
    file.seek(SeekFrom::Start(0))
        .map_err(io_error("seeking in segment"))?;
    let mut reader = BufReader::with_capacity(SCAN_BUFFER_BYTES, file);
    segment::read_segment_header(&mut reader, meta)?;
    let scan =
        segment::scan_entries(&mut reader, meta.first_seq).map_err(io_error("reading segment"))?;
    let mut file = reader.into_inner();
    let cut = match scan.damage {
        Some(damage) => Some(cut_tail(&mut file, meta, file_len, scan.valid_len, damage)?),
        None => None,
    };
    file.seek(SeekFrom::Start(scan.valid_len))
        .map_err(io_error("seeking in segment"))?;
    let active = ActiveSegment {
        file,
        meta: meta.clone(),
        len: scan.valid_len,
        allocated: scan.valid_len,
        entries: scan.entries,
    };
    Ok((active, cut))
}

/// Whether the file is shorter than a header or its header is all zeros: a segment whose creation
/// was interrupted (the header is fsynced before any entry is written, so nothing follows it).
fn header_never_reached_disk(file: &mut File, file_len: u64) -> std::io::Result<bool> {
    if file_len < SEGMENT_HEADER_LEN as u64 {
        return Ok(true);
    }
    let mut header = [0u8; SEGMENT_HEADER_LEN];
    file.read_exact(&mut header)?;
    Ok(header.iter().all(|byte| *byte == 0))
}

fn rewrite_torn_header(
    mut file: File,
    meta: &SegmentMeta,
    file_len: u64,
) -> Result<(ActiveSegment, Option<(TailDamage, u64)>)> {
    tracing::warn!(segment = %meta.path.display(), file_len, "rewriting a segment header that never reached the disk");
    let header = SegmentHeader {
        first_seq: meta.first_seq,
    }
    .encode();
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(&header))
        .and_then(|()| file.sync_all())
        .map_err(|error| EventLogError::io("rewriting segment header", &meta.path, error))?;
    let damage = TailDamage {
        segment: meta.path.clone(),
        offset: 0,
        kind: TailDamageKind::TornSegmentHeader,
    };
    let active = ActiveSegment {
        file,
        meta: meta.clone(),
        len: SEGMENT_HEADER_LEN as u64,
        allocated: SEGMENT_HEADER_LEN as u64,
        entries: 0,
    };
    Ok((active, Some((damage, file_len))))
}

fn cut_tail(
    file: &mut File,
    meta: &SegmentMeta,
    file_len: u64,
    valid_len: u64,
    damage: EntryDamage,
) -> Result<(TailDamage, u64)> {
    let cut_bytes = file_len - valid_len;
    tracing::warn!(segment = %meta.path.display(), offset = valid_len, cut_bytes, %damage, "cutting a torn log tail");
    file.set_len(valid_len)
        .and_then(|()| file.sync_all())
        .map_err(|error| EventLogError::io("truncating segment", &meta.path, error))?;
    let damage = TailDamage {
        segment: meta.path.clone(),
        offset: valid_len,
        kind: TailDamageKind::Entry(damage),
    };
    Ok((damage, cut_bytes))
}
