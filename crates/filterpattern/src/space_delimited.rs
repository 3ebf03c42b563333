//! Space-delimited patterns (spec section 6): `[ip, user, ..., status_code = 4*, bytes > 1000]`.
//!
//! Fields are matched left to right against the message's fields ([`crate::LogEvent`] splits
//! them once). The pattern must describe the whole message: with an ellipsis (`...`, at most
//! one) the ellipsis takes the fields left over; without one, the last pattern field takes the
//! rest of the message as raw text (rule A3, the only reading under which the documented
//! `[w1=ERROR, w2]` examples work). A message with fewer fields than the pattern never matches.
//! `[]` behaves as `[...]`. An empty entry (`[a,,b]`, or the trailing `[…, x,]`) is an unnamed
//! field. Conditions on one field may be joined with `&&`/`||` (`&&` binds tighter) but must all
//! name that field; AWS rejects a condition list that mentions another field.

use std::collections::BTreeMap;

use crate::cursor::Cursor;
use crate::error::SyntaxError;
use crate::event::Field;
use crate::json_pattern::check_literal;
use crate::literal::{ComparisonOperator, Literal, Scalar, ValueContext, parse_literal};

/// A compiled space-delimited pattern.
#[derive(Debug, Clone)]
pub(crate) struct SpaceDelimitedPattern {
    /// The pattern's fields without the ellipsis, in order.
    fields: Vec<PatternField>,
    /// Where the ellipsis sits: the number of fields before it.
    ellipsis_at: Option<usize>,
}

#[derive(Debug, Clone)]
struct PatternField {
    name: Option<String>,
    /// Alternatives (`||`) of conjunctions (`&&`); empty when the field is unconstrained.
    condition: Vec<Vec<(ComparisonOperator, Literal)>>,
}

enum Entry {
    Ellipsis,
    Field(PatternField),
}

/// Where one pattern field's value comes from in a message.
#[derive(Debug, Clone, Copy)]
struct Placement {
    /// Index of the message field it starts at.
    index: usize,
    /// Whether it takes the rest of the message.
    rest: bool,
}

impl SpaceDelimitedPattern {
    /// Parses a space-delimited pattern whose `[` is at byte `start` of `text`.
    pub(crate) fn parse(text: &str, start: usize) -> Result<Self, SyntaxError> {
        let mut cursor = Cursor::new(text, start);
        cursor.bump();
        let mut regexes = 0;
        let mut entries = Vec::new();
        loop {
            cursor.skip_blanks();
            let entry_at = cursor.position();
            entries.push((entry_at, parse_entry(&mut cursor, &mut regexes)?));
            cursor.skip_blanks();
            if cursor.eat(",") {
                continue;
            }
            if cursor.eat("]") {
                break;
            }
            return Err(cursor.error(format!(
                "expected ',' or ']' after a field, found {}",
                cursor.describe_next()
            )));
        }
        cursor.skip_blanks();
        if !cursor.at_end() {
            return Err(cursor.error(format!(
                "unexpected {} after the closing ']'",
                cursor.describe_next()
            )));
        }
        Self::from_entries(entries)
    }

    fn from_entries(entries: Vec<(usize, Entry)>) -> Result<Self, SyntaxError> {
        let only_empty = matches!(entries.as_slice(), [(_, Entry::Field(PatternField { name: None, condition }))] if condition.is_empty());
        let mut pattern = SpaceDelimitedPattern {
            fields: Vec::new(),
            ellipsis_at: only_empty.then_some(0),
        };
        if only_empty {
            return Ok(pattern);
        }
        for (at, entry) in entries {
            match entry {
                Entry::Field(field) => pattern.fields.push(field),
                Entry::Ellipsis if pattern.ellipsis_at.is_some() => {
                    return Err(SyntaxError::new(
                        at,
                        "a space-delimited pattern may have only one '...'",
                    ));
                }
                Entry::Ellipsis => pattern.ellipsis_at = Some(pattern.fields.len()),
            }
        }
        Ok(pattern)
    }

    /// Whether a field of this name exists (for `$name` metric values and dimensions).
    pub(crate) fn field_index(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|field| field.name.as_deref() == Some(name))
    }

    pub(crate) fn matches(&self, message: &str, fields: &[Field<'_>]) -> bool {
        self.fields.iter().enumerate().all(|(index, field)| {
            self.value_of(index, message, fields)
                .is_some_and(|value| field.accepts(value))
        })
    }

    /// Where pattern field `index` sits in a message with `count` fields, if the message fits.
    fn placement(&self, index: usize, count: usize) -> Option<Placement> {
        let needed = self.fields.len();
        if count < needed {
            return None;
        }
        let placement = match self.ellipsis_at {
            Some(before) if index >= before => Placement {
                index: index + (count - needed),
                rest: false,
            },
            Some(_) => Placement { index, rest: false },
            None => Placement {
                index,
                rest: index + 1 == needed && count > needed,
            },
        };
        Some(placement)
    }

    /// The text pattern field `index` takes from the message.
    fn value_of<'m>(
        &self,
        index: usize,
        message: &'m str,
        fields: &[Field<'m>],
    ) -> Option<&'m str> {
        let placement = self.placement(index, fields.len())?;
        let field = fields[placement.index];
        Some(if placement.rest {
            message[field.start..].trim_end()
        } else {
            field.value
        })
    }

    /// The value of a named field (metric values, dimensions).
    pub(crate) fn named_value<'m>(
        &self,
        name: &str,
        message: &'m str,
        fields: &[Field<'m>],
    ) -> Option<&'m str> {
        self.value_of(self.field_index(name)?, message, fields)
    }

    /// The value at 1-based message position `position` (`$1`, `$2`, …).
    pub(crate) fn positional_value<'m>(
        &self,
        position: usize,
        message: &'m str,
        fields: &[Field<'m>],
    ) -> Option<&'m str> {
        let index = position.checked_sub(1)?;
        (0..self.fields.len())
            .find(|&field| {
                self.placement(field, fields.len())
                    .is_some_and(|p| p.index == index)
            })
            .map_or_else(
                || {
                    self.covered_by_ellipsis(index, fields.len())
                        .then(|| fields[index].value)
                },
                |field| self.value_of(field, message, fields),
            )
    }

    fn covered_by_ellipsis(&self, index: usize, count: usize) -> bool {
        let Some(before) = self.ellipsis_at else {
            return false;
        };
        count >= self.fields.len() && index >= before && index < before + count - self.fields.len()
    }

    /// TestMetricFilter's `extractedValues` (spec 6.4): `$name` for named fields, `$N` (1-based
    /// message position) for unnamed fields and for the fields the ellipsis covers.
    pub(crate) fn extracted_values(
        &self,
        message: &str,
        fields: &[Field<'_>],
    ) -> BTreeMap<String, String> {
        let mut values = BTreeMap::new();
        for index in 0..fields.len() {
            if self.covered_by_ellipsis(index, fields.len()) {
                values.insert(format!("${}", index + 1), fields[index].value.to_owned());
            }
        }
        for (index, field) in self.fields.iter().enumerate() {
            let (Some(placement), Some(value)) = (
                self.placement(index, fields.len()),
                self.value_of(index, message, fields),
            ) else {
                continue;
            };
            let key = match &field.name {
                Some(name) => format!("${name}"),
                None => format!("${}", placement.index + 1),
            };
            values.insert(key, value.to_owned());
        }
        values
    }
}

impl PatternField {
    fn accepts(&self, value: &str) -> bool {
        self.condition.is_empty()
            || self.condition.iter().any(|all| {
                all.iter()
                    .all(|(operator, literal)| condition_holds(*operator, literal, value))
            })
    }
}

fn condition_holds(operator: ComparisonOperator, literal: &Literal, value: &str) -> bool {
    let value = Scalar::Text(value);
    match operator {
        ComparisonOperator::Equal => literal.equals(value),
        ComparisonOperator::NotEqual => !literal.equals(value),
        relational => literal.compare(relational, value),
    }
}

fn is_name_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn parse_entry(cursor: &mut Cursor<'_>, regexes: &mut usize) -> Result<Entry, SyntaxError> {
    if cursor.eat("...") {
        return Ok(Entry::Ellipsis);
    }
    if cursor.starts_with(",") || cursor.starts_with("]") {
        return Ok(Entry::Field(PatternField {
            name: None,
            condition: Vec::new(),
        }));
    }
    let name = cursor.take_while(is_name_character);
    if name.is_empty() {
        return Err(cursor.error(format!(
            "expected a field name, '...' or ',', found {}",
            cursor.describe_next()
        )));
    }
    cursor.skip_blanks();
    let condition = if cursor.rest().starts_with(['=', '!', '<', '>']) {
        parse_condition(cursor, name, regexes)?
    } else {
        Vec::new()
    };
    Ok(Entry::Field(PatternField {
        name: Some(name.to_owned()),
        condition,
    }))
}

/// `op value (&& name op value | || name op value)*`, the first name already read.
fn parse_condition(
    cursor: &mut Cursor<'_>,
    name: &str,
    regexes: &mut usize,
) -> Result<Vec<Vec<(ComparisonOperator, Literal)>>, SyntaxError> {
    let mut alternatives = vec![vec![parse_comparison(cursor, name, regexes)?]];
    loop {
        cursor.skip_blanks();
        let joiner = if cursor.eat("&&") {
            "&&"
        } else if cursor.eat("||") {
            "||"
        } else {
            return Ok(alternatives);
        };
        cursor.skip_blanks();
        let other_at = cursor.position();
        let other = cursor.take_while(is_name_character);
        if other != name {
            return Err(SyntaxError::new(
                other_at,
                format!(
                    "condition on '{other}' after '{joiner}' in the entry of field '{name}'; conditions joined there must all name '{name}'"
                ),
            ));
        }
        cursor.skip_blanks();
        let comparison = parse_comparison(cursor, name, regexes)?;
        if joiner == "||" {
            alternatives.push(vec![comparison]);
        } else if let Some(last) = alternatives.last_mut() {
            last.push(comparison);
        }
    }
}

fn parse_comparison(
    cursor: &mut Cursor<'_>,
    name: &str,
    regexes: &mut usize,
) -> Result<(ComparisonOperator, Literal), SyntaxError> {
    let Some(operator) = ComparisonOperator::parse(cursor) else {
        return Err(cursor.error(format!(
            "expected an operator (=, !=, <, >, <=, >=) after field '{name}', found {}",
            cursor.describe_next()
        )));
    };
    cursor.skip_blanks();
    let value_at = cursor.position();
    let literal = parse_literal(cursor, ValueContext::SpaceDelimited)?;
    let written = &cursor.text()[value_at..cursor.position()];
    check_literal(operator, &literal, value_at, written, regexes)?;
    Ok((operator, literal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::split_fields;

    fn check_values(pattern: &str, message: &str, expected: &[(&str, &str)]) {
        let compiled = SpaceDelimitedPattern::parse(pattern, 0).unwrap();
        let fields = split_fields(message);
        assert!(
            compiled.matches(message, &fields),
            "{pattern} should match {message}"
        );
        let got = compiled.extracted_values(message, &fields);
        let expected: BTreeMap<String, String> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(got, expected, "{pattern} on {message}");
    }

    #[test]
    fn ellipsis_in_the_middle_takes_the_slack() {
        check_values(
            "[a, ..., y, z]",
            "1 2 3 4 5",
            &[
                ("$a", "1"),
                ("$2", "2"),
                ("$3", "3"),
                ("$y", "4"),
                ("$z", "5"),
            ],
        );
        check_values("[a, ..., z]", "1 2", &[("$a", "1"), ("$z", "2")]);
        check_values("[a, b, ...]", "1 2", &[("$a", "1"), ("$b", "2")]);
    }

    #[test]
    fn last_field_takes_the_rest_without_ellipsis() {
        check_values("[a, b]", "1 2 3  ", &[("$a", "1"), ("$b", "2 3")]);
        check_values("[a, ]", "1 2", &[("$a", "1"), ("$2", "2")]);
    }

    #[test]
    fn positional_and_named_values() {
        let compiled = SpaceDelimitedPattern::parse("[a, ..., z]", 0).unwrap();
        let message = "1 2 3";
        let fields = split_fields(message);
        assert_eq!(compiled.positional_value(1, message, &fields), Some("1"));
        assert_eq!(compiled.positional_value(2, message, &fields), Some("2"));
        assert_eq!(compiled.positional_value(3, message, &fields), Some("3"));
        assert_eq!(compiled.positional_value(4, message, &fields), None);
        assert_eq!(compiled.positional_value(0, message, &fields), None);
        assert_eq!(compiled.named_value("z", message, &fields), Some("3"));
        assert_eq!(compiled.named_value("q", message, &fields), None);
    }
}
