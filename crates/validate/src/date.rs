//! Dates as the aws CLI sees them: `dateutil.parser.parse` results (wall-clock fields plus an optional
//! UTC offset), the CLI's "normalize" (which *replaces* the zone by UTC instead of converting), Python's
//! comparison rules (naive vs aware is an error) and the two `strftime` formats the CLI prints.
//!
//! The parser accepts the forms people actually pass to `--start-time` and the forms CloudTrail writes
//! (see [`parse_date_text`]); it deliberately does not reproduce dateutil's fuzzy parsing of free
//! text (month names, "EST" with its warning, two-digit years), which the CLI would accept.

use std::cmp::Ordering;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

use crate::failure::Failure;

/// A parsed date/time with Python `datetime` semantics: wall-clock fields and, when the text named a
/// zone, its UTC offset in seconds (`None` = a naive datetime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateValue {
    /// The wall-clock fields as written.
    pub wall: NaiveDateTime,
    /// The UTC offset in seconds, `None` for naive values.
    pub offset_seconds: Option<i32>,
}

/// The text could not be parsed; the CLI says `Unable to parse date value: <text>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateParseError {
    /// The offending text, verbatim.
    pub text: String,
}

impl std::fmt::Display for DateParseError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Unable to parse date value: {}", self.text)
    }
}

impl DateValue {
    /// An aware UTC value.
    pub fn from_utc(instant: DateTime<Utc>) -> DateValue {
        DateValue {
            wall: instant.naive_utc(),
            offset_seconds: Some(0),
        }
    }

    /// The CLI's `normalize_date`: the wall clock is kept and the zone replaced by UTC.
    pub fn normalized(&self) -> DateTime<Utc> {
        self.wall.and_utc()
    }

    /// Python's `<`/`>` between datetimes: aware values compare as instants, naive ones by wall
    /// clock, and mixing both raises `TypeError`.
    pub fn compare(&self, other: &DateValue) -> Result<Ordering, Failure> {
        match (self.offset_seconds, other.offset_seconds) {
            (Some(mine), Some(theirs)) => {
                let left = self.wall - Duration::seconds(i64::from(mine));
                let right = other.wall - Duration::seconds(i64::from(theirs));
                Ok(left.cmp(&right))
            }
            (None, None) => Ok(self.wall.cmp(&other.wall)),
            _ => Err(Failure::Other(
                "can't compare offset-naive and offset-aware datetimes".to_owned(),
            )),
        }
    }

    /// `%Y-%m-%dT%H:%M:%SZ` of the wall clock (the CLI prints a literal `Z` whatever the zone).
    pub fn display(&self) -> String {
        display_date(&self.wall)
    }
}

/// `%Y-%m-%dT%H:%M:%SZ` as Python's `strftime` writes it on Linux (the year is not zero-padded).
pub fn display_date(wall: &NaiveDateTime) -> String {
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        wall.year(),
        wall.month(),
        wall.day(),
        wall.hour(),
        wall.minute(),
        wall.second()
    )
}

/// `%Y%m%dT%H%M%SZ`, the timestamp format inside digest object keys.
pub fn key_date(wall: &NaiveDateTime) -> String {
    format!(
        "{}{:02}{:02}T{:02}{:02}{:02}Z",
        wall.year(),
        wall.month(),
        wall.day(),
        wall.hour(),
        wall.minute(),
        wall.second()
    )
}

/// Adds a (possibly negative) number of seconds within Python's `datetime` range (years 1..=9999).
pub fn shift(instant: DateTime<Utc>, seconds: i64) -> Result<DateTime<Utc>, Failure> {
    let shifted = instant
        .checked_add_signed(Duration::seconds(seconds))
        .filter(|value| (1..=9999).contains(&value.year()));
    shifted.ok_or_else(|| Failure::Other("date value out of range".to_owned()))
}

/// `parse_date` + `normalize_date` of the CLI for a command-line value such as `--start-time`.
///
/// Accepted forms (after trimming): a date `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or `MM/DD/YYYY`
/// (one- or two-digit month and day with separators), optionally followed by `T` or spaces and a
/// time `HH`, `HH:MM`, `HH:MM:SS`, `HHMM` or `HHMMSS` with an optional `.fraction`, optionally
/// followed by a zone `Z`, `UTC`, `GMT`, `±HH`, `±HHMM` or `±HH:MM`; or a time alone (today's UTC
/// date). Like the CLI, a zone is ignored: the wall clock is taken as UTC. Epoch seconds are
/// rejected, as the CLI rejects them (`Unable to parse date value: 1420694502`).
pub fn parse_cli_time_value(text: &str) -> Result<DateTime<Utc>, DateParseError> {
    parse_date_text(text).map(|value| value.normalized())
}

/// dateutil-compatible parsing of the forms listed at [`parse_cli_time_value`], keeping the zone.
pub fn parse_date_text(text: &str) -> Result<DateValue, DateParseError> {
    let error = || DateParseError {
        text: text.to_owned(),
    };
    let trimmed = text.trim();
    let (date_part, rest) = match split_date(trimmed) {
        Some(found) => found,
        None => return parse_time_only(trimmed).ok_or_else(error),
    };
    let date = parse_date_fields(date_part).ok_or_else(error)?;
    let (time, offset) = parse_time_and_zone(rest).ok_or_else(error)?;
    Ok(DateValue {
        wall: date.and_time(time),
        offset_seconds: offset,
    })
}

/// Splits `<date><rest>` where the date has no spaces and ends at `T`, a space or the end.
fn split_date(text: &str) -> Option<(&str, &str)> {
    let end = text
        .char_indices()
        .find(|(_, character)| *character == 'T' || *character == ' ')
        .map_or(text.len(), |(index, _)| index);
    let date = &text[..end];
    let looks_like_date = date.contains('-') || date.contains('/') || date.len() == 8;
    (looks_like_date && !date.contains(':')).then_some((date, &text[end..]))
}

fn parse_date_fields(date: &str) -> Option<NaiveDate> {
    let numbers = |parts: Vec<&str>| -> Option<Vec<u32>> {
        parts
            .iter()
            .map(|part| all_digits(part).then(|| part.parse().ok()).flatten())
            .collect()
    };
    let (year, month, day) = if date.len() == 8 && all_digits(date) {
        (
            date[..4].parse().ok()?,
            date[4..6].parse().ok()?,
            date[6..].parse().ok()?,
        )
    } else {
        let separator = if date.contains('-') { '-' } else { '/' };
        let parts: Vec<&str> = date.split(separator).collect();
        if parts.len() != 3 || parts.iter().any(|part| part.is_empty() || part.len() > 4) {
            return None;
        }
        let values = numbers(parts.clone())?;
        if parts[0].len() == 4 {
            (values[0], values[1], values[2])
        } else if parts[2].len() == 4 && separator == '/' {
            (values[2], values[0], values[1])
        } else {
            return None;
        }
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day).filter(|date| date.year() >= 1)
}

fn parse_time_only(text: &str) -> Option<DateValue> {
    if !text.contains(':') {
        return None;
    }
    let (time, offset) = parse_time_and_zone(text)?;
    Some(DateValue {
        wall: Utc::now().date_naive().and_time(time),
        offset_seconds: offset,
    })
}

/// Parses `[T| +]<time>[zone]` (or nothing at all = midnight, naive).
fn parse_time_and_zone(rest: &str) -> Option<(NaiveTime, Option<i32>)> {
    let rest = rest.strip_prefix('T').unwrap_or(rest).trim_start();
    if rest.is_empty() {
        return Some((NaiveTime::MIN, None));
    }
    let zone_start = rest
        .char_indices()
        .find(|(_, character)| matches!(character, 'Z' | 'z' | '+' | '-' | 'U' | 'G' | ' '))
        .map_or(rest.len(), |(index, _)| index);
    let time = parse_clock(&rest[..zone_start])?;
    let offset = parse_zone(rest[zone_start..].trim())?;
    Some((time, offset))
}

fn parse_clock(text: &str) -> Option<NaiveTime> {
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) if all_digits(fraction) && !fraction.is_empty() => {
            (clock, fraction)
        }
        Some(_) => return None,
        None => (text, ""),
    };
    let fields: Vec<&str> = if clock.contains(':') {
        clock.split(':').collect()
    } else if all_digits(clock) && matches!(clock.len(), 2 | 4 | 6) {
        (0..clock.len())
            .step_by(2)
            .map(|start| &clock[start..start + 2])
            .collect()
    } else {
        return None;
    };
    if fields.is_empty() || fields.len() > 3 {
        return None;
    }
    let mut values = [0u32; 3];
    for (slot, field) in values.iter_mut().zip(&fields) {
        if field.is_empty() || field.len() > 2 || !all_digits(field) {
            return None;
        }
        *slot = field.parse().ok()?;
    }
    let micros: u32 = format!("{:0<6}", &fraction[..fraction.len().min(6)])
        .parse()
        .ok()?;
    NaiveTime::from_hms_micro_opt(values[0], values[1], values[2], micros)
}

/// `Some(None)` = no zone, `Some(Some(offset))` = a zone, `None` = not a zone.
fn parse_zone(text: &str) -> Option<Option<i32>> {
    match text {
        "" => return Some(None),
        "Z" | "z" | "UTC" | "GMT" => return Some(Some(0)),
        _ => {}
    }
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return None,
    };
    let digits = digits.replace(':', "");
    if !all_digits(&digits) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    Some(Some(sign * (hours * 3600 + minutes * 60)))
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wall clock (`%Y-%m-%dT%H:%M:%S%.6f`) and UTC offset, or `None` when dateutil refuses the text.
    type Expected = Option<(&'static str, Option<i32>)>;

    /// Expected values were produced by `dateutil.parser.parse` (python-dateutil 2.9.0, awscli 1.46.3).
    fn check(text: &str, expected: Expected) {
        let parsed = parse_date_text(text).ok();
        let rendered = parsed.map(|value| {
            (
                value.wall.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
                value.offset_seconds,
            )
        });
        let expected = expected.map(|(wall, offset)| (wall.to_owned(), offset));
        assert_eq!(rendered, expected, "input {text:?}");
    }

    #[test]
    fn parses_what_dateutil_parses() {
        let table: &[(&str, Expected)] = &[
            (
                "2015-01-08T05:21:42Z",
                Some(("2015-01-08T05:21:42.000000", Some(0))),
            ),
            ("2015-01-08", Some(("2015-01-08T00:00:00.000000", None))),
            (
                "2015-01-08T05:21:42+02:00",
                Some(("2015-01-08T05:21:42.000000", Some(7200))),
            ),
            (
                "2015-01-08 05:21",
                Some(("2015-01-08T05:21:00.000000", None)),
            ),
            ("2015-01-08Z", None),
            ("2015-01-08 Z", None),
            ("2015-01-08+02:00", None),
            ("2015-01-08T", Some(("2015-01-08T00:00:00.000000", None))),
            (
                "2015-01-08T05:21:42.5Z",
                Some(("2015-01-08T05:21:42.500000", Some(0))),
            ),
            (
                "20150108T052142Z",
                Some(("2015-01-08T05:21:42.000000", Some(0))),
            ),
            ("20150108", Some(("2015-01-08T00:00:00.000000", None))),
            ("2015/01/08", Some(("2015-01-08T00:00:00.000000", None))),
            ("01/08/2015", Some(("2015-01-08T00:00:00.000000", None))),
            (
                "2015-01-08T05Z",
                Some(("2015-01-08T05:00:00.000000", Some(0))),
            ),
            (
                "2015-01-08T05:21Z",
                Some(("2015-01-08T05:21:00.000000", Some(0))),
            ),
            (
                "2015-01-08T05:21:42-0700",
                Some(("2015-01-08T05:21:42.000000", Some(-25200))),
            ),
            (" 2015-01-08 ", Some(("2015-01-08T00:00:00.000000", None))),
            (
                "2015-01-08T05:21:42UTC",
                Some(("2015-01-08T05:21:42.000000", Some(0))),
            ),
            (
                "2015-01-08T05:21:42 GMT",
                Some(("2015-01-08T05:21:42.000000", Some(0))),
            ),
            ("2015-1-8", Some(("2015-01-08T00:00:00.000000", None))),
            (
                "2015-01-08T05:21:42.123456789Z",
                Some(("2015-01-08T05:21:42.123456", Some(0))),
            ),
            (
                "20150108T0521Z",
                Some(("2015-01-08T05:21:00.000000", Some(0))),
            ),
            (
                "2015-01-08T052142Z",
                Some(("2015-01-08T05:21:42.000000", Some(0))),
            ),
            ("1420694502", None),
            ("2015-01-08T25:00:00Z", None),
            ("2015-02-30", None),
            ("", None),
            ("garbage", None),
            ("0", None),
        ];
        for (text, expected) in table {
            check(text, *expected);
        }
    }

    #[test]
    fn normalize_replaces_the_zone_instead_of_converting() {
        let value = parse_date_text("2015-01-08T05:21:42+02:00").unwrap();
        assert_eq!(value.normalized().to_rfc3339(), "2015-01-08T05:21:42+00:00");
    }

    #[test]
    fn naive_and_aware_values_do_not_compare() {
        let naive = parse_date_text("2015-01-08").unwrap();
        let aware = parse_date_text("2015-01-08T00:00:00Z").unwrap();
        let shifted = parse_date_text("2015-01-08T02:00:00+02:00").unwrap();
        assert!(naive.compare(&aware).is_err());
        assert_eq!(aware.compare(&shifted).unwrap(), Ordering::Equal);
    }

    #[test]
    fn formats_like_python_strftime() {
        let wall = NaiveDate::from_ymd_opt(5, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        assert_eq!(display_date(&wall), "5-01-02T03:04:05Z");
        assert_eq!(key_date(&wall), "50102T030405Z");
        let start = parse_cli_time_value("0001-01-01").unwrap();
        assert!(shift(start, -60).is_err());
    }
}
