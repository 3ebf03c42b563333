//! Service-level tests through [`Monitoring::handle`] (awsJson1.0 bodies, the easiest to write)
//! and the programmatic path, with a pinned clock and a recording sink: the seed flow, tick
//! transitions, actions, validation errors, persistence across reopen, pagination and retention.
//! Codec details are tested next to each codec; real clients are in `tests/it`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value as Json, json};

use super::*;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:alerts";

#[derive(Debug, Clone, PartialEq)]
struct Sent {
    account_id: String,
    region: String,
    action_arn: String,
    subject: String,
    message: Json,
}

#[derive(Default)]
struct RecordingSink {
    sent: Mutex<Vec<Sent>>,
}

impl RecordingSink {
    fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.sent.lock().unwrap())
    }
}

impl AlarmActionSink for RecordingSink {
    fn alarm_action(
        &self,
        account_id: &str,
        region: &str,
        action_arn: &str,
        subject: &str,
        message: &str,
    ) {
        self.sent.lock().unwrap().push(Sent {
            account_id: account_id.into(),
            region: region.into(),
            action_arn: action_arn.into(),
            subject: subject.into(),
            message: serde_json::from_str(message).unwrap(),
        });
    }
}

struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    fn set(&self, time: DateTime<Utc>) {
        *self.0.lock().unwrap() = time;
    }

    fn advance(&self, seconds: i64) {
        let mut now = self.0.lock().unwrap();
        *now += chrono::Duration::seconds(seconds);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// 12:00:10 on 2026-01-10, ten seconds into a period of every length.
fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 10).unwrap()
}

struct Harness {
    _dir: tempfile::TempDir,
    service: Monitoring,
    sink: Arc<RecordingSink>,
    clock: Arc<ManualClock>,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let sink = Arc::new(RecordingSink::default());
        let clock = Arc::new(ManualClock(Mutex::new(start_time())));
        let service = open(dir.path(), &sink, &clock, MonitoringOptions::default());
        Harness {
            _dir: dir,
            service,
            sink,
            clock,
        }
    }

    async fn call(&self, operation: &str, body: Json) -> (u16, Json, http::HeaderMap) {
        call_as(&self.service, ACCOUNT, operation, body).await
    }

    async fn ok(&self, operation: &str, body: Json) -> Json {
        let (status, json, _) = self.call(operation, body).await;
        assert_eq!(status, 200, "{operation}: {json}");
        json
    }

    /// The status, error code (as botocore reads it) and message of a failed call.
    async fn fails(&self, operation: &str, body: Json) -> (u16, String, String) {
        let (status, json, headers) = self.call(operation, body).await;
        assert_ne!(status, 200, "{operation} succeeded: {json}");
        let code = headers["x-amzn-query-error"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        (status, code, json["message"].as_str().unwrap().to_owned())
    }

    async fn alarm(&self, name: &str) -> Json {
        let answer = self
            .ok("DescribeAlarms", json!({"AlarmNames": [name]}))
            .await;
        answer["MetricAlarms"][0].clone()
    }

    async fn history(&self, name: &str) -> Vec<(String, String)> {
        let answer = self
            .ok(
                "DescribeAlarmHistory",
                json!({"AlarmName": name, "ScanBy": "TimestampAscending"}),
            )
            .await;
        answer["AlarmHistoryItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                (
                    item["HistoryItemType"].as_str().unwrap().to_owned(),
                    item["HistorySummary"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn put(&self, metric: &str, value: f64) {
        self.service
            .put_metric_data(
                ACCOUNT,
                REGION,
                vec![datum(metric, value, self.clock.now())],
            )
            .unwrap();
    }
}

fn open(
    dir: &std::path::Path,
    sink: &Arc<RecordingSink>,
    clock: &Arc<ManualClock>,
    options: MonitoringOptions,
) -> Monitoring {
    Monitoring::open_with(dir, sink.clone(), options, clock.clone()).unwrap()
}

async fn call_as(
    service: &Monitoring,
    account_id: &str,
    operation: &str,
    body: Json,
) -> (u16, Json, http::HeaderMap) {
    let request = http::Request::builder()
        .method("POST")
        .uri("/")
        .header(
            "x-amz-target",
            format!("GraniteServiceVersion20100801.{operation}"),
        )
        .header("content-type", "application/x-amz-json-1.0")
        .body(Bytes::from(body.to_string()))
        .unwrap();
    let response = service.handle(account_id, REGION, request).await;
    let status = response.status().as_u16();
    let json = if response.body().is_empty() {
        Json::Null
    } else {
        serde_json::from_slice(response.body()).unwrap()
    };
    (status, json, response.headers().clone())
}

fn datum(metric: &str, value: f64, at: DateTime<Utc>) -> MetricDatum {
    MetricDatum {
        namespace: "CloudTrailMetrics".into(),
        metric_name: metric.into(),
        dimensions: vec![],
        timestamp: at,
        value: MetricValue::Single(value),
        unit: Some("Count".into()),
    }
}

/// The seed's alarm: Sum >= 1 over 5 minutes, one period, actions to an SNS topic.
fn seed_alarm(name: &str, metric: &str) -> Json {
    json!({
        "AlarmName": name,
        "MetricName": metric,
        "Namespace": "CloudTrailMetrics",
        "Statistic": "Sum",
        "Period": 300,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "EvaluationPeriods": 1,
        "AlarmActions": [TOPIC],
        "OKActions": [TOPIC],
    })
}

#[tokio::test]
async fn the_seed_flow_fires_within_the_put_that_crosses_the_threshold() {
    let h = Harness::new();
    h.ok("PutMetricAlarm", seed_alarm("s3-get", "GetObjectCount"))
        .await;
    let alarm = h.alarm("s3-get").await;
    assert_eq!(alarm["StateValue"], "INSUFFICIENT_DATA");
    assert_eq!(alarm["StateReason"], "Unchecked: Initial alarm creation");
    assert_eq!(
        alarm["AlarmArn"],
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:s3-get"
    );

    h.put("GetObjectCount", 1.0);

    let sent = h.sink.take();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].account_id, ACCOUNT);
    assert_eq!(sent[0].region, REGION);
    assert_eq!(sent[0].action_arn, TOPIC);
    assert_eq!(
        sent[0].subject,
        "ALARM: \"s3-get\" in US East (N. Virginia)"
    );
    let message = &sent[0].message;
    assert_eq!(message["NewStateValue"], "ALARM");
    assert_eq!(message["OldStateValue"], "INSUFFICIENT_DATA");
    assert_eq!(
        message["NewStateReason"],
        "Threshold Crossed: 1 datapoint [1.0 (10/01/26 12:00:00)] was greater than or equal to the threshold (1.0)."
    );
    assert_eq!(message["StateChangeTime"], "2026-01-10T12:00:10.000+0000");
    assert_eq!(message["Trigger"]["Statistic"], "SUM");
    assert_eq!(message["Trigger"]["Period"], 300);

    let alarm = h.alarm("s3-get").await;
    assert_eq!(alarm["StateValue"], "ALARM");
    let reason_data: Json =
        serde_json::from_str(alarm["StateReasonData"].as_str().unwrap()).unwrap();
    assert_eq!(reason_data["recentDatapoints"], json!([1.0]));
    assert_eq!(
        h.history("s3-get").await,
        vec![
            (
                "ConfigurationUpdate".into(),
                "Alarm \"s3-get\" created".into()
            ),
            (
                "StateUpdate".into(),
                "Alarm updated from INSUFFICIENT_DATA to ALARM".into()
            ),
            (
                "Action".into(),
                format!("Successfully executed action {TOPIC}")
            ),
        ]
    );
    // More data in the same state changes nothing and notifies nobody.
    h.put("GetObjectCount", 1.0);
    assert!(h.sink.take().is_empty());
}

#[tokio::test]
async fn the_tick_turns_silence_into_state_changes() {
    let h = Harness::new();
    let mut alarm = seed_alarm("quiet", "Errors");
    alarm["Period"] = json!(60);
    alarm["TreatMissingData"] = json!("notBreaching");
    h.ok("PutMetricAlarm", alarm).await;

    // A new alarm is evaluated by the next tick.
    assert_eq!(h.service.evaluate_due_alarms().unwrap(), 1);
    let state = h.alarm("quiet").await;
    assert_eq!(state["StateValue"], "OK");
    assert_eq!(
        state["StateReason"],
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."
    );
    assert_eq!(h.sink.take().len(), 1);
    // Nothing is due again before the period boundary.
    assert_eq!(h.service.evaluate_due_alarms().unwrap(), 0);

    h.put("Errors", 3.0);
    assert_eq!(h.alarm("quiet").await["StateValue"], "ALARM");
    assert_eq!(h.sink.take()[0].message["NewStateValue"], "ALARM");

    // The boundary passes: the closed period still breaches.
    h.clock.advance(60);
    assert_eq!(h.service.evaluate_due_alarms().unwrap(), 0);
    // One more silent period: back to OK within the tick after the boundary.
    h.clock.advance(60);
    assert_eq!(h.service.evaluate_due_alarms().unwrap(), 1);
    let sent = h.sink.take();
    assert_eq!(sent[0].subject, "OK: \"quiet\" in US East (N. Virginia)");
    assert_eq!(sent[0].message["OldStateValue"], "ALARM");
}

#[tokio::test]
async fn average_alarms_wait_for_the_period_to_close() {
    let h = Harness::new();
    let mut alarm = seed_alarm("latency", "Latency");
    alarm["Statistic"] = json!("Average");
    alarm["Period"] = json!(60);
    alarm["Threshold"] = json!(100);
    alarm["ComparisonOperator"] = json!("GreaterThanThreshold");
    h.ok("PutMetricAlarm", alarm).await;
    h.put("Latency", 500.0);
    assert_eq!(h.alarm("latency").await["StateValue"], "INSUFFICIENT_DATA");
    h.clock.advance(50);
    h.service.evaluate_due_alarms().unwrap();
    assert_eq!(h.alarm("latency").await["StateValue"], "ALARM");
}

#[tokio::test]
async fn set_alarm_state_runs_actions_only_on_change_and_holds_until_the_boundary() {
    let h = Harness::new();
    let mut alarm = seed_alarm("manual", "Manual");
    alarm["Period"] = json!(60);
    alarm["TreatMissingData"] = json!("notBreaching");
    h.ok("PutMetricAlarm", alarm).await;
    h.service.evaluate_due_alarms().unwrap();
    h.sink.take();

    let set = json!({"AlarmName": "manual", "StateValue": "ALARM", "StateReason": "testing", "StateReasonData": "{\"a\":1}"});
    h.ok("SetAlarmState", set.clone()).await;
    let sent = h.sink.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].message["NewStateReason"], "testing");
    let state = h.alarm("manual").await;
    assert_eq!(state["StateValue"], "ALARM");
    assert_eq!(state["StateReasonData"], "{\"a\":1}");
    h.ok("SetAlarmState", set).await;
    assert!(h.sink.take().is_empty());
    // Held until the next boundary, then evaluation takes over again.
    assert_eq!(h.service.evaluate_due_alarms().unwrap(), 0);
    h.clock.advance(60);
    assert_eq!(h.service.evaluate_due_alarms().unwrap(), 1);
    assert_eq!(h.alarm("manual").await["StateValue"], "OK");

    let (status, code, message) = h
        .fails(
            "SetAlarmState",
            json!({"AlarmName": "nope", "StateValue": "OK", "StateReason": "x"}),
        )
        .await;
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (404, "ResourceNotFound", "Alarm nope not found")
    );
    let (_, code, _) = h
        .fails(
            "SetAlarmState",
            json!({"AlarmName": "manual", "StateValue": "OK", "StateReason": "x", "StateReasonData": "{"}),
        )
        .await;
    assert_eq!(code, "InvalidFormat");
}

#[tokio::test]
async fn disabled_actions_change_state_silently() {
    let h = Harness::new();
    h.ok("PutMetricAlarm", seed_alarm("muted", "Muted")).await;
    h.ok(
        "DisableAlarmActions",
        json!({"AlarmNames": ["muted", "absent"]}),
    )
    .await;
    assert_eq!(h.alarm("muted").await["ActionsEnabled"], false);
    h.put("Muted", 5.0);
    assert_eq!(h.alarm("muted").await["StateValue"], "ALARM");
    assert!(h.sink.take().is_empty());
    h.ok("EnableAlarmActions", json!({"AlarmNames": ["muted"]}))
        .await;
    assert_eq!(h.alarm("muted").await["ActionsEnabled"], true);
    let kinds: Vec<String> = h
        .history("muted")
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "ConfigurationUpdate",
            "ConfigurationUpdate",
            "StateUpdate",
            "ConfigurationUpdate"
        ]
    );
}

#[tokio::test]
async fn put_metric_alarm_is_validated_as_cloudwatch_validates_it() {
    let h = Harness::new();
    let check = async |changes: Json, expected: (&str, &str)| {
        let mut body = seed_alarm("v", "M");
        for (key, value) in changes.as_object().unwrap() {
            if value.is_null() {
                body.as_object_mut().unwrap().remove(key);
            } else {
                body[key] = value.clone();
            }
        }
        let (status, code, message) = h.fails("PutMetricAlarm", body).await;
        assert_eq!(status, 400, "{changes}");
        assert_eq!((code.as_str(), message.as_str()), expected, "{changes}");
    };
    check(
        json!({"Period": 45}),
        (
            "ValidationError",
            "Period must be 10, 30 or a multiple of 60",
        ),
    )
    .await;
    check(
        json!({"EvaluationPeriods": 2, "DatapointsToAlarm": 3}),
        (
            "ValidationError",
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
        ),
    )
    .await;
    check(
        json!({"Period": 600, "EvaluationPeriods": 145}),
        (
            "ValidationError",
            "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)",
        ),
    )
    .await;
    check(
        json!({"ComparisonOperator": "Bigger"}),
        (
            "ValidationError",
            "1 validation error detected: Value 'Bigger' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold]",
        ),
    )
    .await;
    check(
        json!({"TreatMissingData": "sometimes"}),
        (
            "ValidationError",
            "Option sometimes is not supported. Supported options for parameter TreatMissingData are missing, ignore, breaching and notBreaching.",
        ),
    )
    .await;
    check(
        json!({"ExtendedStatistic": "p99"}),
        (
            "InvalidParameterCombination",
            "Exactly one of the parameters Statistic and ExtendedStatistic must be specified.",
        ),
    )
    .await;
    check(
        json!({"Statistic": null, "ExtendedStatistic": "tm90"}),
        (
            "InvalidParameterValue",
            "The value tm90 for parameter ExtendedStatistic is not supported.",
        ),
    )
    .await;
    check(
        json!({"Statistic": "Median"}),
        (
            "ValidationError",
            "1 validation error detected: Value 'Median' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]",
        ),
    )
    .await;
    check(
        json!({"AlarmName": null}),
        ("MissingParameter", "The parameter AlarmName is required."),
    )
    .await;
    check(
        json!({"AlarmName": "x".repeat(256)}),
        (
            "ValidationError",
            &format!(
                "1 validation error detected: Value '{}' at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255",
                "x".repeat(256)
            ),
        ),
    )
    .await;
    check(
        json!({"AlarmActions": ["not-an-arn"]}),
        ("ValidationError", "Invalid arn syntax: not-an-arn"),
    )
    .await;
    check(
        json!({"EvaluationPeriods": 0}),
        (
            "ValidationError",
            "1 validation error detected: Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
    )
    .await;
    check(
        json!({"Metrics": [{"Id": "m1", "Expression": "1"}]}),
        (
            "ValidationError",
            "The parameter Metrics is not supported by OpenTrail: alarms watch one metric (MetricName, Namespace, Statistic or ExtendedStatistic, Period).",
        ),
    )
    .await;
    check(
        json!({"Period": "abc"}),
        (
            "InvalidParameterValue",
            "The value abc for parameter Period is invalid.",
        ),
    )
    .await;
    // High-resolution periods and week-long spans of hourly periods are fine.
    let mut fine = seed_alarm("fine", "M");
    fine["Period"] = json!(10);
    h.ok("PutMetricAlarm", fine.clone()).await;
    fine["Period"] = json!(3600);
    fine["EvaluationPeriods"] = json!(168);
    h.ok("PutMetricAlarm", fine).await;
}

#[tokio::test]
async fn the_alarm_quota_answers_limit_exceeded() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let clock = Arc::new(ManualClock(Mutex::new(start_time())));
    let options = MonitoringOptions {
        max_alarms_per_region: 1,
        ..MonitoringOptions::default()
    };
    let service = open(dir.path(), &sink, &clock, options);
    let (status, _, _) = call_as(&service, ACCOUNT, "PutMetricAlarm", seed_alarm("a", "M")).await;
    assert_eq!(status, 200);
    // Updating the existing alarm is not a new one.
    let (status, _, _) = call_as(&service, ACCOUNT, "PutMetricAlarm", seed_alarm("a", "M")).await;
    assert_eq!(status, 200);
    let (status, json, headers) =
        call_as(&service, ACCOUNT, "PutMetricAlarm", seed_alarm("b", "M")).await;
    assert_eq!(status, 400, "{json}");
    assert_eq!(headers["x-amzn-query-error"], "LimitExceeded;Sender");
    // Another account has its own quota.
    let (status, _, _) = call_as(
        &service,
        "210987654321",
        "PutMetricAlarm",
        seed_alarm("b", "M"),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn put_metric_data_is_validated_on_both_paths() {
    let h = Harness::new();
    let check = async |datum: Json, expected: (&str, &str)| {
        let body = json!({"Namespace": "App", "MetricData": [datum]});
        let (_, code, message) = h.fails("PutMetricData", body).await;
        assert_eq!((code.as_str(), message.as_str()), expected, "{datum}");
    };
    check(
        json!({"MetricName": "m", "Value": 1, "Values": [1]}),
        (
            "InvalidParameterValue",
            "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.",
        ),
    )
    .await;
    check(
        json!({"MetricName": "m", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}),
        (
            "InvalidParameterCombination",
            "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both.",
        ),
    )
    .await;
    check(
        json!({"MetricName": "m", "Values": [1, 2], "Counts": [1]}),
        (
            "InvalidParameterValue",
            "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.",
        ),
    )
    .await;
    check(
        json!({"MetricName": "m", "Value": 1, "Timestamp": 1_000_000_000}),
        (
            "InvalidParameterValue",
            "The parameter MetricData.member.1.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.",
        ),
    )
    .await;
    check(
        json!({"Value": 1}),
        (
            "MissingParameter",
            "The parameter MetricData.member.1.MetricName is required.",
        ),
    )
    .await;
    let (_, code, _) = h
        .fails(
            "PutMetricData",
            json!({"Namespace": "AWS/EC2", "MetricData": [{"MetricName": "m", "Value": 1}]}),
        )
        .await;
    assert_eq!(code, "InvalidParameterValue");
    let mut nan = datum("m", f64::NAN, start_time());
    nan.namespace = "App".into();
    let error = h
        .service
        .put_metric_data(ACCOUNT, REGION, vec![nan])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "metric datum refused (InvalidParameterValue): The value NaN for parameter MetricData.member.1.Value is invalid."
    );
}

#[tokio::test]
async fn statistics_and_metric_data_read_back_what_was_put() {
    let h = Harness::new();
    let t0 = start_time();
    h.ok(
        "PutMetricData",
        json!({"Namespace": "App", "MetricData": [
            {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}], "Value": 10, "Unit": "Milliseconds", "Timestamp": t0.timestamp()},
            {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}], "Values": [20, 30], "Counts": [1, 2], "Unit": "Milliseconds", "Timestamp": t0.timestamp()},
            {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}], "StatisticValues": {"SampleCount": 2, "Sum": 100, "Minimum": 40, "Maximum": 60}, "Unit": "Milliseconds", "Timestamp": t0.timestamp() + 60},
        ]}),
    )
    .await;
    let statistics = h
        .ok(
            "GetMetricStatistics",
            json!({
                "Namespace": "App", "MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}],
                "StartTime": t0.timestamp() - 600, "EndTime": t0.timestamp() + 600, "Period": 60,
                "Statistics": ["Sum", "SampleCount", "Maximum"], "ExtendedStatistics": ["p50"],
            }),
        )
        .await;
    assert_eq!(statistics["Label"], "Latency");
    assert_eq!(
        statistics["Datapoints"],
        json!([
            {"Timestamp": 1_768_046_400.0, "SampleCount": 4.0, "Sum": 90.0, "Maximum": 30.0, "Unit": "Milliseconds", "ExtendedStatistics": {"p50": 20.0}},
            {"Timestamp": 1_768_046_460.0, "SampleCount": 2.0, "Sum": 100.0, "Maximum": 60.0, "Unit": "Milliseconds"},
        ])
    );
    let data = h
        .ok(
            "GetMetricData",
            json!({
                "StartTime": t0.timestamp() - 600, "EndTime": t0.timestamp() + 600,
                "MetricDataQueries": [
                    {"Id": "sum", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}]}, "Period": 60, "Stat": "Sum"}},
                    {"Id": "hidden", "ReturnData": false, "Label": "x", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Latency"}, "Period": 60, "Stat": "Sum"}},
                ],
            }),
        )
        .await;
    assert_eq!(
        data["MetricDataResults"],
        json!([{
            "Id": "sum", "Label": "Latency", "Timestamps": [1_768_046_460.0, 1_768_046_400.0],
            "Values": [100.0, 90.0], "StatusCode": "Complete", "Messages": [],
        }])
    );
    let (_, code, message) = h
        .fails(
            "GetMetricStatistics",
            json!({"Namespace": "App", "MetricName": "Latency", "StartTime": 0, "EndTime": 86_400 * 2, "Period": 60, "Statistics": ["Sum"]}),
        )
        .await;
    assert_eq!(code, "InvalidParameterCombination");
    assert_eq!(
        message,
        "You have requested up to 2,880 datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
    );
    let (_, code, message) = h
        .fails(
            "GetMetricData",
            json!({"StartTime": 0, "EndTime": 60, "MetricDataQueries": [{"Id": "Bad"}]}),
        )
        .await;
    assert_eq!(code, "ValidationError");
    assert_eq!(
        message,
        "The value Bad for parameter MetricDataQueries.member.1.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$."
    );
}

#[tokio::test]
async fn list_metrics_filters_and_pages() {
    let h = Harness::new();
    let mut data = Vec::new();
    for index in 0..502 {
        let mut item = datum("Requests", 1.0, start_time());
        item.dimensions = vec![Dimension::new("Api", format!("api-{index:03}"))];
        data.push(item);
    }
    data.push(datum("Errors", 1.0, start_time()));
    h.service.put_metric_data(ACCOUNT, REGION, data).unwrap();
    let first = h
        .ok("ListMetrics", json!({"Namespace": "CloudTrailMetrics"}))
        .await;
    assert_eq!(first["Metrics"].as_array().unwrap().len(), 500);
    let second = h
        .ok(
            "ListMetrics",
            json!({"Namespace": "CloudTrailMetrics", "NextToken": first["NextToken"]}),
        )
        .await;
    assert_eq!(second["Metrics"].as_array().unwrap().len(), 3);
    assert!(second.get("NextToken").is_none());
    let filtered = h
        .ok(
            "ListMetrics",
            json!({"Dimensions": [{"Name": "Api", "Value": "api-007"}]}),
        )
        .await;
    assert_eq!(
        filtered["Metrics"],
        json!([{"Namespace": "CloudTrailMetrics", "MetricName": "Requests", "Dimensions": [{"Name": "Api", "Value": "api-007"}]}])
    );
    let (_, code, message) = h.fails("ListMetrics", json!({"NextToken": "abc"})).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "InvalidParameterValue",
            "Request parameter NextToken is invalid"
        )
    );
    // Another account sees none of it.
    let (_, other, _) = call_as(&h.service, "210987654321", "ListMetrics", json!({})).await;
    assert_eq!(other["Metrics"], json!([]));
}

#[tokio::test]
async fn describe_alarms_filters_pages_and_deletes() {
    let h = Harness::new();
    for name in ["a-1", "a-2", "a-3", "b-1"] {
        h.ok("PutMetricAlarm", seed_alarm(name, name)).await;
    }
    let names = |answer: &Json| -> Vec<String> {
        answer["MetricAlarms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["AlarmName"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = h
        .ok(
            "DescribeAlarms",
            json!({"AlarmNamePrefix": "a-", "MaxRecords": 2}),
        )
        .await;
    assert_eq!(names(&page), ["a-1", "a-2"]);
    assert_eq!(page["CompositeAlarms"], json!([]));
    let rest = h
        .ok(
            "DescribeAlarms",
            json!({"AlarmNamePrefix": "a-", "MaxRecords": 2, "NextToken": page["NextToken"]}),
        )
        .await;
    assert_eq!(names(&rest), ["a-3"]);
    h.put("b-1", 1.0);
    let alarming = h.ok("DescribeAlarms", json!({"StateValue": "ALARM"})).await;
    assert_eq!(names(&alarming), ["b-1"]);
    let by_action = h
        .ok(
            "DescribeAlarms",
            json!({"ActionPrefix": "arn:aws:sns:us-east-1:123456789012:al"}),
        )
        .await;
    assert_eq!(names(&by_action).len(), 4);
    let for_metric = h
        .ok(
            "DescribeAlarmsForMetric",
            json!({"MetricName": "a-2", "Namespace": "CloudTrailMetrics", "Statistic": "Sum"}),
        )
        .await;
    assert_eq!(names(&for_metric), ["a-2"]);
    let (_, code, _) = h
        .fails(
            "DescribeAlarms",
            json!({"AlarmNames": ["a-1"], "AlarmNamePrefix": "a"}),
        )
        .await;
    assert_eq!(code, "InvalidParameterCombination");
    let (_, code, _) = h.fails("DescribeAlarms", json!({"MaxRecords": 101})).await;
    assert_eq!(code, "ValidationError");

    h.ok("DeleteAlarms", json!({"AlarmNames": ["a-1", "zzz"]}))
        .await;
    let all = h.ok("DescribeAlarms", json!({})).await;
    assert_eq!(names(&all), ["a-2", "a-3", "b-1"]);
    let deleted = h.history("a-1").await;
    assert_eq!(
        deleted.last().unwrap(),
        &(
            "ConfigurationUpdate".to_owned(),
            "Alarm \"a-1\" deleted".to_owned()
        )
    );
}

#[tokio::test]
async fn state_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let clock = Arc::new(ManualClock(Mutex::new(start_time())));
    {
        let service = open(dir.path(), &sink, &clock, MonitoringOptions::default());
        call_as(
            &service,
            ACCOUNT,
            "PutMetricAlarm",
            seed_alarm("kept", "Kept"),
        )
        .await;
        service
            .put_metric_data(ACCOUNT, REGION, vec![datum("Kept", 2.0, start_time())])
            .unwrap();
    }
    let service = open(dir.path(), &sink, &clock, MonitoringOptions::default());
    let (_, answer, _) = call_as(&service, ACCOUNT, "DescribeAlarms", json!({})).await;
    assert_eq!(answer["MetricAlarms"][0]["StateValue"], "ALARM");
    let (_, stats, _) = call_as(
        &service,
        ACCOUNT,
        "GetMetricStatistics",
        json!({"Namespace": "CloudTrailMetrics", "MetricName": "Kept", "StartTime": start_time().timestamp() - 300,
               "EndTime": start_time().timestamp() + 300, "Period": 300, "Statistics": ["Sum"]}),
    )
    .await;
    assert_eq!(stats["Datapoints"][0]["Sum"], 2.0);
    let (_, history, _) = call_as(&service, ACCOUNT, "DescribeAlarmHistory", json!({})).await;
    assert_eq!(history["AlarmHistoryItems"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn retention_drops_old_datapoints_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(RecordingSink::default());
    let clock = Arc::new(ManualClock(Mutex::new(start_time())));
    let options = MonitoringOptions {
        datapoint_retention: Duration::from_secs(3600),
        history_retention: Duration::from_secs(7200),
        prune_interval: Duration::from_secs(0),
        ..MonitoringOptions::default()
    };
    let service = open(dir.path(), &sink, &clock, options);
    call_as(
        &service,
        ACCOUNT,
        "PutMetricAlarm",
        seed_alarm("old", "Old"),
    )
    .await;
    service
        .put_metric_data(ACCOUNT, REGION, vec![datum("Old", 1.0, start_time())])
        .unwrap();
    clock.set(start_time() + chrono::Duration::seconds(5400));
    service.evaluate_due_alarms().unwrap();
    let (_, metrics, _) = call_as(&service, ACCOUNT, "ListMetrics", json!({})).await;
    assert_eq!(metrics["Metrics"], json!([]));
    let (_, history, _) = call_as(&service, ACCOUNT, "DescribeAlarmHistory", json!({})).await;
    assert!(!history["AlarmHistoryItems"].as_array().unwrap().is_empty());
    clock.set(start_time() + chrono::Duration::seconds(3 * 3600));
    service.evaluate_due_alarms().unwrap();
    let (_, history, _) = call_as(&service, ACCOUNT, "DescribeAlarmHistory", json!({})).await;
    let summaries: Vec<&str> = history["AlarmHistoryItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["HistorySummary"].as_str().unwrap())
        .collect();
    // Only the change found by the tick at 1.5 h is younger than two hours.
    assert_eq!(summaries, ["Alarm updated from ALARM to INSUFFICIENT_DATA"]);
}

#[tokio::test]
async fn the_evaluator_task_ticks_and_stops() {
    let h = Harness::new();
    let mut alarm = seed_alarm("ticked", "Ticked");
    alarm["TreatMissingData"] = json!("notBreaching");
    h.ok("PutMetricAlarm", alarm).await;
    let evaluator = h.service.start();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while h.alarm("ticked").await["StateValue"] != "OK" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the evaluator never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    evaluator.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_get_aws_errors() {
    let h = Harness::new();
    let request = |builder: http::request::Builder, body: &'static [u8]| {
        builder.body(Bytes::from_static(body)).unwrap()
    };
    let cbor = http::Request::builder()
        .method("POST")
        .uri("/service/GraniteServiceVersion20100801/operation/DescribeAlarms")
        .header("smithy-protocol", "rpc-v2-cbor");
    let response = h
        .service
        .handle(ACCOUNT, REGION, request(cbor, b"\xff\xff"))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["x-amzn-query-error"],
        "SerializationException;Sender"
    );
    let json = http::Request::builder().method("POST").uri("/").header(
        "x-amz-target",
        "GraniteServiceVersion20100801.DescribeAlarms",
    );
    let response = h.service.handle(ACCOUNT, REGION, request(json, b"{")).await;
    assert_eq!(response.status(), 400);
    let query = http::Request::builder().method("POST").uri("/");
    let response = h
        .service
        .handle(
            ACCOUNT,
            REGION,
            request(query, b"Action=DescribeAlarms&MaxRecords=x"),
        )
        .await;
    assert_eq!(response.status(), 400);
    let body = String::from_utf8(response.body().to_vec()).unwrap();
    assert!(
        body.contains("<Code>InvalidParameterValue</Code>"),
        "{body}"
    );
}
