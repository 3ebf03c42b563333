//! Crash tests: a real process appends from several threads and is aborted by the log's own fault
//! hook at one point of a group commit; the test then reopens the log and proves that every
//! acknowledged entry is there exactly once, in order, and that a torn tail was cut.
//!
//! Each test function plays both roles. Run normally, it is the parent: it starts this same test
//! binary (`std::env::current_exe()`) filtered to itself, with `CHILD_DIR_ENV` set. In the child,
//! the function sees the variable and runs the workload instead, which ends in `abort()`.
//! The child writes every acknowledged Seq and payload to a side file per thread right after the
//! acknowledgement, with one `write` call per line, so the parent reads whole lines only.
//!
//! This is the crate's one integration-test binary; new tests that need a separate process go here.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

use bytes::Bytes;
use opentrail_eventlog::format::EntryDamage;
use opentrail_eventlog::{
    EventLog, EventLogConfig, FaultAction, FaultPlan, FaultPoint, Seq, TailDamageKind,
};

const CHILD_DIR_ENV: &str = "OPENTRAIL_EVENTLOG_CRASH_CHILD_DIR";
const APPENDER_THREADS: usize = 4;
const CRASH_AT_GROUP: u64 = 60;
/// A child that never crashes stops after this many appends per thread (and the parent fails).
const MAX_APPENDS_PER_THREAD: u64 = 20_000;

#[test]
fn crash_before_write() {
    crash_test("crash_before_write", FaultPoint::BeforeWrite);
}

#[test]
fn crash_after_partial_write() {
    crash_test("crash_after_partial_write", FaultPoint::AfterPartialWrite);
}

#[test]
fn crash_after_write_before_fsync() {
    crash_test(
        "crash_after_write_before_fsync",
        FaultPoint::AfterWriteBeforeFsync,
    );
}

#[test]
fn crash_after_fsync_before_ack() {
    crash_test(
        "crash_after_fsync_before_ack",
        FaultPoint::AfterFsyncBeforeAck,
    );
}

fn crash_test(test_name: &str, point: FaultPoint) {
    if let Some(dir) = std::env::var_os(CHILD_DIR_ENV) {
        run_child(Path::new(&dir), point);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir.path())
        // Where core dumps are enabled, the aborted child's lands in the temporary directory.
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.signal(),
        Some(6),
        "the child should die of SIGABRT, got {:?}; stderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    verify_after_crash(dir.path(), point);
}

fn config(point: FaultPoint) -> EventLogConfig {
    EventLogConfig {
        segment_max_bytes: 16 * 1024,
        fault_plan: Some(FaultPlan {
            point,
            at_group: CRASH_AT_GROUP,
            action: FaultAction::Abort,
        }),
        ..EventLogConfig::default()
    }
}

fn log_dir(dir: &Path) -> PathBuf {
    dir.join("log")
}

fn ack_file(dir: &Path, thread: usize) -> PathBuf {
    dir.join(format!("acks-{thread}.txt"))
}

fn child_payload(thread: usize, append: u64, item: u64) -> String {
    let padding = "p".repeat(((append * 7 + item * 13) % 300) as usize);
    format!("thread-{thread}-append-{append}-item-{item}-{padding}")
}

/// The child's workload: several threads append batches until the fault hook aborts the process.
fn run_child(dir: &Path, point: FaultPoint) {
    let log = EventLog::open(log_dir(dir), config(point)).unwrap();
    let appenders: Vec<_> = (0..APPENDER_THREADS)
        .map(|thread| {
            let log = log.clone();
            let acks = ack_file(dir, thread);
            thread::spawn(move || append_and_record(&log, thread, &acks))
        })
        .collect();
    for appender in appenders {
        appender.join().unwrap();
    }
}

fn append_and_record(log: &EventLog, thread: usize, acks: &Path) {
    let mut side_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(acks)
        .unwrap();
    for append in 0..MAX_APPENDS_PER_THREAD {
        let batch: Vec<String> = (0..append % 4 + 1)
            .map(|item| child_payload(thread, append, item))
            .collect();
        let range = log
            .append_blocking(batch.iter().map(|text| Bytes::from(text.clone())).collect())
            .unwrap();
        let mut lines = String::new();
        for (seq, text) in range.iter().zip(&batch) {
            lines.push_str(&format!("{}\t{text}\n", seq.0));
        }
        side_file.write_all(lines.as_bytes()).unwrap();
    }
}

/// Every acknowledged (Seq, payload) the child recorded, per thread.
fn read_acks(dir: &Path) -> Vec<Vec<(Seq, String)>> {
    (0..APPENDER_THREADS)
        .map(|thread| {
            let text = fs::read_to_string(ack_file(dir, thread)).unwrap_or_default();
            text.lines()
                .map(|line| {
                    let (seq, payload) = line.split_once('\t').unwrap();
                    (Seq(seq.parse().unwrap()), payload.to_owned())
                })
                .collect()
        })
        .collect()
}

fn verify_after_crash(dir: &Path, point: FaultPoint) {
    let log = EventLog::open(
        log_dir(dir),
        EventLogConfig {
            segment_max_bytes: 16 * 1024,
            ..Default::default()
        },
    )
    .unwrap();
    let report = log.recovery_report().clone();
    let entries: Vec<_> = log
        .reader(Seq(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (index, entry) in entries.iter().enumerate() {
        assert_eq!(
            entry.seq,
            Seq(index as u64),
            "entries are contiguous from 0"
        );
    }
    let payloads: Vec<String> = entries
        .iter()
        .map(|entry| String::from_utf8(entry.payload.to_vec()).unwrap())
        .collect();
    let distinct: HashSet<&String> = payloads.iter().collect();
    assert_eq!(distinct.len(), payloads.len(), "no payload appears twice");

    let acks = read_acks(dir);
    let acknowledged: usize = acks.iter().map(Vec::len).sum();
    assert!(
        acknowledged >= CRASH_AT_GROUP as usize - 1,
        "the child crashed too early: {acknowledged} acks"
    );
    for thread_acks in &acks {
        assert!(
            thread_acks.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "each thread's acks are in order"
        );
        for (seq, payload) in thread_acks {
            let found = payloads.get(seq.0 as usize);
            assert_eq!(
                found,
                Some(payload),
                "acknowledged seq {seq} is in the log with its payload"
            );
        }
    }
    eprintln!(
        "{point:?}: {} entries, {acknowledged} acknowledged, report {report:?}",
        entries.len()
    );
    check_tail(point, &report, &entries.len());
    let appended = log
        .append_blocking(vec![Bytes::from_static(b"after the crash")])
        .unwrap();
    assert_eq!(
        appended.start,
        Seq(entries.len() as u64),
        "the recovered log takes appends"
    );
}

fn check_tail(point: FaultPoint, report: &opentrail_eventlog::RecoveryReport, entries: &usize) {
    match point {
        FaultPoint::AfterPartialWrite => {
            assert!(
                report.truncated_bytes > 0,
                "the torn tail was cut: {report:?}"
            );
            let damage = report
                .tail_damage
                .as_ref()
                .expect("tail damage is reported");
            assert!(
                matches!(damage.kind, TailDamageKind::Entry(_)),
                "a torn entry, not a torn segment header: {damage:?}"
            );
        }
        // An abort loses no page-cache data, so nothing torn is left at the other points; only
        // zero-filled space the writer had prepared ahead of the data may be cut.
        _ => {
            let zero_fill = Some(TailDamageKind::Entry(EntryDamage::ZeroFill));
            let kind = report.tail_damage.as_ref().map(|damage| damage.kind);
            assert!(
                kind.is_none() || kind == zero_fill,
                "{entries} entries, {report:?}"
            );
        }
    }
}
