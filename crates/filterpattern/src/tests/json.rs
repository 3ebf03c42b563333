//! JSON patterns: every example of spec 5.6 with its documented outcome, the evaluation table of
//! spec 5.5, and the undocumented cases with the choice this crate makes (marked "choice").

use super::{check, check_all, check_events, check_extracted};

/// Event J1 of spec 5.6 (current page, with D2020's `ThisFlag`).
const J1: &str = r#"{"eventType":"UpdateTrail","sourceIPAddress":"111.111.111.111","arrayKey":["value","another value"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}],"SomeObject":null,"ThisFlag":true,"cluster.name":"c"}"#;

/// Event J2 of spec 5.6.
const J2: &str = r#"{"user":{"id":1,"email":"John.Stiles@example.com"},"users":[{"id":2,"email":"John.Doe@example.com"},{"id":3,"email":"Jane.Doe@example.com"}],"actions":["GET","PUT","DELETE"],"coordinates":[[0,1,2],[4,5,6],[7,8,9]]}"#;

#[test]
fn documented_j1_examples_all_match() {
    for pattern in [
        r#"{ $.eventType = "UpdateTrail" }"#,
        "{ $.sourceIPAddress != 123.123.* }",
        r#"{ $.arrayKey[0] = "value" }"#,
        "{ $.objectList[1].id = 2 }",
        "{ $.eventType = %Trail% }",
        "{ $.arrayKey[*] = %val.{2}% }",
        r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }",
        r#"{ $.['cluster.name'] = "c" }"#,
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
        r#"{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }"#,
    ] {
        check(pattern, J1, true);
    }
}

#[test]
fn j1_counterparts_do_not_match() {
    for pattern in [
        r#"{ $.eventType = "UpdateTrail2" }"#,
        "{ $.sourceIPAddress != 111.111.* }",
        r#"{ $.arrayKey[1] = "value" }"#,
        "{ $.objectList[0].id = 2 }",
        "{ $.eventType = %^Trail% }",
        "{ $.arrayKey[*] = %^val.{6}% }",
        r#"{ $.cluster.name = "c" }"#,
        "{ $.SomeObject NOT EXISTS }",
        "{ $.SomeOtherObject IS NULL }",
        "{ $.ThisFlag IS FALSE }",
        "{ $.eventType IS TRUE }",
        "{ $.eventtype = UpdateTrail }",
        // D2020's failure rules: indexing a non-array, missing or non-object items.
        r#"{ $.eventType[0] = "U" }"#,
        "{ $.objectList[1].missing = 2 }",
        "{ $.arrayKey[0].id = 1 }",
    ] {
        check(pattern, J1, false);
    }
}

#[test]
fn documented_j2_precedence_examples() {
    check_all(&[
        (
            r#"{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }"#,
            J2,
            true,
        ),
        (
            r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }"#,
            J2,
            true,
        ),
        (
            r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }"#,
            J2,
            true,
        ),
        (
            r#"{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }"#,
            J2,
            false,
        ),
        (
            r#"{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }"#,
            J2,
            false,
        ),
        (
            "{ $.coordinates[0][1] = 1 && $.coordinates[2][2] = 9 }",
            J2,
            true,
        ),
        ("{ $.users[*].id = 3 }", J2, true),
    ]);
}

#[test]
fn documented_small_examples() {
    check_all(&[
        ("{$.users = 1}", r#"{"users":[1,2,3]}"#, false),
        ("{$.users != 1}", r#"{"users":[1,2,3]}"#, false),
        ("{$.foo = bar}", r#"{"foo":"bar"}"#, true),
        ("{$.foo = bar}", r#"{"foo":"baz"}"#, false),
        ("{$.foo = baz }", r#"{"foo":"baz"}"#, true),
        ("{$.foo = bar || $.foo = baz }", r#"{"foo":"bar"}"#, true),
        ("{$.foo = bar || $.foo = baz }", r#"{"foo":"baz"}"#, true),
        (
            "{ $.latency = * }",
            r#"{"latency": 50, "requestType": "GET"}"#,
            true,
        ),
        ("{ $.latency = * }", r#"{"requestType": "GET"}"#, false),
        (
            "{$.userIdentity.type = Root}",
            r#"{"userIdentity":{"type":"Root"}}"#,
            true,
        ),
        (
            "{$.userIdentity.type = AssumedRole}",
            r#"{"userIdentity":{"type":"Root"}}"#,
            false,
        ),
    ]);
}

#[test]
fn documented_numeric_syntax() {
    check_all(&[
        ("{ $.bandwidth > 75 }", r#"{"bandwidth": 80}"#, true),
        ("{ $.bandwidth > 75 }", r#"{"bandwidth": 75}"#, false),
        ("{ $.latency < 50 }", r#"{"latency": 49.9}"#, true),
        ("{ $.latency < 50 }", r#"{"latency": 50}"#, false),
        ("{ $.refreshRate >= 60 }", r#"{"refreshRate": 60}"#, true),
        ("{ $.responseTime <= 5 }", r#"{"responseTime": 5}"#, true),
        ("{ $.responseTime <= 5 }", r#"{"responseTime": 6}"#, false),
        ("{ $.errorCode = 400}", r#"{"errorCode": 400}"#, true),
        ("{ $.errorCode != 500 }", r#"{"errorCode": 400}"#, true),
        ("{ $.errorCode != 500 }", r#"{"errorCode": 500}"#, false),
        ("{ $.number[0] = 1e+3 }", r#"{"number": [1000]}"#, true),
        ("{ $.number[0] != 1e-3 }", r#"{"number": [1000]}"#, true),
        ("{ $.number[0] = 1e-3 }", r#"{"number": [0.001]}"#, true),
        ("{ $.number[0] != 1e+3 }", r#"{"number": [1e3]}"#, false),
        ("{ $.latency >= 500 }", r#"{"latency": 500}"#, true),
        ("{ $.numbers[0] < 10e3 }", r#"{"numbers": [9999]}"#, true),
        ("{ $.numbers[0] < 10e-3 }", r#"{"numbers": [0.001]}"#, true),
        ("{ $.numbers[0] < 10e-3 }", r#"{"numbers": [0.01]}"#, false),
        (
            "{ $.processes[4].averageRuntime <= 55.5 }",
            r#"{"processes": [{},{},{},{},{"averageRuntime": 55.5}]}"#,
            true,
        ),
        ("{ $.latency > +1000 }", r#"{"latency": 1001}"#, true),
        ("{ $.latency > +1000 }", r#"{"latency": 1000}"#, false),
        (
            "{ $.from > 1688560107 }",
            r#"{"from": 1.688560107857E9}"#,
            true,
        ),
    ]);
}

#[test]
fn evaluation_table_of_section_5_5() {
    let event = r#"{"s":"abc","n":5,"t":true,"f":false,"z":null,"o":{"a":1},"a":[1]}"#;
    // (selector, = "abc", != "abc", > 1, IS NULL, IS TRUE, NOT EXISTS)
    let rows: [(&str, [bool; 6]); 8] = [
        ("$.s", [true, false, false, false, false, false]),
        ("$.n", [false, true, true, false, false, false]),
        ("$.t", [false, false, false, false, true, false]),
        ("$.f", [false, false, false, false, false, false]),
        ("$.z", [false, false, false, true, false, false]),
        ("$.o", [false, false, false, false, false, false]),
        ("$.a", [false, false, false, false, false, false]),
        ("$.missing", [false, false, false, false, false, true]),
    ];
    for (selector, expected) in rows {
        let tests = [
            "= \"abc\"",
            "!= \"abc\"",
            "> 1",
            "IS NULL",
            "IS TRUE",
            "NOT EXISTS",
        ];
        for (test, expected) in tests.iter().zip(expected) {
            check(&format!("{{ {selector} {test} }}"), event, expected);
        }
    }
    check("{ $.f IS FALSE }", event, true);
    // The event is not JSON: nothing matches, not even NOT EXISTS (A13).
    check_events(
        "{ $.a NOT EXISTS }",
        &[("not json", false), ("{\"a\":", false), ("{}", true)],
    );
    check("{ $.s > 1 }", r#"{"s":"5"}"#, true);
}

#[test]
fn undocumented_cases_follow_our_choices() {
    check_all(&[
        // A4 (choice): numbers and numeric strings compare as numbers.
        ("{ $.x = 400 }", r#"{"x":"400"}"#, true),
        (r#"{ $.x = "400" }"#, r#"{"x":400}"#, true),
        (r#"{ $.x = "400" }"#, r#"{"x":"400.0"}"#, false),
        ("{ $.x = 400 }", r#"{"x":"abc"}"#, false),
        ("{ $.x != 400 }", r#"{"x":"abc"}"#, true),
        (
            "{ $.recipientAccountId = 123456789012 }",
            r#"{"recipientAccountId":"123456789012"}"#,
            true,
        ),
        // A5/A6 (choice): booleans and null take part in no comparison.
        ("{ $.flag = true }", r#"{"flag":true}"#, false),
        ("{ $.flag != true }", r#"{"flag":true}"#, false),
        ("{ $.z = \"*\" }", r#"{"z":null}"#, false),
        ("{ $.z != \"x\" }", r#"{"z":null}"#, false),
        // A7: `*` inside a value is literal; at both ends it is a wildcard (choice).
        ("{ $.e = Ev*ent }", r#"{"e":"Event"}"#, false),
        ("{ $.e = Ev*ent }", r#"{"e":"Ev*ent"}"#, true),
        ("{ $.e = *Event }", r#"{"e":"PutEvent"}"#, true),
        ("{ $.e = Event* }", r#"{"e":"EventName"}"#, true),
        ("{ $.e = *ven* }", r#"{"e":"Events"}"#, true),
        // A8 (choice): `!=` under a wildcard: some comparable element, none equal.
        ("{ $.a[*] != \"value\" }", J1_ARRAY, false),
        ("{ $.a[*] != \"zzz\" }", J1_ARRAY, true),
        ("{ $.a[*] != \"zzz\" }", r#"{"a":[]}"#, false),
        // Wildcard selectors: NOT EXISTS when nothing is selected; IS NULL on any element.
        ("{ $.a[*] NOT EXISTS }", r#"{"a":[]}"#, true),
        ("{ $.a[*] IS NULL }", r#"{"a":[1,null]}"#, true),
        ("{ $.*.id = 2 }", r#"{"x":{"id":1},"y":{"id":2}}"#, true),
        // Escaped JSON strings and keys are compared decoded.
        (r#"{ $.k = "a\"b" }"#, r#"{"k":"a\"b"}"#, true),
        (r#"{ $.k = "é" }"#, r#"{"k":"\u00e9"}"#, true),
        (r#"{ $.k-2 = x }"#, r#"{"k\u002d2":"x"}"#, true),
        // Duplicate keys: the first one counts (choice).
        ("{ $.d = 1 }", r#"{"d":1,"d":2}"#, true),
        // Regex on a number's text (choice).
        (r"{ $.code = %^4\d\d$% }", r#"{"code":404}"#, true),
        // Blanks around operators are optional; parentheses may be redundant.
        ("{((($.a=1)))&&$.b=2}", r#"{"a":1,"b":2}"#, true),
        ("{$.a=1||$.b=3}", r#"{"a":0,"b":3}"#, true),
    ]);
}

const J1_ARRAY: &str = r#"{"a":["value","another value"]}"#;

#[test]
fn extracted_values_name_each_selector() {
    check_extracted(
        r#"{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }"#,
        J1,
        Some(&[
            ("$.eventType", "UpdateTrail"),
            ("$.sourceIPAddress", "111.111.111.111"),
        ]),
    );
    check_extracted(
        "{ $.objectList[1].id = 2 || $.SomeObject IS NULL || $.nothing NOT EXISTS }",
        J1,
        Some(&[("$.objectList[1].id", "2"), ("$.SomeObject", "null")]),
    );
    check_extracted(
        "{ $.arrayKey[*] = %another% }",
        J1,
        Some(&[("$.arrayKey[*]", "value")]),
    );
    check_extracted("{ $.eventType = Nope }", J1, None);
}
