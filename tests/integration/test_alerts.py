"""Seed 004 end to end with the aws CLI: a trail delivers to a CloudWatch Logs log group, a metric
filter with the seed's pattern counts large GetObjects from outside the allowed address, an alarm on
that metric publishes to an SNS topic, a local HTTP subscriber receives the ALARM message, and an
e-mail subscriber gets it through a real SMTP server (aiosmtpd, installed by the test command)."""

import email
import email.policy
import json
import queue
import re
import time
import urllib.request

import pytest
from aiosmtpd.controller import Controller

from conftest import ACCOUNT, free_port
from subscriber import Subscriber
from test_delivery import FAST, wait_for
from test_trails import make_trail_bucket

GROUP = "CloudTrail/DefaultLogGroup"
GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{GROUP}:*"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role"
# seed 004's pattern; 127.0.0.2 is the one address allowed to read large objects
PATTERN = ('{ ($.eventName = "GetObject") && ($.additionalEventData.bytesTransferredOut > 1000 ) && '
           '( ($.sourceIPAddress!="127.0.0.2") && ( ($.vpcEndpointId != "vpce-xxxxxxxx" ) || '
           '($.vpcEndpointId NOT EXISTS) ) ) }')


class MailSink:
    """Collects every message the SMTP server receives."""

    def __init__(self):
        self.messages = queue.Queue()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.put((envelope.rcpt_tos, message))
        return "250 OK"

    def next(self, timeout=20):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no mail within {timeout}s") from None


@pytest.fixture
def smtp():
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


def test_seed_004_large_get_raises_an_alarm_delivered_to_a_subscriber(start_server, tmp_path, smtp):
    server = start_server(FAST, config_extra=f"""
[smtp]
host = "127.0.0.1"
port = {smtp.port}
from = "OpenTrail Alerts <alerts@opentrail.test>"
""")
    aws = server.aws
    subscriber = Subscriber()
    try:
        make_trail_bucket(server, "alert-trail-logs")
        early = aws("cloudtrail", "create-trail", "--name", "alerts", "--s3-bucket-name", "alert-trail-logs",
                    "--cloud-watch-logs-log-group-arn", GROUP_ARN, "--cloud-watch-logs-role-arn", ROLE_ARN,
                    check=False)
        assert early.returncode != 0 and "InvalidCloudWatchLogsLogGroupArnException" in early.stderr
        aws("logs", "create-log-group", "--log-group-name", GROUP)
        aws("s3api", "create-bucket", "--bucket", "sensitive-data")
        (tmp_path / "small.txt").write_bytes(b"s" * 500)
        (tmp_path / "large.bin").write_bytes(b"L" * 4000)
        for name in ["small.txt", "large.bin"]:
            aws("s3api", "put-object", "--bucket", "sensitive-data", "--key", name, "--body", str(tmp_path / name))
        aws("cloudtrail", "create-trail", "--name", "alerts", "--s3-bucket-name", "alert-trail-logs",
            "--cloud-watch-logs-log-group-arn", GROUP_ARN, "--cloud-watch-logs-role-arn", ROLE_ARN)
        selectors = tmp_path / "selectors.json"
        selectors.write_text(json.dumps([{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::sensitive-data/"]}]}]))
        aws("cloudtrail", "put-event-selectors", "--trail-name", "alerts", "--event-selectors", f"file://{selectors}")
        aws("cloudtrail", "start-logging", "--name", "alerts")

        tested = aws("logs", "test-metric-filter", "--filter-pattern", PATTERN, "--log-event-messages",
                     json.dumps({"eventName": "GetObject", "sourceIPAddress": "203.0.113.9",
                                 "additionalEventData": {"bytesTransferredOut": 4000}}),
                     json.dumps({"eventName": "GetObject", "sourceIPAddress": "127.0.0.2",
                                 "additionalEventData": {"bytesTransferredOut": 4000}}))
        assert [match["eventNumber"] for match in tested["matches"]] == [0]
        aws("logs", "put-metric-filter", "--log-group-name", GROUP, "--filter-name", "S3LargeGetOutsideAllowed",
            "--filter-pattern", PATTERN, "--metric-transformations",
            "metricName=S3LargeGetCount,metricNamespace=CloudTrailMetrics,metricValue=1")
        topic = aws("sns", "create-topic", "--name", "s3-alerts")["TopicArn"]
        aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "http", "--notification-endpoint",
            subscriber.url)
        _, confirmation = subscriber.next("SubscriptionConfirmation")
        aws("sns", "confirm-subscription", "--topic-arn", topic, "--token", confirmation["Token"])
        aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "email", "--notification-endpoint",
            "oncall@example.com")
        recipients, confirmation_mail = smtp.next()
        assert recipients == ["oncall@example.com"]
        assert confirmation_mail["Subject"] == "AWS Notification - Subscription Confirmation"
        link = re.search(r"https?://\S+Action=ConfirmSubscription\S+", confirmation_mail.get_content()).group(0)
        with urllib.request.urlopen(link, timeout=10) as answer:
            assert answer.status == 200
        subscriptions = aws("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]
        assert all(item["SubscriptionArn"].startswith("arn:aws:sns:") for item in subscriptions)
        aws("cloudwatch", "put-metric-alarm", "--alarm-name", "s3-large-get", "--metric-name", "S3LargeGetCount",
            "--namespace", "CloudTrailMetrics", "--statistic", "Sum", "--period", "60", "--threshold", "1",
            "--comparison-operator", "GreaterThanOrEqualToThreshold", "--evaluation-periods", "1",
            "--treat-missing-data", "notBreaching", "--alarm-actions", topic)

        aws("s3api", "get-object", "--bucket", "sensitive-data", "--key", "small.txt", str(tmp_path / "out1"))
        wait_for(lambda: "small.txt" in json.dumps(aws("logs", "filter-log-events", "--log-group-name", GROUP,
                                                        "--filter-pattern", '{ $.eventName = "GetObject" }')))
        assert aws("cloudwatch", "describe-alarms", "--alarm-names", "s3-large-get")["MetricAlarms"][0][
            "StateValue"] != "ALARM"
        requested = time.monotonic()
        aws("s3api", "get-object", "--bucket", "sensitive-data", "--key", "large.bin", str(tmp_path / "out2"))
        _, notification = subscriber.next("Notification", timeout=20)
        elapsed = time.monotonic() - requested
        assert notification["TopicArn"] == topic
        assert notification["Subject"].startswith('ALARM: "s3-large-get"')
        alarm = json.loads(notification["Message"])
        assert alarm["AlarmName"] == "s3-large-get" and alarm["NewStateValue"] == "ALARM"
        assert alarm["AWSAccountId"] == ACCOUNT
        assert alarm["Trigger"]["MetricName"] == "S3LargeGetCount"
        print(f"large GetObject answered -> ALARM notification received: {elapsed:.3f} s (incl. aws CLI start)")
        recipients, alarm_mail = smtp.next()
        assert recipients == ["oncall@example.com"]
        assert alarm_mail["Subject"].startswith('ALARM: "s3-large-get"')
        assert "alerts@opentrail.test" in alarm_mail["From"]
        body = alarm_mail.get_content()
        assert json.loads(re.split(r"\r?\n\r?\n--\r?\n", body)[0])["NewStateValue"] == "ALARM"

        matched = aws("logs", "filter-log-events", "--log-group-name", GROUP, "--filter-pattern", PATTERN)
        [event] = matched["events"]
        record = json.loads(event["message"])
        assert record["requestParameters"]["key"] == "large.bin"
        assert event["logStreamName"] == f"{ACCOUNT}_CloudTrail_us-east-1"
        alarms = aws("cloudwatch", "describe-alarms", "--alarm-names", "s3-large-get")["MetricAlarms"]
        assert alarms[0]["StateValue"] == "ALARM"
        history = aws("cloudwatch", "describe-alarm-history", "--alarm-name", "s3-large-get")["AlarmHistoryItems"]
        assert any(item["HistoryItemType"] == "StateUpdate" for item in history)
        status = aws("cloudtrail", "get-trail-status", "--name", "alerts")
        assert "LatestCloudWatchLogsDeliveryTime" in status
        names = {e["record"]["eventSource"] for e in server.records()}
        assert {"logs.amazonaws.com", "monitoring.amazonaws.com", "sns.amazonaws.com"} <= names
    finally:
        subscriber.close()


def cloudwatch_model_with(protocol, root):
    """A botocore data path holding the cloudwatch model with `protocol` as its only protocol (the
    installed CLI speaks rpc-v2-cbor; older clients speak query, some SDKs awsJson1.0)."""
    import botocore.session
    model = botocore.session.get_session().get_component("data_loader").load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    version_dir = root / protocol / "cloudwatch" / model["metadata"]["apiVersion"]
    version_dir.mkdir(parents=True)
    (version_dir / "service-2.json").write_text(json.dumps(model))
    return str(root / protocol)


@pytest.mark.parametrize("protocol", ["smithy-rpc-v2-cbor", "query", "json"])
def test_cloudwatch_protocols_through_the_server_are_signed_and_recorded(server, tmp_path, protocol):
    import subprocess
    env = server.aws_env()
    if protocol != "smithy-rpc-v2-cbor":
        env["AWS_DATA_PATH"] = cloudwatch_model_with(protocol, tmp_path)

    def cloudwatch(*args, check=True):
        result = subprocess.run(["aws", "cloudwatch", *args], env=env, capture_output=True, text=True, timeout=120)
        assert not check or result.returncode == 0, result.stderr
        return json.loads(result.stdout) if check and result.stdout.strip() else result

    now = int(time.time())
    cloudwatch("put-metric-data", "--namespace", "Bench", "--metric-name", "Hits", "--value", "3",
               "--timestamp", str(now))
    cloudwatch("put-metric-alarm", "--alarm-name", f"hits-{protocol}", "--namespace", "Bench",
               "--metric-name", "Hits", "--statistic", "Sum", "--period", "60", "--threshold", "2",
               "--comparison-operator", "GreaterThanThreshold", "--evaluation-periods", "1")
    statistics = cloudwatch("get-metric-statistics", "--namespace", "Bench", "--metric-name", "Hits",
                            "--statistics", "Sum", "--period", "60", "--start-time", str(now - 120),
                            "--end-time", str(now + 60))
    assert [point["Sum"] for point in statistics["Datapoints"]] == [3.0]
    cloudwatch("put-metric-data", "--namespace", "Bench", "--metric-name", "Hits", "--value", "1")
    [alarm] = cloudwatch("describe-alarms", "--alarm-names", f"hits-{protocol}")["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM", alarm
    missing = cloudwatch("set-alarm-state", "--alarm-name", "nope", "--state-value", "OK",
                         "--state-reason", "test", check=False)
    assert missing.returncode != 0 and "ResourceNotFound" in missing.stderr, missing.stderr
    records = [e["record"] for e in server.records() if e["record"]["eventSource"] == "monitoring.amazonaws.com"]
    assert [r["eventName"] for r in records] == ["PutMetricData", "PutMetricAlarm", "GetMetricStatistics",
                                                 "PutMetricData", "DescribeAlarms", "SetAlarmState"]
    assert records[-1]["errorCode"] == "ResourceNotFound" and records[2]["readOnly"] is True
    alarm_parameters = records[1]["requestParameters"]
    assert alarm_parameters["alarmName"] == f"hits-{protocol}"
    assert alarm_parameters["metricName"] == "Hits" and alarm_parameters["namespace"] == "Bench"
    assert all(r["userIdentity"]["accountId"] == ACCOUNT for r in records)
