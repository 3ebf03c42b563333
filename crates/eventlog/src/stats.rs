//! Counters and histograms the writer thread records, and the plain snapshot the server turns into
//! Prometheus text.
//!
//! Recording is a handful of relaxed atomic adds per group commit. This module does not format
//! metrics or know any exposition format; that is the server's job.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (inclusive, microseconds) of the fsync latency buckets; a last bucket takes the rest.
pub const FSYNC_LATENCY_BOUNDS_MICROS: &[u64] = &[
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
];

/// Upper bounds (inclusive, entries) of the group-size buckets; a last bucket takes the rest.
pub const GROUP_ENTRIES_BOUNDS: &[u64] = &[
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024, 4_096, 16_384, 65_536,
];

/// A histogram's raw numbers: per-bucket counts (not cumulative), their sum and count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    /// Inclusive upper bound of each bucket but the last, which is unbounded.
    pub upper_bounds: &'static [u64],
    /// Observations per bucket; one longer than `upper_bounds`.
    pub counts: Vec<u64>,
    /// The sum of all observations.
    pub sum: u64,
    /// The number of observations.
    pub count: u64,
}

impl Histogram {
    /// The mean observation, or 0 with no observations.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }
}

/// A snapshot of an event log's counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventLogStats {
    /// Entries made durable since open.
    pub entries_appended: u64,
    /// Payload bytes made durable since open.
    pub payload_bytes_appended: u64,
    /// Bytes written to segment files since open (payloads, entry headers, segment headers).
    pub bytes_written: u64,
    /// Zero bytes written ahead of the data so that small commits overwrite allocated space.
    pub bytes_preallocated: u64,
    /// Group commits completed since open.
    pub groups_committed: u64,
    /// Latency of every fdatasync/fsync of a segment file, in microseconds.
    pub fsync_latency_micros: Histogram,
    /// Entries per group commit.
    pub group_entries: Histogram,
}

#[derive(Debug)]
struct AtomicHistogram {
    upper_bounds: &'static [u64],
    counts: Vec<AtomicU64>,
    sum: AtomicU64,
    count: AtomicU64,
}

impl AtomicHistogram {
    fn new(upper_bounds: &'static [u64]) -> Self {
        AtomicHistogram {
            upper_bounds,
            counts: (0..=upper_bounds.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn record(&self, value: u64) {
        let bucket = self.upper_bounds.partition_point(|bound| *bound < value);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Histogram {
        Histogram {
            upper_bounds: self.upper_bounds,
            counts: self
                .counts
                .iter()
                .map(|count| count.load(Ordering::Relaxed))
                .collect(),
            sum: self.sum.load(Ordering::Relaxed),
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

/// The live counters, shared between the writer thread and whoever asks for a snapshot.
#[derive(Debug)]
pub(crate) struct StatsRecorder {
    entries_appended: AtomicU64,
    payload_bytes_appended: AtomicU64,
    bytes_written: AtomicU64,
    bytes_preallocated: AtomicU64,
    groups_committed: AtomicU64,
    fsync_latency_micros: AtomicHistogram,
    group_entries: AtomicHistogram,
}

impl StatsRecorder {
    pub(crate) fn new() -> Self {
        StatsRecorder {
            entries_appended: AtomicU64::new(0),
            payload_bytes_appended: AtomicU64::new(0),
            bytes_written: AtomicU64::new(0),
            bytes_preallocated: AtomicU64::new(0),
            groups_committed: AtomicU64::new(0),
            fsync_latency_micros: AtomicHistogram::new(FSYNC_LATENCY_BOUNDS_MICROS),
            group_entries: AtomicHistogram::new(GROUP_ENTRIES_BOUNDS),
        }
    }

    pub(crate) fn record_fsync(&self, latency: Duration) {
        self.fsync_latency_micros.record(latency.as_micros() as u64);
    }

    pub(crate) fn record_bytes_written(&self, bytes: u64) {
        self.bytes_written.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn record_bytes_preallocated(&self, bytes: u64) {
        self.bytes_preallocated.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn record_group(&self, entries: u64, payload_bytes: u64) {
        self.entries_appended.fetch_add(entries, Ordering::Relaxed);
        self.payload_bytes_appended
            .fetch_add(payload_bytes, Ordering::Relaxed);
        self.groups_committed.fetch_add(1, Ordering::Relaxed);
        self.group_entries.record(entries);
    }

    pub(crate) fn snapshot(&self) -> EventLogStats {
        EventLogStats {
            entries_appended: self.entries_appended.load(Ordering::Relaxed),
            payload_bytes_appended: self.payload_bytes_appended.load(Ordering::Relaxed),
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            bytes_preallocated: self.bytes_preallocated.load(Ordering::Relaxed),
            groups_committed: self.groups_committed.load(Ordering::Relaxed),
            fsync_latency_micros: self.fsync_latency_micros.snapshot(),
            group_entries: self.group_entries.snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_puts_values_in_inclusive_buckets() {
        let histogram = AtomicHistogram::new(&[1, 10, 100]);
        for value in [0, 1, 2, 10, 11, 100, 5_000] {
            histogram.record(value);
        }
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.counts, vec![2, 2, 2, 1]);
        assert_eq!(snapshot.count, 7);
        assert_eq!(snapshot.sum, 5_124);
    }
}
