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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLog, EventLogConfig};

    fn snapshot(dir: &Path) -> Vec<(u64, Bytes)> {
        read_snapshot(dir)
            .unwrap()
            .map(|item| item.map(|(seq, payload)| (seq.0, payload)).unwrap())
            .collect()
    }

    #[test]
    fn reads_every_entry_across_segments_while_the_log_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let config = EventLogConfig {
            segment_max_bytes: 4096,
            ..EventLogConfig::default()
        };
        let log = EventLog::open(dir.path(), config).unwrap();
        for batch in 0..10u8 {
            log.append_blocking(
                (0..10u8)
                    .map(|i| Bytes::from(vec![batch * 10 + i; 100]))
                    .collect(),
            )
            .unwrap();
        }
        let entries = snapshot(dir.path());
        assert_eq!(entries.len(), 100);
        assert!(
            entries
                .iter()
                .enumerate()
                .all(|(i, (seq, payload))| *seq == i as u64 && payload[0] == i as u8)
        );
        drop(log);
        assert_eq!(snapshot(dir.path()).len(), 100);
    }

    #[test]
    fn stops_quietly_at_a_torn_tail_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), EventLogConfig::default()).unwrap();
        log.append_blocking(vec![
            Bytes::from_static(b"first"),
            Bytes::from_static(b"second"),
        ])
        .unwrap();
        drop(log);
        let segment = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| {
                path.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .ends_with(".seg")
            })
            .expect("one segment file");
        let bytes = std::fs::read(&segment).unwrap();
        let torn_length = bytes.iter().rposition(|byte| *byte != 0).unwrap();
        std::fs::write(&segment, &bytes[..torn_length]).unwrap();
        assert_eq!(
            snapshot(dir.path()),
            vec![(0, Bytes::from_static(b"first"))]
        );
        assert_eq!(std::fs::read(&segment).unwrap().len(), torn_length);
    }
}
