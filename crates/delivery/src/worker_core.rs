//! [`WorkerCore`]: the blocking half of one trail's worker. One [`WorkerCore::step`] reads a batch
//! of durable entries from the trail's own reader, routes them into per-region open log files,
//! seals files that are full, old enough or flushed, runs the digest chains (start, seal due
//! digests, end) and reports where the trail may safely resume.
//!
//! Sealing is where durability happens: the gzipped body, the key and the entries it covers are
//! committed to the state database before anything is put, so every later step (put, retry,
//! restart) only replays what was sealed. Records below a region's `sealed_below` mark are skipped
//! on replay, which is what keeps a record from appearing in two files. Puts, retries and
//! notifications are the async half's job (`worker`).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use opentrail_control::TrailConfig;
use opentrail_eventlog::{LogReader, Seq};
use opentrail_integrity::{
    DigestFile, DigestLogFile, HASH_ALGORITHM, SIGNATURE_ALGORITHM, digest_file_key, log_file_key,
    random_file_suffix, sign_digest,
};
use opentrail_record::Envelope;

use crate::error::{DeliveryError, Result};
use crate::logfile::{OpenLogFile, SealedLogFile, event_time_or};
use crate::record::RecordSummary;
use crate::routing::{envelope_is_candidate, file_region_for};
use crate::shared::Shared;
use crate::state::{
    DigestChain, DigestEntry, LogFileSeal, NewObject, ObjectKind, PreviousDigest, TrailResume,
};

/// Content type of delivered log and digest files (gzip bodies).
pub const OBJECT_CONTENT_TYPE: &str = "application/x-gzip";

const READ_BATCH_ENTRIES: usize = 2000;
const READ_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// What one step did and what the worker should wait for next.
#[derive(Debug, Clone, Copy)]
pub struct StepOutcome {
    /// Objects sealed (log files and digests).
    pub sealed: usize,
    /// Whether the reader reached the durable tail.
    pub caught_up: bool,
    /// The next entry the reader will read.
    pub read_position: Seq,
    /// Every record below this is durably handled for this trail.
    pub safe_position: Seq,
    /// The earliest time an open file or a digest window comes due.
    pub next_deadline: Option<DateTime<Utc>>,
}

/// One trail's reader, open files and seal marks.
pub struct WorkerCore {
    shared: Arc<Shared>,
    trail_key: String,
    reader: LogReader,
    open: BTreeMap<String, OpenLogFile>,
    sealed_below: BTreeMap<String, Seq>,
}

impl std::fmt::Debug for WorkerCore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WorkerCore")
            .field("trail_key", &self.trail_key)
            .field("position", &self.reader.position())
            .finish_non_exhaustive()
    }
}

impl WorkerCore {
    /// Resumes a trail: its reader starts at the later of its saved position and `floor` (the
    /// saved consumer cursor, below which everything is handled for every trail).
    pub fn open(shared: Arc<Shared>, trail_key: String, floor: Seq) -> Result<Self> {
        let TrailResume {
            position,
            sealed_below,
        } = shared.state.resume_trail(&trail_key, floor)?;
        let start = position.unwrap_or(floor).max(floor);
        let reader = shared.log.reader(start)?;
        Ok(WorkerCore {
            shared,
            trail_key,
            reader,
            open: BTreeMap::new(),
            sealed_below,
        })
    }

    /// One step: chains, read and route, seal what is due, digests. `flush` seals every open file.
    pub fn step(&mut self, trail: &TrailConfig, flush: bool) -> Result<StepOutcome> {
        let now = self.shared.now();
        self.manage_chains(trail, now)?;
        let (caught_up, mut sealed) = self.read_and_route(trail, now)?;
        sealed += self.seal_due_files(trail, now, flush)?;
        sealed += self.seal_due_digests(trail, now)?;
        if !trail.is_logging && caught_up && self.open.is_empty() {
            sealed += self.finish_chains_after_stop(trail, now)?;
        }
        Ok(StepOutcome {
            sealed,
            caught_up,
            read_position: self.reader.position(),
            safe_position: self.safe_position(),
            next_deadline: self.next_deadline()?,
        })
    }

    fn safe_position(&self) -> Seq {
        self.safe_position_at(self.reader.position())
    }

    /// The resume position when every entry below `read_point` has been routed.
    fn safe_position_at(&self, read_point: Seq) -> Seq {
        self.open
            .values()
            .map(|file| file.first_seq)
            .fold(read_point, Seq::min)
    }

    fn read_and_route(&mut self, trail: &TrailConfig, now: DateTime<Utc>) -> Result<(bool, usize)> {
        let batch = self
            .reader
            .read_batch(READ_BATCH_ENTRIES, READ_BATCH_BYTES)?;
        let mut sealed = 0;
        for entry in &batch {
            let Some((region, record, event_time)) = route_entry(trail, &entry.payload) else {
                continue;
            };
            if self
                .sealed_below
                .get(&region)
                .is_some_and(|mark| entry.seq < *mark)
            {
                continue;
            }
            let level = self.shared.config.gzip_level;
            let file = self
                .open
                .entry(region.clone())
                .or_insert_with(|| OpenLogFile::new(region.clone(), entry.seq, now, level));
            file.push(&record, event_time);
            if file.len_bytes() >= self.shared.config.max_file_bytes {
                self.seal_region(trail, &region, entry.seq.next(), now)?;
                sealed += 1;
            }
        }
        let caught_up = batch.len() < READ_BATCH_ENTRIES
            && self.reader.position() >= self.shared.log.durable_tail();
        Ok((caught_up, sealed))
    }

    fn seal_due_files(
        &mut self,
        trail: &TrailConfig,
        now: DateTime<Utc>,
        flush: bool,
    ) -> Result<usize> {
        let interval = chrono_duration(self.shared.config.delivery_interval);
        let due: Vec<String> = self
            .open
            .values()
            .filter(|file| flush || file.opened_at + interval <= now)
            .map(|file| file.region.clone())
            .collect();
        let below = self.reader.position();
        for region in &due {
            self.seal_region(trail, region, below, now)?;
        }
        Ok(due.len())
    }

    /// Seals the region's open file: every entry below `below` that routes to the region is in
    /// it or in an earlier file.
    fn seal_region(
        &mut self,
        trail: &TrailConfig,
        region: &str,
        below: Seq,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let Some(file) = self.open.remove(region) else {
            return Ok(());
        };
        let Some(sealed) = file.seal() else {
            return Ok(());
        };
        let record = &trail.trail;
        let bucket = record.s3_bucket_name.as_str();
        let key = log_file_key(
            record.s3_key_prefix.as_deref().unwrap_or(""),
            &record.arn.account_id,
            region,
            now,
            &random_file_suffix(),
        );
        let chains_running = self.shared.state.chain_epoch(&self.trail_key)?.is_some();
        let digest_entry = chains_running.then(|| digest_entry(bucket, &key, &sealed));
        let seal = LogFileSeal {
            object: NewObject {
                kind: ObjectKind::LogFile,
                region,
                bucket,
                key: &key,
                body: &sealed.gzipped,
                content_type: OBJECT_CONTENT_TYPE,
                metadata: &[],
                sealed_at: now,
            },
            sealed_below: below,
            position: self.safe_position_at(below),
            digest_entry,
        };
        self.shared.state.seal_log_file(&self.trail_key, &seal)?;
        self.sealed_below.insert(region.to_owned(), below);
        Ok(())
    }

    /// Starts chains when validation is on and logging (again), ends them when validation is off.
    fn manage_chains(&mut self, trail: &TrailConfig, now: DateTime<Utc>) -> Result<()> {
        let epoch = self.shared.state.chain_epoch(&self.trail_key)?;
        let validating = trail.trail.log_file_validation_enabled;
        let started = trail.start_logging_time.map(|t| t.timestamp_millis());
        match (validating && trail.is_logging, epoch) {
            (true, current) if current != started => {
                let home = &trail.trail.arn.home_region;
                let epoch = started.unwrap_or_else(|| now.timestamp_millis());
                self.shared
                    .state
                    .start_chains(&self.trail_key, epoch, home, now)?;
            }
            (false, Some(_)) if !validating => self.shared.state.end_chains(&self.trail_key)?,
            _ => {}
        }
        Ok(())
    }

    /// After StopLogging, once every file is sealed: one final digest per chain, then the end.
    fn finish_chains_after_stop(
        &mut self,
        trail: &TrailConfig,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        if self.shared.state.chain_epoch(&self.trail_key)?.is_none() {
            return Ok(0);
        }
        let chains = self.shared.state.chains(&self.trail_key)?;
        for chain in &chains {
            let end = next_digest_end(chain, now);
            self.seal_digest(trail, chain, end)?;
        }
        self.shared.state.end_chains(&self.trail_key)?;
        Ok(chains.len())
    }

    fn seal_due_digests(&mut self, trail: &TrailConfig, now: DateTime<Utc>) -> Result<usize> {
        if !trail.is_logging || self.shared.state.chain_epoch(&self.trail_key)?.is_none() {
            return Ok(0);
        }
        let interval = chrono_duration(self.shared.config.digest_interval);
        let mut sealed = 0;
        for chain in self.shared.state.chains(&self.trail_key)? {
            if chain.window_start + interval > now {
                continue;
            }
            let elapsed = (now - chain.window_start).num_milliseconds();
            let windows = elapsed / interval.num_milliseconds().max(1);
            let end = chain.window_start + interval * i32::try_from(windows).unwrap_or(i32::MAX);
            let end = next_digest_end(&chain, end);
            self.seal_digest(trail, &chain, end)?;
            sealed += 1;
        }
        Ok(sealed)
    }

    /// Builds, signs and seals the digest of `chain` ending at `end`.
    fn seal_digest(
        &mut self,
        trail: &TrailConfig,
        chain: &DigestChain,
        end: DateTime<Utc>,
    ) -> Result<()> {
        let record = &trail.trail;
        let bucket = record.s3_bucket_name.as_str();
        let key = digest_file_key(
            record.s3_key_prefix.as_deref().unwrap_or(""),
            &record.arn.account_id,
            &chain.region,
            record.arn.name.as_str(),
            &record.arn.home_region,
            end,
        );
        let digest_error = |message: String| DeliveryError::Digest {
            trail: record.arn.to_string(),
            region: chain.region.clone(),
            message,
        };
        let signing_key = self
            .shared
            .keys
            .current(&chain.region, end)
            .map_err(|error| digest_error(error.to_string()))?;
        let entries = self
            .shared
            .state
            .entries_before(&self.trail_key, &chain.region, end)?;
        let location = (bucket, key.as_str());
        let digest = digest_body(
            trail,
            chain,
            end,
            location,
            signing_key.fingerprint(),
            entries,
        );
        let signed = sign_digest(&digest, &signing_key);
        let metadata = [
            ("signature".to_owned(), signed.signature_hex.clone()),
            (
                "signature-algorithm".to_owned(),
                SIGNATURE_ALGORITHM.to_owned(),
            ),
        ];
        let object = NewObject {
            kind: ObjectKind::Digest,
            region: &chain.region,
            bucket,
            key: &key,
            body: &signed.gzipped,
            content_type: OBJECT_CONTENT_TYPE,
            metadata: &metadata,
            sealed_at: end,
        };
        let link = PreviousDigest {
            bucket: bucket.to_owned(),
            key: key.clone(),
            hash: signed.sha256_hex,
            signature: signed.signature_hex,
        };
        self.shared
            .state
            .seal_digest(&self.trail_key, &object, end, &link)?;
        Ok(())
    }

    fn next_deadline(&self) -> Result<Option<DateTime<Utc>>> {
        let interval = chrono_duration(self.shared.config.delivery_interval);
        let files = self.open.values().map(|file| file.opened_at + interval);
        let digest_interval = chrono_duration(self.shared.config.digest_interval);
        let chains = match self.shared.state.chain_epoch(&self.trail_key)? {
            Some(_) => self.shared.state.chains(&self.trail_key)?,
            None => Vec::new(),
        };
        let digests = chains
            .iter()
            .map(|chain| chain.window_start + digest_interval);
        Ok(files.chain(digests).min())
    }
}

/// The digest of `chain`'s window ending at `end`, stored at `location`, listing `entries`.
fn digest_body(
    trail: &TrailConfig,
    chain: &DigestChain,
    end: DateTime<Utc>,
    (bucket, key): (&str, &str),
    fingerprint: &str,
    entries: Vec<DigestEntry>,
) -> DigestFile {
    let account = &trail.trail.arn.account_id;
    let mut digest = DigestFile::new(account, chain.window_start, end, bucket, key, fingerprint);
    if let Some(previous) = &chain.previous {
        digest.previous_digest_s3_bucket = Some(previous.bucket.clone());
        digest.previous_digest_s3_object = Some(previous.key.clone());
        digest.previous_digest_hash_value = Some(previous.hash.clone());
        digest.previous_digest_hash_algorithm = Some(HASH_ALGORITHM.to_owned());
        digest.previous_digest_signature = Some(previous.signature.clone());
    }
    for entry in entries {
        digest.push_log_file(DigestLogFile {
            s3_bucket: entry.bucket,
            s3_object: entry.key,
            hash_value: entry.sha256,
            hash_algorithm: HASH_ALGORITHM.to_owned(),
            newest_event_time: entry.newest,
            oldest_event_time: entry.oldest,
        });
    }
    digest
}

/// Decodes one entry and routes it for `trail`: (file region, record bytes, event time).
fn route_entry(
    trail: &TrailConfig,
    payload: &bytes::Bytes,
) -> Option<(String, bytes::Bytes, DateTime<Utc>)> {
    let envelope = match Envelope::decode(payload) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::warn!(%error, "skipping an event-log entry that is not an envelope");
            return None;
        }
    };
    let ingest_time = DateTime::from_timestamp_millis(envelope.ingest_time_ms)?;
    if !envelope_is_candidate(trail, &envelope.account_id, ingest_time) {
        return None;
    }
    let summary = RecordSummary::parse(&envelope.record)?;
    let region = file_region_for(&trail.trail, &summary)?;
    let event_time = event_time_or(summary.event_time.as_deref(), ingest_time);
    Some((region, envelope.record.clone(), event_time))
}

fn digest_entry(bucket: &str, key: &str, sealed: &SealedLogFile) -> DigestEntry {
    DigestEntry {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        sha256: sealed.sha256_hex.clone(),
        oldest: sealed.oldest_event_time,
        newest: sealed.newest_event_time,
    }
}

/// Digest ends are whole seconds and strictly increase per region, so digest keys never repeat.
fn next_digest_end(chain: &DigestChain, wanted: DateTime<Utc>) -> DateTime<Utc> {
    let wanted = truncate_to_second(wanted);
    match chain.last_end {
        Some(last) if wanted <= last => truncate_to_second(last) + TimeDelta::seconds(1),
        _ => wanted,
    }
}

fn truncate_to_second(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

fn chrono_duration(duration: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(second: u32, milli: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, second).unwrap() + TimeDelta::milliseconds(milli)
    }

    #[test]
    fn digest_ends_are_whole_seconds_that_never_repeat() {
        let check = |last_end: Option<DateTime<Utc>>, wanted, expected| {
            let chain = DigestChain {
                region: "us-east-1".into(),
                window_start: at(0, 0),
                last_end,
                previous: None,
            };
            assert_eq!(
                next_digest_end(&chain, wanted),
                expected,
                "{last_end:?} {wanted}"
            );
        };
        check(None, at(5, 700), at(5, 0));
        check(Some(at(4, 0)), at(5, 0), at(5, 0));
        check(Some(at(5, 0)), at(5, 300), at(6, 0));
        check(Some(at(9, 0)), at(5, 0), at(10, 0));
    }
}
