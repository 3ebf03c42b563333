//! Segment files as files: listing them, creating one durably, reading its header and reading
//! entries one at a time. The byte layout itself comes from `format`.
//!
//! This module decides nothing about damage (recovery cuts a torn tail, readers report corruption);
//! it only reports what it finds, with the byte offset.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{EventLogError, Result};
use crate::format::{
    self, ENTRY_HEADER_LEN, EntryDamage, EntryHeader, SEGMENT_HEADER_LEN, SegmentHeader,
};
use crate::seq::Seq;

/// A segment file known to the log: its first Seq and its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SegmentMeta {
    pub first_seq: Seq,
    pub path: PathBuf,
}

/// The segment files in `dir`, ordered by first Seq.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<SegmentMeta>> {
    let listing = fs::read_dir(dir).map_err(|error| EventLogError::io("listing", dir, error))?;
    let mut segments = Vec::new();
    for item in listing {
        let item = item.map_err(|error| EventLogError::io("listing", dir, error))?;
        let name = item.file_name();
        let Some(first_seq) = name.to_str().and_then(format::parse_segment_file_name) else {
            continue;
        };
        segments.push(SegmentMeta {
            first_seq,
            path: item.path(),
        });
    }
    segments.sort_by_key(|segment| segment.first_seq);
    Ok(segments)
}

/// fsyncs a directory so that files created, renamed or removed in it stay that way after a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|error| EventLogError::io("fsyncing directory", dir, error))
}

/// Creates the segment starting at `first_seq` with its header, fsyncs it and the directory, and
/// returns it open for appending.
pub(crate) fn create_segment(dir: &Path, first_seq: Seq) -> Result<(File, SegmentMeta)> {
    let path = dir.join(format::segment_file_name(first_seq));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|error| EventLogError::io("creating segment", &path, error))?;
    file.write_all(&SegmentHeader { first_seq }.encode())
        .and_then(|()| file.sync_all())
        .map_err(|error| EventLogError::io("writing segment header", &path, error))?;
    sync_dir(dir)?;
    Ok((file, SegmentMeta { first_seq, path }))
}

/// Reads and checks the header of the segment `meta` from the start of `reader`.
pub(crate) fn read_segment_header(reader: &mut impl Read, meta: &SegmentMeta) -> Result<()> {
    let mut bytes = [0u8; SEGMENT_HEADER_LEN];
    reader
        .read_exact(&mut bytes)
        .map_err(|error| EventLogError::io("reading segment header", &meta.path, error))?;
    let header = SegmentHeader::decode(&bytes).map_err(|problem| EventLogError::BadHeader {
        path: meta.path.clone(),
        problem,
    })?;
    if header.first_seq != meta.first_seq {
        return Err(EventLogError::SegmentNameMismatch {
            path: meta.path.clone(),
            expected: meta.first_seq,
            found: header.first_seq,
        });
    }
    Ok(())
}

/// What was found where the entry `expected` should start.
#[derive(Debug)]
pub(crate) enum EntryRead {
    /// A whole, checked entry; its payload is in the caller's buffer.
    Entry(EntryHeader),
    /// The file ends exactly here.
    End,
    /// Something other than a whole, checked entry.
    Damaged(EntryDamage),
}

/// Reads the entry `expected` from `reader` into `payload`, checking its CRC.
pub(crate) fn read_entry(
    reader: &mut impl Read,
    expected: Seq,
    payload: &mut Vec<u8>,
) -> io::Result<EntryRead> {
    let header = match read_entry_header(reader, expected)? {
        Ok(header) => header,
        Err(outcome) => return Ok(outcome),
    };
    payload.clear();
    payload.resize(header.payload_len as usize, 0);
    let available = read_fully(reader, payload)?;
    if available < payload.len() {
        return Ok(EntryRead::Damaged(EntryDamage::ShortPayload {
            length: header.payload_len,
            available: available as u64,
        }));
    }
    Ok(match header.verify_payload(payload) {
        Ok(()) => EntryRead::Entry(header),
        Err(damage) => EntryRead::Damaged(damage),
    })
}

/// Reads and decodes the header of the entry `expected`; `Err` carries the end or the damage.
pub(crate) fn read_entry_header(
    reader: &mut impl Read,
    expected: Seq,
) -> io::Result<Result<EntryHeader, EntryRead>> {
    let mut bytes = [0u8; ENTRY_HEADER_LEN];
    let available = read_fully(reader, &mut bytes)?;
    if available == 0 {
        return Ok(Err(EntryRead::End));
    }
    if available < ENTRY_HEADER_LEN {
        let damage = if bytes[..available].iter().all(|byte| *byte == 0) {
            EntryDamage::ZeroFill
        } else {
            EntryDamage::ShortHeader {
                available: available as u64,
            }
        };
        return Ok(Err(EntryRead::Damaged(damage)));
    }
    Ok(EntryHeader::decode(&bytes, expected).map_err(EntryRead::Damaged))
}

/// The result of reading a segment's entries from its header to its end.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EntryScan {
    /// Whole, checked entries before the end or the damage.
    pub entries: u64,
    /// Byte offset just past the last whole entry.
    pub valid_len: u64,
    /// The damage found at `valid_len`, if the file does not end there.
    pub damage: Option<EntryDamage>,
}

/// Reads every entry of a segment whose entries start at `first_seq`, positioned after its header.
pub(crate) fn scan_entries(reader: &mut impl Read, first_seq: Seq) -> io::Result<EntryScan> {
    let mut scan = EntryScan {
        entries: 0,
        valid_len: SEGMENT_HEADER_LEN as u64,
        damage: None,
    };
    let mut payload = Vec::new();
    loop {
        match read_entry(reader, first_seq.plus(scan.entries), &mut payload)? {
            EntryRead::Entry(header) => {
                scan.entries += 1;
                scan.valid_len += format::encoded_entry_len(header.payload_len as usize) as u64;
            }
            EntryRead::End => return Ok(scan),
            EntryRead::Damaged(damage) => {
                scan.damage = Some(damage);
                return Ok(scan);
            }
        }
    }
}

/// Reads until `buffer` is full or the reader ends; returns how many bytes were read.
fn read_fully(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment_bytes(first_seq: Seq, payloads: &[&[u8]]) -> Vec<u8> {
        let mut bytes = SegmentHeader { first_seq }.encode().to_vec();
        for (index, payload) in payloads.iter().enumerate() {
            format::encode_entry(&mut bytes, first_seq.plus(index as u64), payload);
        }
        bytes
    }

    fn scan(bytes: &[u8], first_seq: Seq) -> EntryScan {
        scan_entries(&mut &bytes[SEGMENT_HEADER_LEN..], first_seq).unwrap()
    }

    #[test]
    fn scan_counts_whole_entries_and_stops_at_damage() {
        let clean = segment_bytes(Seq(10), &[b"one", b"two", b"three"]);
        let second_entry_end = SEGMENT_HEADER_LEN + 2 * ENTRY_HEADER_LEN + 6;
        let check =
            |bytes: Vec<u8>, entries: u64, valid_len: usize, damage: Option<EntryDamage>| {
                assert_eq!(
                    scan(&bytes, Seq(10)),
                    EntryScan {
                        entries,
                        valid_len: valid_len as u64,
                        damage
                    }
                );
            };
        check(clean.clone(), 3, clean.len(), None);
        check(
            clean[..clean.len() - 1].to_vec(),
            2,
            second_entry_end,
            Some(EntryDamage::ShortPayload {
                length: 5,
                available: 4,
            }),
        );
        check(
            clean[..second_entry_end + 3].to_vec(),
            2,
            second_entry_end,
            Some(EntryDamage::ShortHeader { available: 3 }),
        );
        let mut zeroed = clean[..second_entry_end].to_vec();
        zeroed.extend_from_slice(&[0; 4096]);
        check(zeroed, 2, second_entry_end, Some(EntryDamage::ZeroFill));
        let mut flipped = clean.clone();
        *flipped.last_mut().unwrap() ^= 0x20;
        let damage = scan(&flipped, Seq(10)).damage;
        assert!(
            matches!(damage, Some(EntryDamage::ChecksumMismatch { .. })),
            "{damage:?}"
        );
    }

    #[test]
    fn header_names_its_first_seq() {
        let bytes = segment_bytes(Seq(10), &[]);
        let meta = |first: u64| SegmentMeta {
            first_seq: Seq(first),
            path: PathBuf::from("x.seg"),
        };
        assert!(read_segment_header(&mut bytes.as_slice(), &meta(10)).is_ok());
        let mismatch = read_segment_header(&mut bytes.as_slice(), &meta(11));
        assert!(
            matches!(mismatch, Err(EventLogError::SegmentNameMismatch { .. })),
            "{mismatch:?}"
        );
    }
}
