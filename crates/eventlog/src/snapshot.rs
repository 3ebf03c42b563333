//! A read-only view of a log directory for operator tools (`opentrail log dump`), usable while a
//! server holds the log open in another process.
//!
//! It takes no lock and changes nothing: it reads every segment in order and stops quietly at the
//! first incomplete or damaged entry of the last segment (an append in flight, or a torn tail that
//! the owner will cut on its next open). Damage before the last segment is reported as an error.
//! It may show entries that are written but not yet fsynced; it is not a consumer and has no cursor.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use bytes::Bytes;

use crate::error::{EventLogError, Result};
use crate::segment::{EntryRead, SegmentMeta, list_segments, read_entry, read_segment_header};
use crate::seq::Seq;

/// Iterates the entries found in a log directory, oldest first.
#[derive(Debug)]
pub struct SnapshotReader {
    segments: std::vec::IntoIter<SegmentMeta>,
    current: Option<(BufReader<File>, SegmentMeta, Seq)>,
    remaining_segments: usize,
    payload: Vec<u8>,
}

/// Opens a read-only snapshot of the log in `dir`.
pub fn read_snapshot(dir: &Path) -> Result<SnapshotReader> {
    let segments = list_segments(dir)?;
    Ok(SnapshotReader {
        remaining_segments: segments.len(),
        segments: segments.into_iter(),
        current: None,
        payload: Vec::new(),
    })
}

impl SnapshotReader {
    fn open_next(&mut self) -> Result<bool> {
        let Some(meta) = self.segments.next() else {
            return Ok(false);
        };
        self.remaining_segments -= 1;
        let file = File::open(&meta.path)
            .map_err(|error| EventLogError::io("opening segment", &meta.path, error))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        read_segment_header(&mut reader, &meta)?;
        let first = meta.first_seq;
        self.current = Some((reader, meta, first));
        Ok(true)
    }

    fn next_entry(&mut self) -> Result<Option<(Seq, Bytes)>> {
        loop {
            if self.current.is_none() && !self.open_next()? {
                return Ok(None);
            }
            let is_last = self.remaining_segments == 0;
            let (reader, meta, next) = self.current.as_mut().expect("a segment is open");
            let read = read_entry(reader, *next, &mut self.payload)
                .map_err(|error| EventLogError::io("reading segment", &meta.path, error))?;
            match read {
                EntryRead::Entry(_) => {
                    let seq = *next;
                    *next = next.next();
                    return Ok(Some((seq, Bytes::copy_from_slice(&self.payload))));
                }
                EntryRead::End => self.current = None,
                EntryRead::Damaged(_) if is_last => return Ok(None),
                EntryRead::Damaged(damage) => {
                    return Err(EventLogError::io(
                        "reading segment",
                        &meta.path,
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{damage:?} at entry {}", next.0),
                        ),
                    ));
                }
            }
        }
    }
}

impl Iterator for SnapshotReader {
    type Item = Result<(Seq, Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_entry().transpose()
    }
}
