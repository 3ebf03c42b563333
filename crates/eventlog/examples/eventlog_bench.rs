//! Benchmark of the event log against the disk's ceiling and SQLite, in one run, on real records.
//!
//! For 1, 16 and 256 concurrent writers (tokio tasks), each appending single records or batches of
//! 100, it measures acknowledged (fsynced) appends per second of:
//! - the event log (`EventLog::append`, default settings);
//! - (a) the disk ceiling at the log's group size: one thread appends the same framed bytes to a
//!   fresh file and calls fdatasync once per chunk of N entries, N being the mean entries per
//!   group commit the log achieved in that same repetition; nothing else (no channel, no CRC);
//! - (a') the same loop overwriting a file that was zero-filled and fsynced before the clock
//!   started, run only where the log preallocates (groups up to 256 KiB): an upper bound that a
//!   fresh log cannot reach, because it has to write its zeros inside the timed run;
//! - the disk at the client's batch size: loop (a) with one fdatasync per append of 1 or 100
//!   records, which is what the log would get without group commit;
//! - (b) SQLite (bundled; WAL, synchronous=FULL): one writer thread, one transaction per append.
//!
//! It also reports bytes on disk per event and the time to open (recover) a 1 GiB log. Every cell
//! is the median of `--reps` repetitions, each measuring the log and its references back to back
//! (this machine's disk changes speed over minutes, so only neighbours compare fairly). The table
//! goes to stdout and, between markers, into the `--out` markdown file (text outside the markers,
//! such as an analysis, is kept). Flags: --out FILE, --reps N, --seconds S, --writers 1,16,256,
//! --batches 1,100, --recovery-mib N, --scratch DIR, --corpus DIR, --preallocate-up-to BYTES,
//! --drop-caches (root; adds cold-cache recovery times). It measures only; it asserts no goal.

use std::fs::{self, File};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use opentrail_eventlog::{EventLog, EventLogConfig, EventLogStats, Seq, format};
use tokio::sync::{mpsc, oneshot};

const BEGIN_MARKER: &str = "<!-- eventlog-bench:begin -->";
const END_MARKER: &str = "<!-- eventlog-bench:end -->";

/// Command-line settings; every size is configurable to keep a run short.
#[derive(Debug, Clone)]
struct Settings {
    out: Option<PathBuf>,
    scratch: PathBuf,
    corpus: PathBuf,
    reps: usize,
    seconds: f64,
    writers: Vec<usize>,
    batches: Vec<usize>,
    recovery_mib: u64,
    drop_caches: bool,
    preallocate_up_to: u64,
}

fn parse_settings() -> Settings {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real");
    let mut settings = Settings {
        out: None,
        scratch: std::env::temp_dir().join("opentrail-eventlog-bench"),
        corpus,
        reps: 5,
        seconds: 1.5,
        writers: vec![1, 16, 256],
        batches: vec![1, 100],
        recovery_mib: 1024,
        drop_caches: false,
        preallocate_up_to: EventLogConfig::default().preallocate_groups_up_to_bytes,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| panic!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--out" => settings.out = Some(PathBuf::from(value())),
            "--scratch" => settings.scratch = PathBuf::from(value()),
            "--corpus" => settings.corpus = PathBuf::from(value()),
            "--reps" => settings.reps = value().parse().expect("--reps N"),
            "--seconds" => settings.seconds = value().parse().expect("--seconds S"),
            "--writers" => settings.writers = parse_list(&value()),
            "--batches" => settings.batches = parse_list(&value()),
            "--recovery-mib" => settings.recovery_mib = value().parse().expect("--recovery-mib N"),
            "--drop-caches" => settings.drop_caches = true,
            "--preallocate-up-to" => {
                settings.preallocate_up_to = value().parse().expect("--preallocate-up-to BYTES")
            }
            other => panic!("unknown flag {other}; see the source for the flags"),
        }
    }
    settings
}

fn parse_list(text: &str) -> Vec<usize> {
    text.split(',')
        .map(|item| item.trim().parse().expect("comma-separated numbers"))
        .collect()
}

/// Every record of every corpus file, as compact JSON.
fn load_corpus(dir: &Path) -> Vec<Bytes> {
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in fs::read_dir(dir).expect("corpus directory").flatten() {
        if folder.path().is_dir() {
            files.extend(folder_files(&folder.path()));
        }
    }
    files.sort();
    let mut records = Vec::new();
    for file in files {
        let value: serde_json::Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
        let items = match value {
            serde_json::Value::Object(mut object) => match object.remove("Records") {
                Some(serde_json::Value::Array(items)) => items,
                _ => continue,
            },
            serde_json::Value::Array(items) => items,
            _ => continue,
        };
        records.extend(
            items
                .iter()
                .map(|item| Bytes::from(serde_json::to_vec(item).unwrap())),
        );
    }
    assert!(!records.is_empty(), "no records under {}", dir.display());
    records
}

fn folder_files(folder: &Path) -> Vec<PathBuf> {
    fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|item| item.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect()
}

/// A batch of `size` records starting at `position` of the corpus, wrapping around.
fn batch_at(corpus: &[Bytes], position: usize, size: usize) -> Vec<Bytes> {
    (0..size)
        .map(|offset| corpus[(position + offset) % corpus.len()].clone())
        .collect()
}

/// What one timed run produced.
#[derive(Debug, Clone, Copy, Default)]
struct Throughput {
    events_per_second: f64,
}

/// One measurement of the log in one cell.
#[derive(Debug, Clone)]
struct LogRun {
    throughput: Throughput,
    mean_group_entries: f64,
    mean_group_bytes: f64,
    mean_fsync_micros: f64,
    disk_bytes: u64,
    entries: u64,
}

/// Runs `writers` tasks that each append `batch_size` records per call until `duration` is over.
async fn run_writers<F, Fut>(
    writers: usize,
    batch_size: usize,
    duration: Duration,
    corpus: Arc<Vec<Bytes>>,
    append: F,
) -> Throughput
where
    F: Fn(Vec<Bytes>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let (append, corpus) = (append.clone(), corpus.clone());
            tokio::spawn(async move {
                let mut position = writer * 7919;
                let mut acknowledged = 0u64;
                while Instant::now() < deadline {
                    append(batch_at(&corpus, position, batch_size)).await;
                    position += batch_size;
                    acknowledged += batch_size as u64;
                }
                acknowledged
            })
        })
        .collect();
    let mut acknowledged = 0;
    for task in tasks {
        acknowledged += task.await.unwrap();
    }
    Throughput {
        events_per_second: acknowledged as f64 / started.elapsed().as_secs_f64(),
    }
}

async fn run_log(
    config: EventLogConfig,
    dir: &Path,
    writers: usize,
    batch_size: usize,
    duration: Duration,
    corpus: Arc<Vec<Bytes>>,
) -> LogRun {
    fresh_dir(dir);
    let log = EventLog::open(dir, config).unwrap();
    let appender = log.clone();
    let throughput = run_writers(writers, batch_size, duration, corpus, move |batch| {
        let log = appender.clone();
        async move {
            log.append(batch).await.unwrap();
        }
    })
    .await;
    let stats: EventLogStats = log.stats();
    drop(log);
    let disk_bytes = dir_bytes(dir, "seg");
    fresh_dir(dir);
    LogRun {
        throughput,
        mean_group_entries: stats.group_entries.mean(),
        mean_group_bytes: stats.bytes_written as f64 / stats.groups_committed.max(1) as f64,
        mean_fsync_micros: stats.fsync_latency_micros.mean(),
        disk_bytes,
        entries: stats.entries_appended,
    }
}

/// The corpus framed exactly as the log frames it, with the offset where each entry starts.
struct FramedCorpus {
    bytes: Vec<u8>,
    starts: Vec<usize>,
}

fn frame_corpus(corpus: &[Bytes]) -> FramedCorpus {
    let mut bytes = Vec::new();
    let mut starts = Vec::new();
    for (index, record) in corpus.iter().enumerate() {
        starts.push(bytes.len());
        format::encode_entry(&mut bytes, Seq(index as u64), record);
    }
    starts.push(bytes.len());
    FramedCorpus { bytes, starts }
}

impl FramedCorpus {
    /// Writes `count` framed entries starting at entry `first`, wrapping around; returns the bytes.
    fn write_entries(&self, file: &mut File, first: usize, count: usize) -> u64 {
        let total = self.starts.len() - 1;
        let (mut done, mut index, mut bytes) = (0, first % total, 0);
        while done < count {
            let run = (count - done).min(total - index);
            let slice = &self.bytes[self.starts[index]..self.starts[index + run]];
            file.write_all(slice).unwrap();
            bytes += slice.len() as u64;
            done += run;
            index = (index + run) % total;
        }
        bytes
    }
}

/// How the disk-ceiling loop treats its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CeilingFile {
    /// Append to an empty file: every fdatasync also commits the file's new size.
    Append,
    /// Overwrite a file zero-filled (and fsynced) beforehand up to this many bytes: fdatasync
    /// flushes data only. The loop ends early if it reaches the end of the zeros.
    OverwritePreallocated(u64),
}

/// The disk ceiling: write `entries_per_sync` framed entries, fdatasync, repeat, for `duration`.
fn run_disk_ceiling(
    dir: &Path,
    framed: &FramedCorpus,
    entries_per_sync: usize,
    duration: Duration,
    mode: CeilingFile,
) -> Throughput {
    fresh_dir(dir);
    let mut file = File::create(dir.join("ceiling.dat")).unwrap();
    let limit = match mode {
        CeilingFile::Append => u64::MAX,
        CeilingFile::OverwritePreallocated(bytes) => zero_fill(&mut file, bytes),
    };
    let chunk_bytes =
        framed.bytes.len() as u64 * entries_per_sync as u64 / (framed.starts.len() as u64 - 1);
    let started = Instant::now();
    let (mut written, mut bytes) = (0usize, 0u64);
    while started.elapsed() < duration && bytes + 2 * chunk_bytes < limit {
        bytes += framed.write_entries(&mut file, written, entries_per_sync);
        file.sync_data().unwrap();
        written += entries_per_sync;
    }
    let throughput = Throughput {
        events_per_second: written as f64 / started.elapsed().as_secs_f64(),
    };
    drop(file);
    fresh_dir(dir);
    throughput
}

/// Fills `file` with `bytes` zeros, fsyncs it and rewinds; returns the size.
fn zero_fill(file: &mut File, bytes: u64) -> u64 {
    let zeros = vec![0u8; 8 << 20];
    let mut filled = 0;
    while filled < bytes {
        let chunk = (bytes - filled).min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..chunk]).unwrap();
        filled += chunk as u64;
    }
    file.sync_all().unwrap();
    file.seek(std::io::SeekFrom::Start(0)).unwrap();
    bytes
}

type SqliteRequest = (Vec<Bytes>, oneshot::Sender<()>);

/// SQLite with one writer thread committing one transaction per client batch.
async fn run_sqlite(
    dir: &Path,
    writers: usize,
    batch_size: usize,
    duration: Duration,
    corpus: Arc<Vec<Bytes>>,
) -> (Throughput, f64) {
    fresh_dir(dir);
    let path = dir.join("events.sqlite");
    let (requests, receiver) = mpsc::channel::<SqliteRequest>(4096);
    let writer_path = path.clone();
    let writer = std::thread::spawn(move || sqlite_writer(&writer_path, receiver));
    let throughput = run_writers(writers, batch_size, duration, corpus, move |batch| {
        let requests = requests.clone();
        async move {
            let (answer, answered) = oneshot::channel();
            requests.send((batch, answer)).await.unwrap();
            answered.await.unwrap();
        }
    })
    .await;
    let rows = writer.join().unwrap();
    let bytes_per_event = sqlite_bytes_per_row(&path, rows);
    fresh_dir(dir);
    (throughput, bytes_per_event)
}

fn sqlite_writer(path: &Path, mut requests: mpsc::Receiver<SqliteRequest>) -> u64 {
    let mut connection = rusqlite::Connection::open(path).unwrap();
    connection
        .execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE events (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL);",
        )
        .unwrap();
    let mut rows = 0;
    while let Some((batch, answer)) = requests.blocking_recv() {
        let transaction = connection.transaction().unwrap();
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO events (payload) VALUES (?1)")
                .unwrap();
            for payload in &batch {
                insert.execute([payload.as_ref()]).unwrap();
            }
        }
        transaction.commit().unwrap();
        rows += batch.len() as u64;
        let _ = answer.send(());
    }
    rows
}

fn sqlite_bytes_per_row(path: &Path, rows: u64) -> f64 {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(connection);
    fs::metadata(path).unwrap().len() as f64 / rows.max(1) as f64
}

fn fresh_dir(dir: &Path) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
}

fn dir_bytes(dir: &Path, extension: &str) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|item| {
            item.path()
                .extension()
                .is_some_and(|found| found == extension)
        })
        .map(|item| item.metadata().unwrap().len())
        .sum()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The medians of one (writers, batch) cell.
#[derive(Debug, Clone)]
struct Cell {
    writers: usize,
    batch: usize,
    log: f64,
    ceiling_group: f64,
    ceiling_preallocated: Option<f64>,
    ceiling_batch: f64,
    sqlite: f64,
    group_entries: f64,
    fsync_micros: f64,
    /// Medians of the per-repetition ratios (each ratio compares neighbours in time).
    log_over_ceiling: f64,
    log_over_preallocated: Option<f64>,
    log_over_sqlite: f64,
}

/// Everything one repetition of one cell measured.
struct CellSample {
    log: LogRun,
    ceiling_group: Throughput,
    ceiling_preallocated: Option<Throughput>,
    ceiling_batch: Throughput,
    sqlite: Throughput,
    sqlite_bytes_per_event: f64,
}

async fn measure_cell(
    settings: &Settings,
    corpus: &Arc<Vec<Bytes>>,
    framed: &FramedCorpus,
    writers: usize,
    batch: usize,
) -> CellSample {
    let duration = Duration::from_secs_f64(settings.seconds);
    let scratch = settings.scratch.join("run");
    let config = EventLogConfig {
        preallocate_groups_up_to_bytes: settings.preallocate_up_to,
        ..EventLogConfig::default()
    };
    let log = run_log(config, &scratch, writers, batch, duration, corpus.clone()).await;
    let group = log.mean_group_entries.round().max(1.0) as usize;
    let ceiling_group = run_disk_ceiling(&scratch, framed, group, duration, CeilingFile::Append);
    // The log writes zeros ahead of groups up to 256 KiB and overwrites them (see its writer), so
    // for those the disk's ceiling is the overwrite loop; zeros enough for twice the log's bytes.
    let ceiling_preallocated =
        (log.mean_group_bytes <= settings.preallocate_up_to as f64).then(|| {
            let zeros = (2 * log.disk_bytes + (16 << 20)).min(1 << 30);
            let mode = CeilingFile::OverwritePreallocated(zeros);
            run_disk_ceiling(&scratch, framed, group, duration, mode)
        });
    let ceiling_batch = run_disk_ceiling(&scratch, framed, batch, duration, CeilingFile::Append);
    let (sqlite, sqlite_bytes_per_event) =
        run_sqlite(&scratch, writers, batch, duration, corpus.clone()).await;
    CellSample {
        log,
        ceiling_group,
        ceiling_preallocated,
        ceiling_batch,
        sqlite,
        sqlite_bytes_per_event,
    }
}

fn summarize(writers: usize, batch: usize, samples: &[CellSample]) -> Cell {
    let pick = |select: &dyn Fn(&CellSample) -> f64| median(samples.iter().map(select).collect());
    Cell {
        writers,
        batch,
        log: pick(&|sample| sample.log.throughput.events_per_second),
        ceiling_group: pick(&|sample| sample.ceiling_group.events_per_second),
        ceiling_preallocated: samples[0].ceiling_preallocated.map(|_| {
            pick(&|sample| {
                sample
                    .ceiling_preallocated
                    .map_or(0.0, |ceiling| ceiling.events_per_second)
            })
        }),
        ceiling_batch: pick(&|sample| sample.ceiling_batch.events_per_second),
        sqlite: pick(&|sample| sample.sqlite.events_per_second),
        group_entries: pick(&|sample| sample.log.mean_group_entries),
        fsync_micros: pick(&|sample| sample.log.mean_fsync_micros),
        log_over_ceiling: pick(&|sample| log_rate(sample) / sample.ceiling_group.events_per_second),
        log_over_preallocated: samples[0].ceiling_preallocated.map(|_| {
            pick(&|sample| {
                log_rate(sample)
                    / sample
                        .ceiling_preallocated
                        .map_or(f64::NAN, |ceiling| ceiling.events_per_second)
            })
        }),
        log_over_sqlite: pick(&|sample| log_rate(sample) / sample.sqlite.events_per_second),
    }
}

fn log_rate(sample: &CellSample) -> f64 {
    sample.log.throughput.events_per_second
}

/// Recovery: fill a log to `recovery_mib`, then time `open` (tail scan) and a fully verifying open.
struct RecoveryFigures {
    log_bytes: u64,
    entries: u64,
    fill_seconds: f64,
    active_segment_bytes: u64,
    open_tail_scan: f64,
    open_verify_all: f64,
    cold: Option<(f64, f64)>,
}

async fn measure_recovery(settings: &Settings, corpus: &Arc<Vec<Bytes>>) -> RecoveryFigures {
    let dir = settings.scratch.join("recovery");
    fresh_dir(&dir);
    let target = settings.recovery_mib * 1024 * 1024;
    let started = Instant::now();
    let log = EventLog::open(&dir, EventLogConfig::default()).unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|writer| {
            let (log, corpus) = (log.clone(), corpus.clone());
            tokio::spawn(async move {
                let mut position = writer * 7919;
                while log.stats().bytes_written < target {
                    log.append(batch_at(&corpus, position, 1000)).await.unwrap();
                    position += 1000;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let entries = log.durable_tail().0;
    drop(log);
    let fill_seconds = started.elapsed().as_secs_f64();
    let log_bytes = dir_bytes(&dir, "seg");
    let active_segment_bytes = last_segment_bytes(&dir);
    let time_open = |verify: bool, drop_caches: bool| {
        let samples = (0..settings.reps)
            .map(|_| time_one_open(&dir, verify, drop_caches))
            .collect();
        median(samples)
    };
    let open_tail_scan = time_open(false, false);
    let open_verify_all = time_open(true, false);
    let cold = settings
        .drop_caches
        .then(|| (time_open(false, true), time_open(true, true)));
    fresh_dir(&dir);
    RecoveryFigures {
        log_bytes,
        entries,
        fill_seconds,
        active_segment_bytes,
        open_tail_scan,
        open_verify_all,
        cold,
    }
}

fn last_segment_bytes(dir: &Path) -> u64 {
    let mut segments: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|item| item.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "seg"))
        .collect();
    segments.sort();
    segments
        .last()
        .map_or(0, |path| fs::metadata(path).unwrap().len())
}

fn time_one_open(dir: &Path, verify: bool, drop_caches: bool) -> f64 {
    if drop_caches {
        fs::write("/proc/sys/vm/drop_caches", "3\n").expect("--drop-caches needs root");
    }
    let config = EventLogConfig {
        verify_sealed_segments_on_open: verify,
        ..EventLogConfig::default()
    };
    let started = Instant::now();
    let log = EventLog::open(dir, config).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    drop(log);
    seconds
}

fn main() {
    let settings = parse_settings();
    let corpus = Arc::new(load_corpus(&settings.corpus));
    let framed = frame_corpus(&corpus);
    let mean_record = corpus.iter().map(Bytes::len).sum::<usize>() as f64 / corpus.len() as f64;
    eprintln!(
        "{} corpus records, mean {mean_record:.0} bytes; settings {settings:?}",
        corpus.len()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let bench_started = Instant::now();
    let (cells, log_bytes_per_event, sqlite_bytes_per_event) =
        runtime.block_on(measure_cells(&settings, &corpus, &framed));
    let recovery = runtime.block_on(measure_recovery(&settings, &corpus));
    let _ = fs::remove_dir_all(&settings.scratch);
    let report = render(
        &settings,
        &cells,
        &recovery,
        mean_record,
        corpus.len(),
        log_bytes_per_event,
        sqlite_bytes_per_event,
        bench_started.elapsed(),
    );
    println!("{report}");
    if let Some(out) = &settings.out {
        write_report(out, &report);
    }
}

async fn measure_cells(
    settings: &Settings,
    corpus: &Arc<Vec<Bytes>>,
    framed: &FramedCorpus,
) -> (Vec<Cell>, f64, f64) {
    let mut cells = Vec::new();
    let (mut log_bytes, mut log_entries, mut sqlite_bytes_per_event) = (0u64, 0u64, Vec::new());
    for &batch in &settings.batches {
        for &writers in &settings.writers {
            let mut samples = Vec::new();
            for rep in 0..settings.reps {
                let sample = measure_cell(settings, corpus, framed, writers, batch).await;
                eprintln!(
                    "writers {writers:>3} batch {batch:>3} rep {rep}: log {:>9.0}/s (groups of {:.1}), ceiling append {:>9.0}/s, preallocated {:>9.0}/s, per-batch fsync {:>9.0}/s, sqlite {:>9.0}/s",
                    sample.log.throughput.events_per_second,
                    sample.log.mean_group_entries,
                    sample.ceiling_group.events_per_second,
                    sample
                        .ceiling_preallocated
                        .map_or(0.0, |ceiling| ceiling.events_per_second),
                    sample.ceiling_batch.events_per_second,
                    sample.sqlite.events_per_second
                );
                log_bytes += sample.log.disk_bytes;
                log_entries += sample.log.entries;
                sqlite_bytes_per_event.push(sample.sqlite_bytes_per_event);
                samples.push(sample);
            }
            cells.push(summarize(writers, batch, &samples));
        }
    }
    (
        cells,
        log_bytes as f64 / log_entries.max(1) as f64,
        median(sqlite_bytes_per_event),
    )
}

#[allow(clippy::too_many_arguments)]
fn render(
    settings: &Settings,
    cells: &[Cell],
    recovery: &RecoveryFigures,
    mean_record: f64,
    records: usize,
    log_bytes_per_event: f64,
    sqlite_bytes_per_event: f64,
    elapsed: Duration,
) -> String {
    let mut text = String::new();
    let command = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    text.push_str(&format!(
        "Command: `cargo run --release -p opentrail-eventlog --example eventlog_bench -- {command}`\n\n\
         Corpus: {records} real CloudTrail records, mean {mean_record:.0} bytes of compact JSON. \
         Each figure is the median of {} repetitions of {:.1} s; a ratio is the median of the per-repetition \
         ratios, each comparing measurements taken back to back. Whole run {:.0} s.\n\n",
        settings.reps,
        settings.seconds,
        elapsed.as_secs_f64()
    ));
    text.push_str(
        "| writers | records per append | event log (events/s) | (a) disk ceiling: append, one fdatasync per log-sized group | log / (a) | (a') disk: overwrite a pre-zeroed file, one fdatasync per log-sized group | log / (a') | disk: append, one fdatasync per client append (no group commit) | (b) SQLite WAL FULL, one commit per append | log / (b) | mean entries per group commit | mean fdatasync in the log (µs) |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for cell in cells {
        let (preallocated, preallocated_ratio) = match cell.ceiling_preallocated {
            Some(value) => (
                format!("{value:.0}"),
                format!(
                    "{:.0} %",
                    100.0 * cell.log_over_preallocated.unwrap_or(f64::NAN)
                ),
            ),
            None => ("– (groups > 256 KiB)".to_owned(), "–".to_owned()),
        };
        text.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} % | {preallocated} | {preallocated_ratio} | {:.0} | {:.0} | {:.1}x | {:.1} | {:.0} |\n",
            cell.writers,
            cell.batch,
            cell.log,
            cell.ceiling_group,
            100.0 * cell.log_over_ceiling,
            cell.ceiling_batch,
            cell.sqlite,
            cell.log_over_sqlite,
            cell.group_entries,
            cell.fsync_micros
        ));
    }
    text.push_str(&format!(
        "\nBytes on disk per event: event log {log_bytes_per_event:.0} (payload + 16-byte entry header + segment headers), \
         SQLite {sqlite_bytes_per_event:.0} (database file after a TRUNCATE checkpoint), raw JSON {mean_record:.0}.\n\n"
    ));
    text.push_str(&render_recovery(recovery));
    text
}

fn render_recovery(recovery: &RecoveryFigures) -> String {
    let mut text = format!(
        "Recovery: a log of {:.0} MiB ({} entries, 128 MiB segments, the active one {:.0} MiB; filled in {:.1} s by 4 writers of 1000-record batches).\n\n\
         | open | page cache | time (s) |\n|---|---|---:|\n\
         | default (headers of sealed segments, full scan of the active one) | warm | {:.3} |\n\
         | `verify_sealed_segments_on_open` (every entry's CRC) | warm | {:.3} |\n",
        recovery.log_bytes as f64 / (1024.0 * 1024.0),
        recovery.entries,
        recovery.active_segment_bytes as f64 / (1024.0 * 1024.0),
        recovery.fill_seconds,
        recovery.open_tail_scan,
        recovery.open_verify_all
    );
    if let Some((tail, all)) = recovery.cold {
        text.push_str(&format!(
            "| default | cold (`drop_caches`) | {tail:.3} |\n| `verify_sealed_segments_on_open` | cold (`drop_caches`) | {all:.3} |\n"
        ));
    }
    text
}

/// Puts `report` between the markers of `out`, keeping whatever else the file holds.
fn write_report(out: &Path, report: &str) {
    let generated = format!("{BEGIN_MARKER}\n{report}{END_MARKER}\n");
    let existing = fs::read_to_string(out).unwrap_or_default();
    let updated = match (existing.find(BEGIN_MARKER), existing.find(END_MARKER)) {
        (Some(begin), Some(end)) if begin < end => {
            format!(
                "{}{generated}{}",
                &existing[..begin],
                existing[end + END_MARKER.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("# Event log benchmark\n\n{generated}"),
    };
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(out, updated).unwrap();
    eprintln!("wrote {}", out.display());
}
