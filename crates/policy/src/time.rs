//! Date values of `Date*` conditions and of `aws:CurrentTime` / `aws:EpochTime`, as milliseconds
//! since the Unix epoch.
//!
//! Accepted (IAM "Elements: Condition operators", date condition operators: "W3C implementations
//! of the ISO 8601 date formats" or epoch time): RFC 3339 date-times (`2024-06-30T12:00:00Z`,
//! fractions and offsets included), a date-time without offset (read as UTC), a date alone
//! (midnight UTC), and epoch seconds (`1719748800`, optionally with a fraction).

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// `text` as epoch milliseconds, or `None` when it is no date IAM would accept.
pub(crate) fn parse_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Some(time.and_utc().timestamp_millis());
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    epoch_millis(text)
}

fn epoch_millis(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !plain || digits.starts_with('.') || digits.matches('.').count() > 1 {
        return None;
    }
    let seconds: f64 = text.parse().ok()?;
    let millis = (seconds * 1000.0).round();
    (millis.abs() < 9.0e15).then_some(millis as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let check = |text: &str, expected: Option<i64>| {
            assert_eq!(parse_millis(text), expected, "{text}");
        };
        check("2024-06-30T12:00:00Z", Some(1_719_748_800_000));
        check("2024-06-30T12:00:00.250Z", Some(1_719_748_800_250));
        check("2024-06-30T14:00:00+02:00", Some(1_719_748_800_000));
        check("2024-06-30T12:00:00", Some(1_719_748_800_000));
        check("2024-06-30T12:00", Some(1_719_748_800_000));
        check("2024-06-30", Some(1_719_705_600_000));
        check("1719748800", Some(1_719_748_800_000));
        check("1719748800.5", Some(1_719_748_800_500));
        check("-1", Some(-1000));
        check("", None);
        check("yesterday", None);
        check("2024-13-01", None);
        check("1e9", None);
        check(".5", None);
        check("1.2.3", None);
    }
}
