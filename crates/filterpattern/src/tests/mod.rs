//! Table-driven tests of the whole language through the public API, one file per pattern kind,
//! all going through the helpers below. Every documented example of
//! shared/reference/filter-patterns.md is here with its documented outcome; cases the spec marks
//! as our choice say so. New language tests go in the file of their pattern kind.

mod cis;
mod errors;
mod exfiltration;
mod json;
mod metric;
mod regex;
mod space_delimited;
mod terms;

use std::collections::BTreeMap;

use crate::{FilterPattern, LogEvent};

fn compile(pattern: &str) -> FilterPattern {
    FilterPattern::compile(pattern).unwrap_or_else(|error| panic!("{pattern:?}: {error}"))
}

/// The one helper: does `pattern` match the log event `event`?
fn check(pattern: &str, event: &str, expected: bool) {
    let compiled = compile(pattern);
    assert_eq!(
        compiled.matches(&LogEvent::new(event)),
        expected,
        "pattern {pattern:?} on event {event:?}"
    );
}

/// `check` for a list of (pattern, event, expected) rows.
fn check_all(rows: &[(&str, &str, bool)]) {
    for (pattern, event, expected) in rows {
        check(pattern, event, *expected);
    }
}

/// `check` for one pattern over every event, with the expected outcome of each.
fn check_events(pattern: &str, events: &[(&str, bool)]) {
    for (event, expected) in events {
        check(pattern, event, *expected);
    }
}

fn check_error(pattern: &str, position: usize, message: &str) {
    let error = FilterPattern::compile(pattern).expect_err(pattern);
    assert_eq!(
        (error.position, error.message.as_str()),
        (position, message),
        "pattern {pattern:?}"
    );
}

fn check_extracted(pattern: &str, event: &str, expected: Option<&[(&str, &str)]>) {
    let got = compile(pattern).extracted_values(&LogEvent::new(event));
    let expected: Option<BTreeMap<String, String>> = expected.map(|pairs| {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    });
    assert_eq!(got, expected, "pattern {pattern:?} on event {event:?}");
}

#[test]
fn compiled_patterns_are_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<FilterPattern>();
    assert_send_sync::<crate::MetricValue>();
    assert_send_sync::<crate::DimensionValue>();
}

#[test]
fn kinds_are_dispatched_on_the_first_character() {
    use crate::PatternKind::*;
    for (pattern, kind) in [
        ("", MatchAll),
        ("   ", MatchAll),
        ("\" \"", MatchAll),
        ("  \"   \"  ", MatchAll),
        ("ERROR", Terms),
        ("\"ERROR\"", Terms),
        ("{ $.a = 1 }", Json),
        ("  { $.a = 1 }", Json),
        ("[a, b]", SpaceDelimited),
        ("%ab+c%", Regex),
        ("  %ab+c%  ", Regex),
    ] {
        let compiled = compile(pattern);
        assert_eq!(compiled.kind(), kind, "{pattern:?}");
        assert_eq!(compiled.text(), pattern);
    }
}

#[test]
fn one_event_serves_many_patterns() {
    let event =
        LogEvent::new(r#"{"eventName":"ConsoleLogin","errorMessage":"Failed authentication"}"#);
    let patterns = [
        compile("{ $.eventName = ConsoleLogin }"),
        compile("ConsoleLogin"),
        compile("[a]"),
        compile("{ $.errorMessage NOT EXISTS }"),
    ];
    let outcomes: Vec<bool> = patterns.iter().map(|p| p.matches(&event)).collect();
    assert_eq!(outcomes, [true, true, true, false]);
}
