//! Tests of the log as a whole through its public API: appends, readers, recovery from torn and
//! corrupt files, rollover, cursors, consumers, compaction and poisoning.
//!
//! Tests of one module's internals live in that module. Crash tests that kill a real process are in
//! `tests/crash_recovery.rs`. New whole-log tests go here, in the section they belong to.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::format::{ENTRY_HEADER_LEN, EntryDamage, SEGMENT_HEADER_LEN};
use crate::*;

// ---- helpers ----

fn payload(index: u64) -> Bytes {
    let padding = "x".repeat((index % 37) as usize);
    Bytes::from(format!(r#"{{"eventID":"{index:08}","pad":"{padding}"}}"#))
}

fn payloads(range: std::ops::Range<u64>) -> Vec<Bytes> {
    range.map(payload).collect()
}

fn small_segments() -> EventLogConfig {
    EventLogConfig {
        segment_max_bytes: 1024,
        ..EventLogConfig::default()
    }
}

fn open(dir: &Path) -> EventLog {
    EventLog::open(dir, EventLogConfig::default()).unwrap()
}

fn read_all(log: &EventLog, from: Seq) -> Vec<Entry> {
    log.reader(from)
        .unwrap()
        .collect::<Result<Vec<_>>>()
        .unwrap()
}

fn assert_entries(entries: &[Entry], range: std::ops::Range<u64>) {
    let expected: Vec<Entry> = range
        .map(|index| Entry {
            seq: Seq(index),
            payload: payload(index),
        })
        .collect();
    assert_eq!(entries, expected.as_slice());
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|item| item.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "seg"))
        .collect();
    files.sort();
    files
}

fn only_segment(dir: &Path) -> PathBuf {
    let files = segment_files(dir);
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// A log in a fresh directory holding entries `0..count`, closed again; returns the directory.
fn closed_log_with(count: u64, config: EventLogConfig) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), config).unwrap();
    for index in 0..count {
        log.append_blocking(vec![payload(index)]).unwrap();
    }
    dir
}

fn entry_offset(index: u64) -> u64 {
    let before: usize = (0..index)
        .map(|earlier| ENTRY_HEADER_LEN + payload(earlier).len())
        .sum();
    (SEGMENT_HEADER_LEN + before) as u64
}

// ---- appending and reading ----

#[test]
fn appends_get_consecutive_sequence_numbers_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    assert_eq!(
        log.append_blocking(payloads(0..3)).unwrap(),
        SeqRange {
            start: Seq(0),
            end: Seq(3)
        }
    );
    assert_eq!(
        log.append_blocking(vec![]).unwrap(),
        SeqRange {
            start: Seq(3),
            end: Seq(3)
        }
    );
    assert_eq!(
        log.append_blocking(payloads(3..4)).unwrap(),
        SeqRange {
            start: Seq(3),
            end: Seq(4)
        }
    );
    assert_eq!(log.durable_tail(), Seq(4));
    assert_entries(&read_all(&log, Seq(0)), 0..4);
    assert_entries(&read_all(&log, Seq(2)), 2..4);
    assert_entries(&read_all(&log, Seq(4)), 4..4);
}

#[test]
fn reopening_keeps_every_entry_and_continues_the_sequence() {
    let dir = closed_log_with(5, EventLogConfig::default());
    let log = open(dir.path());
    assert_eq!(log.recovery_report().next_seq, Seq(5));
    assert_eq!(log.recovery_report().truncated_bytes, 0);
    assert_eq!(log.append_blocking(payloads(5..6)).unwrap().start, Seq(5));
    assert_entries(&read_all(&log, Seq(0)), 0..6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_async_appenders_each_get_their_own_entries_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let mut tasks = Vec::new();
    for task in 0..8u64 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for round in 0..40u64 {
                let batch: Vec<Bytes> = (0..round % 3 + 1)
                    .map(|item| Bytes::from(format!("{task}-{round}-{item}")))
                    .collect();
                let range = log.append(batch.clone()).await.unwrap();
                acknowledged.extend(range.iter().zip(batch));
            }
            acknowledged
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    acknowledged.sort_by_key(|(seq, _)| *seq);
    let entries: Vec<(Seq, Bytes)> = read_all(&log, Seq(0))
        .into_iter()
        .map(|entry| (entry.seq, entry.payload))
        .collect();
    assert_eq!(entries, acknowledged);
    let stats = log.stats();
    assert_eq!(stats.entries_appended, acknowledged.len() as u64);
    // Eight appenders against one writer: while it fsyncs, others queue and share the next fsync.
    assert!(
        stats.groups_committed < 8 * 40,
        "no fsync was shared: {stats:?}"
    );
    assert_eq!(stats.fsync_latency_micros.count, stats.groups_committed);
    assert_eq!(stats.group_entries.sum, stats.entries_appended);
}

#[test]
fn an_oversized_payload_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let oversized = Bytes::from(vec![b'x'; format::MAX_PAYLOAD_LEN as usize + 1]);
    let error = log
        .append_blocking(vec![payload(0), oversized])
        .unwrap_err();
    assert!(
        matches!(error, EventLogError::PayloadTooLarge { .. }),
        "{error}"
    );
    assert_eq!(log.durable_tail(), Seq(0));
}

#[test]
fn a_second_open_of_the_same_directory_is_refused_until_the_first_closes() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let error = EventLog::open(dir.path(), EventLogConfig::default()).unwrap_err();
    assert!(
        matches!(error, EventLogError::AlreadyOpen { .. }),
        "{error}"
    );
    drop(log);
    open(dir.path());
}

#[tokio::test]
async fn a_waiting_reader_wakes_when_an_append_becomes_durable() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let mut reader = log.reader(Seq(0)).unwrap();
    assert!(reader.next_entry().unwrap().is_none());
    let appender = log.clone();
    let appended = tokio::spawn(async move { appender.append(payloads(0..2)).await.unwrap() });
    reader.wait_for_entries().await.unwrap();
    appended.await.unwrap();
    assert_entries(&reader.read_batch(10, usize::MAX).unwrap(), 0..2);
}

#[test]
fn readers_refuse_positions_outside_the_log() {
    let dir = closed_log_with(3, EventLogConfig::default());
    let log = open(dir.path());
    let error = log.reader(Seq(4)).unwrap_err();
    assert!(
        matches!(
            error,
            EventLogError::SeqBeyondTail {
                requested: Seq(4),
                durable_tail: Seq(3)
            }
        ),
        "{error}"
    );
}

#[test]
fn read_batch_respects_entry_and_byte_limits() {
    let dir = closed_log_with(10, EventLogConfig::default());
    let log = open(dir.path());
    let mut reader = log.reader(Seq(0)).unwrap();
    assert_entries(&reader.read_batch(3, usize::MAX).unwrap(), 0..3);
    assert_entries(&reader.read_batch(100, 1).unwrap(), 3..4);
    assert_entries(&reader.read_batch(100, usize::MAX).unwrap(), 4..10);
    assert!(reader.read_batch(100, usize::MAX).unwrap().is_empty());
}

// ---- segments and rollover ----

#[test]
fn segments_roll_at_the_size_limit_and_readers_cross_them() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), small_segments()).unwrap();
    for batch in 0..20 {
        log.append_blocking(payloads(batch * 5..batch * 5 + 5))
            .unwrap();
    }
    let files = segment_files(dir.path());
    assert!(files.len() > 5, "{files:?}");
    let mut expected_first = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            format::parse_segment_file_name(name),
            Some(Seq(expected_first)),
            "{name}"
        );
        assert!(
            fs::metadata(file).unwrap().len() <= 1024,
            "{name} is over the limit"
        );
        expected_first += segment_entry_count(file);
    }
    assert_eq!(expected_first, 100);
    assert_entries(&read_all(&log, Seq(0)), 0..100);
    assert_entries(&read_all(&log, Seq(57)), 57..100);
    drop(log);
    let reopened = EventLog::open(dir.path(), small_segments()).unwrap();
    assert_eq!(reopened.recovery_report().segments, files.len());
    assert_entries(&read_all(&reopened, Seq(0)), 0..100);
}

fn segment_entry_count(path: &Path) -> u64 {
    let bytes = fs::read(path).unwrap();
    let (mut offset, mut count) = (SEGMENT_HEADER_LEN, 0);
    // The active segment may end in zero-filled space prepared for the next entries.
    while offset < bytes.len() && bytes[offset..offset + ENTRY_HEADER_LEN] != [0; ENTRY_HEADER_LEN]
    {
        let length = u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap()) as usize;
        offset += ENTRY_HEADER_LEN + length;
        count += 1;
    }
    count
}

#[test]
fn an_entry_larger_than_a_segment_gets_a_segment_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), small_segments()).unwrap();
    let large = Bytes::from(vec![b'L'; 3000]);
    log.append_blocking(vec![payload(0), large.clone(), payload(2)])
        .unwrap();
    assert_eq!(segment_files(dir.path()).len(), 3);
    let entries = read_all(&log, Seq(0));
    assert_eq!(entries[1].payload, large);
    assert_eq!(entries.len(), 3);
}

#[test]
fn a_reader_follows_the_active_segment_into_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), small_segments()).unwrap();
    log.append_blocking(payloads(0..2)).unwrap();
    let mut reader = log.reader(Seq(0)).unwrap();
    assert_entries(&reader.read_batch(100, usize::MAX).unwrap(), 0..2);
    for index in 2..60 {
        log.append_blocking(vec![payload(index)]).unwrap();
    }
    assert!(segment_files(dir.path()).len() > 2);
    assert_entries(&reader.read_batch(100, usize::MAX).unwrap(), 2..60);
}

#[test]
fn a_reader_rereads_zero_filled_space_the_writer_has_since_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    log.append_blocking(payloads(0..1)).unwrap();
    assert!(
        log.stats().bytes_preallocated > 0,
        "small commits write zeros ahead of the data"
    );
    let mut reader = log.reader(Seq(0)).unwrap();
    assert_entries(&reader.read_batch(10, usize::MAX).unwrap(), 0..1);
    log.append_blocking(payloads(1..3)).unwrap();
    assert_entries(&reader.read_batch(10, usize::MAX).unwrap(), 1..3);
    drop(reader);
    drop(log);
    assert_eq!(
        fs::metadata(only_segment(dir.path())).unwrap().len(),
        entry_offset(3),
        "closing trims the zeros"
    );
}

// ---- recovery ----

#[test]
fn a_torn_last_entry_is_cut_at_every_byte_offset() {
    let source = closed_log_with(5, EventLogConfig::default());
    let segment_bytes = fs::read(only_segment(source.path())).unwrap();
    let last_start = entry_offset(4) as usize;
    assert_eq!(segment_bytes.len(), entry_offset(5) as usize);
    for cut in last_start + 1..segment_bytes.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format::segment_file_name(Seq(0)));
        fs::write(&path, &segment_bytes[..cut]).unwrap();
        let log = open(dir.path());
        let report = log.recovery_report();
        let torn = (cut - last_start) as u64;
        let expected_damage = if torn < ENTRY_HEADER_LEN as u64 {
            EntryDamage::ShortHeader { available: torn }
        } else {
            EntryDamage::ShortPayload {
                length: payload(4).len() as u32,
                available: torn - ENTRY_HEADER_LEN as u64,
            }
        };
        assert_eq!(report.truncated_bytes, torn, "cut at {cut}");
        assert_eq!(
            report.tail_damage,
            Some(TailDamage {
                segment: path.clone(),
                offset: last_start as u64,
                kind: TailDamageKind::Entry(expected_damage)
            }),
            "cut at {cut}"
        );
        assert_eq!(fs::metadata(&path).unwrap().len(), last_start as u64);
        assert_eq!(
            log.append_blocking(payloads(4..5)).unwrap().start,
            Seq(4),
            "cut at {cut}"
        );
        assert_entries(&read_all(&log, Seq(0)), 0..5);
    }
}

#[test]
fn a_checksum_mismatch_in_the_tail_is_cut_from_the_damaged_entry_on() {
    let dir = closed_log_with(5, EventLogConfig::default());
    let path = only_segment(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    let damaged_at = entry_offset(3);
    bytes[damaged_at as usize + ENTRY_HEADER_LEN + 2] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    let log = open(dir.path());
    let report = log.recovery_report();
    assert_eq!(report.next_seq, Seq(3));
    assert_eq!(report.truncated_bytes, bytes.len() as u64 - damaged_at);
    let damage = report.tail_damage.as_ref().unwrap();
    assert_eq!(damage.offset, damaged_at);
    assert!(
        matches!(
            damage.kind,
            TailDamageKind::Entry(EntryDamage::ChecksumMismatch { .. })
        ),
        "{damage:?}"
    );
    assert_entries(&read_all(&log, Seq(0)), 0..3);
}

#[test]
fn a_zero_filled_tail_is_cut() {
    let dir = closed_log_with(3, EventLogConfig::default());
    let path = only_segment(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    let clean_len = bytes.len() as u64;
    bytes.extend_from_slice(&[0u8; 4096]);
    fs::write(&path, &bytes).unwrap();
    let log = open(dir.path());
    let report = log.recovery_report();
    assert_eq!(report.truncated_bytes, 4096);
    assert_eq!(
        report.tail_damage.as_ref().unwrap().kind,
        TailDamageKind::Entry(EntryDamage::ZeroFill)
    );
    assert_eq!(report.tail_damage.as_ref().unwrap().offset, clean_len);
    assert_entries(&read_all(&log, Seq(0)), 0..3);
}

#[test]
fn a_segment_whose_header_never_reached_the_disk_is_rewritten() {
    let check = |leftover: &[u8]| {
        let dir = closed_log_with(3, EventLogConfig::default());
        let torn = dir.path().join(format::segment_file_name(Seq(3)));
        fs::write(&torn, leftover).unwrap();
        let log = open(dir.path());
        let report = log.recovery_report();
        assert_eq!(report.truncated_bytes, leftover.len() as u64);
        assert_eq!(
            report.tail_damage.as_ref().unwrap().kind,
            TailDamageKind::TornSegmentHeader
        );
        assert_eq!(log.append_blocking(payloads(3..4)).unwrap().start, Seq(3));
        assert_entries(&read_all(&log, Seq(0)), 0..4);
    };
    check(&[]);
    check(b"OTL");
    check(&[0u8; 4096]);
}

#[test]
fn corruption_inside_a_sealed_segment_is_an_error_that_says_where() {
    let dir = closed_log_with(60, small_segments());
    let first_segment = segment_files(dir.path())[0].clone();
    let mut bytes = fs::read(&first_segment).unwrap();
    let damaged_at = entry_offset(2);
    bytes[damaged_at as usize + ENTRY_HEADER_LEN] ^= 0x40;
    fs::write(&first_segment, &bytes).unwrap();

    let verifying = EventLogConfig {
        verify_sealed_segments_on_open: true,
        ..small_segments()
    };
    let error = EventLog::open(dir.path(), verifying).unwrap_err();
    let check = |error: &EventLogError| match error {
        EventLogError::CorruptEntry {
            path,
            offset,
            seq,
            damage,
        } => {
            assert_eq!((path, *offset, *seq), (&first_segment, damaged_at, Seq(2)));
            assert!(
                matches!(damage, EntryDamage::ChecksumMismatch { .. }),
                "{damage:?}"
            );
            let message = error.to_string();
            assert!(
                message.contains("00000000000000000000.seg")
                    && message.contains(&damaged_at.to_string()),
                "{message}"
            );
        }
        other => panic!("expected corruption, got {other}"),
    };
    check(&error);

    let log = EventLog::open(dir.path(), small_segments()).unwrap();
    assert_eq!(log.recovery_report().truncated_bytes, 0);
    let mut reader = log.reader(Seq(0)).unwrap();
    assert_entries(&reader.read_batch(2, usize::MAX).unwrap(), 0..2);
    check(&reader.next_entry().unwrap_err());
}

#[test]
fn recovery_reports_verified_sealed_segments_when_asked() {
    let dir = closed_log_with(60, small_segments());
    let segments = segment_files(dir.path()).len();
    let verifying = EventLogConfig {
        verify_sealed_segments_on_open: true,
        ..small_segments()
    };
    let log = EventLog::open(dir.path(), verifying).unwrap();
    assert_eq!(log.recovery_report().sealed_segments_verified, segments - 1);
    assert_eq!(log.recovery_report().next_seq, Seq(60));
}

// ---- failures and poisoning ----

fn failing_at(point: FaultPoint, at_group: u64) -> EventLogConfig {
    let fault_plan = Some(FaultPlan {
        point,
        at_group,
        action: FaultAction::FailWithIoError,
    });
    EventLogConfig {
        fault_plan,
        ..EventLogConfig::default()
    }
}

#[test]
fn a_failed_commit_fails_its_group_and_poisons_the_log_until_reopened() {
    for point in FaultPoint::ALL {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), failing_at(point, 3)).unwrap();
        log.append_blocking(payloads(0..1)).unwrap();
        log.append_blocking(payloads(1..2)).unwrap();
        let error = log.append_blocking(payloads(2..4)).unwrap_err();
        assert!(
            matches!(error, EventLogError::CommitFailed { .. }),
            "{point:?}: {error}"
        );
        let error = log.append_blocking(payloads(2..3)).unwrap_err();
        assert!(
            matches!(error, EventLogError::Poisoned { .. }),
            "{point:?}: {error}"
        );
        drop(log);

        let log = open(dir.path());
        let report = log.recovery_report().clone();
        let survivors = read_all(&log, Seq(0));
        let only_zero_fill_was_cut = match &report.tail_damage {
            None => true,
            Some(damage) => damage.kind == TailDamageKind::Entry(EntryDamage::ZeroFill),
        };
        match point {
            FaultPoint::BeforeWrite => {
                assert!(only_zero_fill_was_cut, "{report:?}");
                assert_eq!(survivors.len(), 2);
            }
            FaultPoint::AfterPartialWrite => {
                assert!(
                    report.truncated_bytes > 0 && !only_zero_fill_was_cut,
                    "{report:?}"
                );
                assert_eq!(
                    survivors.len(),
                    3,
                    "the first entry of the torn group was written whole"
                );
            }
            // The unsynced group is still in the page cache, so it reads back after reopening.
            FaultPoint::AfterWriteBeforeFsync | FaultPoint::AfterFsyncBeforeAck => {
                assert!(only_zero_fill_was_cut, "{report:?}");
                assert_eq!(survivors.len(), 4);
            }
        }
        assert_entries(&survivors, 0..survivors.len() as u64);
        let next = survivors.len() as u64;
        assert_eq!(
            log.append_blocking(payloads(next..next + 1)).unwrap().start,
            Seq(next),
            "{point:?}"
        );
    }
}

#[test]
fn readers_never_see_entries_whose_fsync_did_not_complete() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), failing_at(FaultPoint::AfterWriteBeforeFsync, 2)).unwrap();
    log.append_blocking(payloads(0..2)).unwrap();
    assert!(log.append_blocking(payloads(2..5)).is_err());
    let written = fs::read(only_segment(dir.path())).unwrap();
    let last_payload =
        &written[entry_offset(4) as usize + ENTRY_HEADER_LEN..entry_offset(5) as usize];
    assert_eq!(last_payload, payload(4).as_ref(), "the group was written");
    assert_eq!(log.durable_tail(), Seq(2));
    assert_entries(&read_all(&log, Seq(0)), 0..2);
}

// ---- consumers and cursors ----

/// Records what it applies and reports each batch on a channel; fails as scripted.
#[derive(Debug)]
struct RecordingConsumer {
    name: String,
    applied: Vec<Entry>,
    batches: tokio::sync::mpsc::UnboundedSender<Vec<Seq>>,
    script: Vec<Option<ConsumerError>>,
}

impl RecordingConsumer {
    fn new(name: &str) -> (Self, tokio::sync::mpsc::UnboundedReceiver<Vec<Seq>>) {
        let (batches, received) = tokio::sync::mpsc::unbounded_channel();
        (
            RecordingConsumer {
                name: name.to_owned(),
                applied: Vec::new(),
                batches,
                script: Vec::new(),
            },
            received,
        )
    }
}

impl Consumer for RecordingConsumer {
    fn name(&self) -> &str {
        &self.name
    }

    fn apply(&mut self, batch: &[Entry]) -> std::result::Result<(), ConsumerError> {
        let _ = self
            .batches
            .send(batch.iter().map(|entry| entry.seq).collect());
        if let Some(Some(failure)) = (!self.script.is_empty()).then(|| self.script.remove(0)) {
            return Err(failure);
        }
        self.applied.extend_from_slice(batch);
        Ok(())
    }
}

/// Receives batches until `count` entries were delivered, failing after a generous deadline.
async fn receive_entries(
    batches: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<Seq>>,
    count: usize,
) -> Vec<Vec<Seq>> {
    let mut received = Vec::new();
    while received.iter().map(Vec::len).sum::<usize>() < count {
        match tokio::time::timeout(Duration::from_secs(30), batches.recv()).await {
            Ok(Some(batch)) => received.push(batch),
            outcome => {
                panic!("consumer delivered {received:?}, wanted {count} entries: {outcome:?}")
            }
        }
    }
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_applies_everything_checkpoints_and_resumes_after_its_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    log.append(payloads(0..30)).await.unwrap();
    let name = ConsumerName::new("history").unwrap();

    let (consumer, mut batches) = RecordingConsumer::new("history");
    let cancel = CancellationToken::new();
    let running = tokio::spawn(run_consumer(log.clone(), consumer, cancel.clone()));
    receive_entries(&mut batches, 30).await;
    log.append(payloads(30..35)).await.unwrap();
    receive_entries(&mut batches, 5).await;
    cancel.cancel();
    let consumer = running.await.unwrap().unwrap();
    assert_entries(&consumer.applied, 0..35);
    assert_eq!(log.consumer_cursor(&name), Some(Seq(35)));
    assert_eq!(
        log.consumer_lags(),
        vec![ConsumerLag {
            name: name.clone(),
            cursor: Seq(35),
            lag: 0
        }]
    );

    log.append(payloads(35..40)).await.unwrap();
    assert_eq!(log.consumer_lags()[0].lag, 5);
    drop(log);
    let log = open(dir.path());
    assert_eq!(
        log.consumer_cursor(&name),
        Some(Seq(35)),
        "the cursor is durable"
    );
    let (consumer, mut batches) = RecordingConsumer::new("history");
    let cancel = CancellationToken::new();
    let running = tokio::spawn(run_consumer(log.clone(), consumer, cancel.clone()));
    receive_entries(&mut batches, 5).await;
    cancel.cancel();
    assert_entries(&running.await.unwrap().unwrap().applied, 35..40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_saves_are_batched_in_time_and_always_made_on_stop() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let name = ConsumerName::new("batched").unwrap();
    let run = |interval: Duration| {
        let (consumer, batches) = RecordingConsumer::new("batched");
        let cancel = CancellationToken::new();
        let options = ConsumerOptions {
            checkpoint_interval: interval,
            ..ConsumerOptions::default()
        };
        let running = tokio::spawn(run_consumer_with(
            log.clone(),
            consumer,
            cancel.clone(),
            options,
        ));
        (running, batches, cancel)
    };
    // a long interval: applied entries are not saved while the consumer runs, but on stop
    let (running, mut batches, cancel) = run(Duration::from_secs(3600));
    log.append(payloads(0..3)).await.unwrap();
    receive_entries(&mut batches, 3).await;
    log.append(payloads(3..5)).await.unwrap();
    receive_entries(&mut batches, 2).await;
    assert_eq!(
        log.consumer_cursor(&name),
        Some(Seq(0)),
        "registered, and nothing saved before the interval"
    );
    cancel.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(log.consumer_cursor(&name), Some(Seq(5)), "saved on stop");
    // a short interval: a caught-up consumer saves without being stopped
    let (running, mut batches, cancel) = run(Duration::from_millis(20));
    log.append(payloads(5..7)).await.unwrap();
    receive_entries(&mut batches, 2).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while log.consumer_cursor(&name) != Some(Seq(7)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the idle consumer never saved"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cancel.cancel();
    running.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_retries_the_same_batch_and_a_permanent_one_stops_the_consumer() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    log.append(payloads(0..4)).await.unwrap();
    let options = ConsumerOptions {
        initial_retry_delay: Duration::from_millis(1),
        ..ConsumerOptions::default()
    };

    let (mut consumer, mut batches) = RecordingConsumer::new("trail");
    consumer.script = vec![
        Some(ConsumerError::transient("bucket unreachable")),
        Some(ConsumerError::transient("still")),
        None,
    ];
    let cancel = CancellationToken::new();
    let running = tokio::spawn(run_consumer_with(
        log.clone(),
        consumer,
        cancel.clone(),
        options.clone(),
    ));
    let seen = receive_entries(&mut batches, 12).await;
    assert_eq!(seen, vec![(0..4).map(Seq).collect::<Vec<_>>(); 3]);
    cancel.cancel();
    assert_entries(&running.await.unwrap().unwrap().applied, 0..4);

    let (mut consumer, _batches) = RecordingConsumer::new("alarms");
    consumer.script = vec![Some(ConsumerError::permanent("bad filter"))];
    let error = run_consumer_with(log.clone(), consumer, CancellationToken::new(), options)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, EventLogError::ConsumerFailed { name, .. } if name == "alarms"),
        "{error}"
    );
    assert_eq!(
        log.consumer_cursor(&ConsumerName::new("alarms").unwrap()),
        Some(Seq(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_name_can_run_only_once_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let (consumer, _batches) = RecordingConsumer::new("history");
    let cancel = CancellationToken::new();
    let running = tokio::spawn(run_consumer(log.clone(), consumer, cancel.clone()));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while log
        .consumer_cursor(&ConsumerName::new("history").unwrap())
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the consumer never registered"
        );
        tokio::task::yield_now().await;
    }
    let (twin, _twin_batches) = RecordingConsumer::new("history");
    let error = run_consumer(log.clone(), twin, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, EventLogError::ConsumerAlreadyRunning { .. }),
        "{error}"
    );
    cancel.cancel();
    running.await.unwrap().unwrap();
    let (again, _again_batches) = RecordingConsumer::new("history");
    let cancel = CancellationToken::new();
    cancel.cancel();
    run_consumer(log, again, cancel).await.unwrap();
}

#[tokio::test]
async fn a_consumer_with_an_unusable_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let (consumer, _batches) = RecordingConsumer::new("../escape");
    let error = run_consumer(log, consumer, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, EventLogError::InvalidConsumerName { .. }),
        "{error}"
    );
}

// ---- compaction ----

#[test]
fn compaction_removes_only_old_segments_every_consumer_has_passed() {
    let dir = closed_log_with(100, small_segments());
    let log = EventLog::open(dir.path(), small_segments()).unwrap();
    let segments_before = segment_files(dir.path());
    let later = SystemTime::now() + Duration::from_secs(3600);

    let slow = ConsumerName::new("slow").unwrap();
    let fast = ConsumerName::new("fast").unwrap();
    log.register_consumer(&slow).unwrap();
    log.register_consumer(&fast).unwrap();
    log.save_consumer_cursor(&fast, Seq(100)).unwrap();
    assert!(
        log.compact_as_of(Duration::ZERO, later)
            .unwrap()
            .removed_segments
            .is_empty(),
        "slow is at 0"
    );

    log.save_consumer_cursor(&slow, Seq(50)).unwrap();
    assert!(
        log.compact_as_of(Duration::from_secs(7200), later)
            .unwrap()
            .removed_segments
            .is_empty(),
        "too young"
    );

    let report = log.compact_as_of(Duration::ZERO, later).unwrap();
    assert!(!report.removed_segments.is_empty());
    assert!(report.log_start <= Seq(50));
    assert_eq!(report.removed_entries, report.log_start.0);
    assert_eq!(log.log_start(), report.log_start);
    for removed in &report.removed_segments {
        assert!(!removed.exists(), "{}", removed.display());
    }
    assert_eq!(
        segment_files(dir.path()).len(),
        segments_before.len() - report.removed_segments.len()
    );
    assert_entries(&read_all(&log, Seq(50)), 50..100);
    let error = log.reader(Seq(0)).unwrap_err();
    assert!(
        matches!(error, EventLogError::SeqCompacted { .. }),
        "{error}"
    );

    assert!(log.remove_consumer(&slow).unwrap());
    assert!(log.remove_consumer(&fast).unwrap());
    log.compact_as_of(Duration::ZERO, later).unwrap();
    assert_eq!(
        segment_files(dir.path()).len(),
        1,
        "the active segment always stays"
    );
    drop(log);
    let reopened = EventLog::open(dir.path(), small_segments()).unwrap();
    assert_eq!(reopened.durable_tail(), Seq(100));
    assert!(reopened.log_start() > Seq(50));
}
