//! A position-keeping reader over pattern text, shared by the term, JSON and space-delimited
//! parsers so that every error can say where it happened.
//!
//! It knows the few lexical rules all pattern kinds share (blanks, double-quoted strings); it
//! does not know any grammar.

use crate::error::SyntaxError;

/// Characters that separate terms, fields and operators.
pub(crate) fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Reads pattern text left to right; `position` is a byte offset into the whole pattern.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'t> {
    text: &'t str,
    position: usize,
}

impl<'t> Cursor<'t> {
    pub(crate) fn new(text: &'t str, position: usize) -> Self {
        Cursor { text, position }
    }

    pub(crate) fn position(&self) -> usize {
        self.position
    }

    pub(crate) fn text(&self) -> &'t str {
        self.text
    }

    pub(crate) fn rest(&self) -> &'t str {
        &self.text[self.position..]
    }

    pub(crate) fn at_end(&self) -> bool {
        self.position >= self.text.len()
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(crate) fn starts_with(&self, prefix: &str) -> bool {
        self.rest().starts_with(prefix)
    }

    pub(crate) fn bump(&mut self) {
        self.position += self.peek().map_or(0, char::len_utf8);
    }

    /// Consumes `prefix` if the text continues with it.
    pub(crate) fn eat(&mut self, prefix: &str) -> bool {
        let found = self.starts_with(prefix);
        if found {
            self.position += prefix.len();
        }
        found
    }

    pub(crate) fn skip_blanks(&mut self) {
        self.take_while(is_blank);
    }

    pub(crate) fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'t str {
        let start = self.position;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        &self.text[start..self.position]
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError::new(self.position, message)
    }

    /// What comes next (after any blanks), quoted for an error message: up to the next blank,
    /// or "end of pattern".
    pub(crate) fn describe_next(&self) -> String {
        let word: String = self
            .rest()
            .trim_start_matches(is_blank)
            .chars()
            .take_while(|c| !is_blank(*c))
            .take(20)
            .collect();
        if word.is_empty() {
            "end of pattern".to_owned()
        } else {
            format!("'{word}'")
        }
    }

    /// Reads a double-quoted string starting at the opening quote. `\"` and `\\` are escapes;
    /// any other backslash is kept as written (AWS documents no other escape).
    pub(crate) fn quoted(&mut self) -> Result<String, SyntaxError> {
        let opening = self.position;
        self.bump();
        let mut value = String::new();
        loop {
            match self.peek() {
                None => {
                    let written = &self.text[opening..];
                    return Err(SyntaxError::new(
                        opening,
                        format!("unterminated quoted string '{written}'"),
                    ));
                }
                Some('"') => {
                    self.bump();
                    return Ok(value);
                }
                Some('\\') if self.rest()[1..].starts_with(['"', '\\']) => {
                    self.bump();
                    value.push(self.peek().unwrap_or('\\'));
                    self.bump();
                }
                Some(c) => {
                    value.push(c);
                    self.bump();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_quoted(text: &str, expected: Result<&str, usize>) {
        let mut cursor = Cursor::new(text, 0);
        let got = cursor.quoted().map_err(|e| e.offset);
        assert_eq!(got.as_deref(), expected.as_deref(), "quoted({text:?})");
    }

    #[test]
    fn quoted_strings_decode_the_two_escapes() {
        check_quoted(r#""a b""#, Ok("a b"));
        check_quoted(r#""say \"hi\"""#, Ok("say \"hi\""));
        check_quoted(r#""back\\slash""#, Ok("back\\slash"));
        check_quoted(r#""keep \d""#, Ok("keep \\d"));
        check_quoted(r#""open"#, Err(0));
    }

    #[test]
    fn describe_next_quotes_the_next_word() {
        let cursor = Cursor::new("is null", 0);
        assert_eq!(cursor.describe_next(), "'is'");
        assert_eq!(Cursor::new("", 0).describe_next(), "end of pattern");
    }
}
