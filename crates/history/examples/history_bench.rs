//! Event-history benchmark: synthesises N management events from the real corpus (fresh event
//! IDs, event times rising across 89 days with jitter, one account), feeds them through
//! `HistoryConsumer::apply` in batches of 1000, then measures bytes per event on disk,
//! LookupEvents latency per 50-event page for each attribute and for plain time ranges, and
//! lookups/s with 2 threads. It does not start the server or the event log.
//!
//! `cargo run --release -p opentrail-history --example history_bench -- --events 1000000 [--dir D]`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use opentrail_eventlog::{Consumer, Entry, Seq};
use opentrail_history::summary::{AttributeKey, summarize};
use opentrail_history::{History, HistoryConfig};
use opentrail_record::{Envelope, RecordSource, split_records};
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const CORPUS: &str = "/work/shared/corpus/real";
const ID_PLACEHOLDER: &str = "00000000-0000-0000-0000-000000000000";
const TIME_PLACEHOLDER: &str = "2000-01-01T00:00:00Z";
const SPREAD_SECONDS: i64 = 89 * 24 * 3600;

/// A tiny xorshift generator: the benchmark needs spread, not quality.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

/// A corpus record re-serialised with placeholders, and where to overwrite them.
struct Template {
    bytes: Vec<u8>,
    id_at: usize,
    time_at: usize,
    value: Value,
}

fn templates() -> Vec<Template> {
    let mut templates = Vec::new();
    let mut sets: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("corpus")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    sets.sort();
    for set in sets {
        for file in std::fs::read_dir(set).unwrap() {
            let file = file.unwrap().path();
            // Only the log files: `records.jsonl` repeats the same records.
            if file.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let outcome = split_records(&std::fs::read(file).unwrap(), 1 << 30).unwrap();
            for record in outcome.accepted {
                let mut value: Value = serde_json::from_slice(&record.bytes).unwrap();
                value["eventID"] = json!(ID_PLACEHOLDER);
                value["eventTime"] = json!(TIME_PLACEHOLDER);
                let bytes = serde_json::to_vec(&value).unwrap();
                let text = String::from_utf8(bytes.clone()).unwrap();
                let id_at = text.find(ID_PLACEHOLDER).unwrap();
                let time_at = text.find(TIME_PLACEHOLDER).unwrap();
                if summarize(&bytes).is_some() {
                    templates.push(Template {
                        bytes,
                        id_at,
                        time_at,
                        value,
                    });
                }
            }
        }
    }
    templates
}

fn synthesize(template: &Template, number: u64, time: DateTime<Utc>) -> Bytes {
    let mut bytes = template.bytes.clone();
    let id = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        number as u32,
        (number >> 32) as u16,
        number % 4096,
        (number * 7) % 4096,
        number.wrapping_mul(0x9e37_79b9_7f4a_7c15) & 0xffff_ffff_ffff
    );
    bytes[template.id_at..template.id_at + ID_PLACEHOLDER.len()].copy_from_slice(id.as_bytes());
    let time = opentrail_record::format_event_time(time);
    bytes[template.time_at..template.time_at + TIME_PLACEHOLDER.len()]
        .copy_from_slice(time.as_bytes());
    Bytes::from(bytes)
}

struct Args {
    events: u64,
    dir: PathBuf,
}

fn parse_args() -> Args {
    let mut args = Args {
        events: 1_000_000,
        dir: std::env::temp_dir().join(format!("history-bench-{}", std::process::id())),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--events" => args.events = value.parse().expect("--events N"),
            "--dir" => args.dir = PathBuf::from(value),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// One lookup to measure: region and input.
type Probe = (String, Value);

fn main() {
    let args = parse_args();
    std::fs::create_dir_all(&args.dir).unwrap();
    let path = args.dir.join("history.db");
    let templates = templates();
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let now = start + chrono::Duration::seconds(SPREAD_SECONDS + 60);
    println!(
        "{} templates; {} events into {}",
        templates.len(),
        args.events,
        path.display()
    );
    let history = History::open(&path, HistoryConfig::default()).unwrap();
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let mut sampled_ids: Vec<Probe> = Vec::new();
    let (ingest_time, count) = ingest(
        &history,
        &templates,
        &args,
        start,
        &mut random,
        &mut sampled_ids,
    );
    println!(
        "ingest: {count} events in {:.1} s = {:.0} events/s",
        ingest_time.as_secs_f64(),
        count as f64 / ingest_time.as_secs_f64()
    );
    report_size(&path, count);
    let probes = probes(&templates, &mut random, &sampled_ids, start);
    measure_latency(&history, &probes, now);
    measure_throughput(&history, &probes, now);
    let _ = std::fs::remove_dir_all(&args.dir);
}

fn ingest(
    history: &History,
    templates: &[Template],
    args: &Args,
    start: DateTime<Utc>,
    random: &mut Random,
    sampled_ids: &mut Vec<Probe>,
) -> (Duration, u64) {
    let mut consumer = history.consumer().unwrap();
    let mut spent = Duration::ZERO;
    let mut number = 0u64;
    let report_every = (args.events / 10).max(1000);
    while number < args.events {
        let batch: Vec<Entry> = (0..1000.min(args.events - number))
            .map(|_| {
                let template = &templates[random.below(templates.len() as u64) as usize];
                let base = SPREAD_SECONDS as u64 * number / args.events.max(1);
                let jitter = random.below(600) as i64 - 300;
                let seconds = (base as i64 + jitter).clamp(0, SPREAD_SECONDS);
                let record = synthesize(template, number, start + chrono::Duration::seconds(seconds));
                if random.below(args.events / 1000 + 1) == 0 && sampled_ids.len() < 2000 {
                    let summary = summarize(&record).unwrap();
                    sampled_ids.push((
                        summary.region,
                        json!({"LookupAttributes":[{"AttributeKey":"EventId","AttributeValue":summary.event_id}]}),
                    ));
                }
                let envelope = Envelope {
                    account_id: ACCOUNT.into(),
                    source: RecordSource::Ingest,
                    ingest_time_ms: 0,
                    record,
                };
                number += 1;
                Entry {
                    seq: Seq(number),
                    payload: envelope.encode(),
                }
            })
            .collect();
        let began = Instant::now();
        consumer.apply(&batch).unwrap();
        spent += began.elapsed();
        if number % report_every < 1000 {
            println!(
                "  {number} events, {:.0} events/s so far",
                number as f64 / spent.as_secs_f64()
            );
        }
    }
    (spent, consumer.counts().indexed)
}

fn report_size(path: &std::path::Path, count: u64) {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let size = std::fs::metadata(path).unwrap().len();
    let page_counts: Vec<(String, i64)> = connection
        .prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .unwrap_or_default();
    println!(
        "disk: {size} bytes = {:.0} bytes/event",
        size as f64 / count.max(1) as f64
    );
    for (name, bytes) in page_counts {
        println!(
            "  {name}: {:.0} bytes/event",
            bytes as f64 / count.max(1) as f64
        );
    }
}

fn probes(
    templates: &[Template],
    random: &mut Random,
    sampled_ids: &[Probe],
    start: DateTime<Utc>,
) -> Vec<(&'static str, Vec<Probe>)> {
    let mut by_kind = Vec::new();
    let keys = [
        AttributeKey::EventName,
        AttributeKey::ReadOnly,
        AttributeKey::Username,
        AttributeKey::ResourceType,
        AttributeKey::ResourceName,
        AttributeKey::EventSource,
        AttributeKey::AccessKeyId,
    ];
    for key in keys {
        let mut probes = Vec::new();
        while probes.len() < 1000 {
            let template = &templates[random.below(templates.len() as u64) as usize];
            let summary = summarize(&template.bytes).unwrap();
            let values = summary.attribute_values();
            if let Some((_, value)) = values.iter().find(|(found, _)| *found == key) {
                probes.push((
                    template.value["awsRegion"].as_str().unwrap().to_owned(),
                    json!({"LookupAttributes":[{"AttributeKey":key.api_name(),"AttributeValue":value}]}),
                ));
            }
        }
        by_kind.push((key.api_name(), probes));
    }
    by_kind.push(("EventId", sampled_ids.to_vec()));
    let ranges = (0..1000)
        .map(|_| {
            let template = &templates[random.below(templates.len() as u64) as usize];
            let from = start.timestamp() + random.below(SPREAD_SECONDS as u64) as i64;
            let length = 3600 + random.below(24 * 3600) as i64;
            (
                template.value["awsRegion"].as_str().unwrap().to_owned(),
                json!({"StartTime": from, "EndTime": from + length}),
            )
        })
        .collect();
    by_kind.push(("time range", ranges));
    by_kind.push((
        "newest (no filter)",
        vec![("us-east-1".to_owned(), json!({}))],
    ));
    by_kind
}

fn measure_latency(history: &History, probes: &[(&'static str, Vec<Probe>)], now: DateTime<Utc>) {
    println!("latency per page (MaxResults 50, first page):");
    println!("| query | lookups | mean events/page | p50 ms | p99 ms |");
    for (kind, list) in probes {
        let mut latencies = Vec::new();
        let mut events = 0usize;
        for round in 0..2000 {
            let (region, input) = &list[round % list.len()];
            let began = Instant::now();
            let page = history.lookup(ACCOUNT, region, input, now).unwrap();
            latencies.push(began.elapsed());
            events += page["Events"].as_array().unwrap().len();
        }
        latencies.sort();
        let at =
            |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        println!(
            "| {kind} | {} | {:.1} | {:.2} | {:.2} |",
            latencies.len(),
            events as f64 / latencies.len() as f64,
            at(0.50).as_secs_f64() * 1000.0,
            at(0.99).as_secs_f64() * 1000.0
        );
    }
}

fn measure_throughput(
    history: &History,
    probes: &[(&'static str, Vec<Probe>)],
    now: DateTime<Utc>,
) {
    let mixed: Vec<Probe> = probes
        .iter()
        .flat_map(|(_, list)| list.iter().take(200).cloned())
        .collect();
    let window = Duration::from_secs(5);
    let total: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let (history, mixed) = (history.clone(), &mixed);
                scope.spawn(move || {
                    let began = Instant::now();
                    let mut done = 0usize;
                    while began.elapsed() < window {
                        let (region, input) = &mixed[(done * 2 + worker) % mixed.len()];
                        history.lookup(ACCOUNT, region, input, now).unwrap();
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap())
            .sum()
    });
    println!(
        "throughput: {total} mixed lookups in {window:?} with 2 threads = {:.0} lookups/s",
        total as f64 / window.as_secs_f64()
    );
}
