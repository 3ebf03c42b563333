//! AWS's restricted regex dialect (`%…%`, spec section 4): validation of the allowed character
//! set, then translation to an equivalent `regex` crate pattern.
//!
//! AWS allows letters, digits, the symbols `: _ # = @ / ; , -`, the operators
//! `^ $ ? [ ] { } | \ * + .`, the escapes `\d \D \s \S \w \W \xhh` and `\` before an operator.
//! Parentheses, other symbols and multi-byte characters are rejected. A blank is accepted (rule
//! A12: the documentation's own example contains one). The shorthand classes are translated to
//! their ASCII meaning (`\d` = `[0-9]`), which is what AWS documents, not Unicode classes.
//! This module does not decide where a regex applies; callers hand it the subject text.

use crate::error::SyntaxError;

/// A compiled `%…%` regex; matching is an unanchored search unless `^`/`$` are used.
#[derive(Debug, Clone)]
pub(crate) struct AwsRegex {
    regex: regex::Regex,
}

impl AwsRegex {
    /// Compiles the text between the `%` signs; `body_offset` is its byte offset in the pattern.
    pub(crate) fn compile(body: &str, body_offset: usize) -> Result<Self, SyntaxError> {
        if body.is_empty() {
            return Err(SyntaxError::new(
                body_offset.saturating_sub(1),
                "empty regex '%%'",
            ));
        }
        let translated = Translator::new(body, body_offset).translate()?;
        let regex = regex::Regex::new(&translated).map_err(|error| {
            SyntaxError::new(
                body_offset.saturating_sub(1),
                format!("invalid regex '%{body}%': {}", summary(&error)),
            )
        })?;
        Ok(AwsRegex { regex })
    }

    pub(crate) fn is_match(&self, subject: &str) -> bool {
        self.regex.is_match(subject)
    }
}

/// The last line of the regex crate's multi-line message ("error: …"), lower-case.
fn summary(error: &regex::Error) -> String {
    let text = error.to_string();
    let line = text
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    line.trim().trim_start_matches("error: ").to_lowercase()
}

const ALLOWED_SYMBOLS: &str = ":_#=@/;,- ";
const OPERATORS: &str = "^$?[]{}|\\*+.";

struct Translator<'b> {
    body: &'b str,
    offset: usize,
    output: String,
    /// Byte offset (in `body`) of the `[` of the class being read, if inside one.
    class_start: Option<usize>,
    previous_was_dash: bool,
}

impl<'b> Translator<'b> {
    fn new(body: &'b str, offset: usize) -> Self {
        Translator {
            body,
            offset,
            output: String::with_capacity(body.len() * 2),
            class_start: None,
            previous_was_dash: false,
        }
    }

    fn error(&self, at: usize, message: String) -> SyntaxError {
        SyntaxError::new(self.offset + at, message)
    }

    fn translate(mut self) -> Result<String, SyntaxError> {
        let mut at = 0;
        while let Some(character) = self.body[at..].chars().next() {
            at += self.translate_one(at, character)?;
        }
        if let Some(start) = self.class_start {
            return Err(self.error(start, format!("unclosed '[' in regex '%{}%'", self.body)));
        }
        Ok(self.output)
    }

    /// Translates the construct starting at byte `at`; returns how many bytes it used.
    fn translate_one(&mut self, at: usize, character: char) -> Result<usize, SyntaxError> {
        self.check_allowed(at, character)?;
        if character == '\\' {
            return self.escape(at);
        }
        if self.class_start.is_some() {
            return Ok(self.class_member(at, character));
        }
        match character {
            '[' => return Ok(self.open_class(at)),
            // `regex` needs the lower bound that AWS lets one omit (`{,3}`).
            '{' if self.body[at + 1..].starts_with(',') => self.output.push_str("{0"),
            ']' => self.output.push_str("\\]"),
            _ if OPERATORS.contains(character) || character.is_ascii_alphanumeric() => {
                self.output.push(character);
            }
            _ => self.output.push_str(&regex::escape(&character.to_string())),
        }
        Ok(1)
    }

    fn check_allowed(&self, at: usize, character: char) -> Result<(), SyntaxError> {
        let allowed = character.is_ascii_alphanumeric()
            || ALLOWED_SYMBOLS.contains(character)
            || OPERATORS.contains(character);
        if allowed {
            return Ok(());
        }
        let reason = match character {
            '(' | ')' => "groups are not supported".to_owned(),
            _ if !character.is_ascii() => "multi-byte characters are not supported".to_owned(),
            _ => "use \\xhh for other symbols".to_owned(),
        };
        Err(self.error(
            at,
            format!("character '{character}' is not allowed in a regex ({reason})"),
        ))
    }

    /// `[`, an optional `^`, and a `]` right after them, which is a literal `]`.
    fn open_class(&mut self, at: usize) -> usize {
        self.class_start = Some(at);
        self.previous_was_dash = false;
        self.output.push('[');
        let mut used = 1;
        if self.body[at + used..].starts_with('^') {
            self.output.push('^');
            used += 1;
        }
        if self.body[at + used..].starts_with(']') {
            self.output.push_str("\\]");
            used += 1;
        }
        used
    }

    fn class_member(&mut self, _at: usize, character: char) -> usize {
        let was_dash = std::mem::replace(&mut self.previous_was_dash, character == '-');
        match character {
            ']' => {
                self.class_start = None;
                self.output.push(']');
            }
            // A dash is a range operator; two in a row would be set difference in `regex`.
            '-' if !was_dash => self.output.push('-'),
            _ if character.is_ascii_alphanumeric() => self.output.push(character),
            _ => self.output.push_str(&regex::escape(&character.to_string())),
        }
        1
    }

    /// A backslash escape at byte `at`; returns how many bytes it used.
    fn escape(&mut self, at: usize) -> Result<usize, SyntaxError> {
        let Some(escaped) = self.body[at + 1..].chars().next() else {
            return Err(self.error(at, format!("trailing '\\' in regex '%{}%'", self.body)));
        };
        let in_class = self.class_start.is_some();
        self.previous_was_dash = false;
        if let Some(class) = shorthand_class(escaped, in_class) {
            self.output.push_str(class);
            return Ok(2);
        }
        if escaped == 'x' {
            return self.hex_escape(at);
        }
        if OPERATORS.contains(escaped) || ALLOWED_SYMBOLS.contains(escaped) {
            self.output.push_str(&regex::escape(&escaped.to_string()));
            return Ok(2);
        }
        Err(self.error(
            at,
            format!(
                "unsupported escape '\\{escaped}' in regex '%{}%'",
                self.body
            ),
        ))
    }

    /// `\xhh`: two hex digits naming an ASCII character.
    fn hex_escape(&mut self, at: usize) -> Result<usize, SyntaxError> {
        let digits = self.body.get(at + 2..at + 4).unwrap_or("");
        let code = u8::from_str_radix(digits, 16)
            .ok()
            .filter(|code| code.is_ascii() && digits.len() == 2);
        let Some(code) = code else {
            return Err(self.error(
                at,
                format!("'\\x' must be followed by two hex digits of an ASCII character in regex '%{}%'", self.body),
            ));
        };
        self.output.push_str(&format!("\\x{code:02X}"));
        Ok(4)
    }
}

/// The ASCII meaning of `\d \D \s \S \w \W`, spelled for use outside or inside `[…]`.
fn shorthand_class(letter: char, in_class: bool) -> Option<&'static str> {
    let (outside, inside) = match letter {
        'd' => ("[0-9]", "0-9"),
        'D' => ("[^0-9]", "[^0-9]"),
        'w' => ("[a-zA-Z_0-9]", "a-zA-Z_0-9"),
        'W' => ("[^a-zA-Z_0-9]", "[^a-zA-Z_0-9]"),
        's' => ("[\\t\\n\\x0B\\x0C\\r ]", "\\t\\n\\x0B\\x0C\\r "),
        'S' => ("[^\\t\\n\\x0B\\x0C\\r ]", "[^\\t\\n\\x0B\\x0C\\r ]"),
        _ => return None,
    };
    Some(if in_class { inside } else { outside })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(regex: &str, subject: &str, expected: bool) {
        let compiled = AwsRegex::compile(regex, 1).unwrap();
        assert_eq!(
            compiled.is_match(subject),
            expected,
            "%{regex}% on {subject:?}"
        );
    }

    fn check_error(regex: &str, offset: usize, message: &str) {
        let error = AwsRegex::compile(regex, 1).unwrap_err();
        assert_eq!(
            (error.offset, error.message.as_str()),
            (offset, message),
            "%{regex}%"
        );
    }

    #[test]
    fn translation_keeps_aws_meanings() {
        check(r"\d", "a1", true);
        check(r"\d", "a١", false);
        check(r"[\d]x", "5x", true);
        check(r"[^\d]", "123", false);
        check(r"\x3A", "a:b", true);
        check(r"\x28", "f(x)", true);
        check(r"[]]", "]", true);
        check(r"[[]", "[", true);
        check(r"[a-]", "-", true);
        check(r"[-a]", "-", true);
        check(r"a{,2}b", "b", true);
        check(r"#=@/;,-", "x#=@/;,-y", true);
        check(r"\S+\s\w", "ab c", true);
        check(r"\W", "abc", false);
        check(r"\.", "a.b", true);
        check(r"\.", "ab", false);
    }

    #[test]
    fn rejects_what_aws_rejects() {
        check_error(
            "(a)",
            1,
            "character '(' is not allowed in a regex (groups are not supported)",
        );
        check_error(
            "something!",
            10,
            "character '!' is not allowed in a regex (use \\xhh for other symbols)",
        );
        check_error(
            "é",
            1,
            "character 'é' is not allowed in a regex (multi-byte characters are not supported)",
        );
        check_error("", 0, "empty regex '%%'");
        check_error("a\\", 2, "trailing '\\' in regex '%a\\%'");
        check_error("\\n", 1, "unsupported escape '\\n' in regex '%\\n%'");
        check_error(
            "\\x8F",
            1,
            "'\\x' must be followed by two hex digits of an ASCII character in regex '%\\x8F%'",
        );
        check_error("[abc", 1, "unclosed '[' in regex '%[abc%'");
        assert!(
            AwsRegex::compile("a{2", 1)
                .unwrap_err()
                .message
                .starts_with("invalid regex '%a{2%'")
        );
    }
}
