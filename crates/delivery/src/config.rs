//! [`DeliveryConfig`], the knobs of trail delivery with OpenTrail's defaults, and [`Clock`], the
//! one way wall-clock time enters the crate (so tests can pin delivery times and digest windows).
//!
//! Only things an operator or a test has a reason to change are settings; formats are fixed.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{DeliveryError, Result};

/// The shortest delivery interval accepted.
pub const MIN_DELIVERY_INTERVAL: Duration = Duration::from_millis(100);
/// The shortest digest interval accepted.
pub const MIN_DIGEST_INTERVAL: Duration = Duration::from_secs(1);
/// The smallest file size limit accepted (one record must fit).
pub const MIN_FILE_BYTES: usize = 4 * 1024;

/// Settings for [`crate::TrailDelivery::new`].
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// How long a log file stays open before it is delivered. Default 5 s, at least 100 ms.
    pub delivery_interval: Duration,
    /// The length of a digest window. Default 1 h, at least 1 s.
    pub digest_interval: Duration,
    /// A log file is delivered early once its uncompressed JSON reaches this size. Default
    /// 32 MiB (AWS caps compressed files at 50 MB; audit JSON compresses about tenfold).
    pub max_file_bytes: usize,
    /// gzip level, 0 (store) to 9 (smallest). Default 6.
    pub gzip_level: u32,
    /// Where `delivery.sqlite` lives.
    pub state_dir: PathBuf,
    /// The first wait after a failed delivery; it doubles on each further failure. Default 1 s.
    pub min_retry_delay: Duration,
    /// The longest wait between retries. Default 5 min.
    pub max_retry_delay: Duration,
    /// How long an undeliverable file is retried before it is given up. Default 30 days.
    pub max_retry_age: Duration,
}

impl DeliveryConfig {
    /// The defaults, with state in `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        DeliveryConfig {
            delivery_interval: Duration::from_secs(5),
            digest_interval: Duration::from_secs(3600),
            max_file_bytes: 32 * 1024 * 1024,
            gzip_level: 6,
            state_dir: state_dir.into(),
            min_retry_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(300),
            max_retry_age: Duration::from_secs(30 * 24 * 3600),
        }
    }

    /// Checks every setting against the supported range.
    pub fn validate(&self) -> Result<()> {
        let checks = [
            (
                "delivery_interval",
                self.delivery_interval >= MIN_DELIVERY_INTERVAL,
                format!("'{:?}' is below 100ms", self.delivery_interval),
            ),
            (
                "digest_interval",
                self.digest_interval >= MIN_DIGEST_INTERVAL,
                format!("'{:?}' is below 1s", self.digest_interval),
            ),
            (
                "max_file_bytes",
                self.max_file_bytes >= MIN_FILE_BYTES,
                format!("'{}' is below 4096", self.max_file_bytes),
            ),
            (
                "gzip_level",
                self.gzip_level <= 9,
                format!("'{}' is above 9", self.gzip_level),
            ),
            (
                "max_retry_delay",
                self.max_retry_delay >= self.min_retry_delay && !self.min_retry_delay.is_zero(),
                format!(
                    "'{:?}' must be at least min_retry_delay '{:?}', which must not be zero",
                    self.max_retry_delay, self.min_retry_delay
                ),
            ),
        ];
        match checks.into_iter().find(|(_, ok, _)| !ok) {
            Some((setting, _, problem)) => Err(DeliveryError::InvalidConfig { setting, problem }),
            None => Ok(()),
        }
    }
}

/// Wall-clock time for delivery times, file keys and digest windows.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests). Waits still use real time, so tests that move
/// it call [`crate::DeliveryHandle::wake`] afterwards.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(start))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock poisoned");
        *now += chrono::Duration::from_std(by).expect("duration fits chrono");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_names_the_setting_out_of_range() {
        let check = |change: fn(&mut DeliveryConfig), expected: Option<&str>| {
            let mut config = DeliveryConfig::new("/tmp/x");
            change(&mut config);
            let got = match config.validate() {
                Ok(()) => None,
                Err(DeliveryError::InvalidConfig { setting, .. }) => Some(setting),
                Err(other) => panic!("unexpected {other}"),
            };
            assert_eq!(got, expected);
        };
        check(|_| {}, None);
        check(|c| c.delivery_interval = Duration::from_millis(100), None);
        check(
            |c| c.delivery_interval = Duration::from_millis(99),
            Some("delivery_interval"),
        );
        check(
            |c| c.digest_interval = Duration::from_millis(999),
            Some("digest_interval"),
        );
        check(|c| c.max_file_bytes = 10, Some("max_file_bytes"));
        check(|c| c.gzip_level = 10, Some("gzip_level"));
        check(
            |c| c.min_retry_delay = Duration::ZERO,
            Some("max_retry_delay"),
        );
    }
}
