//! The on-disk format of an event-log directory: the one module that defines every byte the log
//! persists, with encoders and decoders. Everything else in the crate goes through these functions.
//!
//! It does no IO and makes no policy decisions (what to do about a damaged entry is recovery's and
//! the reader's business); it only says what the bytes are and whether they check out.
//!
//! # Directory layout
//!
//! ```text
//! <dir>/LOCK                         empty; exclusively locked while a process has the log open
//! <dir>/00000000000000000000.seg     a segment; the name is the Seq of its first entry,
//! <dir>/00000000000000734512.seg       zero-padded to 20 digits so names sort like numbers
//! <dir>/cursors/<consumer>.cursor    one durable checkpoint per consumer
//! <dir>/cursors/<consumer>.cursor.tmp  only while a checkpoint is being replaced (removed at open)
//! ```
//!
//! # Segment file (format version 1)
//!
//! A segment is a 32-byte header followed by entries back to back, with no padding and no index.
//! All integers are little-endian. The last segment is the active one; all others are sealed and
//! never change until retention deletes them whole.
//!
//! ```text
//! segment header, 32 bytes
//!   0  8  magic  "OTLOGSEG"
//!   8  4  format version (1)
//!  12  4  header length in bytes (32); lets a later version grow the header
//!  16  8  Seq of the first entry (must equal the number in the file name)
//!  24  4  reserved, zero
//!  28  4  CRC32C of bytes 0..28
//!
//! entry, 16-byte header + payload
//!   0  4  payload length in bytes (at most MAX_PAYLOAD_LEN)
//!   4  4  CRC32C over: the 4 length bytes, then the payload, then the 8 Seq bytes
//!   8  8  Seq of this entry (the previous entry's Seq + 1)
//!  16  n  payload, opaque to the log
//! ```
//!
//! The CRC covers the length and the Seq as well as the payload, so a header torn or zeroed by a
//! crash never passes as valid. The Seq comes last in the CRC so that the expensive part, length
//! and payload ([`payload_checksum`]), can be computed by the appending thread before a Seq is
//! assigned; the writer thread then only extends it by eight bytes ([`entry_checksum`]).
//! A header of sixteen zero bytes is reported as zero fill, which is what a file system that
//! extended the file but never wrote the data leaves behind.
//!
//! While the log is open, the active segment may end in up to 1 MiB of zeros that the writer put
//! there ahead of the data (see `writer`: overwriting allocated space makes fdatasync cheaper). No
//! entry is ever zero-filled on purpose, so zeros always mean "no entry here": a clean close trims
//! them, sealing a segment trims them, and after a crash recovery cuts them as zero fill.
//! Sealed segments therefore end exactly after their last entry.
//!
//! # Cursor file (format version 1)
//!
//! ```text
//!   0  8  magic  "OTCURSOR"
//!   8  4  format version (1)
//!  12  8  the consumer's position: Seq of the next entry it has not yet applied
//!  20  4  CRC32C of bytes 0..20
//! ```

use std::fmt;

use crate::seq::Seq;

/// The first eight bytes of every segment file.
pub const SEGMENT_MAGIC: [u8; 8] = *b"OTLOGSEG";
/// The segment format version this build writes and the only one it reads.
pub const SEGMENT_FORMAT_VERSION: u32 = 1;
/// Length of the segment header in bytes.
pub const SEGMENT_HEADER_LEN: usize = 32;
/// Length of an entry header in bytes.
pub const ENTRY_HEADER_LEN: usize = 16;
/// The largest payload one entry may carry (16 MiB); larger lengths in a header mean damage.
pub const MAX_PAYLOAD_LEN: u32 = 16 * 1024 * 1024;
/// The file name extension of segment files.
pub const SEGMENT_FILE_EXTENSION: &str = "seg";
/// The name of the lock file.
pub const LOCK_FILE_NAME: &str = "LOCK";
/// The name of the directory that holds consumer cursors.
pub const CURSOR_DIR_NAME: &str = "cursors";
/// The file name extension of cursor files.
pub const CURSOR_FILE_EXTENSION: &str = "cursor";
/// The suffix of a cursor file being replaced.
pub const CURSOR_TEMP_SUFFIX: &str = ".cursor.tmp";
/// The first eight bytes of every cursor file.
pub const CURSOR_MAGIC: [u8; 8] = *b"OTCURSOR";
/// The cursor format version this build writes and the only one it reads.
pub const CURSOR_FORMAT_VERSION: u32 = 1;
/// Length of a cursor file in bytes.
pub const CURSOR_FILE_LEN: usize = 24;

/// The decoded header of a segment file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentHeader {
    /// The Seq of the segment's first entry.
    pub first_seq: Seq,
}

/// Why a segment or cursor header does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// The magic bytes are not the expected ones.
    BadMagic,
    /// The file was written by a format version this build does not read.
    UnsupportedVersion(u32),
    /// The header declares a length this version does not know.
    BadHeaderLength(u32),
    /// The header's CRC does not match its contents.
    ChecksumMismatch,
}

impl fmt::Display for HeaderProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderProblem::BadMagic => write!(formatter, "bad magic bytes"),
            HeaderProblem::UnsupportedVersion(version) => {
                write!(formatter, "unsupported format version '{version}'")
            }
            HeaderProblem::BadHeaderLength(length) => {
                write!(formatter, "unexpected header length '{length}'")
            }
            HeaderProblem::ChecksumMismatch => write!(formatter, "header checksum mismatch"),
        }
    }
}

impl SegmentHeader {
    /// The 32 bytes that start a segment file.
    pub fn encode(&self) -> [u8; SEGMENT_HEADER_LEN] {
        let mut bytes = [0u8; SEGMENT_HEADER_LEN];
        bytes[0..8].copy_from_slice(&SEGMENT_MAGIC);
        bytes[8..12].copy_from_slice(&SEGMENT_FORMAT_VERSION.to_le_bytes());
        bytes[12..16].copy_from_slice(&(SEGMENT_HEADER_LEN as u32).to_le_bytes());
        bytes[16..24].copy_from_slice(&self.first_seq.0.to_le_bytes());
        let checksum = crc32c::crc32c(&bytes[0..28]);
        bytes[28..32].copy_from_slice(&checksum.to_le_bytes());
        bytes
    }

    /// Decodes and checks a segment header.
    pub fn decode(bytes: &[u8; SEGMENT_HEADER_LEN]) -> Result<Self, HeaderProblem> {
        if bytes[0..8] != SEGMENT_MAGIC {
            return Err(HeaderProblem::BadMagic);
        }
        let version = read_u32(bytes, 8);
        if version != SEGMENT_FORMAT_VERSION {
            return Err(HeaderProblem::UnsupportedVersion(version));
        }
        let header_length = read_u32(bytes, 12);
        if header_length as usize != SEGMENT_HEADER_LEN {
            return Err(HeaderProblem::BadHeaderLength(header_length));
        }
        if read_u32(bytes, 28) != crc32c::crc32c(&bytes[0..28]) {
            return Err(HeaderProblem::ChecksumMismatch);
        }
        Ok(SegmentHeader {
            first_seq: Seq(read_u64(bytes, 16)),
        })
    }
}

/// The decoded header of one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryHeader {
    /// Length of the payload that follows the header.
    pub payload_len: u32,
    /// The CRC32C stored in the header.
    pub checksum: u32,
    /// The entry's sequence number.
    pub seq: Seq,
}

/// What is wrong with the bytes where an entry was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryDamage {
    /// The file ends less than one entry header after the last good entry.
    ShortHeader {
        /// How many bytes remain.
        available: u64,
    },
    /// The header is sixteen zero bytes.
    ZeroFill,
    /// The header declares a payload longer than [`MAX_PAYLOAD_LEN`].
    LengthTooLarge {
        /// The declared length.
        length: u32,
    },
    /// The header carries a different Seq than the position implies.
    UnexpectedSeq {
        /// The Seq the position implies.
        expected: Seq,
        /// The Seq in the header.
        found: Seq,
    },
    /// The file ends inside the payload.
    ShortPayload {
        /// The declared payload length.
        length: u32,
        /// How many payload bytes remain.
        available: u64,
    },
    /// The CRC does not match the length, Seq and payload.
    ChecksumMismatch {
        /// The CRC in the header.
        stored: u32,
        /// The CRC of the bytes found.
        computed: u32,
    },
}

impl fmt::Display for EntryDamage {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryDamage::ShortHeader { available } => {
                write!(
                    formatter,
                    "short entry header ('{available}' of {ENTRY_HEADER_LEN} bytes)"
                )
            }
            EntryDamage::ZeroFill => write!(formatter, "zero-filled entry header"),
            EntryDamage::LengthTooLarge { length } => {
                write!(
                    formatter,
                    "payload length '{length}' exceeds {MAX_PAYLOAD_LEN}"
                )
            }
            EntryDamage::UnexpectedSeq { expected, found } => {
                write!(
                    formatter,
                    "entry seq '{found}' where '{expected}' was expected"
                )
            }
            EntryDamage::ShortPayload { length, available } => {
                write!(
                    formatter,
                    "short payload ('{available}' of '{length}' bytes)"
                )
            }
            EntryDamage::ChecksumMismatch { stored, computed } => write!(
                formatter,
                "checksum mismatch (stored '{stored:#010x}', computed '{computed:#010x}')"
            ),
        }
    }
}

/// The part of an entry's CRC32C that does not depend on its Seq: the length, then the payload.
pub fn payload_checksum(payload: &[u8]) -> u32 {
    let length = (payload.len() as u32).to_le_bytes();
    crc32c::crc32c_append(crc32c::crc32c(&length), payload)
}

/// The CRC32C an entry header stores, from the entry's [`payload_checksum`] and its Seq.
pub fn entry_checksum(payload_checksum: u32, seq: Seq) -> u32 {
    crc32c::crc32c_append(payload_checksum, &seq.0.to_le_bytes())
}

/// Bytes one entry with a payload of `payload_len` bytes occupies on disk.
pub fn encoded_entry_len(payload_len: usize) -> usize {
    ENTRY_HEADER_LEN + payload_len
}

/// Appends the encoding of one entry (header and payload) to `buffer`.
pub fn encode_entry(buffer: &mut Vec<u8>, seq: Seq, payload: &[u8]) {
    let header = EntryHeader::new(seq, payload.len(), payload_checksum(payload));
    buffer.extend_from_slice(&header.encode());
    buffer.extend_from_slice(payload);
}

impl EntryHeader {
    /// The header of the entry `seq` whose payload has `payload_len` bytes and the given
    /// [`payload_checksum`].
    pub fn new(seq: Seq, payload_len: usize, payload_checksum: u32) -> Self {
        EntryHeader {
            payload_len: payload_len as u32,
            checksum: entry_checksum(payload_checksum, seq),
            seq,
        }
    }

    /// The 16 header bytes.
    pub fn encode(&self) -> [u8; ENTRY_HEADER_LEN] {
        let mut bytes = [0u8; ENTRY_HEADER_LEN];
        bytes[0..4].copy_from_slice(&self.payload_len.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.checksum.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.seq.0.to_le_bytes());
        bytes
    }

    /// Decodes a header found where the entry `expected` should start, checking what can be
    /// checked without the payload.
    pub fn decode(bytes: &[u8; ENTRY_HEADER_LEN], expected: Seq) -> Result<Self, EntryDamage> {
        if bytes.iter().all(|byte| *byte == 0) {
            return Err(EntryDamage::ZeroFill);
        }
        let header = EntryHeader {
            payload_len: read_u32(bytes, 0),
            checksum: read_u32(bytes, 4),
            seq: Seq(read_u64(bytes, 8)),
        };
        if header.payload_len > MAX_PAYLOAD_LEN {
            return Err(EntryDamage::LengthTooLarge {
                length: header.payload_len,
            });
        }
        if header.seq != expected {
            return Err(EntryDamage::UnexpectedSeq {
                expected,
                found: header.seq,
            });
        }
        Ok(header)
    }

    /// Checks the payload against the header's CRC.
    pub fn verify_payload(&self, payload: &[u8]) -> Result<(), EntryDamage> {
        let computed = entry_checksum(payload_checksum(payload), self.seq);
        if computed == self.checksum {
            Ok(())
        } else {
            Err(EntryDamage::ChecksumMismatch {
                stored: self.checksum,
                computed,
            })
        }
    }
}

/// The file name of the segment whose first entry is `first_seq`.
pub fn segment_file_name(first_seq: Seq) -> String {
    format!("{:020}.{SEGMENT_FILE_EXTENSION}", first_seq.0)
}

/// The first Seq encoded in a segment file name, or `None` if the name is not a segment's.
pub fn parse_segment_file_name(name: &str) -> Option<Seq> {
    let digits = name
        .strip_suffix(SEGMENT_FILE_EXTENSION)?
        .strip_suffix('.')?;
    if digits.len() != 20 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Seq)
}

/// The file name of a consumer's cursor.
pub fn cursor_file_name(consumer: &str) -> String {
    format!("{consumer}.{CURSOR_FILE_EXTENSION}")
}

/// The consumer name encoded in a cursor file name, or `None` if the name is not a cursor's.
pub fn parse_cursor_file_name(name: &str) -> Option<&str> {
    name.strip_suffix(CURSOR_FILE_EXTENSION)?.strip_suffix('.')
}

/// The bytes of a cursor file holding `position`.
pub fn encode_cursor(position: Seq) -> [u8; CURSOR_FILE_LEN] {
    let mut bytes = [0u8; CURSOR_FILE_LEN];
    bytes[0..8].copy_from_slice(&CURSOR_MAGIC);
    bytes[8..12].copy_from_slice(&CURSOR_FORMAT_VERSION.to_le_bytes());
    bytes[12..20].copy_from_slice(&position.0.to_le_bytes());
    let checksum = crc32c::crc32c(&bytes[0..20]);
    bytes[20..24].copy_from_slice(&checksum.to_le_bytes());
    bytes
}

/// Decodes a cursor file's bytes into the position it holds.
pub fn decode_cursor(bytes: &[u8]) -> Result<Seq, HeaderProblem> {
    if bytes.len() != CURSOR_FILE_LEN {
        return Err(HeaderProblem::BadHeaderLength(bytes.len() as u32));
    }
    if bytes[0..8] != CURSOR_MAGIC {
        return Err(HeaderProblem::BadMagic);
    }
    let version = read_u32(bytes, 8);
    if version != CURSOR_FORMAT_VERSION {
        return Err(HeaderProblem::UnsupportedVersion(version));
    }
    if read_u32(bytes, 20) != crc32c::crc32c(&bytes[0..20]) {
        return Err(HeaderProblem::ChecksumMismatch);
    }
    Ok(Seq(read_u64(bytes, 12)))
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_header_round_trips_and_rejects_damage() {
        let header = SegmentHeader {
            first_seq: Seq(734_512),
        };
        let bytes = header.encode();
        assert_eq!(SegmentHeader::decode(&bytes), Ok(header));

        let check = |mutate: fn(&mut [u8; SEGMENT_HEADER_LEN]), expected: HeaderProblem| {
            let mut damaged = bytes;
            mutate(&mut damaged);
            assert_eq!(SegmentHeader::decode(&damaged), Err(expected));
        };
        check(|b| b[0] = b'X', HeaderProblem::BadMagic);
        check(|b| b[8] = 2, HeaderProblem::UnsupportedVersion(2));
        check(|b| b[12] = 64, HeaderProblem::BadHeaderLength(64));
        check(|b| b[16] ^= 1, HeaderProblem::ChecksumMismatch);
        check(|b| b[30] ^= 1, HeaderProblem::ChecksumMismatch);
    }

    #[test]
    fn entry_round_trips_and_every_flipped_bit_is_detected() {
        let payload = br#"{"eventName":"PutObject"}"#;
        let mut buffer = Vec::new();
        encode_entry(&mut buffer, Seq(42), payload);
        assert_eq!(buffer.len(), encoded_entry_len(payload.len()));

        let decode = |bytes: &[u8]| -> Result<(), EntryDamage> {
            let header_bytes: [u8; ENTRY_HEADER_LEN] =
                bytes[..ENTRY_HEADER_LEN].try_into().unwrap();
            let header = EntryHeader::decode(&header_bytes, Seq(42))?;
            let payload = &bytes[ENTRY_HEADER_LEN..];
            if header.payload_len as usize != payload.len() {
                return Err(EntryDamage::ShortPayload {
                    length: header.payload_len,
                    available: payload.len() as u64,
                });
            }
            header.verify_payload(payload)
        };
        assert_eq!(decode(&buffer), Ok(()));
        for bit in 0..buffer.len() * 8 {
            let mut damaged = buffer.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                decode(&damaged).is_err(),
                "flipping bit {bit} went unnoticed"
            );
        }
    }

    #[test]
    fn entry_header_classifies_damage() {
        let check = |bytes: [u8; ENTRY_HEADER_LEN], expected: EntryDamage| {
            assert_eq!(EntryHeader::decode(&bytes, Seq(7)), Err(expected));
        };
        check([0; ENTRY_HEADER_LEN], EntryDamage::ZeroFill);
        let too_long = EntryHeader {
            payload_len: MAX_PAYLOAD_LEN + 1,
            checksum: 1,
            seq: Seq(7),
        };
        check(
            too_long.encode(),
            EntryDamage::LengthTooLarge {
                length: MAX_PAYLOAD_LEN + 1,
            },
        );
        let wrong_seq = EntryHeader {
            payload_len: 3,
            checksum: 1,
            seq: Seq(9),
        };
        check(
            wrong_seq.encode(),
            EntryDamage::UnexpectedSeq {
                expected: Seq(7),
                found: Seq(9),
            },
        );
    }

    #[test]
    fn file_names_round_trip_and_reject_strangers() {
        assert_eq!(segment_file_name(Seq(12)), "00000000000000000012.seg");
        assert_eq!(
            parse_segment_file_name("00000000000000000012.seg"),
            Some(Seq(12))
        );
        assert_eq!(
            parse_segment_file_name(&segment_file_name(Seq(u64::MAX))),
            Some(Seq(u64::MAX))
        );
        for stranger in [
            "12.seg",
            "0000000000000000001x.seg",
            "00000000000000000012.log",
            "LOCK",
        ] {
            assert_eq!(parse_segment_file_name(stranger), None, "{stranger}");
        }
        assert_eq!(
            parse_cursor_file_name(&cursor_file_name("history")),
            Some("history")
        );
        assert_eq!(parse_cursor_file_name("history.cursor.tmp"), None);
    }

    #[test]
    fn cursor_round_trips_and_rejects_damage() {
        let bytes = encode_cursor(Seq(99));
        assert_eq!(decode_cursor(&bytes), Ok(Seq(99)));
        let mut flipped = bytes;
        flipped[14] ^= 4;
        assert_eq!(
            decode_cursor(&flipped),
            Err(HeaderProblem::ChecksumMismatch)
        );
        assert_eq!(
            decode_cursor(&bytes[..20]),
            Err(HeaderProblem::BadHeaderLength(20))
        );
    }
}
