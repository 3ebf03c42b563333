//! The alarm operations: PutMetricAlarm (with CloudWatch's validation), DescribeAlarms,
//! DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState, DescribeAlarmHistory,
//! EnableAlarmActions and DisableAlarmActions.
//!
//! Every configuration change is recorded as a ConfigurationUpdate history item with the alarm
//! object CloudWatch writes (`createdAlarm`, `updatedAlarm` + `originalAlarm`, `deletedAlarm`).
//! A new or changed alarm is evaluated by the next tick (within a second); SetAlarmState's state
//! holds until the alarm's next period boundary or the next datapoint of its metric, whichever
//! comes first. Composite alarms, metric math alarms and anomaly bands are refused.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::alarm::{Alarm, AlarmConfig, AlarmState};
use crate::engine;
use crate::error::{ApiError, ErrorCode};
use crate::evaluate;
use crate::input::Input;
use crate::metric_api::{check_namespace, parse_dimensions};
use crate::model::{
    ComparisonOperator, MetricKey, StateValue, TreatMissingData, check_length, check_unit,
};
use crate::operations::{Context, Outcome};
use crate::stats::{Percentile, Statistic};
use crate::store::{self, HistoryFilter, Store};
use crate::token;
use crate::value::{StructureBuilder, Value};

/// PutMetricAlarm.
pub fn put_metric_alarm(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let config = parse_alarm_config(&input, context.now)?;
    store.transaction(|connection| {
        let existing = store::alarm(connection, context.account_id, context.region, &config.alarm_name)?;
        let history_data = match existing {
            Some(original) => {
                let updated = Alarm {
                    config: config.clone(),
                    ..original.clone()
                };
                store::save_alarm(connection, &updated, DateTime::UNIX_EPOCH)?;
                let data = serde_json::json!({
                    "version": "1.0",
                    "type": "Update",
                    "updatedAlarm": updated.history_json(),
                    "originalAlarm": original.history_json(),
                });
                (updated, "updated", data)
            }
            None => {
                let count = store::count_alarms(connection, context.account_id, context.region)?;
                if count >= context.limits.max_alarms_per_region {
                    return Err(ApiError::new(
                        ErrorCode::LimitExceeded,
                        format!(
                            "The maximum number of alarms ({}) for this account and region has been reached.",
                            context.limits.max_alarms_per_region
                        ),
                    ));
                }
                let created = Alarm {
                    account_id: context.account_id.to_owned(),
                    region: context.region.to_owned(),
                    config: config.clone(),
                    state: AlarmState::initial(context.now),
                };
                store::save_alarm(connection, &created, DateTime::UNIX_EPOCH)?;
                let data = serde_json::json!({
                    "version": "1.0",
                    "type": "Create",
                    "createdAlarm": created.history_json(),
                });
                (created, "created", data)
            }
        };
        let (alarm, verb, data) = history_data;
        configuration_history(connection, &alarm, context.now, verb, &data)?;
        Ok(Outcome::empty())
    })
}

fn configuration_history(
    connection: &Connection,
    alarm: &Alarm,
    now: DateTime<Utc>,
    verb: &str,
    data: &serde_json::Value,
) -> Result<(), rusqlite::Error> {
    let summary = format!("Alarm \"{}\" {verb}", alarm.config.alarm_name);
    store::add_history(
        connection,
        alarm,
        now,
        "ConfigurationUpdate",
        &summary,
        &data.to_string(),
    )
}

/// Members of PutMetricAlarm that only metric math, anomaly or newer alarm kinds use.
const UNSUPPORTED_MEMBERS: [&str; 6] = [
    "Metrics",
    "ThresholdMetricId",
    "EvaluationWindow",
    "EvaluationCriteria",
    "EvaluationInterval",
    "WarmUpConfiguration",
];

pub fn parse_alarm_config(input: &Input<'_>, now: DateTime<Utc>) -> Result<AlarmConfig, ApiError> {
    for member in UNSUPPORTED_MEMBERS {
        let present = if member == "Metrics" {
            input.list_len(member)? > 0
        } else {
            input.has(member)
        };
        if present {
            return Err(ApiError::validation(format!(
                "The parameter {member} is not supported by OpenTrail: alarms watch one metric (MetricName, Namespace, Statistic or ExtendedStatistic, Period)."
            )));
        }
    }
    let alarm_name = input.required_string("AlarmName")?;
    check_alarm_name("AlarmName", alarm_name)?;
    let alarm_description = input.string("AlarmDescription")?;
    if let Some(description) = alarm_description {
        check_length("AlarmDescription", description, 0, 1024)?;
    }
    let namespace = required(input.string("Namespace")?, "Namespace")?;
    check_namespace("Namespace", namespace)?;
    let metric_name = required(input.string("MetricName")?, "MetricName")?;
    check_length("MetricName", metric_name, 1, 255)?;
    let (statistic, extended_statistic) = parse_alarm_statistic(input)?;
    let period = parse_alarm_period(input)?;
    let (evaluation_periods, datapoints_to_alarm) = parse_evaluation(input, period)?;
    let unit = input.string("Unit")?;
    if let Some(unit) = unit {
        check_unit("Unit", unit)?;
    }
    Ok(AlarmConfig {
        alarm_name: alarm_name.to_owned(),
        alarm_description: alarm_description.map(str::to_owned),
        actions_enabled: input.boolean("ActionsEnabled")?.unwrap_or(true),
        ok_actions: parse_actions(input, "OKActions")?,
        alarm_actions: parse_actions(input, "AlarmActions")?,
        insufficient_data_actions: parse_actions(input, "InsufficientDataActions")?,
        namespace: namespace.to_owned(),
        metric_name: metric_name.to_owned(),
        dimensions: parse_dimensions(input, "Dimensions")?,
        statistic,
        extended_statistic,
        period,
        unit: unit.map(str::to_owned),
        evaluation_periods,
        datapoints_to_alarm,
        threshold: parse_threshold(input)?,
        comparison_operator: ComparisonOperator::parse(required(
            input.string("ComparisonOperator")?,
            "ComparisonOperator",
        )?)?,
        treat_missing_data: parse_treat_missing(input)?,
        evaluate_low_sample_count_percentile: parse_low_sample_count(input)?,
        configuration_updated: now,
    })
}

fn required<T>(value: Option<T>, name: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::missing(name))
}

/// Alarm names: 1 to 255 characters, no ASCII control characters.
fn check_alarm_name(member: &str, name: &str) -> Result<(), ApiError> {
    check_length(member, name, 1, 255)?;
    if name.chars().any(|c| c.is_ascii_control()) {
        return Err(ApiError::invalid_value(member, name.escape_debug()));
    }
    Ok(())
}

fn parse_alarm_statistic(input: &Input<'_>) -> Result<(Option<String>, Option<String>), ApiError> {
    match (
        input.string("Statistic")?,
        input.string("ExtendedStatistic")?,
    ) {
        (Some(statistic), None) => {
            Statistic::parse_member("Statistic", statistic)?;
            Ok((Some(statistic.to_owned()), None))
        }
        (None, Some(extended)) => {
            Percentile::parse_parameter("ExtendedStatistic", extended)?;
            Ok((None, Some(extended.to_owned())))
        }
        _ => Err(ApiError::new(
            ErrorCode::InvalidParameterCombination,
            "Exactly one of the parameters Statistic and ExtendedStatistic must be specified.",
        )),
    }
}

fn parse_alarm_period(input: &Input<'_>) -> Result<u32, ApiError> {
    let period = required(input.integer("Period")?, "Period")?;
    if period < 1 {
        return Err(ApiError::constraint(
            "Period",
            period,
            "Member must have value greater than or equal to 1",
        ));
    }
    if period != 10 && period != 30 && period % 60 != 0 {
        return Err(ApiError::validation(
            "Period must be 10, 30 or a multiple of 60",
        ));
    }
    u32::try_from(period).map_err(|_| ApiError::invalid_value("Period", period))
}

fn parse_evaluation(input: &Input<'_>, period: u32) -> Result<(u32, Option<u32>), ApiError> {
    let evaluation_periods = required(input.integer("EvaluationPeriods")?, "EvaluationPeriods")?;
    if evaluation_periods < 1 {
        return Err(ApiError::constraint(
            "EvaluationPeriods",
            evaluation_periods,
            "Member must have value greater than or equal to 1",
        ));
    }
    let (limit, span) = if period >= 3600 {
        (604_800, "a week")
    } else {
        (86_400, "a day")
    };
    if evaluation_periods.saturating_mul(i64::from(period)) > limit {
        return Err(ApiError::validation(format!(
            "Metrics cannot be checked across more than {span} (EvaluationPeriods * Period must be <= {limit})"
        )));
    }
    let datapoints = input.integer("DatapointsToAlarm")?;
    if let Some(datapoints) = datapoints {
        if datapoints < 1 {
            return Err(ApiError::constraint(
                "DatapointsToAlarm",
                datapoints,
                "Member must have value greater than or equal to 1",
            ));
        }
        if datapoints > evaluation_periods {
            return Err(ApiError::validation(
                "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
            ));
        }
    }
    // Both are at most 604800 here, so they fit.
    Ok((evaluation_periods as u32, datapoints.map(|d| d as u32)))
}

fn parse_threshold(input: &Input<'_>) -> Result<f64, ApiError> {
    let threshold = required(input.double("Threshold")?, "Threshold")?;
    if !threshold.is_finite() {
        return Err(ApiError::invalid_value("Threshold", threshold));
    }
    Ok(threshold)
}

fn parse_treat_missing(input: &Input<'_>) -> Result<Option<TreatMissingData>, ApiError> {
    input
        .string("TreatMissingData")?
        .map(|text| {
            check_length("TreatMissingData", text, 1, 255)?;
            TreatMissingData::parse(text)
        })
        .transpose()
}

fn parse_low_sample_count(input: &Input<'_>) -> Result<Option<String>, ApiError> {
    match input.string("EvaluateLowSampleCountPercentile")? {
        None => Ok(None),
        Some(option @ ("evaluate" | "ignore")) => Ok(Some(option.to_owned())),
        Some(other) => Err(ApiError::validation(format!(
            "Option {other} is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore."
        ))),
    }
}

fn parse_actions(input: &Input<'_>, member: &str) -> Result<Vec<String>, ApiError> {
    let actions = input.strings(member)?;
    if actions.len() > 5 {
        return Err(ApiError::constraint(
            member,
            format!("[{}]", actions.join(", ")),
            "Member must have length less than or equal to 5",
        ));
    }
    for action in &actions {
        check_length(member, action, 1, 1024)?;
        let parts: Vec<&str> = action.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" || parts[2].is_empty() || parts[5].is_empty() {
            return Err(ApiError::validation(format!(
                "Invalid arn syntax: {action}"
            )));
        }
    }
    Ok(actions)
}

/// The filters of DescribeAlarms.
struct AlarmQuery {
    names: Vec<String>,
    prefix: Option<String>,
    state: Option<StateValue>,
    action_prefix: Option<String>,
    metric_alarms: bool,
}

impl AlarmQuery {
    fn matches(&self, alarm: &Alarm) -> bool {
        let config = &alarm.config;
        (self.names.is_empty() || self.names.contains(&config.alarm_name))
            && self
                .prefix
                .as_ref()
                .is_none_or(|p| config.alarm_name.starts_with(p.as_str()))
            && self.state.is_none_or(|s| alarm.state.value == s)
            && self.action_prefix.as_ref().is_none_or(|p| {
                [
                    &config.ok_actions,
                    &config.alarm_actions,
                    &config.insufficient_data_actions,
                ]
                .into_iter()
                .flatten()
                .any(|action| action.starts_with(p.as_str()))
            })
    }
}

fn parse_alarm_query(input: &Input<'_>) -> Result<AlarmQuery, ApiError> {
    let names = input.strings("AlarmNames")?;
    if names.len() > 100 {
        return Err(ApiError::constraint(
            "AlarmNames",
            format!("[{} names]", names.len()),
            "Member must have length less than or equal to 100",
        ));
    }
    let prefix = input.string("AlarmNamePrefix")?;
    if !names.is_empty() && prefix.is_some() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterCombination,
            "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.",
        ));
    }
    if let Some(prefix) = prefix {
        check_length("AlarmNamePrefix", prefix, 1, 255)?;
    }
    let action_prefix = input.string("ActionPrefix")?;
    if let Some(action_prefix) = action_prefix {
        check_length("ActionPrefix", action_prefix, 1, 1024)?;
    }
    let types = input.strings("AlarmTypes")?;
    for (index, kind) in types.iter().enumerate() {
        if !["CompositeAlarm", "MetricAlarm", "LogAlarm"].contains(&kind.as_str()) {
            return Err(ApiError::constraint(
                &format!("AlarmTypes.member.{}", index + 1),
                kind,
                "Member must satisfy enum value set: [CompositeAlarm, MetricAlarm, LogAlarm]",
            ));
        }
    }
    let related = input.has("ChildrenOfAlarmName") || input.has("ParentsOfAlarmName");
    Ok(AlarmQuery {
        names,
        prefix: prefix.map(str::to_owned),
        state: input
            .string("StateValue")?
            .map(|s| StateValue::parse("StateValue", s))
            .transpose()?,
        action_prefix: action_prefix.map(str::to_owned),
        metric_alarms: !related && (types.is_empty() || types.iter().any(|t| t == "MetricAlarm")),
    })
}

fn max_records(input: &Input<'_>, default: i64) -> Result<usize, ApiError> {
    let records = input.integer("MaxRecords")?.unwrap_or(default);
    if !(1..=100).contains(&records) {
        let constraint = if records < 1 {
            "Member must have value greater than or equal to 1"
        } else {
            "Member must have value less than or equal to 100"
        };
        return Err(ApiError::constraint("MaxRecords", records, constraint));
    }
    Ok(records as usize)
}

fn invalid_token() -> ApiError {
    ApiError::new(ErrorCode::InvalidNextToken, "Invalid NextToken.")
}

/// DescribeAlarms.
pub fn describe_alarms(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let query = parse_alarm_query(&input)?;
    let limit = max_records(&input, 50)?;
    let after = match input.string("NextToken")? {
        None => String::new(),
        Some(text) => token::decode("alarms", text).ok_or_else(invalid_token)?,
    };
    let mut page = Vec::new();
    let mut next_token = None;
    if query.metric_alarms {
        let alarms = store::alarms_after(
            store.connection(),
            context.account_id,
            context.region,
            &after,
        )?;
        let mut matching = alarms.into_iter().filter(|alarm| query.matches(alarm));
        page = matching.by_ref().take(limit).collect::<Vec<_>>();
        if matching.next().is_some() {
            next_token = page
                .last()
                .map(|alarm| token::encode("alarms", &alarm.config.alarm_name));
        }
    }
    let output = StructureBuilder::new()
        .field("CompositeAlarms", Value::List(Vec::new()))
        .field(
            "MetricAlarms",
            Value::List(page.iter().map(Alarm::to_output).collect()),
        )
        .optional("NextToken", next_token)
        .build();
    Ok(Outcome::output(output))
}

/// DescribeAlarmsForMetric.
pub fn describe_alarms_for_metric(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let metric_name = input.required_string("MetricName")?;
    let namespace = input.required_string("Namespace")?;
    let statistic = input.string("Statistic")?;
    if let Some(statistic) = statistic {
        Statistic::parse_member("Statistic", statistic)?;
    }
    let extended = input.string("ExtendedStatistic")?;
    let dimensions = input
        .has("Dimensions")
        .then(|| parse_dimensions(&input, "Dimensions"))
        .transpose()?;
    let key = dimensions.map(|d| MetricKey::new(namespace, metric_name, d));
    let period = input.integer("Period")?;
    let unit = input.string("Unit")?;
    let alarms = store::alarms_after(store.connection(), context.account_id, context.region, "")?;
    let matching = alarms.iter().filter(|alarm| {
        let config = &alarm.config;
        config.metric_name == metric_name
            && config.namespace == namespace
            && key.as_ref().is_none_or(|k| &config.metric_key() == k)
            && statistic.is_none_or(|s| config.statistic.as_deref() == Some(s))
            && extended.is_none_or(|e| config.extended_statistic.as_deref() == Some(e))
            && period.is_none_or(|p| i64::from(config.period) == p)
            && unit.is_none_or(|u| config.unit.as_deref() == Some(u))
    });
    let output = StructureBuilder::new()
        .field(
            "MetricAlarms",
            Value::List(matching.map(Alarm::to_output).collect()),
        )
        .build();
    Ok(Outcome::output(output))
}

pub fn alarm_names(input: &Input<'_>) -> Result<Vec<String>, ApiError> {
    if !input.has("AlarmNames") {
        return Err(ApiError::missing("AlarmNames"));
    }
    let names = input.strings("AlarmNames")?;
    if names.len() > 100 {
        return Err(ApiError::constraint(
            "AlarmNames",
            format!("[{} names]", names.len()),
            "Member must have length less than or equal to 100",
        ));
    }
    Ok(names)
}

/// DeleteAlarms: names that do not exist are skipped, as CloudWatch does.
pub fn delete_alarms(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let names = alarm_names(&input)?;
    store.transaction(|connection| {
        for name in &names {
            let Some(alarm) = store::alarm(connection, context.account_id, context.region, name)?
            else {
                continue;
            };
            store::delete_alarm(connection, context.account_id, context.region, name)?;
            let data = serde_json::json!({
                "version": "1.0",
                "type": "Delete",
                "deletedAlarm": alarm.history_json(),
            });
            configuration_history(connection, &alarm, context.now, "deleted", &data)?;
        }
        Ok(Outcome::empty())
    })
}

/// EnableAlarmActions and DisableAlarmActions.
pub fn set_actions_enabled(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
    enabled: bool,
) -> Result<Outcome, ApiError> {
    let names = alarm_names(&input)?;
    store.transaction(|connection| {
        for name in &names {
            let Some(original) =
                store::alarm(connection, context.account_id, context.region, name)?
            else {
                continue;
            };
            if original.config.actions_enabled == enabled {
                continue;
            }
            let mut updated = original.clone();
            updated.config.actions_enabled = enabled;
            updated.config.configuration_updated = context.now;
            store::save_alarm(
                connection,
                &updated,
                evaluate::next_boundary(updated.config.period, context.now),
            )?;
            let data = serde_json::json!({
                "version": "1.0",
                "type": "Update",
                "updatedAlarm": updated.history_json(),
                "originalAlarm": original.history_json(),
            });
            configuration_history(connection, &updated, context.now, "updated", &data)?;
        }
        Ok(Outcome::empty())
    })
}

/// SetAlarmState: runs the new state's actions when the state changes.
pub fn set_alarm_state(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let name = input.required_string("AlarmName")?;
    check_length("AlarmName", name, 1, 255)?;
    let state = StateValue::parse("StateValue", input.required_string("StateValue")?)?;
    let reason = input.required_string("StateReason")?;
    check_length("StateReason", reason, 0, 1023)?;
    let reason_data = input.string("StateReasonData")?;
    if let Some(data) = reason_data {
        check_length("StateReasonData", data, 0, 4000)?;
        if serde_json::from_str::<serde_json::Value>(data).is_err() {
            return Err(ApiError::new(
                ErrorCode::InvalidFormat,
                "StateReasonData is not valid JSON.",
            ));
        }
    }
    store.transaction(|connection| {
        let Some(mut alarm) = store::alarm(connection, context.account_id, context.region, name)?
        else {
            return Err(ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("Alarm {name} not found"),
            ));
        };
        let mut notifications = Vec::new();
        if alarm.state.value != state {
            let new_state = AlarmState {
                value: state,
                reason: reason.to_owned(),
                reason_data: reason_data.map(str::to_owned),
                updated: context.now,
                transitioned: context.now,
            };
            engine::change_state(
                connection,
                &mut alarm,
                new_state,
                context.now,
                &mut notifications,
            )?;
            store::set_next_evaluation(
                connection,
                &alarm,
                evaluate::next_boundary(alarm.config.period, context.now),
            )?;
        }
        Ok(Outcome {
            output: None,
            notifications,
        })
    })
}

/// DescribeAlarmHistory.
pub fn describe_alarm_history(
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    let item_type = input.string("HistoryItemType")?;
    if let Some(kind) = item_type
        && ![
            "ConfigurationUpdate",
            "StateUpdate",
            "Action",
            "AlarmContributorStateUpdate",
            "AlarmContributorAction",
        ]
        .contains(&kind)
    {
        return Err(ApiError::constraint(
            "HistoryItemType",
            kind,
            "Member must satisfy enum value set: [ConfigurationUpdate, StateUpdate, Action, AlarmContributorStateUpdate, AlarmContributorAction]",
        ));
    }
    let ascending = match input.string("ScanBy")?.unwrap_or("TimestampDescending") {
        "TimestampDescending" => false,
        "TimestampAscending" => true,
        other => {
            return Err(ApiError::constraint(
                "ScanBy",
                other,
                "Member must satisfy enum value set: [TimestampDescending, TimestampAscending]",
            ));
        }
    };
    let types = input.strings("AlarmTypes")?;
    let metric_alarms = types.is_empty() || types.iter().any(|t| t == "MetricAlarm");
    let limit = max_records(&input, 100)?;
    let after_id = match input.string("NextToken")? {
        None => None,
        Some(text) => Some(
            token::decode("history", text)
                .and_then(|cursor| cursor.parse::<i64>().ok())
                .ok_or_else(invalid_token)?,
        ),
    };
    let filter = HistoryFilter {
        alarm_name: input.string("AlarmName")?,
        item_type,
        start: input.timestamp("StartDate")?,
        end: input.timestamp("EndDate")?,
        ascending,
        after_id,
    };
    let mut items = if metric_alarms {
        store::history(
            store.connection(),
            context.account_id,
            context.region,
            &filter,
            limit + 1,
        )?
    } else {
        Vec::new()
    };
    let next_token = (items.len() > limit).then(|| {
        items.truncate(limit);
        items
            .last()
            .map(|item| token::encode("history", &item.id.to_string()))
    });
    let output = StructureBuilder::new()
        .field(
            "AlarmHistoryItems",
            Value::List(items.iter().map(history_output).collect()),
        )
        .optional("NextToken", next_token.flatten())
        .build();
    Ok(Outcome::output(output))
}

fn history_output(item: &store::HistoryItem) -> Value {
    StructureBuilder::new()
        .field("AlarmName", &item.alarm_name)
        .field("AlarmType", "MetricAlarm")
        .field("Timestamp", item.timestamp)
        .field("HistoryItemType", &item.item_type)
        .field("HistorySummary", &item.summary)
        .field("HistoryData", &item.data)
        .build()
}
