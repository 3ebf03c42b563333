//! What a metric filter publishes for a matching event (spec section 7): the metric value
//! ([`MetricValue`]: a number, `$.selector`, `$name` or `$N`) and dimension values
//! ([`DimensionValue`]: `$.selector`, `$name` or `$N`).
//!
//! References are checked against the filter pattern they belong to: `$.…` needs a JSON
//! pattern, `$name`/`$N` a space-delimited one, and `$name` must be a field of that pattern.
//! AWS only recommends that a JSON selector also appear in the pattern, so that is not enforced.
//! Aggregation per minute, default values and units belong to the caller.

use std::borrow::Cow;

use crate::cursor::Cursor;
use crate::error::{PatternError, SyntaxError};
use crate::event::LogEvent;
use crate::json_document::JsonKind;
use crate::literal::parse_number;
use crate::selector::Selector;
use crate::{FilterPattern, PatternKind};

/// Longest metric value or dimension reference AWS accepts, in characters.
pub const MAX_FIELD_REFERENCE_LENGTH: usize = 100;
/// Most dimensions one metric transformation may have.
pub const MAX_DIMENSIONS: usize = 3;

/// A reference from a metric value or dimension to a value in the matched event.
#[derive(Debug, Clone)]
enum FieldReference {
    Json(Selector),
    Named {
        pattern: FilterPattern,
        name: String,
    },
    Position {
        pattern: FilterPattern,
        position: usize,
    },
}

impl FieldReference {
    /// `text` without length checks; `what` names the caller for messages ("metric value").
    fn parse(text: &str, pattern: &FilterPattern, what: &str) -> Result<Self, SyntaxError> {
        if text.starts_with("$.") {
            return Self::parse_selector(text, pattern, what);
        }
        let Some(name) = text.strip_prefix('$') else {
            return Err(SyntaxError::new(
                0,
                format!("{what} '{text}' must be '$.selector', '$name' or '$N'"),
            ));
        };
        if pattern.kind() != PatternKind::SpaceDelimited {
            return Err(SyntaxError::new(
                0,
                format!(
                    "{what} '{text}' names a space-delimited field, but the filter pattern is not space-delimited"
                ),
            ));
        }
        if let Ok(position) = name.parse::<usize>()
            && position > 0
        {
            return Ok(FieldReference::Position {
                pattern: pattern.clone(),
                position,
            });
        }
        let fields = pattern
            .space_delimited()
            .expect("a space-delimited pattern");
        if fields.field_index(name).is_none() {
            return Err(SyntaxError::new(
                1,
                format!("{what} '{text}' names no field of the filter pattern"),
            ));
        }
        Ok(FieldReference::Named {
            pattern: pattern.clone(),
            name: name.to_owned(),
        })
    }

    fn parse_selector(
        text: &str,
        pattern: &FilterPattern,
        what: &str,
    ) -> Result<Self, SyntaxError> {
        if pattern.kind() != PatternKind::Json {
            return Err(SyntaxError::new(
                0,
                format!(
                    "{what} '{text}' selects a JSON field, but the filter pattern is not a JSON pattern"
                ),
            ));
        }
        let mut cursor = Cursor::new(text, 0);
        let selector = Selector::parse(&mut cursor)?;
        if !cursor.at_end() {
            return Err(cursor.error(format!(
                "unexpected {} after selector '{}'",
                cursor.describe_next(),
                selector.text()
            )));
        }
        Ok(FieldReference::Json(selector))
    }

    /// The referenced value as text: a JSON string, number or boolean, or a field's text.
    fn value<'e>(&self, event: &LogEvent<'e>) -> Option<Cow<'e, str>> {
        let message = event.message();
        match self {
            FieldReference::Json(selector) => {
                let document = event.json()?;
                let node = selector.select(document).next()?;
                match document.kind(node) {
                    JsonKind::Null | JsonKind::Array | JsonKind::Object => None,
                    _ => Some(document.text(node)),
                }
            }
            FieldReference::Named { pattern, name } => {
                let fields = pattern.space_delimited()?;
                fields
                    .named_value(name, message, event.fields())
                    .map(Cow::Borrowed)
            }
            FieldReference::Position { pattern, position } => {
                let fields = pattern.space_delimited()?;
                fields
                    .positional_value(*position, message, event.fields())
                    .map(Cow::Borrowed)
            }
        }
    }
}

fn check_length(text: &str, what: &str) -> Result<(), PatternError> {
    let length = text.chars().count();
    if length == 0 {
        return Err(PatternError {
            position: 0,
            message: format!("{what} is empty"),
        });
    }
    if length > MAX_FIELD_REFERENCE_LENGTH {
        return Err(PatternError {
            position: MAX_FIELD_REFERENCE_LENGTH,
            message: format!(
                "{what} is {length} characters long; the limit is {MAX_FIELD_REFERENCE_LENGTH}"
            ),
        });
    }
    Ok(())
}

/// A metric filter's `metricValue`: what one matching event adds to the metric.
#[derive(Debug, Clone)]
pub struct MetricValue {
    text: String,
    source: MetricSource,
}

#[derive(Debug, Clone)]
enum MetricSource {
    Constant(f64),
    Field(FieldReference),
}

impl MetricValue {
    /// Parses `1`, `0.5`, `$.latency`, `$size` or `$7` for the given filter pattern.
    pub fn parse(text: &str, pattern: &FilterPattern) -> Result<MetricValue, PatternError> {
        check_length(text, "metric value")?;
        let source = match parse_number(text) {
            Some(constant) => MetricSource::Constant(constant),
            None if text.starts_with('$') => MetricSource::Field(
                FieldReference::parse(text, pattern, "metric value")
                    .map_err(|error| error.into_pattern_error(text))?,
            ),
            None => {
                return Err(PatternError {
                    position: 0,
                    message: format!(
                        "metric value '{text}' must be a number, '$.selector', '$name' or '$N'"
                    ),
                });
            }
        };
        Ok(MetricValue {
            text: text.to_owned(),
            source,
        })
    }

    /// The text it was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The number a matching event contributes: the constant, or the referenced value when it is
    /// a number (or a string holding one); `None` when the event has no such numeric value.
    pub fn evaluate(&self, event: &LogEvent<'_>) -> Option<f64> {
        match &self.source {
            MetricSource::Constant(constant) => Some(*constant),
            MetricSource::Field(reference) => parse_number(&reference.value(event)?),
        }
    }
}

/// One dimension's value reference (`"eventType": "$.eventType"`, `"server": "$server"`).
#[derive(Debug, Clone)]
pub struct DimensionValue {
    text: String,
    reference: FieldReference,
}

impl DimensionValue {
    /// Parses a reference for the given pattern; term, regex and match-all patterns support no
    /// dimensions (AWS: "The specified filter pattern does not support dimensions").
    pub fn parse(text: &str, pattern: &FilterPattern) -> Result<DimensionValue, PatternError> {
        if !matches!(
            pattern.kind(),
            PatternKind::Json | PatternKind::SpaceDelimited
        ) {
            return Err(PatternError {
                position: 0,
                message: "the specified filter pattern does not support dimensions".to_owned(),
            });
        }
        check_length(text, "dimension value")?;
        let reference = FieldReference::parse(text, pattern, "dimension value")
            .map_err(|error| error.into_pattern_error(text))?;
        Ok(DimensionValue {
            text: text.to_owned(),
            reference,
        })
    }

    /// The text it was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The dimension's value for an event, or `None` when the event lacks it (AWS then
    /// publishes no value for that dimension). JSON null, objects and arrays count as missing.
    pub fn evaluate(&self, event: &LogEvent<'_>) -> Option<String> {
        self.reference.value(event).map(Cow::into_owned)
    }
}
