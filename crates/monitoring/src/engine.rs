//! Runs alarm evaluations against the store and applies their outcome: reads an alarm's periods,
//! asks `evaluate` for the state, and on a change saves the state, records the StateUpdate history
//! item and, with actions enabled, an Action item and a [`Notification`] per action of the new
//! state. Notifications are handed to the sink by the caller after the transaction commits, so a
//! rolled-back change never notifies.
//!
//! It does not decide states (that is `evaluate`) nor deliver anything (the sink).

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::alarm::{Alarm, AlarmState};
use crate::error::MonitoringError;
use crate::evaluate::{self, PeriodSample};
use crate::notify::{self, Notification};
use crate::store::{self, SampleQuery};

/// Evaluates an alarm at `now`, applies a state change, and schedules its next tick
/// evaluation; whether the state changed.
pub fn evaluate_alarm(
    connection: &Connection,
    alarm: &mut Alarm,
    now: DateTime<Utc>,
    notifications: &mut Vec<Notification>,
) -> Result<bool, MonitoringError> {
    let samples = period_samples(connection, alarm, now)?;
    let mut changed = false;
    if let Some(decision) = evaluate::evaluate(&alarm.config, &samples, now)
        && decision.state != alarm.state.value
    {
        let state = AlarmState {
            value: decision.state,
            reason: decision.reason,
            reason_data: Some(decision.reason_data),
            updated: now,
            transitioned: now,
        };
        change_state(connection, alarm, state, now, notifications)?;
        changed = true;
    }
    store::set_next_evaluation(
        connection,
        alarm,
        evaluate::next_boundary(alarm.config.period, now),
    )?;
    Ok(changed)
}

/// The N closed periods and the open period of an alarm at `now`, oldest first.
fn period_samples(
    connection: &Connection,
    alarm: &Alarm,
    now: DateTime<Utc>,
) -> Result<Vec<PeriodSample>, MonitoringError> {
    let config = &alarm.config;
    let period = i64::from(config.period.max(1));
    let (first, end) = evaluate::sample_range(config.period, config.evaluation_periods, now);
    let mut samples: Vec<PeriodSample> = (0..=i64::from(config.evaluation_periods))
        .map(|index| PeriodSample {
            start: DateTime::from_timestamp(first + index * period, 0).unwrap_or(now),
            aggregate: None,
        })
        .collect();
    let key = config.metric_key();
    let Some(metric_id) = store::find_metric(connection, &alarm.account_id, &alarm.region, &key)?
    else {
        return Ok(samples);
    };
    let query = SampleQuery {
        metric_id,
        from: first,
        to: end,
        period,
        unit: config.unit.as_deref(),
        with_values: config.stat().needs_values(),
    };
    for ((start, _unit), aggregate) in store::aggregates(connection, &query)? {
        let index = ((start - first) / period) as usize;
        if let Some(sample) = samples.get_mut(index) {
            sample
                .aggregate
                .get_or_insert_with(Default::default)
                .merge(&aggregate);
        }
    }
    Ok(samples)
}

/// Moves an alarm to `state`: saves it, records the StateUpdate item, and (actions enabled) an
/// Action item and a notification per action configured for the new state.
pub fn change_state(
    connection: &Connection,
    alarm: &mut Alarm,
    state: AlarmState,
    now: DateTime<Utc>,
    notifications: &mut Vec<Notification>,
) -> Result<(), MonitoringError> {
    let old = std::mem::replace(&mut alarm.state, state);
    store::save_state(connection, alarm)?;
    let summary = format!(
        "Alarm updated from {} to {}",
        old.value.as_str(),
        alarm.state.value.as_str()
    );
    let data = serde_json::json!({
        "version": "1.0",
        "oldState": old.history_json(),
        "newState": alarm.state.history_json(),
    });
    store::add_history(
        connection,
        alarm,
        now,
        "StateUpdate",
        &summary,
        &data.to_string(),
    )?;
    if !alarm.config.actions_enabled {
        return Ok(());
    }
    let message = notify::message(alarm, old.value);
    let subject = notify::subject(alarm, alarm.state.value);
    for action_arn in alarm.actions_for(alarm.state.value) {
        let (summary, data) = notify::action_history(action_arn, &message, now);
        store::add_history(connection, alarm, now, "Action", &summary, &data)?;
        notifications.push(Notification {
            account_id: alarm.account_id.clone(),
            region: alarm.region.clone(),
            action_arn: action_arn.clone(),
            subject: subject.clone(),
            message: message.clone(),
        });
    }
    Ok(())
}
