//! The test fixture: a [`Logs`] in a temp dir with a pinned clock and a sink that records every
//! batch of datapoints, plus `check` for table-driven expectations.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::{Clock, Logs, LogsApiError, MetricPoint, MetricSink};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "ap-northeast-1";
/// 2025-06-15T15:06:40Z.
pub const NOW: i64 = 1_750_000_000_000;

/// A clock tests move by hand.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn set(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A recorded point as tests compare it: metric name, value, dimensions, timestamp.
pub type SeenPoint = (String, f64, Vec<(String, String)>, i64);

/// Every `put` call: account, region and its points.
#[derive(Debug, Default)]
pub struct RecordingSink {
    batches: Mutex<Vec<(String, String, Vec<MetricPoint>)>>,
}

impl RecordingSink {
    /// Takes the recorded batches.
    pub fn take(&self) -> Vec<(String, String, Vec<MetricPoint>)> {
        std::mem::take(&mut *self.batches.lock().unwrap())
    }

    /// Takes the recorded points.
    pub fn take_points(&self) -> Vec<SeenPoint> {
        self.take()
            .into_iter()
            .flat_map(|(_, _, points)| points)
            .map(|p| (p.metric_name, p.value, p.dimensions, p.timestamp_ms))
            .collect()
    }
}

impl MetricSink for RecordingSink {
    fn put(&self, account_id: &str, region: &str, points: Vec<MetricPoint>) {
        self.batches
            .lock()
            .unwrap()
            .push((account_id.to_owned(), region.to_owned(), points));
    }
}

/// A service in a temp dir.
pub struct Fixture {
    pub dir: TempDir,
    pub logs: Logs,
    pub sink: Arc<RecordingSink>,
    pub clock: Arc<ManualClock>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let sink = Arc::new(RecordingSink::default());
        let clock = Arc::new(ManualClock(AtomicI64::new(NOW)));
        let logs = Logs::open_with_clock(dir.path(), sink.clone(), clock.clone()).unwrap();
        Fixture {
            dir,
            logs,
            sink,
            clock,
        }
    }

    /// A second service over the same directory (as after a restart).
    pub fn reopen(&self) -> Logs {
        Logs::open_with_clock(self.dir.path(), self.sink.clone(), self.clock.clone()).unwrap()
    }

    pub fn call(&self, operation: &str, input: Value) -> Result<Value, LogsApiError> {
        self.logs.call(ACCOUNT, REGION, operation, &input)
    }

    /// The answer of a call that must succeed.
    pub fn ok(&self, operation: &str, input: Value) -> Value {
        self.call(operation, input.clone())
            .unwrap_or_else(|error| panic!("{operation} {input} failed: {error}"))
    }

    /// A group with one stream.
    pub fn group_with_stream(&self, group: &str, stream: &str) {
        self.ok("CreateLogGroup", json!({"logGroupName": group}));
        self.ok(
            "CreateLogStream",
            json!({"logGroupName": group, "logStreamName": stream}),
        );
    }

    /// PutLogEvents of `(timestamp, message)` pairs.
    pub fn put_events(&self, group: &str, stream: &str, events: &[(i64, &str)]) -> Value {
        let events: Vec<Value> = events
            .iter()
            .map(|(timestamp, message)| json!({"timestamp": timestamp, "message": message}))
            .collect();
        self.ok(
            "PutLogEvents",
            json!({"logGroupName": group, "logStreamName": stream, "logEvents": events}),
        )
    }
}

/// What a call must answer.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Exactly this JSON.
    Answer(Value),
    /// An answer containing these members (recursively for objects).
    Contains(Value),
    /// This code and exactly this message.
    Error(&'static str, &'static str),
    /// This code and a message containing the text.
    ErrorContaining(&'static str, &'static str),
}

/// Runs one call and compares with the expectation.
pub fn check(fixture: &Fixture, operation: &str, input: Value, expected: Expected) {
    let outcome = fixture.call(operation, input.clone());
    let context = format!("{operation} {input}");
    match (expected, outcome) {
        (Expected::Answer(expected), Ok(answer)) => assert_eq!(answer, expected, "{context}"),
        (Expected::Contains(expected), Ok(answer)) => {
            assert!(
                contains(&answer, &expected),
                "{context}: {answer} does not contain {expected}"
            )
        }
        (Expected::Error(code, message), Err(error)) => {
            assert_eq!(
                (error.code, error.message.as_str()),
                (code, message),
                "{context}"
            )
        }
        (Expected::ErrorContaining(code, fragment), Err(error)) => {
            assert_eq!(error.code, code, "{context}: {}", error.message);
            assert!(
                error.message.contains(fragment),
                "{context}: {}",
                error.message
            );
        }
        (expected, outcome) => panic!("{context}: expected {expected:?}, got {outcome:?}"),
    }
}

/// Whether `actual` has every member of `expected`: objects recursively, arrays element by
/// element (same length), other values equal.
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => expected
            .iter()
            .all(|(key, value)| actual.get(key).is_some_and(|found| contains(found, value))),
        (Value::Array(actual), Value::Array(expected)) => {
            actual.len() == expected.len()
                && actual.iter().zip(expected).all(|(a, e)| contains(a, e))
        }
        (actual, expected) => actual == expected,
    }
}

/// The `message` members of an answer's `events`.
pub fn messages(answer: &Value) -> Vec<String> {
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["message"].as_str().unwrap().to_owned())
        .collect()
}
