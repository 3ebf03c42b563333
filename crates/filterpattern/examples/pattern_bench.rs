//! Benchmark: the 15 CIS CloudTrail metric filters over every record of the real corpus, on one
//! thread. Run with `cargo run --release -p opentrail-filterpattern --example pattern_bench`
//! (CORPUS_DIR overrides the corpus location). Prints a markdown table: end-to-end evaluations
//! per second (each event wrapped and JSON-parsed once, then matched by all 15 filters), the
//! parse cost per event next to serde_json's `Value` parse of the same text as a reference, and
//! the match cost per pattern-event on pre-parsed events. Each figure is the median of 5 runs.

#[path = "../tests/support/corpus.rs"]
mod corpus;

use std::hint::black_box;
use std::time::{Duration, Instant};

use opentrail_filterpattern::cis::CIS_CLOUDTRAIL_METRIC_FILTERS;
use opentrail_filterpattern::{FilterPattern, LogEvent};

const RUNS: usize = 5;
/// Passes over the corpus per run, so each run lasts long enough to time reliably.
const PASSES: usize = 20;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median over `RUNS` of the time `PASSES` calls of `pass` take.
fn time(mut pass: impl FnMut() -> usize) -> Duration {
    black_box(pass());
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PASSES {
                black_box(pass());
            }
            start.elapsed()
        })
        .collect();
    median(samples)
}

fn per_item_nanos(total: Duration, items: usize) -> f64 {
    total.as_nanos() as f64 / (items * PASSES) as f64
}

fn main() {
    let records = corpus::load_records();
    let filters: Vec<FilterPattern> = CIS_CLOUDTRAIL_METRIC_FILTERS
        .iter()
        .map(|filter| FilterPattern::compile(filter.pattern).expect(filter.control))
        .collect();
    let evaluations = records.len() * filters.len();

    let end_to_end = time(|| {
        let mut matched = 0;
        for message in &records {
            let event = LogEvent::new(message);
            matched += filters
                .iter()
                .filter(|filter| filter.matches(&event))
                .count();
        }
        matched
    });
    let parse = time(|| {
        records
            .iter()
            .filter(|message| LogEvent::new(message).is_json())
            .count()
    });
    let serde_parse = time(|| {
        records
            .iter()
            .filter(|message| serde_json::from_str::<serde_json::Value>(message).is_ok())
            .count()
    });
    let events: Vec<LogEvent<'_>> = records
        .iter()
        .map(|message| LogEvent::new(message))
        .collect();
    assert!(
        events.iter().all(LogEvent::is_json),
        "every corpus record is JSON"
    );
    let match_only = time(|| {
        let mut matched = 0;
        for filter in &filters {
            matched += events.iter().filter(|event| filter.matches(event)).count();
        }
        matched
    });
    let matches_per_pass = {
        let mut matched = 0;
        for filter in &filters {
            matched += events.iter().filter(|event| filter.matches(event)).count();
        }
        matched
    };

    let end_to_end_rate = evaluations as f64 * PASSES as f64 / end_to_end.as_secs_f64();
    let match_rate = evaluations as f64 * PASSES as f64 / match_only.as_secs_f64();
    println!("| measure (one thread, median of {RUNS} runs of {PASSES} passes) | value |");
    println!("| --- | --- |");
    println!("| corpus records | {} |", records.len());
    println!("| CIS filters | {} |", filters.len());
    println!("| matches per pass (all filters) | {matches_per_pass} |");
    println!(
        "| **end-to-end pattern-event evaluations/s** (parse once + 15 matches) | **{:.2} M/s** |",
        end_to_end_rate / 1e6
    );
    println!(
        "| end-to-end cost per event (parse + 15 matches) | {:.0} ns |",
        per_item_nanos(end_to_end, records.len())
    );
    println!(
        "| parse cost per event (LogEvent JSON view) | {:.0} ns |",
        per_item_nanos(parse, records.len())
    );
    println!(
        "| reference: serde_json::Value parse per event | {:.0} ns |",
        per_item_nanos(serde_parse, records.len())
    );
    println!(
        "| match cost per pattern-event (pre-parsed) | {:.1} ns |",
        per_item_nanos(match_only, evaluations)
    );
    println!(
        "| match-only pattern-event evaluations/s | {:.2} M/s |",
        match_rate / 1e6
    );
}
