//! JSON filter patterns (spec section 5): `{ $.a = "x" && ($.b > 5 || $.c NOT EXISTS) }`.
//!
//! Parsing follows the grammar of spec 5.1 with AWS's precedence (parentheses, then `&&`, then
//! `||`), blanks around operators optional, and the quotas of 2 regexes and 3 wildcard selectors
//! per pattern. Keywords (`IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`) are upper-case only
//! (rule A9); `IS NOT …` and `EXISTS` are rejected as AWS rejects them.
//!
//! Evaluation (spec 5.5): each condition is true, false or not applicable, and "not applicable"
//! counts as false; in particular `!=` is false on a missing field, a null, a boolean, an object
//! or an array. A wildcard selector is existential for `=`, `<`, `>`, `IS …`; for `!=` (rule A8,
//! undocumented) it is true when some selected value is comparable and none equals the value.
//! A message that is not JSON matches no JSON pattern, not even `NOT EXISTS` (rule A13).
//!
//! For speed, an `||` of `$.same = "literal"` conditions is compiled into one lookup of the
//! selector and a comparison against a list of strings.

use std::collections::BTreeMap;

use crate::cursor::Cursor;
use crate::error::SyntaxError;
use crate::json_document::{JsonDocument, JsonKind};
use crate::literal::{ComparisonOperator, Literal, Scalar, ValueContext, parse_literal};
use crate::selector::Selector;

/// At most this many `%regex%` values in one JSON or space-delimited pattern.
pub const MAX_REGEXES_PER_PATTERN: usize = 2;
/// At most this many selectors with a wildcard in one JSON pattern.
pub const MAX_WILDCARD_SELECTORS_PER_PATTERN: usize = 3;

/// A compiled JSON pattern.
#[derive(Debug, Clone)]
pub(crate) struct JsonPattern {
    expression: Expression,
    /// Every distinct selector of the pattern, in order of appearance.
    selectors: Vec<Selector>,
}

#[derive(Debug, Clone)]
enum Expression {
    All(Vec<Expression>),
    Any(Vec<Expression>),
    Condition(Condition),
    /// `$.s = "a" || $.s = "b" || …` for a selector without wildcard.
    OneOf {
        selector: Selector,
        values: Vec<String>,
    },
}

#[derive(Debug, Clone)]
struct Condition {
    selector: Selector,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    Compare(ComparisonOperator, Literal),
    IsNull,
    IsTrue,
    IsFalse,
    NotExists,
}

impl JsonPattern {
    /// Parses a JSON pattern whose `{` is at byte `start` of `text`.
    pub(crate) fn parse(text: &str, start: usize) -> Result<Self, SyntaxError> {
        let mut parser = Parser {
            cursor: Cursor::new(text, start),
            regexes: 0,
            wildcard_selectors: 0,
            selectors: Vec::new(),
        };
        let expression = parser.pattern()?;
        Ok(JsonPattern {
            expression,
            selectors: parser.selectors,
        })
    }

    pub(crate) fn matches(&self, document: Option<&JsonDocument<'_>>) -> bool {
        document.is_some_and(|document| self.expression.evaluate(document))
    }

    /// Each selector of the pattern that finds a value, mapped to that value's text.
    pub(crate) fn extracted_values(&self, document: &JsonDocument<'_>) -> BTreeMap<String, String> {
        self.selectors
            .iter()
            .filter_map(|selector| {
                let node = selector.select(document).next()?;
                Some((selector.text().to_owned(), document.text(node).into_owned()))
            })
            .collect()
    }
}

impl Expression {
    fn evaluate(&self, document: &JsonDocument<'_>) -> bool {
        match self {
            Expression::All(parts) => parts.iter().all(|part| part.evaluate(document)),
            Expression::Any(parts) => parts.iter().any(|part| part.evaluate(document)),
            Expression::Condition(condition) => condition.evaluate(document),
            Expression::OneOf { selector, values } => selector
                .select_one(document)
                .and_then(|node| document.string(node))
                .is_some_and(|found| values.iter().any(|value| *value == *found)),
        }
    }

    fn any(parts: Vec<Expression>) -> Expression {
        let mut merged: Vec<Expression> = Vec::with_capacity(parts.len());
        for part in parts.into_iter().flat_map(Expression::into_alternatives) {
            if let Expression::OneOf { selector, values } = &part && let Some(Expression::OneOf {
                values: existing,
                ..
            }) = merged.iter_mut().find(
                |earlier| matches!(earlier, Expression::OneOf { selector: s, .. } if s == selector),
            ) {
                existing.extend(values.iter().cloned());
                continue;
            }
            merged.push(part);
        }
        single_or(merged, Expression::Any)
    }

    fn all(parts: Vec<Expression>) -> Expression {
        let flat = parts
            .into_iter()
            .flat_map(|part| match part {
                Expression::All(inner) => inner,
                other => vec![other],
            })
            .collect();
        single_or(flat, Expression::All)
    }

    /// The alternatives of an `||`, with plain equalities turned into one-value `OneOf`s.
    fn into_alternatives(self) -> Vec<Expression> {
        match self {
            Expression::Any(inner) => inner,
            Expression::Condition(condition) => match condition.exact_equality() {
                Some(value) => vec![Expression::OneOf {
                    values: vec![value.to_owned()],
                    selector: condition.selector,
                }],
                None => vec![Expression::Condition(condition)],
            },
            other => vec![other],
        }
    }
}

fn single_or(mut parts: Vec<Expression>, many: fn(Vec<Expression>) -> Expression) -> Expression {
    if parts.len() == 1 {
        parts.pop().expect("one part")
    } else {
        many(parts)
    }
}

impl Condition {
    /// The string of `$.selector = "string"` when nothing else (wildcards, numbers) is involved.
    fn exact_equality(&self) -> Option<&str> {
        match &self.test {
            Test::Compare(ComparisonOperator::Equal, literal) if !self.selector.has_wildcard() => {
                literal.exact_text()
            }
            _ => None,
        }
    }

    fn evaluate(&self, document: &JsonDocument<'_>) -> bool {
        let mut selected = self.selector.select(document);
        let kind_is = |kind: JsonKind| move |node: usize| document.kind(node) == kind;
        match &self.test {
            Test::Compare(ComparisonOperator::Equal, literal) => selected.any(|node| {
                with_scalar(document, node, |value| literal.equals(value)) == Some(true)
            }),
            Test::Compare(ComparisonOperator::NotEqual, literal) => {
                let mut comparable = false;
                for node in selected {
                    match with_scalar(document, node, |value| literal.equals(value)) {
                        Some(true) => return false,
                        Some(false) => comparable = true,
                        None => {}
                    }
                }
                comparable
            }
            Test::Compare(operator, literal) => selected.any(|node| {
                with_scalar(document, node, |value| literal.compare(*operator, value)) == Some(true)
            }),
            Test::IsNull => selected.any(kind_is(JsonKind::Null)),
            Test::IsTrue => selected.any(kind_is(JsonKind::True)),
            Test::IsFalse => selected.any(kind_is(JsonKind::False)),
            Test::NotExists => selected.next().is_none(),
        }
    }
}

/// Applies `compare` to a string or number node; `None` (not applicable) for anything else.
fn with_scalar<R>(
    document: &JsonDocument<'_>,
    node: usize,
    compare: impl FnOnce(Scalar<'_>) -> R,
) -> Option<R> {
    match document.kind(node) {
        JsonKind::String => {
            let text = document.string(node)?;
            Some(compare(Scalar::Text(&text)))
        }
        JsonKind::Number => Some(compare(Scalar::Number(document.raw(node)))),
        _ => None,
    }
}

struct Parser<'t> {
    cursor: Cursor<'t>,
    regexes: usize,
    wildcard_selectors: usize,
    selectors: Vec<Selector>,
}

impl Parser<'_> {
    fn pattern(&mut self) -> Result<Expression, SyntaxError> {
        self.cursor.bump();
        self.cursor.skip_blanks();
        if self.cursor.starts_with("}") {
            return Err(self.cursor.error("empty JSON pattern '{}'"));
        }
        let expression = self.or_expression()?;
        self.cursor.skip_blanks();
        if !self.cursor.eat("}") {
            return Err(self.expected("'&&', '||' or '}'"));
        }
        self.cursor.skip_blanks();
        if !self.cursor.at_end() {
            return Err(self.cursor.error(format!(
                "unexpected {} after the closing '}}'",
                self.cursor.describe_next()
            )));
        }
        Ok(expression)
    }

    fn expected(&self, what: &str) -> SyntaxError {
        self.cursor.error(format!(
            "expected {what}, found {}",
            self.cursor.describe_next()
        ))
    }

    fn or_expression(&mut self) -> Result<Expression, SyntaxError> {
        let mut parts = vec![self.and_expression()?];
        while self.eat_operator("||") {
            parts.push(self.and_expression()?);
        }
        Ok(Expression::any(parts))
    }

    fn and_expression(&mut self) -> Result<Expression, SyntaxError> {
        let mut parts = vec![self.unary()?];
        while self.eat_operator("&&") {
            parts.push(self.unary()?);
        }
        Ok(Expression::all(parts))
    }

    fn eat_operator(&mut self, operator: &str) -> bool {
        let before = self.cursor.clone();
        self.cursor.skip_blanks();
        if self.cursor.eat(operator) {
            return true;
        }
        self.cursor = before;
        false
    }

    fn unary(&mut self) -> Result<Expression, SyntaxError> {
        self.cursor.skip_blanks();
        if !self.cursor.starts_with("(") {
            return self.condition().map(Expression::Condition);
        }
        let opening = self.cursor.position();
        self.cursor.bump();
        let inner = self.or_expression()?;
        self.cursor.skip_blanks();
        if self.cursor.eat(")") {
            return Ok(inner);
        }
        let mut error = self.expected("'&&', '||' or ')'");
        if self.cursor.at_end() || self.cursor.starts_with("}") {
            error = SyntaxError::new(opening, "unbalanced '(': no matching ')'");
        }
        Err(error)
    }

    fn condition(&mut self) -> Result<Condition, SyntaxError> {
        let selector_at = self.cursor.position();
        let selector = Selector::parse(&mut self.cursor)?;
        self.count_selector(&selector, selector_at)?;
        self.cursor.skip_blanks();
        let test = self.test(&selector)?;
        Ok(Condition { selector, test })
    }

    fn count_selector(&mut self, selector: &Selector, at: usize) -> Result<(), SyntaxError> {
        if selector.has_wildcard() {
            self.wildcard_selectors += 1;
            if self.wildcard_selectors > MAX_WILDCARD_SELECTORS_PER_PATTERN {
                return Err(SyntaxError::new(
                    at,
                    format!(
                        "wildcard selector '{}' is one too many; a pattern may have at most {MAX_WILDCARD_SELECTORS_PER_PATTERN}",
                        selector.text()
                    ),
                ));
            }
        }
        if !self.selectors.contains(selector) {
            self.selectors.push(selector.clone());
        }
        Ok(())
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let Some(after) = self.cursor.rest().strip_prefix(keyword) else {
            return false;
        };
        let whole_word = after
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
        if whole_word {
            self.cursor.eat(keyword);
            self.cursor.skip_blanks();
            return true;
        }
        false
    }

    fn test(&mut self, selector: &Selector) -> Result<Test, SyntaxError> {
        let keyword_at = self.cursor.position();
        if self.eat_keyword("IS") {
            return self.is_test();
        }
        if self.eat_keyword("NOT") {
            if self.eat_keyword("EXISTS") {
                return Ok(Test::NotExists);
            }
            return Err(self.expected("EXISTS after NOT"));
        }
        if self.eat_keyword("EXISTS") {
            return Err(SyntaxError::new(
                keyword_at,
                "'EXISTS' is not supported; use 'NOT EXISTS' or '= \"*\"'",
            ));
        }
        let Some(operator) = ComparisonOperator::parse(&mut self.cursor) else {
            return Err(self.expected(&format!(
                "an operator (=, !=, <, >, <=, >=), IS or NOT EXISTS after selector '{}'",
                selector.text()
            )));
        };
        self.comparison(operator)
    }

    fn is_test(&mut self) -> Result<Test, SyntaxError> {
        let keyword_at = self.cursor.position();
        for (keyword, test) in [
            ("NULL", Test::IsNull),
            ("TRUE", Test::IsTrue),
            ("FALSE", Test::IsFalse),
        ] {
            if self.eat_keyword(keyword) {
                return Ok(test);
            }
        }
        if self.eat_keyword("NOT") {
            return Err(SyntaxError::new(
                keyword_at,
                "'IS NOT' is not supported; use 'IS NULL', 'IS TRUE', 'IS FALSE' or 'NOT EXISTS'",
            ));
        }
        Err(self.expected("NULL, TRUE or FALSE after IS"))
    }

    fn comparison(&mut self, operator: ComparisonOperator) -> Result<Test, SyntaxError> {
        self.cursor.skip_blanks();
        let value_at = self.cursor.position();
        if self.cursor.starts_with("=") {
            return Err(self.cursor.error("'==' is not an operator; use '='"));
        }
        let literal = parse_literal(&mut self.cursor, ValueContext::Json)?;
        let written = &self.cursor.text()[value_at..self.cursor.position()];
        check_literal(operator, &literal, value_at, written, &mut self.regexes)?;
        Ok(Test::Compare(operator, literal))
    }
}

/// The rules a value must follow whatever the pattern kind: numbers for `<`/`>`, the regex quota.
/// `written` is the value as it appears in the pattern, starting at byte `at`.
pub(crate) fn check_literal(
    operator: ComparisonOperator,
    literal: &Literal,
    at: usize,
    written: &str,
    regexes: &mut usize,
) -> Result<(), SyntaxError> {
    if operator.is_relational() && !literal.is_numeric() {
        return Err(SyntaxError::new(
            at,
            format!("a numeric comparison needs a number, found '{written}'"),
        ));
    }
    if literal.is_regex() {
        *regexes += 1;
        if *regexes > MAX_REGEXES_PER_PATTERN {
            return Err(SyntaxError::new(
                at,
                format!(
                    "regex '{written}' is one too many; a pattern may have at most {MAX_REGEXES_PER_PATTERN}"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(pattern: &str) -> JsonPattern {
        JsonPattern::parse(pattern, 0).unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
    }

    #[test]
    fn equalities_on_one_selector_become_one_lookup() {
        let pattern =
            compile("{ ($.e = A) || ($.e = \"B\") || $.f = C || ($.e = D && $.g = 1) || $.e = 5 }");
        let Expression::Any(parts) = &pattern.expression else {
            panic!("expected Any, got {:?}", pattern.expression)
        };
        assert_eq!(parts.len(), 4, "{parts:?}");
        assert!(matches!(&parts[0], Expression::OneOf { values, .. } if values == &["A", "B"]));
        assert!(matches!(&parts[1], Expression::OneOf { values, .. } if values == &["C"]));
        assert!(matches!(&parts[2], Expression::All(inner) if inner.len() == 2));
        assert!(matches!(&parts[3], Expression::Condition(_)));
    }

    #[test]
    fn precedence_and_then_or() {
        let pattern = compile("{ $.a = 1 || $.b = 2 && $.c = 3 }");
        assert!(
            matches!(&pattern.expression, Expression::Any(parts) if parts.len() == 2
            && matches!(&parts[1], Expression::All(inner) if inner.len() == 2))
        );
    }

    #[test]
    fn distinct_selectors_are_remembered_in_order() {
        let pattern = compile("{ $.b = 1 || $.a = 2 || $.b = 3 }");
        let texts: Vec<&str> = pattern.selectors.iter().map(Selector::text).collect();
        assert_eq!(texts, ["$.b", "$.a"]);
    }
}
