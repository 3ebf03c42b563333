//! Sequence numbers and the entries they name.
//!
//! Every entry in the log gets one [`Seq`], assigned by the writer thread in append order, starting
//! at 0 and never reused. Positions in the log (a reader's position, a consumer's cursor, the durable
//! tail) are all "the sequence number of the next entry", so an empty range and "nothing read yet"
//! need no special value. This module does no IO.

use std::fmt;

use bytes::Bytes;

/// The sequence number of one log entry; also used as a position ("the next entry to read").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seq(pub u64);

impl Seq {
    /// The first sequence number a fresh log assigns.
    pub const ZERO: Seq = Seq(0);

    /// The sequence number after this one.
    #[must_use]
    pub fn next(self) -> Seq {
        Seq(self.0 + 1)
    }

    /// This sequence number advanced by `count` entries.
    #[must_use]
    pub fn plus(self, count: u64) -> Seq {
        Seq(self.0 + count)
    }

    /// How many entries lie between `earlier` and this position (0 if `earlier` is not earlier).
    pub fn entries_since(self, earlier: Seq) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

/// The sequence numbers given to one append call: `start..end`, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqRange {
    /// The sequence number of the first entry of the append.
    pub start: Seq,
    /// One past the sequence number of the last entry of the append.
    pub end: Seq,
}

impl SeqRange {
    /// How many entries the range holds.
    pub fn len(&self) -> u64 {
        self.end.entries_since(self.start)
    }

    /// Whether the range holds no entry (an append of an empty batch).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sequence numbers in the range, in order.
    pub fn iter(&self) -> impl Iterator<Item = Seq> + use<> {
        (self.start.0..self.end.0).map(Seq)
    }
}

/// One durable entry as readers see it: its sequence number and its opaque payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The entry's sequence number.
    pub seq: Seq,
    /// The bytes the appender gave; the log never looks inside.
    pub payload: Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_counts_and_iterates_its_sequence_numbers() {
        let range = SeqRange {
            start: Seq(5),
            end: Seq(8),
        };
        assert_eq!(range.len(), 3);
        assert!(!range.is_empty());
        assert_eq!(
            range.iter().collect::<Vec<_>>(),
            vec![Seq(5), Seq(6), Seq(7)]
        );
        assert!(
            SeqRange {
                start: Seq(4),
                end: Seq(4)
            }
            .is_empty()
        );
    }

    #[test]
    fn entries_since_never_underflows() {
        assert_eq!(Seq(10).entries_since(Seq(4)), 6);
        assert_eq!(Seq(4).entries_since(Seq(10)), 0);
    }
}
