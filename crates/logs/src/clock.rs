//! Where "now" comes from: PutLogEvents' age rules, ingestion times and creation times read the
//! clock through [`Clock`] so tests can pin it. Retention purges take their `now` as an argument.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        system_time_ms(SystemTime::now())
    }
}

/// A `SystemTime` as milliseconds since the epoch (negative before it).
pub(crate) fn system_time_ms(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Milliseconds in one day.
pub(crate) const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Milliseconds in one hour.
pub(crate) const HOUR_MS: i64 = 60 * 60 * 1000;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn converts_both_sides_of_the_epoch() {
        assert_eq!(
            system_time_ms(UNIX_EPOCH + Duration::from_millis(1500)),
            1500
        );
        assert_eq!(system_time_ms(UNIX_EPOCH - Duration::from_millis(20)), -20);
    }
}
