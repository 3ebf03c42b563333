//! The event-log entry format (version 1): what every producer appends and every consumer reads.
//!
//! Layout, all integers little-endian:
//! ```text
//! u8   format version (1)
//! u8   source (RecordSource)
//! u8   length of the owning account id, then that many ASCII bytes
//! i64  ingest time, milliseconds since the Unix epoch
//! ...  the record's JSON bytes, exactly as produced or received (to the end of the entry)
//! ```
//! The owning account is the account whose history, trails and stores see the record; for ingested
//! records it is the ingesting principal's account, whatever the record's own `recipientAccountId` says.
//! This module does not parse the JSON; consumers do that when they need fields.

use bytes::{BufMut, Bytes, BytesMut};

const FORMAT_VERSION: u8 = 1;

/// Where a record entered OpenTrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordSource {
    /// A call to one of OpenTrail's own APIs (management events, S3 bucket calls).
    SelfAudit = 1,
    /// A record taken from a CloudTrail log file or JSON lines by `ingest`.
    Ingest = 2,
    /// An S3 object-level call (data event) on an embedded or proxied bucket.
    S3Data = 3,
}

impl RecordSource {
    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::SelfAudit),
            2 => Some(Self::Ingest),
            3 => Some(Self::S3Data),
            _ => None,
        }
    }
}

/// Errors decoding an entry written by an incompatible or corrupt producer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The entry is shorter than its header says.
    #[error("envelope truncated at byte {0}")]
    Truncated(usize),
    /// The entry was written in a format this build does not know.
    #[error("unknown envelope format version {0}")]
    UnknownVersion(u8),
    /// The source byte is not a known [`RecordSource`].
    #[error("unknown record source {0}")]
    UnknownSource(u8),
    /// The account id is not ASCII.
    #[error("account id is not ascii")]
    BadAccount,
}

/// One decoded event-log entry. `record` borrows nothing: it is a cheap slice of the entry's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The account that owns (sees) this record.
    pub account_id: String,
    /// Where the record came from.
    pub source: RecordSource,
    /// When OpenTrail accepted the record, in milliseconds since the epoch.
    pub ingest_time_ms: i64,
    /// The record's JSON bytes, unchanged.
    pub record: Bytes,
}

impl Envelope {
    /// Serialises the envelope into one event-log payload.
    pub fn encode(&self) -> Bytes {
        let account = self.account_id.as_bytes();
        let mut out = BytesMut::with_capacity(11 + account.len() + self.record.len());
        out.put_u8(FORMAT_VERSION);
        out.put_u8(self.source as u8);
        out.put_u8(account.len() as u8);
        out.put_slice(account);
        out.put_i64_le(self.ingest_time_ms);
        out.put_slice(&self.record);
        out.freeze()
    }

    /// Parses an event-log payload written by [`Envelope::encode`].
    pub fn decode(payload: &Bytes) -> Result<Self, EnvelopeError> {
        let header = payload
            .get(..3)
            .ok_or(EnvelopeError::Truncated(payload.len()))?;
        if header[0] != FORMAT_VERSION {
            return Err(EnvelopeError::UnknownVersion(header[0]));
        }
        let source =
            RecordSource::from_byte(header[1]).ok_or(EnvelopeError::UnknownSource(header[1]))?;
        let account_end = 3 + header[2] as usize;
        let time_end = account_end + 8;
        if payload.len() < time_end {
            return Err(EnvelopeError::Truncated(payload.len()));
        }
        let account =
            std::str::from_utf8(&payload[3..account_end]).map_err(|_| EnvelopeError::BadAccount)?;
        let mut time = [0u8; 8];
        time.copy_from_slice(&payload[account_end..time_end]);
        Ok(Self {
            account_id: account.to_owned(),
            source,
            ingest_time_ms: i64::from_le_bytes(time),
            record: payload.slice(time_end..),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let envelope = Envelope {
            account_id: "123456789012".into(),
            source: RecordSource::Ingest,
            ingest_time_ms: 1_700_000_000_123,
            record: Bytes::from_static(br#"{"n":1.688560107857E9}"#),
        };
        assert_eq!(Envelope::decode(&envelope.encode()).unwrap(), envelope);
    }

    #[test]
    fn rejects_truncated_and_unknown_entries() {
        let encoded = Envelope {
            account_id: "123456789012".into(),
            source: RecordSource::SelfAudit,
            ingest_time_ms: 1,
            record: Bytes::new(),
        }
        .encode();
        assert!(matches!(
            Envelope::decode(&encoded.slice(..10)),
            Err(EnvelopeError::Truncated(_))
        ));
        let mut bad = encoded.to_vec();
        bad[0] = 9;
        assert_eq!(
            Envelope::decode(&Bytes::from(bad.clone())),
            Err(EnvelopeError::UnknownVersion(9))
        );
        bad[0] = 1;
        bad[1] = 77;
        assert_eq!(
            Envelope::decode(&Bytes::from(bad)),
            Err(EnvelopeError::UnknownSource(77))
        );
    }
}
