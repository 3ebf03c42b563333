//! Unstructured term patterns (spec section 3): `ERROR`, `"INTERNAL SERVER ERROR"`,
//! `ERROR -ARGUMENTS`, `?ERROR ?WARN`. Every term is a case-sensitive substring test, searched
//! with a `memchr` finder built once at compile time.
//!
//! Plain and quoted terms must all occur; `-` terms must not occur; `?` terms count only when the
//! pattern has nothing else, and then at least one must occur (with any other term present, AWS
//! ignores them). A lone `-` or `?` followed by blanks applies to the next term (the 2018
//! documentation writes `"ERROR" - "Exiting"`). Unquoted terms are taken as written, whatever
//! characters they contain. Whole-pattern special cases (blank, `" "`) are decided by the caller.

use memchr::memmem::Finder;

use crate::cursor::{Cursor, is_blank};
use crate::error::SyntaxError;

/// A compiled term pattern.
#[derive(Debug, Clone)]
pub(crate) struct TermsPattern {
    required: Vec<Finder<'static>>,
    excluded: Vec<Finder<'static>>,
    optional: Vec<Finder<'static>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TermRole {
    Required,
    Excluded,
    Optional,
}

impl TermsPattern {
    /// Parses the whole pattern text as terms.
    pub(crate) fn parse(text: &str) -> Result<Self, SyntaxError> {
        let mut pattern = TermsPattern {
            required: Vec::new(),
            excluded: Vec::new(),
            optional: Vec::new(),
        };
        let mut cursor = Cursor::new(text, 0);
        cursor.skip_blanks();
        while !cursor.at_end() {
            let (role, term) = parse_term(&mut cursor)?;
            let finder = Finder::new(term.as_bytes()).into_owned();
            match role {
                TermRole::Required => pattern.required.push(finder),
                TermRole::Excluded => pattern.excluded.push(finder),
                TermRole::Optional => pattern.optional.push(finder),
            }
            cursor.skip_blanks();
        }
        Ok(pattern)
    }

    pub(crate) fn matches(&self, message: &str) -> bool {
        let haystack = message.as_bytes();
        let found = |finder: &Finder<'_>| finder.find(haystack).is_some();
        if self.required.is_empty() && self.excluded.is_empty() {
            return self.optional.iter().any(found);
        }
        self.required.iter().all(found) && !self.excluded.iter().any(found)
    }
}

fn parse_term(cursor: &mut Cursor<'_>) -> Result<(TermRole, String), SyntaxError> {
    let role = match cursor.peek() {
        Some('-') => TermRole::Excluded,
        Some('?') => TermRole::Optional,
        _ => TermRole::Required,
    };
    if role != TermRole::Required {
        let prefix_at = cursor.position();
        cursor.bump();
        cursor.skip_blanks();
        if cursor.at_end() {
            let prefix = &cursor.text()[prefix_at..prefix_at + 1];
            return Err(SyntaxError::new(
                prefix_at,
                format!("'{prefix}' is not followed by a term"),
            ));
        }
    }
    let term = if cursor.peek() == Some('"') {
        cursor.quoted()?
    } else {
        cursor.take_while(|c| !is_blank(c)).to_owned()
    };
    Ok((role, term))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, message: &str, expected: bool) {
        let compiled = TermsPattern::parse(pattern).unwrap();
        assert_eq!(
            compiled.matches(message),
            expected,
            "{pattern:?} on {message:?}"
        );
    }

    #[test]
    fn roles_combine_as_documented() {
        check("ERROR", "Exiting with ERRORCODE: -1", true);
        check("ERROR -WARN", "ERROR WARN message", false);
        check("?ERROR ?WARN", "WARN message", true);
        check("?ERROR ?WARN", "INFO message", false);
        check("-WARN ?ERROR", "INFO", true);
        check(
            r#""ERROR" - "Exiting""#,
            "Exiting with ERRORCODE: -1",
            false,
        );
        check(r#""say \"hi\"""#, r#"they say "hi""#, true);
    }

    #[test]
    fn dangling_prefix_is_an_error() {
        let error = TermsPattern::parse("ERROR  -  ").unwrap_err();
        assert_eq!(
            (error.offset, error.message.as_str()),
            (7, "'-' is not followed by a term")
        );
    }
}
