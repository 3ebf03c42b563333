//! The right-hand side of a JSON or space-delimited condition (`= "x"`, `> 1000`, `= 4*`,
//! `= %regex%`), how it is read from the pattern, and how it compares with one value.
//!
//! Choices where AWS documents nothing (spec section 11):
//! - A4: a number literal equals a string that parses as the same number (`= 400` matches
//!   `"400"`), and a quoted numeric literal equals a JSON number (`= "400"` matches `400`);
//!   otherwise a number literal compares with the text it was written as.
//! - A7: `*` is a wildcard only at the start and/or end of a value (`*Event`, `Event*`, `*html*`);
//!   in the middle it is a literal star (`Ev*ent`), as the 2020 documentation states.
//! - A regex or wildcard applies to a JSON number's text as written.
//! - Only strings and numbers are compared; booleans, null, objects and arrays make every
//!   comparison false (A5, A6: use `IS TRUE`, `IS FALSE`, `IS NULL`).

use crate::aws_regex::AwsRegex;
use crate::cursor::{Cursor, is_blank};
use crate::error::SyntaxError;

/// `=`, `!=`, `<`, `>`, `<=`, `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ComparisonOperator {
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
}

impl ComparisonOperator {
    /// Reads an operator at the cursor, if there is one.
    pub(crate) fn parse(cursor: &mut Cursor<'_>) -> Option<Self> {
        const SPELLINGS: [(&str, ComparisonOperator); 6] = [
            ("!=", ComparisonOperator::NotEqual),
            ("<=", ComparisonOperator::LessOrEqual),
            (">=", ComparisonOperator::GreaterOrEqual),
            ("=", ComparisonOperator::Equal),
            ("<", ComparisonOperator::Less),
            (">", ComparisonOperator::Greater),
        ];
        SPELLINGS
            .into_iter()
            .find(|(spelling, _)| cursor.eat(spelling))
            .map(|(_, operator)| operator)
    }

    pub(crate) fn is_relational(self) -> bool {
        !matches!(
            self,
            ComparisonOperator::Equal | ComparisonOperator::NotEqual
        )
    }

    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            ComparisonOperator::Equal => left == right,
            ComparisonOperator::NotEqual => left != right,
            ComparisonOperator::Less => left < right,
            ComparisonOperator::Greater => left > right,
            ComparisonOperator::LessOrEqual => left <= right,
            ComparisonOperator::GreaterOrEqual => left >= right,
        }
    }
}

/// A value a condition can look at: string content, or a JSON number's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar<'v> {
    Text(&'v str),
    Number(&'v str),
}

impl Scalar<'_> {
    fn as_number(self) -> Option<f64> {
        match self {
            Scalar::Text(text) | Scalar::Number(text) => parse_number(text),
        }
    }
}

/// A string value with its wildcards resolved (rule A7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextMatcher {
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
}

impl TextMatcher {
    pub(crate) fn new(value: &str) -> Self {
        if !value.is_empty() && value.bytes().all(|byte| byte == b'*') {
            return TextMatcher::Any;
        }
        let leading = value.strip_prefix('*');
        let inner = leading.unwrap_or(value);
        let trailing = inner.strip_suffix('*');
        let core = trailing.unwrap_or(inner).to_owned();
        match (leading.is_some(), trailing.is_some()) {
            (false, false) => TextMatcher::Exact(core),
            (false, true) => TextMatcher::Prefix(core),
            (true, false) => TextMatcher::Suffix(core),
            (true, true) => TextMatcher::Contains(core),
        }
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            TextMatcher::Any => true,
            TextMatcher::Exact(expected) => text == expected,
            TextMatcher::Prefix(prefix) => text.starts_with(prefix.as_str()),
            TextMatcher::Suffix(suffix) => text.ends_with(suffix.as_str()),
            TextMatcher::Contains(needle) => text.contains(needle.as_str()),
        }
    }
}

/// The value side of a condition.
#[derive(Debug, Clone)]
pub(crate) enum Literal {
    /// A quoted string, or a bare word that is not a number.
    Text {
        matcher: TextMatcher,
        /// The value as a number when it is written as one without wildcards (rule A4).
        number: Option<f64>,
    },
    /// A bare number such as `1000`, `+1000`, `1e-3` or `55.5`.
    Number { value: f64, text: String },
    /// `%…%`.
    Regex(AwsRegex),
}

impl Literal {
    /// Whether the value equals this literal (wildcards and regex included).
    pub(crate) fn equals(&self, value: Scalar<'_>) -> bool {
        match (self, value) {
            (Literal::Text { matcher, .. }, Scalar::Text(text)) => matcher.matches(text),
            (Literal::Text { matcher, number }, Scalar::Number(text)) => match number {
                Some(expected) => parse_number(text) == Some(*expected),
                None => matcher.matches(text),
            },
            (
                Literal::Number {
                    value: expected,
                    text: written,
                },
                value,
            ) => match value.as_number() {
                Some(actual) => actual == *expected,
                None => matches!(value, Scalar::Text(text) if text == written),
            },
            (Literal::Regex(regex), Scalar::Text(text) | Scalar::Number(text)) => {
                regex.is_match(text)
            }
        }
    }

    /// A relational comparison (`<`, `>`, `<=`, `>=`): false for a value that is not a number.
    pub(crate) fn compare(&self, operator: ComparisonOperator, value: Scalar<'_>) -> bool {
        let expected = match self {
            Literal::Number { value, .. } => *value,
            Literal::Text {
                number: Some(value),
                ..
            } => *value,
            _ => return false,
        };
        value
            .as_number()
            .is_some_and(|actual| operator.holds(actual, expected))
    }

    /// The exact string this literal equals, when it is a plain non-numeric string.
    pub(crate) fn exact_text(&self) -> Option<&str> {
        match self {
            Literal::Text {
                matcher: TextMatcher::Exact(text),
                number: None,
            } => Some(text),
            _ => None,
        }
    }

    pub(crate) fn is_regex(&self) -> bool {
        matches!(self, Literal::Regex(_))
    }

    pub(crate) fn is_numeric(&self) -> bool {
        matches!(
            self,
            Literal::Number { .. }
                | Literal::Text {
                    number: Some(_),
                    ..
                }
        )
    }
}

/// Where a bare (unquoted) value ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueContext {
    /// Inside `{ … }`: blanks, `)`, `}`, `&&`, `||`.
    Json,
    /// Inside `[ … ]`: blanks, `,`, `]`, `&&`, `||`.
    SpaceDelimited,
}

impl ValueContext {
    fn ends_bare_value(self, cursor: &Cursor<'_>) -> bool {
        let Some(next) = cursor.peek() else {
            return true;
        };
        let closers: &[char] = match self {
            ValueContext::Json => &[')', '}'],
            ValueContext::SpaceDelimited => &[',', ']'],
        };
        is_blank(next)
            || closers.contains(&next)
            || cursor.starts_with("&&")
            || cursor.starts_with("||")
    }
}

/// Characters a bare value may not contain: they need quotes (spec 5.3) or are syntax.
const CHARACTERS_NEEDING_QUOTES: &[char] = &[
    '"', '\\', '@', '$', '%', '(', '{', '[', '<', '>', '=', '!', '&', '|',
];

/// Reads the value after an operator: `"quoted"`, `%regex%` or a bare word or number.
pub(crate) fn parse_literal(
    cursor: &mut Cursor<'_>,
    context: ValueContext,
) -> Result<Literal, SyntaxError> {
    match cursor.peek() {
        Some('"') => {
            let text = cursor.quoted()?;
            Ok(text_literal(&text))
        }
        Some('%') => parse_regex_literal(cursor),
        _ => parse_bare_literal(cursor, context),
    }
}

fn text_literal(text: &str) -> Literal {
    Literal::Text {
        matcher: TextMatcher::new(text),
        number: parse_number(text),
    }
}

fn parse_regex_literal(cursor: &mut Cursor<'_>) -> Result<Literal, SyntaxError> {
    let opening = cursor.position();
    cursor.bump();
    let body_start = cursor.position();
    let Some(length) = cursor.rest().find('%') else {
        return Err(SyntaxError::new(
            opening,
            format!("unterminated regex '{}'", &cursor.text()[opening..]),
        ));
    };
    let body = &cursor.text()[body_start..body_start + length];
    let regex = AwsRegex::compile(body, body_start)?;
    cursor.eat(body);
    cursor.bump();
    Ok(Literal::Regex(regex))
}

fn parse_bare_literal(
    cursor: &mut Cursor<'_>,
    context: ValueContext,
) -> Result<Literal, SyntaxError> {
    let start = cursor.position();
    while !context.ends_bare_value(cursor) {
        cursor.bump();
    }
    let word = &cursor.text()[start..cursor.position()];
    if word.is_empty() {
        return Err(SyntaxError::new(
            start,
            format!("missing value, found {}", cursor.describe_next()),
        ));
    }
    if let Some(value) = parse_number(word) {
        return Ok(Literal::Number {
            value,
            text: word.to_owned(),
        });
    }
    if let Some(at) = word.find(|c: char| !c.is_ascii() || CHARACTERS_NEEDING_QUOTES.contains(&c)) {
        return Err(SyntaxError::new(
            start + at,
            format!("value '{word}' must be written in double quotes"),
        ));
    }
    Ok(text_literal(word))
}

/// Parses `[+-]digits[.digits][(e|E)[+-]digits]` — the number forms the documentation shows —
/// and nothing else (no `inf`, `NaN`, hex or blanks).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut at = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = |at: &mut usize| {
        let start = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at > start
    };
    if !digits(&mut at) {
        return None;
    }
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        if !digits(&mut at) {
            return None;
        }
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        at += usize::from(matches!(bytes.get(at), Some(b'+' | b'-')));
        if !digits(&mut at) {
            return None;
        }
    }
    if at != bytes.len() {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(text: &str) -> Literal {
        let mut cursor = Cursor::new(text, 0);
        parse_literal(&mut cursor, ValueContext::Json).unwrap()
    }

    fn check(value: &str, scalar: Scalar<'_>, expected: bool) {
        assert_eq!(
            literal(value).equals(scalar),
            expected,
            "{value} = {scalar:?}"
        );
    }

    #[test]
    fn numbers_follow_the_documented_forms() {
        for (text, expected) in [
            ("1000", Some(1000.0)),
            ("+1000", Some(1000.0)),
            ("-5", Some(-5.0)),
            ("55.5", Some(55.5)),
            ("1e+3", Some(1000.0)),
            ("1e-3", Some(0.001)),
            ("10e3", Some(10000.0)),
            ("1.688560107857E9", Some(1_688_560_107.857)),
            ("1.", None),
            (".5", None),
            ("1e", None),
            ("inf", None),
            ("NaN", None),
            ("12a", None),
            ("", None),
        ] {
            assert_eq!(parse_number(text), expected, "parse_number({text:?})");
        }
    }

    #[test]
    fn wildcards_only_at_the_ends() {
        check("*Event", Scalar::Text("PutEvent"), true);
        check("*Event", Scalar::Text("EventPut"), false);
        check("Event*", Scalar::Text("EventName"), true);
        check("Ev*ent", Scalar::Text("Event"), false);
        check("Ev*ent", Scalar::Text("Ev*ent"), true);
        check("*html*", Scalar::Text("/index.html?x"), true);
        check("*", Scalar::Text(""), true);
        check(r#""*""#, Scalar::Number("3"), true);
        check("123.123.*", Scalar::Text("123.123.1.1"), true);
    }

    #[test]
    fn numbers_and_numeric_strings_compare_as_numbers() {
        check("400", Scalar::Number("400"), true);
        check("1e+3", Scalar::Number("1000"), true);
        check("400", Scalar::Text("400"), true);
        check(r#""400""#, Scalar::Number("400.0"), true);
        check("400", Scalar::Text("four hundred"), false);
        check(r#""400""#, Scalar::Text("400.0"), false);
        check("4*", Scalar::Number("404"), true);
        let greater = literal("1000");
        assert!(greater.compare(ComparisonOperator::Greater, Scalar::Number("1001")));
        assert!(!greater.compare(ComparisonOperator::Greater, Scalar::Number("1000")));
        assert!(greater.compare(ComparisonOperator::GreaterOrEqual, Scalar::Text("1000")));
        assert!(!greater.compare(ComparisonOperator::Less, Scalar::Text("abc")));
    }

    #[test]
    fn bare_values_end_at_syntax_and_reject_special_characters() {
        let mut cursor = Cursor::new("DeleteTrail)||x", 0);
        let value = parse_literal(&mut cursor, ValueContext::Json).unwrap();
        assert_eq!(value.exact_text(), Some("DeleteTrail"));
        assert_eq!(cursor.position(), 11);
        let mut cursor = Cursor::new("4*,size", 0);
        parse_literal(&mut cursor, ValueContext::SpaceDelimited).unwrap();
        assert_eq!(cursor.rest(), ",size");
        let mut cursor = Cursor::new("a@b ", 0);
        let error = parse_literal(&mut cursor, ValueContext::Json).unwrap_err();
        assert_eq!(error.offset, 1);
        assert_eq!(
            error.message,
            "value 'a@b' must be written in double quotes"
        );
    }
}
