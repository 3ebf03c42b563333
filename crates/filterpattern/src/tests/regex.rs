//! Standalone `%regex%` patterns: every example of spec 4.4 with its stated outcome.

use super::check_events;

#[test]
fn anchors_classes_and_alternation() {
    check_events(
        "%^[hc]at%",
        &[
            ("hat", true),
            ("cat trick", true),
            ("that", false),
            ("bat", false),
        ],
    );
    check_events(
        "%[hc]at$%",
        &[("that", true), ("the cat", true), ("cats", false)],
    );
    check_events(
        "%colou?r%",
        &[("color", true), ("colour", true), ("colouur", false)],
    );
    check_events("%[abc]%", &[("xbx", true), ("xyz", false)]);
    check_events("%[a-z]%", &[("1a", true), ("123", false), ("ABC", false)]);
    check_events("%[abcx-z]%", &[("y", true), ("d", false)]);
    check_events(
        "%a{3,5}%",
        &[
            ("aaa", true),
            ("aaaa", true),
            ("aaaaa", true),
            ("aa", false),
        ],
    );
    check_events("%^a{3,5}$%", &[("aaaaaa", false), ("aaaa", true)]);
    check_events(
        "%gra|ey%",
        &[("gray", true), ("grey", true), ("green", false)],
    );
    check_events(
        "%^starting|^initializing|^shutting down%",
        &[
            ("starting the service", true),
            ("initializing the cache", true),
            ("shutting down", true),
            ("skipping initializing the cache", false),
        ],
    );
}

#[test]
fn escapes_and_any_character() {
    check_events(
        r"%\[.\]%",
        &[
            ("[a]", true),
            ("[b]", true),
            ("[7]", true),
            ("[@]", true),
            ("[]]", true),
            ("[ ]", true),
            ("[ab]", false),
        ],
    );
    check_events(
        r"%10\.10\.0\.1%",
        &[("10.10.0.1", true), ("10010,051", false)],
    );
    check_events("%10.10.0.1%", &[("10010,051", true)]);
    check_events(
        "%ab*c%",
        &[("ac", true), ("abc", true), ("abbbc", true), ("adc", false)],
    );
    check_events(
        "%ab[0-9]*%",
        &[("ab", true), ("ab0", true), ("ab129", true), ("a", false)],
    );
    check_events(
        "%ab+c%",
        &[
            ("abc", true),
            ("abbc", true),
            ("abbbc", true),
            ("ac", false),
        ],
    );
    check_events(
        "%.at%",
        &[
            ("hat", true),
            ("cat", true),
            ("bat", true),
            ("4at", true),
            ("#at", true),
            (" at", true),
            ("at", false),
        ],
    );
}

#[test]
fn shorthand_classes_are_ascii() {
    check_events(r"%\d%", &[("a1", true), ("abc", false), ("٣", false)]);
    check_events("%[0-9]%", &[("a1", true), ("abc", false)]);
    check_events(r"%\D%", &[("123", false), ("12a", true)]);
    check_events("%[^0-9]%", &[("123", false), ("12a", true)]);
    check_events(
        r"%\s%",
        &[("a\tb", true), ("a b", true), ("a\nb", true), ("ab", false)],
    );
    check_events(r"%\S%", &[("  ", false), (" x ", true)]);
    check_events(r"%\w%", &[("_", true), ("!!", false), ("é", false)]);
    check_events(r"%\W%", &[("abc_1", false), ("a-b", true)]);
    check_events(r"%\x3A%", &[("a:b", true), ("ab", false)]);
    check_events(r"%\x28%", &[("f(x)", true), ("fx", false)]);
    check_events(
        r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%",
        &[
            ("from 192.168.0.1 today", true),
            ("from 1.2.3 today", false),
        ],
    );
    check_events(
        "%[Ee]rror|[Ff]ail%",
        &[
            ("Error", true),
            ("error", true),
            ("Fail", true),
            ("fail", true),
            ("ERROR", false),
        ],
    );
    // Both bounds of a counted repetition may be omitted.
    check_events("%^x{,2}$%", &[("", true), ("xx", true), ("xxx", false)]);
}
