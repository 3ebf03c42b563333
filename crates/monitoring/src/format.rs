//! The text formats CloudWatch uses inside alarm documents (state reasons, reason data, history
//! data, notifications), which come from its Java implementation: `2024-05-20T10:10:00.000+0000`
//! timestamps, `20/05/24 10:10:00` dates in reasons, and doubles as Java prints them (`1.0`,
//! `0.05164275070031484`, `1.0E7`).

use chrono::{DateTime, Utc};

/// `2024-05-20T10:10:00.000+0000`.
pub fn aws_timestamp(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// `20/05/24 10:10:00`, the datapoint dates of state reasons.
pub fn reason_date(time: DateTime<Utc>) -> String {
    time.format("%d/%m/%y %H:%M:%S").to_string()
}

/// A double as Java's `Double.toString` prints it.
pub fn java_double(number: f64) -> String {
    if number.is_nan() {
        return "NaN".to_owned();
    }
    if number.is_infinite() {
        return if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned();
    }
    let magnitude = number.abs();
    if number == 0.0 || (1.0e-3..1.0e7).contains(&magnitude) {
        let text = number.to_string();
        return if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        };
    }
    let scientific = format!("{number:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_owned()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn doubles_print_as_java_prints_them() {
        let check = |number: f64, expected: &str| assert_eq!(java_double(number), expected);
        check(1.0, "1.0");
        check(0.0, "0.0");
        check(-2.0, "-2.0");
        check(0.05164275070031484, "0.05164275070031484");
        check(80.0, "80.0");
        check(1.0e7, "1.0E7");
        check(12345678.9, "1.23456789E7");
        check(0.0001, "1.0E-4");
        check(f64::NAN, "NaN");
    }

    #[test]
    fn timestamps_and_reason_dates() {
        let time = Utc.timestamp_millis_opt(1_716_199_800_123).unwrap();
        assert_eq!(aws_timestamp(time), "2024-05-20T10:10:00.123+0000");
        assert_eq!(reason_date(time), "20/05/24 10:10:00");
    }
}
