//! Invalid patterns: each rejection with its message and 0-based character position, and AWS's
//! limits (pattern length, regex count, wildcards).

use super::{check_error, compile};
use crate::MAX_PATTERN_LENGTH;

#[test]
fn json_pattern_errors() {
    for (pattern, position, message) in [
        (
            r#"{ status = "401" }"#,
            2,
            "expected a selector starting with '$.', found 'status'",
        ),
        ("{}", 1, "empty JSON pattern '{}'"),
        (
            "{ $.a = 1 ",
            10,
            "expected '&&', '||' or '}', found end of pattern",
        ),
        ("{ ($.a = 1 }", 2, "unbalanced '(': no matching ')'"),
        (
            "{ $.a = 1 } extra",
            12,
            "unexpected 'extra' after the closing '}'",
        ),
        (
            "{ $.a = 1 $.b = 2 }",
            10,
            "expected '&&', '||' or '}', found '$.b'",
        ),
        (
            "{ $.a is null }",
            6,
            "expected an operator (=, !=, <, >, <=, >=), IS or NOT EXISTS after selector '$.a', found 'is'",
        ),
        (
            "{ $.a IS NOT NULL }",
            9,
            "'IS NOT' is not supported; use 'IS NULL', 'IS TRUE', 'IS FALSE' or 'NOT EXISTS'",
        ),
        (
            "{ $.a EXISTS }",
            6,
            "'EXISTS' is not supported; use 'NOT EXISTS' or '= \"*\"'",
        ),
        (
            "{ $.a IS EMPTY }",
            9,
            "expected NULL, TRUE or FALSE after IS, found 'EMPTY'",
        ),
        (
            "{ $.a NOT NULL }",
            10,
            "expected EXISTS after NOT, found 'NULL'",
        ),
        ("{ $.a == 1 }", 7, "'==' is not an operator; use '='"),
        ("{ $.a = }", 8, "missing value, found '}'"),
        (
            "{ $.a > abc }",
            8,
            "a numeric comparison needs a number, found 'abc'",
        ),
        (
            "{ $.a > \"x\" }",
            8,
            "a numeric comparison needs a number, found '\"x\"'",
        ),
        (
            "{ $.a = a@b.com }",
            9,
            "value 'a@b.com' must be written in double quotes",
        ),
        (
            "{ $.a = é }",
            8,
            "value 'é' must be written in double quotes",
        ),
        (
            "{ $.a = \"open }",
            8,
            "unterminated quoted string '\"open }'",
        ),
        ("{ $.a = %abc }", 8, "unterminated regex '%abc }'"),
        (
            "{ $.a = %a(b)% }",
            10,
            "character '(' is not allowed in a regex (groups are not supported)",
        ),
        (
            "{ $[0] = 1 }",
            3,
            "an array index must follow a property ('$.list[0]')",
        ),
        (
            "{ $.a[1 = 1 }",
            5,
            "array index must be '[N]' or '[*]', found '[1'",
        ),
        (
            "{ $.a[*].b.* = 1 }",
            12,
            "selector '$.a[*].b.*' has more than one wildcard; the limit is 1",
        ),
        // Positions count characters: "é" is two bytes.
        (
            "{ $.a = \"é\" && x }",
            15,
            "expected a selector starting with '$.', found 'x'",
        ),
    ] {
        check_error(pattern, position, message);
    }
}

#[test]
fn quotas_on_regexes_and_wildcard_selectors() {
    compile("{ $.a = %x% && $.b = %y% }");
    check_error(
        "{ $.a = %x% && $.b = %y% && $.c = %z% }",
        34,
        "regex '%z%' is one too many; a pattern may have at most 2",
    );
    compile("[a = %x%, b = %y%]");
    check_error(
        "[a = %x%, b = %y% || b = %z%]",
        25,
        "regex '%z%' is one too many; a pattern may have at most 2",
    );
    compile("{ $.a[*] = 1 || $.b[*] = 1 || $.* = 1 }");
    check_error(
        "{ $.a[*] = 1 || $.b[*] = 1 || $.* = 1 || $.c.* = 1 }",
        41,
        "wildcard selector '$.c.*' is one too many; a pattern may have at most 3",
    );
}

#[test]
fn space_delimited_errors() {
    for (pattern, position, message) in [
        (
            "[a, b",
            5,
            "expected ',' or ']' after a field, found end of pattern",
        ),
        ("[a b]", 3, "expected ',' or ']' after a field, found 'b]'"),
        (
            "[a = 1 ||]",
            9,
            "condition on '' after '||' in the entry of field 'a'; conditions joined there must all name 'a'",
        ),
        (
            "[a = 1 || a]",
            11,
            "expected an operator (=, !=, <, >, <=, >=) after field 'a', found ']'",
        ),
        (
            "[status_code = 4* && bytes > 1000]",
            21,
            "condition on 'bytes' after '&&' in the entry of field 'status_code'; conditions joined there must all name 'status_code'",
        ),
        (
            "[..., a, ...]",
            9,
            "a space-delimited pattern may have only one '...'",
        ),
        ("[a] b", 4, "unexpected 'b' after the closing ']'"),
        ("[a = ]", 5, "missing value, found ']'"),
        (
            "[a > x]",
            5,
            "a numeric comparison needs a number, found 'x'",
        ),
        (
            "[$a]",
            1,
            "expected a field name, '...' or ',', found '$a]'",
        ),
    ] {
        check_error(pattern, position, message);
    }
}

#[test]
fn term_and_regex_errors() {
    for (pattern, position, message) in [
        (
            "ERROR \"unclosed",
            6,
            "unterminated quoted string '\"unclosed'",
        ),
        ("ERROR -", 6, "'-' is not followed by a term"),
        ("?", 0, "'?' is not followed by a term"),
        (
            "%something!%",
            10,
            "character '!' is not allowed in a regex (use \\xhh for other symbols)",
        ),
        ("%abc", 0, "unterminated regex '%abc'"),
        (
            "%a% b",
            3,
            "a regex pattern must be one '%…%' with nothing after it",
        ),
        ("%%", 0, "empty regex '%%'"),
        (
            "%caf\u{e9}%",
            4,
            "character 'é' is not allowed in a regex (multi-byte characters are not supported)",
        ),
    ] {
        check_error(pattern, position, message);
    }
}

#[test]
fn pattern_length_limit() {
    let longest_terms = "a".repeat(MAX_PATTERN_LENGTH);
    compile(&longest_terms);
    let longest_json = format!("{{ $.a = 1 }}{}", " ".repeat(MAX_PATTERN_LENGTH - 11));
    assert_eq!(longest_json.chars().count(), MAX_PATTERN_LENGTH);
    compile(&longest_json);
    check_error(
        &format!("{longest_terms}b"),
        1024,
        "filter pattern is 1025 characters long; the limit is 1024",
    );
    let multibyte = "é".repeat(MAX_PATTERN_LENGTH);
    compile(&multibyte);
    let error = crate::FilterPattern::compile(&format!("{multibyte}é")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "filter pattern is 1025 characters long; the limit is 1024 at position 1024"
    );
}

/// Every prefix of, and every insertion of an odd character into, a set of valid patterns either
/// compiles or fails with a position inside the text; nothing panics, and compiled ones can match.
#[test]
fn truncated_and_corrupted_patterns_never_panic() {
    let patterns = [
        r#"{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") }"#,
        r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% && $.['cluster.name'] = c && $.a[*].b IS NULL && $.x NOT EXISTS }",
        r#"[ip=%127\.0\.0\.[1-9]%, user, ..., request =*.html*, status_code = 404 || status_code = 410, bytes > 1e3,]"#,
        r#"?ERROR -"Exiting now" "[ERROR]" %x%"#,
        r"%^[hc]at\x3A\d{1,3}|[^\w\s]$%",
    ];
    let events = [
        r#"{"errorCode":"AccessDenied","a":[{"b":null}]}"#,
        "127.0.0.1 a b c 404 2000",
        "",
    ];
    for pattern in patterns {
        let corrupted = pattern.char_indices().flat_map(|(at, _)| {
            ["é", "\"", "(", "%", "\\", "]", "}", "$.", "||"]
                .map(|odd| format!("{}{odd}{}", &pattern[..at], &pattern[at..]))
        });
        let prefixes = pattern
            .char_indices()
            .map(|(at, _)| pattern[..at].to_owned());
        for text in prefixes.chain(corrupted) {
            match crate::FilterPattern::compile(&text) {
                Ok(compiled) => {
                    for event in events {
                        compiled.matches(&crate::LogEvent::new(event));
                        compiled.extracted_values(&crate::LogEvent::new(event));
                    }
                }
                Err(error) => assert!(error.position <= text.chars().count(), "{text:?}: {error}"),
            }
        }
    }
}
