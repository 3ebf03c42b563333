//! Statistics over the samples of one period: the five simple statistics and percentiles.
//!
//! An [`Aggregate`] is what the store returns for a period: counts, sum, extremes, and (for
//! percentiles) the distinct raw values with their counts. Values published as statistic sets carry
//! no distribution, so a period that contains one has no percentiles, as in CloudWatch.
//! Percentiles use the nearest-rank definition over the weighted values: `p50` of 1, 2, 3, 4 is 2,
//! `p0` is the minimum and `p100` the maximum. Only `pNN` / `pNN.NN` extended statistics are
//! supported; trimmed means and other extended statistics are refused when an alarm or query asks
//! for them.

use crate::error::{ApiError, ErrorCode};

/// The samples of one period (or any time range).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Aggregate {
    /// How many samples (counts of `Values` included).
    pub sample_count: f64,
    /// Their sum.
    pub sum: f64,
    /// Their minimum.
    pub minimum: f64,
    /// Their maximum.
    pub maximum: f64,
    /// Distinct raw values and how often each occurred, sorted by value; only filled when a
    /// percentile is asked for.
    pub values: Vec<(f64, f64)>,
    /// Whether any sample came as a statistic set (no distribution: no percentiles).
    pub has_statistic_sets: bool,
}

impl Aggregate {
    /// Folds in another aggregate (of the same period).
    pub fn merge(&mut self, other: &Aggregate) {
        if other.sample_count <= 0.0 {
            return;
        }
        if self.sample_count <= 0.0 {
            *self = other.clone();
            return;
        }
        self.sample_count += other.sample_count;
        self.sum += other.sum;
        self.minimum = self.minimum.min(other.minimum);
        self.maximum = self.maximum.max(other.maximum);
        self.has_statistic_sets |= other.has_statistic_sets;
        self.values.extend(other.values.iter().copied());
        self.values.sort_by(|a, b| a.0.total_cmp(&b.0));
    }

    /// The average, `sum / sample_count`.
    pub fn average(&self) -> f64 {
        self.sum / self.sample_count
    }

    /// The nearest-rank percentile `p` (0..=100) over the weighted values, if available.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.has_statistic_sets || self.values.is_empty() {
            return None;
        }
        let total: f64 = self.values.iter().map(|(_, count)| count).sum();
        let rank = (p / 100.0 * total).ceil().max(1.0);
        let mut seen = 0.0;
        for (value, count) in &self.values {
            seen += count;
            if seen >= rank {
                return Some(*value);
            }
        }
        self.values.last().map(|(value, _)| *value)
    }
}

/// One of the five simple statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// The number of samples.
    SampleCount,
    /// The mean.
    Average,
    /// The sum.
    Sum,
    /// The minimum.
    Minimum,
    /// The maximum.
    Maximum,
}

/// The simple statistics in the model's order.
pub const ALL_STATISTICS: [Statistic; 5] = [
    Statistic::SampleCount,
    Statistic::Average,
    Statistic::Sum,
    Statistic::Minimum,
    Statistic::Maximum,
];

impl Statistic {
    /// The wire spelling (`SampleCount`).
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::SampleCount => "SampleCount",
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Option<Statistic> {
        ALL_STATISTICS.into_iter().find(|s| s.as_str() == text)
    }

    /// Parses the wire spelling, answering the model's enum error for `member` otherwise.
    pub fn parse_member(member: &str, text: &str) -> Result<Statistic, ApiError> {
        Statistic::parse(text).ok_or_else(|| {
            ApiError::constraint(
                member,
                text,
                "Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]",
            )
        })
    }

    /// How alarm notifications spell it (`SAMPLE_COUNT`).
    pub fn notification_name(self) -> &'static str {
        match self {
            Statistic::SampleCount => "SAMPLE_COUNT",
            Statistic::Average => "AVERAGE",
            Statistic::Sum => "SUM",
            Statistic::Minimum => "MINIMUM",
            Statistic::Maximum => "MAXIMUM",
        }
    }

    /// The statistic over an aggregate with at least one sample.
    pub fn value(self, aggregate: &Aggregate) -> f64 {
        match self {
            Statistic::SampleCount => aggregate.sample_count,
            Statistic::Average => aggregate.average(),
            Statistic::Sum => aggregate.sum,
            Statistic::Minimum => aggregate.minimum,
            Statistic::Maximum => aggregate.maximum,
        }
    }
}

/// A percentile extended statistic such as `p99` or `p99.9`.
#[derive(Debug, Clone, PartialEq)]
pub struct Percentile {
    /// As written (`p99.9`).
    pub label: String,
    /// The percentile, 0..=100.
    pub value: f64,
}

impl Percentile {
    /// Parses `pNN`, `pNN.NN` (up to ten decimals) or `p100`.
    pub fn parse(text: &str) -> Option<Percentile> {
        let digits = text.strip_prefix('p')?;
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let whole_ok =
            !whole.is_empty() && whole.len() <= 3 && whole.bytes().all(|b| b.is_ascii_digit());
        let fraction_ok = fraction.len() <= 10 && fraction.bytes().all(|b| b.is_ascii_digit());
        if !whole_ok || !fraction_ok || (digits.contains('.') && fraction.is_empty()) {
            return None;
        }
        let value: f64 = digits.parse().ok()?;
        (0.0..=100.0).contains(&value).then(|| Percentile {
            label: text.to_owned(),
            value,
        })
    }

    /// Parses an `ExtendedStatistic` parameter, answering CloudWatch's error otherwise.
    pub fn parse_parameter(parameter: &str, text: &str) -> Result<Percentile, ApiError> {
        Percentile::parse(text).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidParameterValue,
                format!("The value {text} for parameter {parameter} is not supported."),
            )
        })
    }
}

/// A statistic an alarm or query evaluates: simple or percentile.
#[derive(Debug, Clone, PartialEq)]
pub enum Stat {
    /// A simple statistic.
    Simple(Statistic),
    /// A percentile.
    Percentile(Percentile),
}

impl Stat {
    /// Parses a `Stat` of GetMetricData (`Sum`, `p90`, ...).
    pub fn parse(text: &str) -> Option<Stat> {
        Statistic::parse(text)
            .map(Stat::Simple)
            .or_else(|| Percentile::parse(text).map(Stat::Percentile))
    }

    /// The statistic over an aggregate; `None` without samples or without a distribution.
    pub fn value(&self, aggregate: &Aggregate) -> Option<f64> {
        if aggregate.sample_count <= 0.0 {
            return None;
        }
        match self {
            Stat::Simple(statistic) => Some(statistic.value(aggregate)),
            Stat::Percentile(percentile) => aggregate.percentile(percentile.value),
        }
    }

    /// Whether raw values are needed to compute it.
    pub fn needs_values(&self) -> bool {
        matches!(self, Stat::Percentile(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aggregate(values: &[(f64, f64)]) -> Aggregate {
        let mut result = Aggregate::default();
        for (value, count) in values {
            result.merge(&Aggregate {
                sample_count: *count,
                sum: value * count,
                minimum: *value,
                maximum: *value,
                values: vec![(*value, *count)],
                has_statistic_sets: false,
            });
        }
        result
    }

    #[test]
    fn statistics_over_weighted_values() {
        let samples = aggregate(&[(4.0, 1.0), (1.0, 2.0), (10.0, 1.0)]);
        let check = |stat: &str, expected: Option<f64>| {
            assert_eq!(
                Stat::parse(stat).unwrap().value(&samples),
                expected,
                "{stat}"
            );
        };
        check("SampleCount", Some(4.0));
        check("Sum", Some(16.0));
        check("Average", Some(4.0));
        check("Minimum", Some(1.0));
        check("Maximum", Some(10.0));
        check("p0", Some(1.0));
        check("p50", Some(1.0));
        check("p51", Some(4.0));
        check("p75", Some(4.0));
        check("p99", Some(10.0));
        check("p100", Some(10.0));
    }

    #[test]
    fn statistic_sets_have_no_percentiles_and_empty_periods_no_values() {
        let mut samples = aggregate(&[(1.0, 1.0)]);
        samples.merge(&Aggregate {
            sample_count: 2.0,
            sum: 6.0,
            minimum: 2.0,
            maximum: 4.0,
            values: vec![],
            has_statistic_sets: true,
        });
        assert_eq!(Stat::parse("Sum").unwrap().value(&samples), Some(7.0));
        assert_eq!(Stat::parse("Maximum").unwrap().value(&samples), Some(4.0));
        assert_eq!(Stat::parse("p90").unwrap().value(&samples), None);
        assert_eq!(
            Stat::parse("Sum").unwrap().value(&Aggregate::default()),
            None
        );
    }

    #[test]
    fn percentile_spellings() {
        let check = |text: &str, expected: Option<f64>| {
            assert_eq!(Percentile::parse(text).map(|p| p.value), expected, "{text}");
        };
        check("p99", Some(99.0));
        check("p99.9", Some(99.9));
        check("p0", Some(0.0));
        check("p100", Some(100.0));
        check("p100.5", None);
        check("p", None);
        check("p9.", None);
        check("90", None);
        check("tm99", None);
        check("pab", None);
        assert_eq!(
            Percentile::parse_parameter("ExtendedStatistic", "90")
                .unwrap_err()
                .message,
            "The value 90 for parameter ExtendedStatistic is not supported."
        );
    }
}
