//! SigV4 timestamps: the ISO-8601 basic form (`20240315T123456Z`) and the HTTP `Date` header.
//!
//! Parsing is strict about the basic form (exactly `YYYYMMDDTHHMMSSZ`, as every SDK sends it)
//! and accepts RFC 1123/2822 for `Date` (botocore writes `Fri, 15 Mar 2024 12:34:56 -0000`).
//! No clock is read here: the caller passes "now" into verification.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Formats a time the way it appears in `X-Amz-Date` and the string to sign.
pub fn format_amz_date(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Parses `YYYYMMDDTHHMMSSZ`; `None` for anything else.
pub fn parse_amz_date(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    if !text.is_ascii() || bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = &text[range];
        if digits.bytes().all(|byte| byte.is_ascii_digit()) {
            digits.parse().ok()
        } else {
            None
        }
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(4..6)?, number(6..8)?)?;
    let time = date.and_hms_opt(number(9..11)?, number(11..13)?, number(13..15)?)?;
    Some(Utc.from_utc_datetime(&time))
}

/// Parses a `Date` header: RFC 2822/1123, or the basic form some clients put there.
pub fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    let trimmed = text.trim();
    parse_amz_date(trimmed).or_else(|| {
        DateTime::parse_from_rfc2822(trimmed)
            .ok()
            .map(|time| time.with_timezone(&Utc))
    })
}

/// The `YYYYMMDD` of a time, as the credential scope spells it.
pub fn scope_date(time: DateTime<Utc>) -> String {
    time.format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, parser: fn(&str) -> Option<DateTime<Utc>>, expected: Option<&str>) {
        let parsed = parser(input).map(format_amz_date);
        assert_eq!(parsed.as_deref(), expected, "input {input:?}");
    }

    #[test]
    fn parses_only_the_basic_form() {
        let cases = [
            ("20240315T123456Z", Some("20240315T123456Z")),
            ("20240229T000000Z", Some("20240229T000000Z")),
            ("20230229T000000Z", None),
            ("20240315T123456", None),
            ("2024-03-15T12:34:56Z", None),
            ("20240315T12345+Z", None),
            ("+2024315T123456Z", None),
            ("20241315T123456Z", None),
            ("20240315T246000Z", None),
            ("", None),
            ("2024031ĀT12345Z", None),
            ("202403Ā5T12345Z", None),
        ];
        for (input, expected) in cases {
            check(input, parse_amz_date, expected);
        }
    }

    #[test]
    fn parses_http_dates() {
        let cases = [
            ("Fri, 15 Mar 2024 12:34:56 -0000", Some("20240315T123456Z")),
            ("Fri, 15 Mar 2024 12:34:56 GMT", Some("20240315T123456Z")),
            ("Fri, 15 Mar 2024 14:34:56 +0200", Some("20240315T123456Z")),
            ("20240315T123456Z", Some("20240315T123456Z")),
            ("yesterday", None),
        ];
        for (input, expected) in cases {
            check(input, parse_http_date, expected);
        }
    }
}
