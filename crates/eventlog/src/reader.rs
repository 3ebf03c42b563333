//! [`LogReader`]: reads durable entries in order from any position, across segments.
//!
//! A reader never returns an entry at or past the durable tail, so it never sees an entry whose
//! fsync has not finished, even while the writer is appending to the same file. Every entry's CRC
//! is checked as it is read; damage is an error naming the file, offset and Seq (below the durable
//! tail there is nothing to cut, only something to report). Positioning at an arbitrary Seq walks
//! the entry headers of its segment (no index), which consumers do once when they start.
//! A reader does not wait on its own: `wait_for_entries` does, on the durable-tail watch.
//!
//! The active segment may end in zero-filled space that the writer later overwrites, so bytes the
//! read buffer took from beyond the durable tail can be stale. When an entry below the tail does
//! not check out in a segment that was active when the reader opened it, the reader drops its
//! buffer and reads that entry again before calling it damage.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Seek, SeekFrom};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::watch;

use crate::error::{EventLogError, Result};
use crate::format::{self, EntryDamage, SEGMENT_HEADER_LEN};
use crate::log::LogState;
use crate::segment::{self, EntryRead, SegmentMeta};
use crate::seq::{Entry, Seq};

const READ_BUFFER_BYTES: usize = 256 * 1024;

/// An iterator over durable entries from a position onwards. It ends (returns `None`) when it
/// reaches the durable tail; after `wait_for_entries` it can be iterated again.
#[derive(Debug)]
pub struct LogReader {
    state: Arc<LogState>,
    position: Seq,
    known_tail: Seq,
    tail: watch::Receiver<Seq>,
    segment: Option<OpenSegment>,
}

#[derive(Debug)]
struct OpenSegment {
    meta: SegmentMeta,
    reader: BufReader<File>,
    offset: u64,
    /// The first Seq of the next segment, if there was one when this segment was opened.
    end: Option<Seq>,
}

impl LogReader {
    pub(crate) fn new(state: Arc<LogState>, from: Seq) -> Result<Self> {
        let log_start = state.log_start();
        if from < log_start {
            return Err(EventLogError::SeqCompacted {
                requested: from,
                log_start,
            });
        }
        let tail = state.subscribe_durable_tail();
        let known_tail = *tail.borrow();
        if from > known_tail {
            return Err(EventLogError::SeqBeyondTail {
                requested: from,
                durable_tail: known_tail,
            });
        }
        Ok(LogReader {
            state,
            position: from,
            known_tail,
            tail,
            segment: None,
        })
    }

    /// The Seq of the next entry this reader returns.
    pub fn position(&self) -> Seq {
        self.position
    }

    /// The next durable entry, or `None` if the reader is at the durable tail.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        if self.position >= self.known_tail {
            self.known_tail = *self.tail.borrow_and_update();
            if self.position >= self.known_tail {
                return Ok(None);
            }
        }
        self.read_entry_at_position().map(Some)
    }

    /// Up to `max_entries` durable entries, stopping early once their payloads reach `max_bytes`
    /// (at least one entry is returned if any is durable). Empty at the durable tail.
    pub fn read_batch(&mut self, max_entries: usize, max_bytes: usize) -> Result<Vec<Entry>> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < max_entries && bytes < max_bytes {
            let Some(entry) = self.next_entry()? else {
                break;
            };
            bytes += entry.payload.len();
            batch.push(entry);
        }
        Ok(batch)
    }

    /// Waits until an entry at the reader's position is durable.
    pub async fn wait_for_entries(&mut self) -> Result<()> {
        let position = self.position;
        let tail = self
            .tail
            .wait_for(|tail| *tail > position)
            .await
            .map_err(|_| EventLogError::WriterStopped)?;
        self.known_tail = *tail;
        Ok(())
    }

    fn read_entry_at_position(&mut self) -> Result<Entry> {
        let mut reread_unbuffered = false;
        loop {
            let needs_segment = match &self.segment {
                None => true,
                Some(open) => open.end == Some(self.position),
            };
            if needs_segment {
                self.segment = Some(self.open_segment_for(self.position)?);
            }
            let open = self.segment.as_mut().expect("segment just opened");
            let mut payload = Vec::new();
            let outcome = segment::read_entry(&mut open.reader, self.position, &mut payload)
                .map_err(|error| EventLogError::io("reading segment", &open.meta.path, error))?;
            match outcome {
                EntryRead::Entry(header) => {
                    open.offset += format::encoded_entry_len(header.payload_len as usize) as u64;
                    let entry = Entry {
                        seq: self.position,
                        payload: Bytes::from(payload),
                    };
                    self.position = self.position.next();
                    return Ok(entry);
                }
                // The read buffer may hold bytes of the active segment read before the writer
                // overwrote its zero-filled space (or trimmed it when sealing the segment).
                _ if open.end.is_none() && !reread_unbuffered => {
                    reread_unbuffered = true;
                    open.reader
                        .seek(SeekFrom::Start(open.offset))
                        .map_err(|error| {
                            EventLogError::io("seeking in segment", &open.meta.path, error)
                        })?;
                }
                EntryRead::End if open.end.is_none() && self.next_segment_starts_here() => {
                    self.segment = None;
                    reread_unbuffered = false;
                }
                EntryRead::End => {
                    return Err(self.corrupt(EntryDamage::ShortHeader { available: 0 }));
                }
                EntryRead::Damaged(damage) => return Err(self.corrupt(damage)),
            }
        }
    }

    /// Whether the segment that was active when opened has since been sealed at this position.
    fn next_segment_starts_here(&self) -> bool {
        self.state
            .segments()
            .iter()
            .any(|segment| segment.first_seq == self.position)
    }

    fn corrupt(&self, damage: EntryDamage) -> EventLogError {
        let open = self
            .segment
            .as_ref()
            .expect("corruption is found in an open segment");
        EventLogError::CorruptEntry {
            path: open.meta.path.clone(),
            offset: open.offset,
            seq: self.position,
            damage,
        }
    }

    /// Opens the segment holding `position` and walks its entry headers up to it.
    fn open_segment_for(&self, position: Seq) -> Result<OpenSegment> {
        let (meta, end) = self.locate(position)?;
        let file = match File::open(&meta.path) {
            Ok(file) => file,
            Err(error) if error.kind() == ErrorKind::NotFound => {
                return Err(EventLogError::SeqCompacted {
                    requested: position,
                    log_start: self.state.log_start(),
                });
            }
            Err(error) => return Err(EventLogError::io("opening segment", &meta.path, error)),
        };
        let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
        segment::read_segment_header(&mut reader, &meta)?;
        let mut open = OpenSegment {
            meta,
            reader,
            offset: SEGMENT_HEADER_LEN as u64,
            end,
        };
        let mut seq = open.meta.first_seq;
        while seq < position {
            skip_entry(&mut open, seq)?;
            seq = seq.next();
        }
        Ok(open)
    }

    fn locate(&self, position: Seq) -> Result<(SegmentMeta, Option<Seq>)> {
        let segments = self.state.segments();
        let index = segments.partition_point(|segment| segment.first_seq <= position);
        if index == 0 {
            return Err(EventLogError::SeqCompacted {
                requested: position,
                log_start: segments[0].first_seq,
            });
        }
        Ok((
            segments[index - 1].clone(),
            segments.get(index).map(|next| next.first_seq),
        ))
    }
}

fn skip_entry(open: &mut OpenSegment, seq: Seq) -> Result<()> {
    let io_error = |error| EventLogError::io("reading segment", &open.meta.path, error);
    let header = match segment::read_entry_header(&mut open.reader, seq).map_err(io_error)? {
        Ok(header) => header,
        Err(EntryRead::Damaged(damage)) => return Err(corrupt_at(open, seq, damage)),
        Err(_) => {
            return Err(corrupt_at(
                open,
                seq,
                EntryDamage::ShortHeader { available: 0 },
            ));
        }
    };
    open.reader
        .seek_relative(i64::from(header.payload_len))
        .map_err(|error| EventLogError::io("seeking in segment", &open.meta.path, error))?;
    open.offset += format::encoded_entry_len(header.payload_len as usize) as u64;
    Ok(())
}

fn corrupt_at(open: &OpenSegment, seq: Seq, damage: EntryDamage) -> EventLogError {
    EventLogError::CorruptEntry {
        path: open.meta.path.clone(),
        offset: open.offset,
        seq,
        damage,
    }
}

impl Iterator for LogReader {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_entry().transpose()
    }
}
