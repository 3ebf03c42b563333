//! Unstructured term patterns: spec 3.3 (current, 2018 and 2020 documentation, TestMetricFilter),
//! plus the whole-pattern match-all forms (A1).

use super::{check, check_all, check_events};

const A: &str = "[ERROR 400] BAD REQUEST";
const B: &str = "[ERROR 401] UNAUTHORIZED REQUEST";
const C: &str = "[ERROR 419] MISSING ARGUMENTS";
const D: &str = "[ERROR 420] INVALID ARGUMENTS";
const E: &str = "[ERROR 500] INTERNAL SERVER ERROR";

#[test]
fn current_documentation_examples() {
    check_events(
        "ERROR",
        &[(A, true), (B, true), (C, true), (D, true), (E, true)],
    );
    check_events(
        "ERROR ARGUMENTS",
        &[(A, false), (B, false), (C, true), (D, true), (E, false)],
    );
    check_events(
        "?ERROR ?ARGUMENTS",
        &[
            (A, true),
            (B, true),
            (C, true),
            (D, true),
            ("[INFO] INVALID ARGUMENTS PROVIDED", true),
            ("[INFO] OK", false),
        ],
    );
    check_events(
        "?ERROR ?ARGUMENTS REQUEST",
        &[
            ("[INFO] REQUEST FAILED", true),
            ("[WARN] UNAUTHORIZED REQUEST", true),
            ("[ERROR] 400 BAD REQUEST", true),
            (C, false),
        ],
    );
    check_events("\"INTERNAL SERVER ERROR\"", &[(E, true), (A, false)]);
    check_events(
        "ERROR -ARGUMENTS",
        &[(A, true), (B, true), (C, false), (D, false)],
    );
    check_events(
        "\" \"",
        &[(A, true), (E, true), ("nospace", true), ("", true)],
    );
    check_events(
        "%AUTHORIZED%",
        &[
            (B, true),
            ("[SUCCESS 200] AUTHORIZED REQUEST", true),
            (A, false),
        ],
    );
}

#[test]
fn documentation_of_2018() {
    const FATAL: &str = "[ERROR] A fatal exception has occurred";
    const EXITING: &str = "Exiting with ERRORCODE: -1";
    check_events("ERROR", &[(FATAL, true), (EXITING, true)]);
    check_events(
        "\"ERROR\" - \"Exiting\"",
        &[(FATAL, true), (EXITING, false)],
    );
    check_events("ERROR -Exiting", &[(FATAL, true), (EXITING, false)]);
    check_events(
        "ERROR Exception",
        &[
            ("[ERROR] Caught IllegalArgumentException", true),
            ("[ERROR] Unhandled Exception", true),
            (FATAL, false),
        ],
    );
    check_events(
        "Failed to process the request",
        &[
            ("[WARN] Failed to process the request", true),
            (
                "[ERROR] Unable to continue: Failed to process the request",
                true,
            ),
        ],
    );
    check_events(
        "?Error ?fatal",
        &[
            ("[Error] Unhandled Exception", true),
            (FATAL, true),
            ("[ERROR] Caught IllegalArgumentException", false),
            (EXITING, false),
        ],
    );
    check_events(
        "Error",
        &[
            ("This message contains an Error", true),
            ("this message contains an error", false),
        ],
    );
}

#[test]
fn or_pattern_matching_of_2020() {
    let events = ["ERROR WARN message", "ERROR message", "WARN message"];
    for (pattern, expected) in [
        ("ERROR", [true, true, false]),
        ("?ERROR ?WARN", [true, true, true]),
        ("ERROR WARN", [true, false, false]),
        ("ERROR -WARN", [false, true, false]),
    ] {
        for (event, expected) in events.iter().zip(expected) {
            check(pattern, event, expected);
        }
    }
}

#[test]
fn test_metric_filter_lines() {
    // Messages in the shape of the TestMetricFilter example; events 3 and 4 are the [ERROR] lines
    // and only event 3 contains a capital-E "Exception".
    let events = [
        "02 May 2014 00:34:12 GMT [INFO] Starting up.",
        "02 May 2014 00:34:13 GMT [INFO] Waiting for connections.",
        "02 May 2014 00:34:14 GMT [WARN] Slow response from the database.",
        "02 May 2014 00:34:15 GMT [ERROR] Unhanded exception: InvalidQueryException",
        "02 May 2014 00:34:16 GMT [ERROR] Shutting down.",
    ];
    for (pattern, expected) in [
        ("\"[ERROR]\"", [false, false, false, true, true]),
        ("\"[ERROR]\" Exception", [false, false, false, true, false]),
    ] {
        for (event, expected) in events.iter().zip(expected) {
            check(pattern, event, expected);
        }
    }
}

#[test]
fn match_all_forms_and_our_choices() {
    check_all(&[
        ("", "anything", true),
        ("", "", true),
        ("   ", "anything", true),
        ("\"  \"", "nospace", true),
        // A lone prefix applies to the next term, as in the 2018 documentation.
        ("- WARN", "ERROR", true),
        ("- WARN", "WARN", false),
        // Only `-` terms: every event without them.
        ("-DEBUG -TRACE", "INFO x", true),
        ("-DEBUG -TRACE", "TRACE x", false),
        // `?` terms are ignored next to a `-` term too.
        ("?ERROR -DEBUG", "INFO", true),
        // Unquoted terms are taken as written, punctuation included.
        ("ERRORCODE: -1", "Exiting with ERRORCODE: 2", true),
        ("ERRORCODE: -1", "Exiting with ERRORCODE: -1", false),
        // Case sensitive.
        ("error", "ERROR", false),
        // An escaped quote inside a quoted term.
        ("\"say \\\"hi\\\"\"", "they say \"hi\" twice", true),
    ]);
}
