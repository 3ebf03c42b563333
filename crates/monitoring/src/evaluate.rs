//! Alarm evaluation: from the aggregates of an alarm's recent periods to its state, with
//! CloudWatch's state reasons. Pure: no IO, no clock (the caller passes `now`).
//!
//! # How periods are evaluated
//!
//! **Alignment.** Periods are aligned to the Unix epoch: with `Period = P` seconds, period `k`
//! covers `[k·P, (k+1)·P)`, so a 60 s period starts on the minute and a 300 s period at :00, :05,
//! ... A datapoint belongs to the period containing its timestamp (whole seconds). The period
//! containing `now` is the **open period**; every earlier period is **closed**.
//!
//! **The window.** An alarm with `EvaluationPeriods = N` reads the N closed periods before the open
//! period plus the open period itself. The open period joins the window (and the oldest closed
//! period drops out) only while its partial aggregate is *settled*: when no further datapoint in
//! that period could change whether it breaches. That holds when the statistic can only move one
//! way as samples arrive and has already crossed in that direction:
//!
//! | statistic | moves | settled while the open period ... |
//! |---|---|---|
//! | `SampleCount`, `Maximum`, `Sum` (no negative sample yet) | up | breaches a `GreaterThan…` threshold, or does not breach a `LessThan…` one |
//! | `Minimum` | down | breaches a `LessThan…` threshold, or does not breach a `GreaterThan…` one |
//! | `Average`, percentiles, `Sum` with a negative sample | either way | never: they count once the period closes |
//!
//! So `Sum >= 1` fires on the first datapoint of a period, within the PutMetricData call that
//! stored it, instead of at the period boundary; while `Sum < 10` never fires on the partial sum
//! of a period that has just begun, and `Average > 50` waits for the period to close.
//!
//! **When evaluation runs.** Every put evaluates the alarms on the metrics it wrote. The 1 s tick
//! evaluates every alarm whose window has moved since its last evaluation (a period boundary has
//! passed), which is what turns silence into `INSUFFICIENT_DATA`, `OK` or `ALARM` within a second
//! of the boundary. A datapoint that arrives late for a closed period is counted at that put.
//!
//! **M out of N and missing data.** Each period of the window has a value (the statistic over its
//! samples) or is missing (no samples, or a percentile over statistic sets). With M =
//! `DatapointsToAlarm` (default N), B breaching and P present periods:
//!
//! | `TreatMissingData` | ALARM when | OK when | otherwise |
//! |---|---|---|---|
//! | `breaching` | B + missing ≥ M | else | – |
//! | `notBreaching` | B ≥ M | else | – |
//! | `missing` (default) | B ≥ M | P − B ≥ N − M + 1 (ALARM is impossible) | P = 0: INSUFFICIENT_DATA; else unchanged |
//! | `ignore` | B ≥ M | P − B ≥ N − M + 1 | unchanged |
//!
//! Unlike CloudWatch, the window never reaches further back than N periods to find more real
//! datapoints, so missing data acts after N silent periods rather than after a longer, unstated
//! "evaluation range". A percentile alarm with `EvaluateLowSampleCountPercentile = ignore` keeps
//! its state while a present period has fewer than `10 / (1 − p)` samples.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alarm::AlarmConfig;
use crate::format::{aws_timestamp, java_double, reason_date};
use crate::model::{StateValue, TreatMissingData};
use crate::stats::{Aggregate, Stat, Statistic};

/// One period of an alarm's metric.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodSample {
    /// The period's start.
    pub start: DateTime<Utc>,
    /// Its samples, `None` when it has none.
    pub aggregate: Option<Aggregate>,
}

/// The state an evaluation arrived at, with CloudWatch's reason and reason data.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The state.
    pub state: StateValue,
    /// `StateReason`.
    pub reason: String,
    /// `StateReasonData` (JSON).
    pub reason_data: String,
}

/// The periods an evaluation at `now` reads: `[first, end)`, N closed periods and the open one.
pub fn sample_range(period: u32, evaluation_periods: u32, now: DateTime<Utc>) -> (i64, i64) {
    let period = i64::from(period.max(1));
    let open_start = now.timestamp().div_euclid(period) * period;
    (
        open_start - i64::from(evaluation_periods) * period,
        open_start + period,
    )
}

/// When the window of an alarm evaluated at `now` next moves: the end of the open period.
pub fn next_boundary(period: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    let (_, end) = sample_range(period, 0, now);
    DateTime::from_timestamp(end, 0).unwrap_or(now)
}

/// One period of the window, as judged.
#[derive(Debug, Clone, Copy)]
struct Point {
    start: DateTime<Utc>,
    /// The statistic and the sample count, when present.
    value: Option<(f64, f64)>,
    breaching: bool,
}

/// Evaluates an alarm over `samples`: its N closed periods and the open one, oldest first.
/// `None` means the state stays as it is.
pub fn evaluate(
    config: &AlarmConfig,
    samples: &[PeriodSample],
    now: DateTime<Utc>,
) -> Option<Decision> {
    let stat = config.stat();
    let n = config.evaluation_periods as usize;
    if n == 0 || samples.len() != n + 1 {
        return None;
    }
    let open = &samples[n];
    let window = if open_period_counts(config, &stat, open) {
        &samples[1..]
    } else {
        &samples[..n]
    };
    let points: Vec<Point> = window.iter().map(|s| judge(config, &stat, s)).collect();
    if low_sample_count_holds_state(config, &stat, &points) {
        return None;
    }
    let (state, fill) = decide(config, &points)?;
    Some(Decision {
        state,
        reason: reason(config, state, &points, fill),
        reason_data: reason_data(config, &stat, &points, now),
    })
}

fn judge(config: &AlarmConfig, stat: &Stat, sample: &PeriodSample) -> Point {
    let value = sample
        .aggregate
        .as_ref()
        .and_then(|aggregate| stat.value(aggregate).map(|v| (v, aggregate.sample_count)));
    Point {
        start: sample.start,
        value,
        breaching: value
            .is_some_and(|(v, _)| config.comparison_operator.breaches(v, config.threshold)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Trend {
    Rising,
    Falling,
    Either,
}

fn trend(stat: &Stat, aggregate: &Aggregate) -> Trend {
    match stat {
        Stat::Simple(Statistic::SampleCount | Statistic::Maximum) => Trend::Rising,
        Stat::Simple(Statistic::Sum) if aggregate.minimum >= 0.0 => Trend::Rising,
        Stat::Simple(Statistic::Minimum) => Trend::Falling,
        _ => Trend::Either,
    }
}

/// Whether the open period's partial aggregate is settled (see the module documentation).
fn open_period_counts(config: &AlarmConfig, stat: &Stat, open: &PeriodSample) -> bool {
    let Some(aggregate) = &open.aggregate else {
        return false;
    };
    let Some(value) = stat.value(aggregate) else {
        return false;
    };
    let operator = config.comparison_operator;
    let breaching = operator.breaches(value, config.threshold);
    match trend(stat, aggregate) {
        Trend::Rising => breaching == operator.is_greater(),
        Trend::Falling => breaching != operator.is_greater(),
        Trend::Either => false,
    }
}

fn low_sample_count_holds_state(config: &AlarmConfig, stat: &Stat, points: &[Point]) -> bool {
    let Stat::Percentile(percentile) = stat else {
        return false;
    };
    if !config.ignores_low_sample_counts() || percentile.value >= 100.0 {
        return false;
    }
    let needed = 10.0 / (1.0 - percentile.value / 100.0);
    points
        .iter()
        .any(|point| point.value.is_some_and(|(_, count)| count < needed))
}

/// How missing periods were filled in, for the reason: how many, and as breaching or not.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fill {
    count: usize,
    breaching: bool,
}

fn decide(config: &AlarmConfig, points: &[Point]) -> Option<(StateValue, Option<Fill>)> {
    let n = points.len();
    let m = (config.datapoints_required() as usize).clamp(1, n);
    let present = points.iter().filter(|p| p.value.is_some()).count();
    let breaching = points.iter().filter(|p| p.breaching).count();
    let missing = n - present;
    let fill = |breaching| {
        (missing > 0).then_some(Fill {
            count: missing,
            breaching,
        })
    };
    match config.treat_missing() {
        TreatMissingData::Breaching => {
            let state = if breaching + missing >= m {
                StateValue::Alarm
            } else {
                StateValue::Ok
            };
            Some((state, fill(true)))
        }
        TreatMissingData::NotBreaching => {
            let state = if breaching >= m {
                StateValue::Alarm
            } else {
                StateValue::Ok
            };
            Some((state, fill(false)))
        }
        treatment => {
            if present == 0 {
                return (treatment == TreatMissingData::Missing)
                    .then_some((StateValue::InsufficientData, None));
            }
            if breaching >= m {
                Some((StateValue::Alarm, None))
            } else if present - breaching > n - m {
                Some((StateValue::Ok, None))
            } else {
                None
            }
        }
    }
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

fn was_were(count: usize) -> &'static str {
    if count == 1 { "was" } else { "were" }
}

fn reason(config: &AlarmConfig, state: StateValue, points: &[Point], fill: Option<Fill>) -> String {
    let n = points.len();
    if state == StateValue::InsufficientData {
        let unknown = points.iter().filter(|p| p.value.is_none()).count();
        return format!(
            "Insufficient Data: {} {} unknown.",
            plural(unknown, "datapoint"),
            was_were(unknown)
        );
    }
    let alarm = state == StateValue::Alarm;
    let supporting: Vec<&Point> = points
        .iter()
        .rev()
        .filter(|p| p.value.is_some() && p.breaching == alarm)
        .collect();
    if supporting.is_empty() {
        let filled = fill.map_or(n, |f| f.count);
        return format!(
            "Threshold Crossed: no datapoints were received for {} and {} missing {} treated as [{}].",
            plural(filled, "period"),
            filled,
            if filled == 1 {
                "datapoint was"
            } else {
                "datapoints were"
            },
            if fill.is_some_and(|f| f.breaching) {
                "Breaching"
            } else {
                "NonBreaching"
            }
        );
    }
    let count = supporting.len();
    let head = match config.datapoints_to_alarm {
        Some(_) => format!("{count} out of the last {n} datapoints"),
        None => plural(count, "datapoint"),
    };
    let comparison = format!(
        "{} {}{} the threshold ({})",
        was_were(count),
        if alarm { "" } else { "not " },
        config.comparison_operator.phrase(),
        java_double(config.threshold)
    );
    let fill_clause = fill.map_or(String::new(), |f| {
        format!(
            " and {} missing {} treated as [{}]",
            f.count,
            if f.count == 1 {
                "datapoint was"
            } else {
                "datapoints were"
            },
            if f.breaching {
                "Breaching"
            } else {
                "NonBreaching"
            }
        )
    });
    let mut text = if count <= 3 {
        format!(
            "Threshold Crossed: {head} [{}] {comparison}{fill_clause}",
            listing(&supporting)
        )
    } else {
        format!(
            "Threshold Crossed: {head} {comparison}{fill_clause}. The most recent datapoints which crossed the threshold: [{}]",
            listing(&supporting[..count.min(5)])
        )
    };
    if config.datapoints_to_alarm.is_some() {
        let m = config.datapoints_required() as usize;
        let (minimum, transition) = if alarm {
            (m, "OK -> ALARM")
        } else {
            (n + 1 - m.min(n), "ALARM -> OK")
        };
        text.push_str(&format!(
            " (minimum {} for {transition} transition)",
            plural(minimum, "datapoint")
        ));
    }
    text.push('.');
    text
}

fn listing(points: &[&Point]) -> String {
    points
        .iter()
        .filter_map(|p| {
            p.value
                .map(|(value, _)| format!("{} ({})", java_double(value), reason_date(p.start)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `StateReasonData` as CloudWatch writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReasonData {
    version: &'static str,
    query_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_statistic: Option<String>,
    period: u32,
    recent_datapoints: Vec<f64>,
    threshold: f64,
    evaluated_datapoints: Vec<EvaluatedDatapoint>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EvaluatedDatapoint {
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sample_count: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
}

fn reason_data(config: &AlarmConfig, stat: &Stat, points: &[Point], now: DateTime<Utc>) -> String {
    let any_present = points.iter().any(|p| p.value.is_some());
    let (statistic, extended_statistic) = match stat {
        Stat::Simple(statistic) => (Some(statistic.as_str().to_owned()), None),
        Stat::Percentile(percentile) => (None, Some(percentile.label.clone())),
    };
    let data = ReasonData {
        version: "1.0",
        query_date: aws_timestamp(now),
        start_date: points
            .first()
            .filter(|_| any_present)
            .map(|p| aws_timestamp(p.start)),
        unit: config.unit.clone(),
        statistic,
        extended_statistic,
        period: config.period,
        recent_datapoints: points.iter().filter_map(|p| p.value.map(|v| v.0)).collect(),
        threshold: config.threshold,
        evaluated_datapoints: points
            .iter()
            .rev()
            .map(|p| EvaluatedDatapoint {
                timestamp: aws_timestamp(p.start),
                sample_count: p.value.map(|v| v.1),
                value: p.value.map(|v| v.0),
            })
            .collect(),
    };
    serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::tests::sample_config;
    use crate::model::ComparisonOperator;
    use chrono::TimeZone;

    /// 12:05:30 on a Saturday: the open period of a 60 s alarm is 12:05.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 10, 12, 5, 30).unwrap()
    }

    fn values(items: &[f64]) -> Aggregate {
        let mut aggregate = Aggregate::default();
        for value in items {
            aggregate.merge(&Aggregate {
                sample_count: 1.0,
                sum: *value,
                minimum: *value,
                maximum: *value,
                values: vec![(*value, 1.0)],
                has_statistic_sets: false,
            });
        }
        aggregate
    }

    /// Periods written oldest first as text: `-` missing, else comma-separated samples; the
    /// last one is the open period.
    fn samples(config: &AlarmConfig, periods: &[&str]) -> Vec<PeriodSample> {
        let (first, _) = sample_range(config.period, config.evaluation_periods, now());
        assert_eq!(periods.len(), config.evaluation_periods as usize + 1);
        periods
            .iter()
            .enumerate()
            .map(|(index, text)| PeriodSample {
                start: DateTime::from_timestamp(first + index as i64 * i64::from(config.period), 0)
                    .unwrap(),
                aggregate: (*text != "-").then(|| {
                    values(
                        &text
                            .split(',')
                            .map(|v| v.parse::<f64>().unwrap())
                            .collect::<Vec<_>>(),
                    )
                }),
            })
            .collect()
    }

    struct Case {
        statistic: &'static str,
        operator: ComparisonOperator,
        threshold: f64,
        n: u32,
        m: Option<u32>,
        treat: Option<TreatMissingData>,
        periods: &'static [&'static str],
        expected: Option<StateValue>,
    }

    fn config_for(case: &Case) -> AlarmConfig {
        let mut config = sample_config();
        if case.statistic.starts_with('p') {
            config.statistic = None;
            config.extended_statistic = Some(case.statistic.to_owned());
        } else {
            config.statistic = Some(case.statistic.to_owned());
        }
        config.comparison_operator = case.operator;
        config.threshold = case.threshold;
        config.evaluation_periods = case.n;
        config.datapoints_to_alarm = case.m;
        config.treat_missing_data = case.treat;
        config
    }

    fn check(case: Case) {
        let config = config_for(&case);
        let decision = evaluate(&config, &samples(&config, case.periods), now());
        assert_eq!(
            decision.as_ref().map(|d| d.state),
            case.expected,
            "{} {:?} {} M={:?} of N={} {:?} over {:?}: {decision:?}",
            case.statistic,
            case.operator,
            case.threshold,
            case.m,
            case.n,
            case.treat,
            case.periods
        );
    }

    use ComparisonOperator::{
        GreaterThanOrEqualToThreshold as Ge, GreaterThanThreshold as Gt,
        LessThanOrEqualToThreshold as Le, LessThanThreshold as Lt,
    };
    use StateValue::{Alarm, InsufficientData, Ok as Fine};
    use TreatMissingData::{Breaching, Ignore, Missing, NotBreaching};

    const fn case(
        statistic: &'static str,
        operator: ComparisonOperator,
        threshold: f64,
        periods: &'static [&'static str],
        expected: Option<StateValue>,
    ) -> Case {
        Case {
            statistic,
            operator,
            threshold,
            n: 1,
            m: None,
            treat: None,
            periods,
            expected,
        }
    }

    #[test]
    fn each_statistic_and_operator_over_closed_periods() {
        // One closed period (first) and an empty open period.
        check(case("Sum", Ge, 3.0, &["1,2", "-"], Some(Alarm)));
        check(case("Sum", Gt, 3.0, &["1,2", "-"], Some(Fine)));
        check(case("Sum", Lt, 3.0, &["1,2", "-"], Some(Fine)));
        check(case("Sum", Le, 3.0, &["1,2", "-"], Some(Alarm)));
        check(case("Average", Gt, 1.4, &["1,2", "-"], Some(Alarm)));
        check(case("Average", Lt, 1.4, &["1,2", "-"], Some(Fine)));
        check(case("Minimum", Le, 1.0, &["1,2", "-"], Some(Alarm)));
        check(case("Minimum", Gt, 1.0, &["1,2", "-"], Some(Fine)));
        check(case("Maximum", Ge, 2.0, &["1,2", "-"], Some(Alarm)));
        check(case("Maximum", Lt, 2.0, &["1,2", "-"], Some(Fine)));
        check(case("SampleCount", Ge, 2.0, &["1,2", "-"], Some(Alarm)));
        check(case("SampleCount", Gt, 2.0, &["1,2", "-"], Some(Fine)));
        check(case("p50", Le, 1.0, &["1,2", "-"], Some(Alarm)));
        check(case("p90", Gt, 1.5, &["1,2", "-"], Some(Alarm)));
        check(case("p90", Gt, 2.0, &["1,2", "-"], Some(Fine)));
    }

    #[test]
    fn the_open_period_counts_once_settled() {
        // Rising statistics settle when they breach a GreaterThan threshold: early fire.
        check(case("Sum", Ge, 1.0, &["-", "1"], Some(Alarm)));
        check(case("SampleCount", Gt, 1.0, &["-", "5,5"], Some(Alarm)));
        check(case("Maximum", Gt, 4.0, &["-", "5"], Some(Alarm)));
        // ... and when they stop breaching a LessThan threshold: early recovery.
        check(case("Sum", Lt, 10.0, &["1", "6,6"], Some(Fine)));
        // A partial sum below a LessThan threshold is not settled: the closed period decides.
        check(case("Sum", Lt, 10.0, &["20", "1"], Some(Fine)));
        check(case("Sum", Lt, 10.0, &["-", "1"], Some(InsufficientData)));
        // Not yet breaching a GreaterThan threshold is not settled either.
        check(case("Sum", Ge, 5.0, &["9", "1"], Some(Alarm)));
        // Minimum falls: breaching LessThan is settled, GreaterThan is not.
        check(case("Minimum", Lt, 1.0, &["5", "0.5"], Some(Alarm)));
        check(case("Minimum", Gt, 1.0, &["0", "5"], Some(Fine)));
        // A negative sample makes Sum unsettled.
        check(case("Sum", Ge, 1.0, &["-", "-5,7"], Some(InsufficientData)));
        // Average and percentiles wait for the period to close.
        check(case(
            "Average",
            Gt,
            1.0,
            &["-", "5"],
            Some(InsufficientData),
        ));
        check(case("p99", Gt, 1.0, &["-", "5"], Some(InsufficientData)));
    }

    fn mn(
        n: u32,
        m: Option<u32>,
        treat: Option<TreatMissingData>,
        periods: &'static [&'static str],
        expected: Option<StateValue>,
    ) -> Case {
        Case {
            statistic: "Maximum",
            operator: Gt,
            threshold: 5.0,
            n,
            m,
            treat,
            periods,
            expected,
        }
    }

    #[test]
    fn m_out_of_n_with_each_missing_data_treatment() {
        // 2 out of 3, all present.
        check(mn(3, Some(2), None, &["9", "1", "9", "-"], Some(Alarm)));
        check(mn(3, Some(2), None, &["9", "1", "1", "-"], Some(Fine)));
        // 3 out of 3 (M defaults to N).
        check(mn(3, None, None, &["9", "9", "1", "-"], Some(Fine)));
        check(mn(3, None, None, &["9", "9", "9", "-"], Some(Alarm)));
        // missing: no data is INSUFFICIENT_DATA; partial data decides when it can.
        check(mn(
            3,
            Some(2),
            Some(Missing),
            &["-", "-", "-", "-"],
            Some(InsufficientData),
        ));
        check(mn(
            3,
            Some(2),
            Some(Missing),
            &["9", "-", "9", "-"],
            Some(Alarm),
        ));
        check(mn(
            3,
            Some(2),
            Some(Missing),
            &["1", "-", "1", "-"],
            Some(Fine),
        ));
        check(mn(3, Some(2), Some(Missing), &["9", "-", "-", "-"], None));
        // ignore: like missing, but no data keeps the state.
        check(mn(3, Some(2), Some(Ignore), &["-", "-", "-", "-"], None));
        check(mn(
            3,
            Some(2),
            Some(Ignore),
            &["9", "9", "-", "-"],
            Some(Alarm),
        ));
        check(mn(3, Some(2), Some(Ignore), &["9", "-", "-", "-"], None));
        // breaching: missing periods breach.
        check(mn(
            3,
            Some(2),
            Some(Breaching),
            &["-", "-", "-", "-"],
            Some(Alarm),
        ));
        check(mn(
            3,
            Some(2),
            Some(Breaching),
            &["1", "-", "1", "-"],
            Some(Fine),
        ));
        check(mn(
            3,
            Some(2),
            Some(Breaching),
            &["1", "-", "-", "-"],
            Some(Alarm),
        ));
        // notBreaching: missing periods do not breach.
        check(mn(
            3,
            Some(2),
            Some(NotBreaching),
            &["-", "-", "-", "-"],
            Some(Fine),
        ));
        check(mn(
            3,
            Some(2),
            Some(NotBreaching),
            &["9", "-", "9", "-"],
            Some(Alarm),
        ));
        check(mn(
            3,
            Some(2),
            Some(NotBreaching),
            &["9", "-", "-", "-"],
            Some(Fine),
        ));
        // The settled open period pushes the oldest closed period out of the window.
        check(mn(2, None, None, &["1", "9", "9"], Some(Alarm)));
        check(mn(2, None, None, &["9", "1", "-"], Some(Fine)));
    }

    #[test]
    fn low_sample_count_percentiles_can_hold_the_state() {
        let mut config = config_for(&case("p90", Gt, 1.0, &["2", "-"], None));
        let periods = samples(&config, &["2,2,2", "-"]);
        assert_eq!(
            evaluate(&config, &periods, now()).map(|d| d.state),
            Some(Alarm)
        );
        config.evaluate_low_sample_count_percentile = Some("ignore".into());
        assert_eq!(evaluate(&config, &periods, now()), None);
    }

    fn decision(case: Case) -> Decision {
        let config = config_for(&case);
        evaluate(&config, &samples(&config, case.periods), now()).unwrap()
    }

    #[test]
    fn reasons_are_worded_as_cloudwatch_words_them() {
        let check = |case: Case, expected: &str| assert_eq!(decision(case).reason, expected);
        check(
            case("Sum", Ge, 1.0, &["-", "1"], None),
            "Threshold Crossed: 1 datapoint [1.0 (10/01/26 12:05:00)] was greater than or equal to the threshold (1.0).",
        );
        check(
            case("Sum", Gt, 5.0, &["2", "-"], None),
            "Threshold Crossed: 1 datapoint [2.0 (10/01/26 12:04:00)] was not greater than the threshold (5.0).",
        );
        check(
            mn(3, Some(2), None, &["9", "1", "7", "-"], None),
            "Threshold Crossed: 2 out of the last 3 datapoints [7.0 (10/01/26 12:04:00), 9.0 (10/01/26 12:02:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).",
        );
        check(
            mn(2, Some(2), None, &["1", "2", "-"], None),
            "Threshold Crossed: 2 out of the last 2 datapoints [2.0 (10/01/26 12:04:00), 1.0 (10/01/26 12:03:00)] were not greater than the threshold (5.0) (minimum 1 datapoint for ALARM -> OK transition).",
        );
        check(
            mn(1, None, Some(NotBreaching), &["-", "-"], None),
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].",
        );
        check(
            mn(3, None, Some(Breaching), &["-", "-", "-", "-"], None),
            "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].",
        );
        check(
            mn(3, Some(3), Some(Breaching), &["9", "-", "-", "-"], None),
            "Threshold Crossed: 1 out of the last 3 datapoints [9.0 (10/01/26 12:02:00)] was greater than the threshold (5.0) and 2 missing datapoints were treated as [Breaching] (minimum 3 datapoints for OK -> ALARM transition).",
        );
        check(
            mn(1, None, None, &["-", "-"], None),
            "Insufficient Data: 1 datapoint was unknown.",
        );
        check(
            mn(5, None, None, &["9", "9", "9", "9", "9", "-"], None),
            "Threshold Crossed: 5 datapoints were greater than the threshold (5.0). The most recent datapoints which crossed the threshold: [9.0 (10/01/26 12:04:00), 9.0 (10/01/26 12:03:00), 9.0 (10/01/26 12:02:00), 9.0 (10/01/26 12:01:00), 9.0 (10/01/26 12:00:00)].",
        );
    }

    #[test]
    fn reason_data_lists_recent_and_evaluated_datapoints() {
        let data = decision(mn(2, Some(1), None, &["-", "7", "-"], Some(Alarm)));
        assert_eq!(
            data.reason_data,
            r#"{"version":"1.0","queryDate":"2026-01-10T12:05:30.000+0000","startDate":"2026-01-10T12:03:00.000+0000","statistic":"Maximum","period":60,"recentDatapoints":[7.0],"threshold":5.0,"evaluatedDatapoints":[{"timestamp":"2026-01-10T12:04:00.000+0000","sampleCount":1.0,"value":7.0},{"timestamp":"2026-01-10T12:03:00.000+0000"}]}"#
        );
        let unknown = decision(mn(1, None, None, &["-", "-"], None));
        assert_eq!(
            unknown.reason_data,
            r#"{"version":"1.0","queryDate":"2026-01-10T12:05:30.000+0000","statistic":"Maximum","period":60,"recentDatapoints":[],"threshold":5.0,"evaluatedDatapoints":[{"timestamp":"2026-01-10T12:04:00.000+0000"}]}"#
        );
    }

    #[test]
    fn ranges_and_boundaries_are_epoch_aligned() {
        assert_eq!(
            sample_range(60, 3, now()),
            (
                Utc.with_ymd_and_hms(2026, 1, 10, 12, 2, 0)
                    .unwrap()
                    .timestamp(),
                Utc.with_ymd_and_hms(2026, 1, 10, 12, 6, 0)
                    .unwrap()
                    .timestamp()
            )
        );
        assert_eq!(
            next_boundary(300, now()),
            Utc.with_ymd_and_hms(2026, 1, 10, 12, 10, 0).unwrap()
        );
        assert_eq!(
            next_boundary(10, now()),
            Utc.with_ymd_and_hms(2026, 1, 10, 12, 5, 40).unwrap()
        );
    }
}
