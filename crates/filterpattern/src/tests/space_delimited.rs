//! Space-delimited patterns: every example of spec 6.5 with its documented outcome and extracted
//! values, and the field-count rules of spec 6.3 (A3).

use super::{check_all, check_events, check_extracted};

const S1: &str =
    r#"127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

const L1: &str = "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200";
const L2: &str = "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310";
const L3: &str = "WARNING 09/25/2014 12:00:02 Invalid user request";
const L4: &str = "ERROR 09/25/2014 12:00:02 Failed to process request";

const T0: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#;
const T1: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324"#;
const T2: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355"#;

#[test]
fn documented_s1_patterns_all_match() {
    for pattern in [
        r"[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]",
        "[..., request =*.html*, status_code = 4*, bytes]",
        "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]",
        "[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]",
    ] {
        check_events(pattern, &[(S1, true), (T0, false)]);
    }
    let large = "[ip, server, username, timestamp, request, status_code, bytes > 1000]";
    check_events(large, &[(S1, true), (&S1.replace("1534", "1000"), false)]);
    check_extracted(
        "[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]",
        S1,
        Some(&[
            ("$bytes", "1534"),
            ("$status_code", "404"),
            ("$request", "GET /index.html HTTP/1.0"),
            ("$timestamp", "10/Oct/2000:13:25:15 -0700"),
            ("$username", "frank"),
            ("$user", "Prod"),
            ("$ip", "127.0.0.1"),
        ]),
    );
}

#[test]
fn documented_word_patterns() {
    let rows: [(&str, [bool; 4]); 6] = [
        ("[w1=ERROR, w2]", [false, false, false, true]),
        ("[w1=ERROR || w1=WARNING, w2]", [false, false, true, true]),
        ("[w1!=ERROR && w1!=WARNING, w2]", [true, true, false, false]),
        ("[w1=ERROR || w1=%WARN%, w2]", [false, false, true, true]),
        (
            "[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]",
            [true, false, false, false],
        ),
        (
            "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]",
            [false, true, false, false],
        ),
    ];
    for (pattern, expected) in rows {
        check_events(
            pattern,
            &[
                (L1, expected[0]),
                (L2, expected[1]),
                (L3, expected[2]),
                (L4, expected[3]),
            ],
        );
    }
}

#[test]
fn documented_test_metric_filter_examples() {
    let all = [(T0, true), (T1, true), (T2, true)];
    check_events(
        "[ip, identity, user_id, timestamp, request, status_code, size]",
        &all,
    );
    check_events("[..., size]", &all);
    check_events("[]", &all);
    check_events(
        "[..., status_code=200, size]",
        &[(T0, true), (T1, false), (T2, true)],
    );
    check_extracted(
        "[ip, identity, user_id, timestamp, request, status_code, size]",
        T0,
        Some(&[
            ("$ip", "127.0.0.1"),
            ("$identity", "-"),
            ("$user_id", "frank"),
            ("$timestamp", "10/Oct/2000:13:25:15 -0700"),
            ("$request", "GET /apache_pb.gif HTTP/1.0"),
            ("$status_code", "200"),
            ("$size", "1534"),
        ]),
    );
    let positional = [
        ("$1", "127.0.0.1"),
        ("$2", "-"),
        ("$3", "frank"),
        ("$4", "10/Oct/2000:13:35:22 -0700"),
        ("$5", "GET /apache_pb.gif HTTP/1.0"),
    ];
    let mut with_size = positional.to_vec();
    with_size.extend([("$6", "500"), ("$size", "5324")]);
    check_extracted("[..., size]", T1, Some(&with_size));
    let mut everything = positional.to_vec();
    everything.extend([("$6", "500"), ("$7", "5324")]);
    check_extracted("[]", T1, Some(&everything));
    let mut status = positional.to_vec();
    status[3].1 = "10/Oct/2000:13:50:35 -0700";
    status.extend([("$status_code", "200"), ("$size", "4355")]);
    check_extracted("[..., status_code=200, size]", T2, Some(&status));
    check_extracted("[..., status_code=200, size]", T1, None);
}

#[test]
fn documented_trailing_comma_example() {
    let prefix = "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700]";
    let events = [
        format!(r#"{prefix} "GET /index.html HTTP/1.0" 404 1534"#),
        format!(r#"{prefix} "GET /about-us/index.html HTTP/1.0" 200 5324"#),
        format!(r#"{prefix} "GET /apache_pb.gif HTTP/1.0" 404 4355"#),
        format!(r#"{prefix} "GET /products/index.html HTTP/1.0" 400 1534"#),
    ];
    let pattern = "[..., request=*.html*, status_code=4*,]";
    for (event, expected) in events.iter().zip([true, false, false, true]) {
        check_events(pattern, &[(event, expected)]);
    }
    check_extracted(
        pattern,
        &events[3],
        Some(&[
            ("$1", "127.0.0.1"),
            ("$2", "-"),
            ("$3", "frank"),
            ("$4", "10/Oct/2000:13:25:15 -0700"),
            ("$request", "GET /products/index.html HTTP/1.0"),
            ("$status_code", "400"),
            ("$7", "1534"),
        ]),
    );
}

#[test]
fn older_documentation_examples() {
    let hit =
        r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326"#;
    let miss =
        r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#;
    for pattern in [
        "[IP, UserInfo, User, Timestamp, RequestInfo, StatusCode=404, Bytes]",
        "[ip, id, user, timestamp, request, status_code=404, size]",
        "[ip, id, user, timestamp, request, status_code=4*, size]",
        "[ip, identity, user_id, timestamp, request, status_code = 404, size, ...]",
    ] {
        check_events(pattern, &[(hit, true), (miss, false)]);
    }
    check_all(&[
        (
            "[ip, user, username, timestamp, request, status_code, bytes > 1000]",
            T0,
            true,
        ),
        (
            "[ip, user, username, timestamp, request, status_code, bytes > 1000]",
            &T0.replace("1534", "999"),
            false,
        ),
        (
            "[ip, user, username, timestamp, request, status_code = 200, bytes]",
            T1,
            false,
        ),
        (
            "[ip, user, username, timestamp, request = *html*, status_code, bytes]",
            S1,
            true,
        ),
        (
            "[ip, user, username, timestamp, request = *html*, status_code, bytes]",
            T0,
            false,
        ),
        (
            "[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]",
            hit,
            true,
        ),
        (
            "[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]",
            miss,
            false,
        ),
    ]);
}

#[test]
fn field_count_rules() {
    check_all(&[
        // More pattern fields than message fields never match.
        ("[a, b, c]", "one two", false),
        ("[a, ..., b, c]", "one two", false),
        ("[a]", "", false),
        ("[]", "", true),
        ("[...]", "x y", true),
        // The last field takes the rest (A3): its condition sees the raw rest.
        ("[w1, w2 = two]", "one two three", false),
        ("[w1, w2 = *three]", "one two three", true),
        // An ellipsis may cover nothing.
        ("[a, ..., b]", "one two", true),
        // A numeric comparison on a non-numeric field is false; `!=` compares text.
        ("[a, b > 5]", "x -", false),
        ("[a, b != 5]", "x -", true),
        ("[a, b = 5]", "x 5.0", true),
        // Middle wildcards are literal, as in JSON values (A7, choice).
        ("[a = 1*3]", "123", false),
        ("[a = 1*3]", "1*3", true),
        // Quoted values.
        ("[a = \"x y\", b]", "\"x y\" z", true),
    ]);
}
