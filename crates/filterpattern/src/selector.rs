//! JSON selectors (`$.a.b`, `$.list[0]`, `$.list[*]`, `$.*`, `$.['dotted.key']`): parsing with
//! AWS's one-wildcard-per-selector rule, and resolution against a [`JsonDocument`].
//!
//! A selector is split at compile time into the steps before its wildcard, the wildcard, and the
//! steps after it, so resolution is a loop over `member`/`element` lookups, with no allocation.
//! Property names are `[A-Za-z0-9_-]+`; any other key needs the bracket form. An index must
//! follow a property (`$[0]` is rejected), as the documentation says.

use crate::cursor::Cursor;
use crate::error::SyntaxError;
use crate::json_document::{Children, JsonDocument, JsonKind};

/// One step of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Member(String),
    Index(usize),
    /// `.*`: every member value of an object.
    AnyMember,
    /// `[*]`: every element of an array.
    AnyElement,
}

/// A compiled selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    text: String,
    before: Vec<Step>,
    wildcard: Option<Step>,
    after: Vec<Step>,
}

impl Selector {
    /// Reads a selector at the cursor (which is at `$`).
    pub(crate) fn parse(cursor: &mut Cursor<'_>) -> Result<Self, SyntaxError> {
        let start = cursor.position();
        if !cursor.eat("$") {
            return Err(cursor.error(format!(
                "expected a selector starting with '$.', found {}",
                cursor.describe_next()
            )));
        }
        let mut selector = Selector {
            text: String::new(),
            before: Vec::new(),
            wildcard: None,
            after: Vec::new(),
        };
        let mut any_step = false;
        while let Some(step) = parse_step(cursor, any_step)? {
            any_step = true;
            selector.add(step, cursor, start)?;
        }
        selector.text = cursor.text()[start..cursor.position()].to_owned();
        if !any_step {
            return Err(SyntaxError::new(
                start,
                format!(
                    "selector '{}' selects nothing; write '$.field'",
                    selector.text
                ),
            ));
        }
        Ok(selector)
    }

    fn add(&mut self, step: Step, cursor: &Cursor<'_>, start: usize) -> Result<(), SyntaxError> {
        let is_wildcard = matches!(step, Step::AnyMember | Step::AnyElement);
        match (is_wildcard, self.wildcard.is_some()) {
            (true, true) => Err(cursor.error(format!(
                "selector '{}' has more than one wildcard; the limit is 1",
                &cursor.text()[start..cursor.position()]
            ))),
            (true, false) => {
                self.wildcard = Some(step);
                Ok(())
            }
            (false, true) => {
                self.after.push(step);
                Ok(())
            }
            (false, false) => {
                self.before.push(step);
                Ok(())
            }
        }
    }

    /// The selector as written in the pattern.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn has_wildcard(&self) -> bool {
        self.wildcard.is_some()
    }

    /// The one node a selector without wildcard selects, if it exists.
    pub(crate) fn select_one(&self, document: &JsonDocument<'_>) -> Option<usize> {
        walk(document, JsonDocument::ROOT, &self.before)
    }

    /// Every node the selector selects (at most one without a wildcard).
    pub(crate) fn select<'s, 'd, 'a>(
        &'s self,
        document: &'d JsonDocument<'a>,
    ) -> Selection<'s, 'd, 'a> {
        let base = self.select_one(document);
        let children = match (&self.wildcard, base) {
            (Some(Step::AnyMember), Some(node)) if document.kind(node) == JsonKind::Object => {
                Some(document.children(node))
            }
            (Some(Step::AnyElement), Some(node)) if document.kind(node) == JsonKind::Array => {
                Some(document.children(node))
            }
            _ => None,
        };
        let single = if self.wildcard.is_none() { base } else { None };
        Selection {
            document,
            after: &self.after,
            single,
            children,
        }
    }
}

/// Follows steps without wildcards from `node`.
fn walk(document: &JsonDocument<'_>, node: usize, steps: &[Step]) -> Option<usize> {
    steps.iter().try_fold(node, |node, step| match step {
        Step::Member(key) => document.member(node, key),
        Step::Index(index) => document.element(node, *index),
        Step::AnyMember | Step::AnyElement => None,
    })
}

/// The nodes a selector selects, in document order.
#[derive(Debug, Clone)]
pub(crate) struct Selection<'s, 'd, 'a> {
    document: &'d JsonDocument<'a>,
    after: &'s [Step],
    single: Option<usize>,
    children: Option<Children<'d, 'a>>,
}

impl Iterator for Selection<'_, '_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if let Some(node) = self.single.take() {
            return Some(node);
        }
        let children = self.children.as_mut()?;
        children.find_map(|child| walk(self.document, child, self.after))
    }
}

fn is_name_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// One step, or `None` at the end of the selector.
fn parse_step(cursor: &mut Cursor<'_>, after_a_step: bool) -> Result<Option<Step>, SyntaxError> {
    let at = cursor.position();
    if cursor.eat(".") {
        if cursor.eat("*") {
            return Ok(Some(Step::AnyMember));
        }
        if cursor.starts_with("[") {
            return parse_bracketed_key(cursor).map(Some);
        }
        let name = cursor.take_while(is_name_character);
        if name.is_empty() {
            return Err(cursor.error(format!(
                "expected a property name after '.', found {}",
                cursor.describe_next()
            )));
        }
        return Ok(Some(Step::Member(name.to_owned())));
    }
    if cursor.starts_with("[") {
        if !after_a_step {
            return Err(SyntaxError::new(
                at,
                "an array index must follow a property ('$.list[0]')",
            ));
        }
        return parse_index(cursor).map(Some);
    }
    Ok(None)
}

/// `['key']` after a `.`.
fn parse_bracketed_key(cursor: &mut Cursor<'_>) -> Result<Step, SyntaxError> {
    let at = cursor.position();
    if !cursor.eat("['") {
        return Err(cursor.error("expected \"['\" to start a bracketed property name"));
    }
    let key = cursor.take_while(|c| c != '\'');
    if !cursor.eat("']") || key.is_empty() {
        return Err(SyntaxError::new(
            at,
            format!(
                "malformed bracketed property name \"{}\" (write ['name'])",
                &cursor.text()[at..cursor.position()]
            ),
        ));
    }
    Ok(Step::Member(key.to_owned()))
}

/// `[N]` or `[*]`.
fn parse_index(cursor: &mut Cursor<'_>) -> Result<Step, SyntaxError> {
    let at = cursor.position();
    cursor.bump();
    if cursor.eat("*]") {
        return Ok(Step::AnyElement);
    }
    let digits = cursor.take_while(|c| c.is_ascii_digit());
    let index = digits.parse::<usize>().ok();
    match index {
        Some(index) if cursor.eat("]") => Ok(Step::Index(index)),
        _ => Err(SyntaxError::new(
            at,
            format!(
                "array index must be '[N]' or '[*]', found {}",
                Cursor::new(cursor.text(), at).describe_next()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selected(selector: &str, json: &str) -> Vec<String> {
        let document = JsonDocument::parse(json).unwrap();
        let mut cursor = Cursor::new(selector, 0);
        let compiled = Selector::parse(&mut cursor).unwrap();
        assert!(cursor.at_end(), "selector {selector} not fully read");
        compiled
            .select(&document)
            .map(|node| document.text(node).into_owned())
            .collect()
    }

    fn check(selector: &str, json: &str, expected: &[&str]) {
        assert_eq!(selected(selector, json), expected, "{selector} on {json}");
    }

    fn check_error(selector: &str, offset: usize, message: &str) {
        let error = Selector::parse(&mut Cursor::new(selector, 0)).unwrap_err();
        assert_eq!(
            (error.offset, error.message.as_str()),
            (offset, message),
            "{selector}"
        );
    }

    #[test]
    fn selects_members_indexes_and_wildcards() {
        let json = r#"{"a":{"b-c":1,"d.e":2},"list":[{"x":1},{"y":2},{"x":3}],"grid":[[0,1],[2,3]],"s":"t"}"#;
        check("$.a.b-c", json, &["1"]);
        check("$.a.['d.e']", json, &["2"]);
        check("$.['a'].b-c", json, &["1"]);
        check("$.list[2].x", json, &["3"]);
        check("$.grid[1][0]", json, &["2"]);
        check("$.list[*].x", json, &["1", "3"]);
        check("$.a.*", json, &["1", "2"]);
        check("$.s[0]", json, &[]);
        check("$.s.t", json, &[]);
        check("$.list[9]", json, &[]);
        check("$.a[*]", json, &[]);
        check("$.list.*", json, &[]);
        check("$.A", json, &[]);
    }

    #[test]
    fn rejects_malformed_selectors() {
        check_error(
            "status",
            0,
            "expected a selector starting with '$.', found 'status'",
        );
        check_error("$", 0, "selector '$' selects nothing; write '$.field'");
        check_error(
            "$.",
            2,
            "expected a property name after '.', found end of pattern",
        );
        check_error(
            "$[0]",
            1,
            "an array index must follow a property ('$.list[0]')",
        );
        check_error(
            "$.a[x]",
            3,
            "array index must be '[N]' or '[*]', found '[x]'",
        );
        check_error(
            "$.a[*].b[*]",
            11,
            "selector '$.a[*].b[*]' has more than one wildcard; the limit is 1",
        );
        check_error(
            "$.['a.b'",
            2,
            "malformed bracketed property name \"['a.b\" (write ['name'])",
        );
    }
}
