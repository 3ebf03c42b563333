//! The CloudWatch Logs filter pattern language, as used by OpenTrail's log groups, metric
//! filters and subscription filters: compile a pattern once, then match many log events.
//!
//! Tour:
//! - [`FilterPattern::compile`] reads any of the four kinds AWS dispatches on the first
//!   character (`terms.rs`, `aws_regex.rs`, `json_pattern.rs` + `selector.rs`,
//!   `space_delimited.rs`), enforcing AWS's limits, and reports a [`PatternError`] with a
//!   position. Value comparisons shared by JSON and space-delimited patterns are in `literal.rs`.
//! - [`LogEvent`] wraps one message and parses it at most once per view: JSON into a borrowed
//!   node table (`json_document.rs`), and the space-delimited field split (`event.rs`). One event
//!   is matched against many patterns without re-parsing.
//! - [`MetricValue`] and [`DimensionValue`] (`metric.rs`) turn a matching event into a metric
//!   filter's value and dimensions; [`FilterPattern::extracted_values`] is TestMetricFilter's
//!   `extractedValues`.
//! - [`cis`] holds the CIS AWS Foundations CloudTrail metric filters.
//!
//! The crate is pure: no IO, no clock, no async. The behaviour follows
//! shared/reference/filter-patterns.md; where AWS documents nothing, the choice is written in a
//! doc comment next to the code that makes it (rules A1–A13 of that file).

mod aws_regex;
pub mod cis;
mod cursor;
mod error;
mod event;
mod json_document;
mod json_pattern;
mod literal;
mod metric;
mod selector;
mod space_delimited;
mod terms;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use error::PatternError;
pub use event::LogEvent;
pub use json_pattern::{MAX_REGEXES_PER_PATTERN, MAX_WILDCARD_SELECTORS_PER_PATTERN};
pub use metric::{DimensionValue, MAX_DIMENSIONS, MAX_FIELD_REFERENCE_LENGTH, MetricValue};

use aws_regex::AwsRegex;
use cursor::is_blank;
use error::SyntaxError;
use json_pattern::JsonPattern;
use space_delimited::SpaceDelimitedPattern;
use terms::TermsPattern;

/// Longest filter pattern AWS accepts, in characters (PutMetricFilter, PutSubscriptionFilter,
/// FilterLogEvents, TestMetricFilter).
pub const MAX_PATTERN_LENGTH: usize = 1024;

/// Which of the language's forms a pattern is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternKind {
    /// Words and quoted phrases, with `?` and `-` prefixes.
    Terms,
    /// `{ $.selector … }`.
    Json,
    /// `[field, …]`.
    SpaceDelimited,
    /// The whole pattern is one `%regex%`.
    Regex,
    /// Empty, blank, or a quoted run of blanks (`" "`): every event matches.
    MatchAll,
}

/// A compiled filter pattern. Cheap to clone and share between threads.
#[derive(Debug, Clone)]
pub struct FilterPattern {
    inner: Arc<CompiledPattern>,
}

#[derive(Debug)]
struct CompiledPattern {
    text: String,
    matcher: Matcher,
}

#[derive(Debug)]
enum Matcher {
    MatchAll,
    Terms(TermsPattern),
    Regex(AwsRegex),
    Json(JsonPattern),
    SpaceDelimited(SpaceDelimitedPattern),
}

/// Two patterns are equal when their texts are: compilation is deterministic.
impl PartialEq for FilterPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl Eq for FilterPattern {}

impl FilterPattern {
    /// Compiles a pattern; `""` matches every event.
    pub fn compile(text: &str) -> Result<FilterPattern, PatternError> {
        let length = text.chars().count();
        if length > MAX_PATTERN_LENGTH {
            return Err(PatternError {
                position: MAX_PATTERN_LENGTH,
                message: format!(
                    "filter pattern is {length} characters long; the limit is {MAX_PATTERN_LENGTH}"
                ),
            });
        }
        let matcher = Matcher::parse(text).map_err(|error| error.into_pattern_error(text))?;
        Ok(FilterPattern {
            inner: Arc::new(CompiledPattern {
                text: text.to_owned(),
                matcher,
            }),
        })
    }

    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// Which form the pattern is.
    pub fn kind(&self) -> PatternKind {
        match &self.inner.matcher {
            Matcher::MatchAll => PatternKind::MatchAll,
            Matcher::Terms(_) => PatternKind::Terms,
            Matcher::Regex(_) => PatternKind::Regex,
            Matcher::Json(_) => PatternKind::Json,
            Matcher::SpaceDelimited(_) => PatternKind::SpaceDelimited,
        }
    }

    /// Whether the event matches.
    pub fn matches(&self, event: &LogEvent<'_>) -> bool {
        match &self.inner.matcher {
            Matcher::MatchAll => true,
            Matcher::Terms(terms) => terms.matches(event.message()),
            Matcher::Regex(regex) => regex.is_match(event.message()),
            Matcher::Json(json) => json.matches(event.json()),
            Matcher::SpaceDelimited(fields) => fields.matches(event.message(), event.fields()),
        }
    }

    /// TestMetricFilter's `extractedValues` for a matching event, `None` if it does not match.
    /// Space-delimited: `$name` for named fields, `$N` (1-based) for unnamed and ellipsis-covered
    /// fields. JSON: each selector written in the pattern (as written, e.g. `$.eventType`) that
    /// finds a value, mapped to its text (a string's content, otherwise its JSON text; the first
    /// value for a wildcard selector). Terms, regex and match-all: empty.
    pub fn extracted_values(&self, event: &LogEvent<'_>) -> Option<BTreeMap<String, String>> {
        if !self.matches(event) {
            return None;
        }
        let values = match &self.inner.matcher {
            Matcher::Json(json) => event
                .json()
                .map(|document| json.extracted_values(document))
                .unwrap_or_default(),
            Matcher::SpaceDelimited(fields) => {
                fields.extracted_values(event.message(), event.fields())
            }
            Matcher::MatchAll | Matcher::Terms(_) | Matcher::Regex(_) => BTreeMap::new(),
        };
        Some(values)
    }

    pub(crate) fn space_delimited(&self) -> Option<&SpaceDelimitedPattern> {
        match &self.inner.matcher {
            Matcher::SpaceDelimited(fields) => Some(fields),
            _ => None,
        }
    }
}

impl Matcher {
    /// Dispatches on the first non-blank character (spec section 2).
    fn parse(text: &str) -> Result<Matcher, SyntaxError> {
        let Some(start) = text.find(|c: char| !is_blank(c)) else {
            return Ok(Matcher::MatchAll);
        };
        let trimmed = text.trim_end_matches(is_blank);
        match text.as_bytes()[start] {
            b'{' => JsonPattern::parse(text, start).map(Matcher::Json),
            b'[' => SpaceDelimitedPattern::parse(text, start).map(Matcher::SpaceDelimited),
            b'%' => standalone_regex(trimmed, start).map(Matcher::Regex),
            _ if is_quoted_blank(&trimmed[start..]) => Ok(Matcher::MatchAll),
            _ => TermsPattern::parse(text).map(Matcher::Terms),
        }
    }
}

/// Rule A1: `" "` (a quoted run of blanks) is AWS's documented "match everything".
fn is_quoted_blank(pattern: &str) -> bool {
    pattern.len() >= 2
        && pattern.starts_with('"')
        && pattern.ends_with('"')
        && pattern[1..pattern.len() - 1].chars().all(is_blank)
}

/// A pattern starting with `%` must be exactly one `%regex%`.
fn standalone_regex(trimmed: &str, start: usize) -> Result<AwsRegex, SyntaxError> {
    let body_start = start + 1;
    match trimmed[body_start..].find('%') {
        Some(length) if body_start + length + 1 == trimmed.len() => {
            AwsRegex::compile(&trimmed[body_start..body_start + length], body_start)
        }
        Some(length) => Err(SyntaxError::new(
            body_start + length + 1,
            "a regex pattern must be one '%…%' with nothing after it",
        )),
        None => Err(SyntaxError::new(
            start,
            format!("unterminated regex '{}'", &trimmed[start..]),
        )),
    }
}
