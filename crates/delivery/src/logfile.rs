//! [`OpenLogFile`]: one trail's log file for one region while it is being filled, compressed as
//! records arrive, and [`SealedLogFile`], the finished gzip body with what its digest entry needs.
//!
//! The body is `{"Records":[r1,r2,...]}` with every record's original bytes; the only change made
//! to a record is that raw CR/LF bytes become spaces (inside valid JSON they can only be
//! insignificant whitespace of a pretty-printed record, and a one-line record is easier on every
//! tool). Records are never re-serialised. The JSON is streamed into one gzip member and one
//! SHA-256 as it grows, so closing a file costs almost nothing and the uncompressed body is never
//! held in memory (`opentrail_integrity::gzip_single_member` compresses a whole buffer at once,
//! which made every delivery interval end in a burst of compression). Keys and storage happen
//! elsewhere.

use std::io::Write;

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use opentrail_eventlog::Seq;
use sha2::{Digest, Sha256};

const HEAD: &[u8] = br#"{"Records":["#;
const TAIL: &[u8] = b"]}";

/// A log file being filled for one (trail, region).
pub struct OpenLogFile {
    /// The region whose records it holds (the key's region).
    pub region: String,
    /// The first event-log entry in it.
    pub first_seq: Seq,
    /// When it was opened (it is sealed one delivery interval later).
    pub opened_at: DateTime<Utc>,
    gzip: GzEncoder<Vec<u8>>,
    sha256: Sha256,
    json_len: usize,
    records: usize,
    oldest: Option<DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for OpenLogFile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OpenLogFile")
            .field("region", &self.region)
            .field("first_seq", &self.first_seq)
            .field("records", &self.records)
            .field("json_len", &self.json_len)
            .finish_non_exhaustive()
    }
}

/// A finished log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedLogFile {
    /// The region.
    pub region: String,
    /// The body: the JSON as exactly one gzip member.
    pub gzipped: Vec<u8>,
    /// Lower-case hex SHA-256 of the uncompressed JSON (what the digest lists).
    pub sha256_hex: String,
    /// The uncompressed size.
    pub json_len: usize,
    /// How many records it holds.
    pub records: usize,
    /// The oldest event time inside.
    pub oldest_event_time: DateTime<Utc>,
    /// The newest event time inside.
    pub newest_event_time: DateTime<Utc>,
}

impl OpenLogFile {
    /// An empty file for `region` whose first record is entry `first_seq`, compressed at
    /// `gzip_level` (0-9).
    pub fn new(
        region: impl Into<String>,
        first_seq: Seq,
        opened_at: DateTime<Utc>,
        gzip_level: u32,
    ) -> Self {
        let gzip = GzEncoder::new(
            Vec::with_capacity(64 * 1024),
            Compression::new(gzip_level.min(9)),
        );
        let mut file = OpenLogFile {
            region: region.into(),
            first_seq,
            opened_at,
            gzip,
            sha256: Sha256::new(),
            json_len: 0,
            records: 0,
            oldest: None,
            newest: None,
            scratch: Vec::new(),
        };
        file.write(HEAD);
        file
    }

    fn write(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        self.json_len += bytes.len();
        // Writing into a Vec cannot fail: a GzEncoder's only error source is its writer.
        self.gzip
            .write_all(bytes)
            .expect("gzip into a Vec cannot fail");
    }

    /// Appends one record's original bytes; `event_time` is its `eventTime` (or, when it has none
    /// that parses, the time OpenTrail accepted it).
    pub fn push(&mut self, record: &[u8], event_time: DateTime<Utc>) {
        if self.records > 0 {
            self.write(b",");
        }
        if record.iter().any(|byte| matches!(byte, b'\n' | b'\r')) {
            let mut flat = std::mem::take(&mut self.scratch);
            flat.clear();
            flat.extend(record.iter().map(|byte| match byte {
                b'\n' | b'\r' => b' ',
                other => *other,
            }));
            self.write(&flat);
            self.scratch = flat;
        } else {
            self.write(record);
        }
        self.records += 1;
        self.oldest = Some(self.oldest.map_or(event_time, |t| t.min(event_time)));
        self.newest = Some(self.newest.map_or(event_time, |t| t.max(event_time)));
    }

    /// The uncompressed size so far, closing brackets included.
    pub fn len_bytes(&self) -> usize {
        self.json_len + TAIL.len()
    }

    /// How many records it holds.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Closes the JSON and the gzip member; `None` for a file without records.
    pub fn seal(mut self) -> Option<SealedLogFile> {
        let (oldest, newest) = (self.oldest?, self.newest?);
        self.write(TAIL);
        let gzipped = self.gzip.finish().expect("gzip into a Vec cannot fail");
        Some(SealedLogFile {
            region: self.region,
            gzipped,
            sha256_hex: hex::encode(self.sha256.finalize()),
            json_len: self.json_len,
            records: self.records,
            oldest_event_time: oldest,
            newest_event_time: newest,
        })
    }
}

/// A record's `eventTime` (`YYYY-MM-DDTHH:MM:SSZ` or any RFC 3339 time), else `fallback`.
pub fn event_time_or(event_time: Option<&str>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    event_time
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map_or(fallback, |time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use chrono::TimeZone;

    use super::*;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, second).unwrap()
    }

    #[test]
    fn body_holds_original_bytes_with_newlines_flattened() {
        let mut file = OpenLogFile::new("us-east-1", Seq(4), at(0), 6);
        assert!(OpenLogFile::new("x", Seq(0), at(0), 6).seal().is_none());
        file.push(br#"{"n":1.50E3 ,"s":"a\nb"}"#, at(9));
        file.push(b"{\r\n  \"eventID\": \"x\"\n}", at(3));
        assert_eq!(file.records(), 2);
        assert_eq!(file.len_bytes(), 60);
        let sealed = file.seal().unwrap();
        let expected = r#"{"Records":[{"n":1.50E3 ,"s":"a\nb"},{    "eventID": "x" }]}"#;
        let mut json = String::new();
        let mut decoder = flate2::bufread::GzDecoder::new(sealed.gzipped.as_slice());
        decoder.read_to_string(&mut json).unwrap();
        assert!(decoder.into_inner().is_empty(), "one gzip member");
        assert_eq!(json, expected);
        assert_eq!(sealed.json_len, expected.len());
        assert_eq!(
            sealed.sha256_hex,
            opentrail_integrity::sha256_hex(expected.as_bytes())
        );
        assert_eq!(
            (sealed.oldest_event_time, sealed.newest_event_time),
            (at(3), at(9))
        );
    }

    #[test]
    fn event_time_falls_back_when_missing_or_malformed() {
        let fallback = at(7);
        let cases = [
            (Some("2024-05-01T10:00:01Z"), at(1)),
            (Some("2024-05-01T19:00:02+09:00"), at(2)),
            (Some("yesterday"), fallback),
            (None, fallback),
        ];
        for (text, expected) in cases {
            assert_eq!(event_time_or(text, fallback), expected, "{text:?}");
        }
    }
}
