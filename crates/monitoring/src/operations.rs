//! The operations this service answers, the table from wire name to handler, and what every
//! handler receives ([`Context`]) and returns ([`Outcome`]). This is the trimmed shape table of
//! the botocore model that the encoders need: which operations exist and which have output
//! (the others answer an empty body in CBOR and no `<Result>` in XML).

use chrono::{DateTime, Utc};

use crate::alarm_api;
use crate::error::ApiError;
use crate::input::Input;
use crate::metric_api;
use crate::notify::Notification;
use crate::store::Store;
use crate::value::Value;

/// A CloudWatch operation this crate serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// PutMetricData.
    PutMetricData,
    /// ListMetrics.
    ListMetrics,
    /// GetMetricStatistics.
    GetMetricStatistics,
    /// GetMetricData.
    GetMetricData,
    /// PutMetricAlarm.
    PutMetricAlarm,
    /// DescribeAlarms.
    DescribeAlarms,
    /// DescribeAlarmsForMetric.
    DescribeAlarmsForMetric,
    /// DeleteAlarms.
    DeleteAlarms,
    /// SetAlarmState.
    SetAlarmState,
    /// DescribeAlarmHistory.
    DescribeAlarmHistory,
    /// EnableAlarmActions.
    EnableAlarmActions,
    /// DisableAlarmActions.
    DisableAlarmActions,
}

/// Every operation, for lookups.
pub const ALL_OPERATIONS: [Operation; 12] = [
    Operation::PutMetricData,
    Operation::ListMetrics,
    Operation::GetMetricStatistics,
    Operation::GetMetricData,
    Operation::PutMetricAlarm,
    Operation::DescribeAlarms,
    Operation::DescribeAlarmsForMetric,
    Operation::DeleteAlarms,
    Operation::SetAlarmState,
    Operation::DescribeAlarmHistory,
    Operation::EnableAlarmActions,
    Operation::DisableAlarmActions,
];

impl Operation {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::PutMetricData => "PutMetricData",
            Operation::ListMetrics => "ListMetrics",
            Operation::GetMetricStatistics => "GetMetricStatistics",
            Operation::GetMetricData => "GetMetricData",
            Operation::PutMetricAlarm => "PutMetricAlarm",
            Operation::DescribeAlarms => "DescribeAlarms",
            Operation::DescribeAlarmsForMetric => "DescribeAlarmsForMetric",
            Operation::DeleteAlarms => "DeleteAlarms",
            Operation::SetAlarmState => "SetAlarmState",
            Operation::DescribeAlarmHistory => "DescribeAlarmHistory",
            Operation::EnableAlarmActions => "EnableAlarmActions",
            Operation::DisableAlarmActions => "DisableAlarmActions",
        }
    }

    /// The operation with this wire name.
    pub fn from_name(name: &str) -> Option<Operation> {
        ALL_OPERATIONS.into_iter().find(|op| op.name() == name)
    }

    /// Whether the model gives the operation an output shape.
    pub fn has_output(self) -> bool {
        matches!(
            self,
            Operation::ListMetrics
                | Operation::GetMetricStatistics
                | Operation::GetMetricData
                | Operation::DescribeAlarms
                | Operation::DescribeAlarmsForMetric
                | Operation::DescribeAlarmHistory
        )
    }
}

/// Quotas the service enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How many metric alarms an account may have in one region (LimitExceeded beyond).
    pub max_alarms_per_region: usize,
}

/// Who calls, when, under which quotas.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The caller's account.
    pub account_id: &'a str,
    /// The region of the request.
    pub region: &'a str,
    /// The time of the request, millisecond precision.
    pub now: DateTime<Utc>,
    /// Quotas.
    pub limits: &'a Limits,
}

/// What a handler produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The output structure, for operations with output.
    pub output: Option<Value>,
    /// Actions to run once the transaction has committed.
    pub notifications: Vec<Notification>,
}

impl Outcome {
    /// No output, nothing to notify.
    pub fn empty() -> Self {
        Outcome::default()
    }

    /// An output structure.
    pub fn output(output: Value) -> Self {
        Outcome {
            output: Some(output),
            notifications: Vec::new(),
        }
    }
}

/// Runs one operation against the store.
pub fn run(
    operation: Operation,
    store: &mut Store,
    context: &Context<'_>,
    input: Input<'_>,
) -> Result<Outcome, ApiError> {
    match operation {
        Operation::PutMetricData => metric_api::put_metric_data(store, context, input),
        Operation::ListMetrics => metric_api::list_metrics(store, context, input),
        Operation::GetMetricStatistics => metric_api::get_metric_statistics(store, context, input),
        Operation::GetMetricData => metric_api::get_metric_data(store, context, input),
        Operation::PutMetricAlarm => alarm_api::put_metric_alarm(store, context, input),
        Operation::DescribeAlarms => alarm_api::describe_alarms(store, context, input),
        Operation::DescribeAlarmsForMetric => {
            alarm_api::describe_alarms_for_metric(store, context, input)
        }
        Operation::DeleteAlarms => alarm_api::delete_alarms(store, context, input),
        Operation::SetAlarmState => alarm_api::set_alarm_state(store, context, input),
        Operation::DescribeAlarmHistory => alarm_api::describe_alarm_history(store, context, input),
        Operation::EnableAlarmActions => {
            alarm_api::set_actions_enabled(store, context, input, true)
        }
        Operation::DisableAlarmActions => {
            alarm_api::set_actions_enabled(store, context, input, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for operation in ALL_OPERATIONS {
            assert_eq!(Operation::from_name(operation.name()), Some(operation));
        }
        assert_eq!(Operation::from_name("PutDashboard"), None);
    }
}
