//! Wildcard patterns (`*` any run, `?` any one character) and policy-variable templates.
//!
//! A [`Template`] is a policy string split into text, `${key}` variables (with an optional
//! `${key, 'default'}`) and the escapes `${*}`, `${?}`, `${$}`, which stand for a literal `*`,
//! `?`, `$` (AWS IAM "Elements: Variables and tags", special characters and default values).
//! Variables exist only in `"Version": "2012-10-17"` policies; in `2008-10-17` ones the same text
//! is literal. A variable resolves from the request's condition context when its key holds exactly
//! one value; otherwise its default is used, and without a default the template does not resolve
//! (the caller treats that as "matches nothing"). Values substituted for variables are literal:
//! a `*` in a user name is not a wildcard. This module knows nothing about ARNs or actions.

use crate::context::ConditionContext;

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// This exact character.
    Char(char),
    /// Any run of characters, the empty run included.
    AnyRun,
    /// Exactly one character.
    AnyOne,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern(Vec<Token>);

impl Pattern {
    /// `text` with `*` and `?` as wildcards.
    pub(crate) fn glob(text: &str) -> Self {
        let mut tokens = Vec::with_capacity(text.len());
        push_glob(&mut tokens, text);
        Pattern(tokens)
    }

    /// Whether the pattern matches all of `text`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        tokens_match(&self.0, &text)
    }

    /// The pattern cut at its first five literal `:`, as ARN components are compared
    /// (the sixth component keeps any further colons).
    pub(crate) fn arn_components(&self) -> Vec<&[Token]> {
        let mut parts = Vec::with_capacity(6);
        let mut start = 0;
        for (index, token) in self.0.iter().enumerate() {
            if parts.len() == 5 {
                break;
            }
            if *token == Token::Char(':') {
                parts.push(&self.0[start..index]);
                start = index + 1;
            }
        }
        parts.push(&self.0[start..]);
        parts
    }
}

fn push_glob(tokens: &mut Vec<Token>, text: &str) {
    tokens.extend(text.chars().map(|c| match c {
        '*' => Token::AnyRun,
        '?' => Token::AnyOne,
        other => Token::Char(other),
    }));
}

/// Whether `tokens` match all of `text`: a linear scan that remembers the last `*` and retries
/// from one character further when a later token fails.
pub(crate) fn tokens_match(tokens: &[Token], text: &[char]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut retry: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::AnyRun) => {
                retry = Some((p, t));
                p += 1;
            }
            Some(Token::AnyOne) => {
                p += 1;
                t += 1;
            }
            Some(Token::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match retry {
                Some((star, matched)) => {
                    p = star + 1;
                    t = matched + 1;
                    retry = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| *token == Token::AnyRun)
}

/// One piece of a policy string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text as written (`*` and `?` in it are wildcards where the operator takes patterns).
    Text(String),
    /// `${*}`, `${?}` or `${$}`: the character, never a wildcard.
    Escaped(char),
    /// `${key}` or `${key, 'default'}`; `key` is lower-cased.
    Variable {
        key: String,
        default: Option<String>,
    },
}

/// A policy string with its variables located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    raw: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// `raw` read with variables when `variables` is true (Version 2012-10-17), as plain text otherwise.
    pub(crate) fn parse(raw: &str, variables: bool) -> Self {
        let pieces = if variables {
            split_variables(raw)
        } else {
            vec![Piece::Text(raw.to_owned())]
        };
        Template {
            raw: raw.to_owned(),
            pieces,
        }
    }

    /// The string as written in the policy.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// The text with variables substituted, wildcards left as characters; `None` when a variable
    /// has no value and no default.
    pub(crate) fn resolve_text(&self, context: &ConditionContext) -> Option<String> {
        let mut text = String::with_capacity(self.raw.len());
        for piece in &self.pieces {
            match piece {
                Piece::Text(part) => text.push_str(part),
                Piece::Escaped(c) => text.push(*c),
                Piece::Variable { key, default } => {
                    text.push_str(variable_value(context, key, default.as_deref())?)
                }
            }
        }
        Some(text)
    }

    /// The pattern with variables substituted as literal text; `None` as for [`Self::resolve_text`].
    pub(crate) fn resolve_pattern(&self, context: &ConditionContext) -> Option<Pattern> {
        let mut tokens = Vec::with_capacity(self.raw.len());
        for piece in &self.pieces {
            match piece {
                Piece::Text(part) => push_glob(&mut tokens, part),
                Piece::Escaped(c) => tokens.push(Token::Char(*c)),
                Piece::Variable { key, default } => {
                    let value = variable_value(context, key, default.as_deref())?;
                    tokens.extend(value.chars().map(Token::Char));
                }
            }
        }
        Some(Pattern(tokens))
    }
}

fn variable_value<'a>(
    context: &'a ConditionContext,
    key: &str,
    default: Option<&'a str>,
) -> Option<&'a str> {
    match context.lowercase_values(key) {
        Some([single]) => Some(single.as_str()),
        _ => default,
    }
}

/// Splits `raw` at every well-formed `${...}`; a malformed one stays text.
fn split_variables(raw: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some((piece, consumed)) = after.find('}').and_then(|end| {
            variable_piece(&after[..end]).map(|piece| (piece, start + 2 + end + 1))
        }) else {
            text.push_str(&rest[..start + 2]);
            rest = after;
            continue;
        };
        text.push_str(&rest[..start]);
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
        }
        pieces.push(piece);
        rest = &rest[consumed..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    pieces
}

/// The piece for the inside of `${...}`, or `None` when it is no variable.
fn variable_piece(inner: &str) -> Option<Piece> {
    match inner.trim() {
        "*" => return Some(Piece::Escaped('*')),
        "?" => return Some(Piece::Escaped('?')),
        "$" => return Some(Piece::Escaped('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => (key.trim(), Some(quoted_default(default.trim())?)),
        None => (inner.trim(), None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) || key.contains('\'') {
        return None;
    }
    Some(Piece::Variable {
        key: key.to_ascii_lowercase(),
        default,
    })
}

/// `'text'` with `''` standing for one quote.
fn quoted_default(written: &str) -> Option<String> {
    let inner = written.strip_prefix('\'')?.strip_suffix('\'')?;
    let unescaped = inner.replace("''", "'");
    if unescaped.matches('\'').count() * 2 != inner.matches('\'').count() {
        return None;
    }
    Some(unescaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let check = |pattern: &str, text: &str, expected: bool| {
            assert_eq!(
                Pattern::glob(pattern).matches(text),
                expected,
                "{pattern:?} vs {text:?}"
            );
        };
        check("*", "", true);
        check("*", "anything/at:all", true);
        check("a*c", "abbbc", true);
        check("a*c", "abbbd", false);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("a*b*c", "aXbYbZc", true);
        check("*/AWSLogs/*", "b/AWSLogs/1/x", true);
        check("abc", "abcd", false);
        check("", "", true);
        check("", "x", false);
        check("??", "ü!", true);
    }

    #[test]
    fn templates() {
        let context = ConditionContext::new()
            .with("aws:username", "alice")
            .with("aws:userid", "AIDA*")
            .with_values("aws:multi", ["a", "b"]);
        let check = |raw: &str, variables: bool, text: Option<&str>, matches: &[(&str, bool)]| {
            let template = Template::parse(raw, variables);
            assert_eq!(template.resolve_text(&context).as_deref(), text, "{raw}");
            for (candidate, expected) in matches {
                let matched = template
                    .resolve_pattern(&context)
                    .is_some_and(|pattern| pattern.matches(candidate));
                assert_eq!(matched, *expected, "{raw} vs {candidate}");
            }
        };
        check(
            "home/${aws:username}/*",
            true,
            Some("home/alice/*"),
            &[("home/alice/x", true), ("home/bob/x", false)],
        );
        check(
            "home/${aws:username}/*",
            false,
            Some("home/${aws:username}/*"),
            &[("home/alice/x", false)],
        );
        check("${AWS:UserName}", true, Some("alice"), &[("alice", true)]);
        check(
            "${aws:userid}",
            true,
            Some("AIDA*"),
            &[("AIDA*", true), ("AIDAX", false)],
        );
        check(
            "a${*}b${?}${$}",
            true,
            Some("a*b?$"),
            &[("a*b?$", true), ("axb?$", false)],
        );
        check("${aws:missing}", true, None, &[("", false)]);
        check("${aws:multi}", true, None, &[("a", false)]);
        check("${aws:missing, 'anon''s'}", true, Some("anon's"), &[]);
        check(
            "${aws:missing, anon}",
            true,
            Some("${aws:missing, anon}"),
            &[],
        );
        check("${unclosed", true, Some("${unclosed"), &[]);
        check("${}x", true, Some("${}x"), &[]);
    }
}
