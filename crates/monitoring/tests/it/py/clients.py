"""Drives OpenTrail's CloudWatch subset with the real clients: the aws CLI (as subprocesses, the
seed's commands unchanged) and boto3, once per protocol of the service model. rpc-v2-cbor is what
botocore picks by itself; json and query are forced by putting a copy of botocore's own
cloudwatch model, with only its protocol changed, on AWS_DATA_PATH.

Usage: clients.py http://127.0.0.1:PORT
Prints one line per check and ends with `N passed, N failed`; exits 1 on any failure.
"""

import datetime
import json
import os
import subprocess
import sys
import tempfile

import boto3
import botocore
import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
PROTOCOLS = {"cbor": "smithy-rpc-v2-cbor", "json": "json", "query": "query"}
UTC = datetime.timezone.utc

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def model_dir(protocol):
    """A data path holding botocore's cloudwatch model with `protocol` as its only protocol."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    root = tempfile.mkdtemp(prefix=f"cw-{protocol}-")
    version_dir = os.path.join(root, "cloudwatch", model["metadata"]["apiVersion"])
    os.makedirs(version_dir)
    with open(os.path.join(version_dir, "service-2.json"), "w") as out:
        json.dump(model, out)
    return root


def environment(data_path):
    env = dict(os.environ)
    env.update({
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": REGION,
    })
    env.pop("AWS_DATA_PATH", None)
    if data_path:
        env["AWS_DATA_PATH"] = data_path
    return env


def aws(env, *args):
    command = [sys.executable, "-m", "awscli", "cloudwatch", *args,
               "--endpoint-url", ENDPOINT, "--no-sign-request", "--region", REGION, "--output", "json"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    output = json.loads(result.stdout) if result.stdout.strip() else None
    return result.returncode, output, result.stderr


def client(data_path):
    session = botocore.session.get_session()
    if data_path:
        session.set_config_variable("data_path", data_path)
    return boto3.Session(botocore_session=session).client(
        "cloudwatch", endpoint_url=ENDPOINT, region_name=REGION,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def cli_scenario(tag, env):
    name = f"{tag}-s3-get"
    bucket = f"{tag}-secret"
    now = datetime.datetime.now(UTC)
    rc, _, err = aws(env, "put-metric-alarm", "--alarm-name", name, "--alarm-description", "GetObject on secret",
                     "--metric-name", "GetObjectCount", "--namespace", "CloudTrailMetrics", "--statistic", "Sum",
                     "--period", "300", "--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold",
                     "--evaluation-periods", "1", "--alarm-actions", TOPIC,
                     "--dimensions", f"Name=BucketName,Value={bucket}", "--unit", "Count")
    check(f"{tag} cli put-metric-alarm", rc == 0, err)
    rc, out, err = aws(env, "describe-alarms", "--alarm-names", name)
    alarm = (out or {}).get("MetricAlarms", [{}])[0] if rc == 0 else {}
    check(f"{tag} cli describe-alarms initial state",
          alarm.get("StateValue") == "INSUFFICIENT_DATA"
          and alarm.get("StateReason") == "Unchecked: Initial alarm creation"
          and alarm.get("Threshold") == 1.0 and alarm.get("Period") == 300
          and alarm.get("Dimensions") == [{"Name": "BucketName", "Value": bucket}]
          and alarm.get("AlarmActions") == [TOPIC] and alarm.get("OKActions") == []
          and alarm.get("AlarmArn") == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
          and out.get("CompositeAlarms") == [], f"{rc} {out} {err}")
    rc, _, err = aws(env, "put-metric-data", "--namespace", "CloudTrailMetrics", "--metric-name", "GetObjectCount",
                     "--value", "1", "--unit", "Count", "--dimensions", f"BucketName={bucket}")
    check(f"{tag} cli put-metric-data", rc == 0, err)
    rc, out, err = aws(env, "describe-alarms", "--state-value", "ALARM", "--alarm-name-prefix", tag)
    alarms = (out or {}).get("MetricAlarms", [])
    check(f"{tag} cli alarm fired within the put",
          [a["AlarmName"] for a in alarms] == [name]
          and alarms[0]["StateReason"].startswith("Threshold Crossed: 1 datapoint [1.0 ("), f"{rc} {out} {err}")
    rc, out, err = aws(env, "describe-alarm-history", "--alarm-name", name, "--history-item-type", "StateUpdate")
    items = (out or {}).get("AlarmHistoryItems", [])
    data = json.loads(items[0]["HistoryData"]) if items else {}
    check(f"{tag} cli describe-alarm-history",
          len(items) == 1 and items[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
          and data.get("newState", {}).get("stateValue") == "ALARM", f"{rc} {out} {err}")
    rc, out, err = aws(env, "get-metric-statistics", "--namespace", "CloudTrailMetrics", "--metric-name",
                       "GetObjectCount", "--dimensions", f"Name=BucketName,Value={bucket}",
                       "--start-time", (now - datetime.timedelta(hours=1)).isoformat(),
                       "--end-time", (now + datetime.timedelta(hours=1)).isoformat(),
                       "--period", "300", "--statistics", "Sum", "SampleCount")
    points = (out or {}).get("Datapoints", [])
    check(f"{tag} cli get-metric-statistics",
          out is not None and out.get("Label") == "GetObjectCount" and len(points) == 1
          and points[0]["Sum"] == 1.0 and points[0]["Unit"] == "Count", f"{rc} {out} {err}")
    rc, out, err = aws(env, "list-metrics", "--namespace", "CloudTrailMetrics", "--metric-name", "GetObjectCount")
    check(f"{tag} cli list-metrics",
          rc == 0 and {"Namespace": "CloudTrailMetrics", "MetricName": "GetObjectCount",
                       "Dimensions": [{"Name": "BucketName", "Value": bucket}]} in out.get("Metrics", []),
          f"{rc} {out} {err}")
    rc, _, err = aws(env, "set-alarm-state", "--alarm-name", name, "--state-value", "OK", "--state-reason", "test")
    check(f"{tag} cli set-alarm-state", rc == 0, err)
    rc, _, err = aws(env, "put-metric-alarm", "--alarm-name", "bad", "--metric-name", "M", "--namespace", "N",
                     "--statistic", "Sum", "--period", "45", "--threshold", "1",
                     "--comparison-operator", "GreaterThanThreshold", "--evaluation-periods", "1")
    check(f"{tag} cli validation error",
          rc != 0 and "(ValidationError)" in err and "Period must be 10, 30 or a multiple of 60" in err, f"{rc} {err}")
    rc, _, err = aws(env, "set-alarm-state", "--alarm-name", "missing", "--state-value", "OK", "--state-reason", "x")
    check(f"{tag} cli ResourceNotFound", rc != 0 and "(ResourceNotFound)" in err and "Alarm missing not found" in err,
          f"{rc} {err}")
    rc, _, err = aws(env, "delete-alarms", "--alarm-names", name)
    rc2, out, err2 = aws(env, "describe-alarms", "--alarm-name-prefix", tag)
    check(f"{tag} cli delete-alarms", rc == 0 and rc2 == 0 and out.get("MetricAlarms") == [], f"{err} {err2} {out}")


def boto3_scenario(tag, cw, protocol):
    check(f"{tag} boto3 speaks {protocol}", cw.meta.service_model.protocol == protocol,
          cw.meta.service_model.protocol)
    now = datetime.datetime.now(UTC).replace(microsecond=0)
    namespace = f"App-{tag}"
    for name in (f"{tag}-p90", f"{tag}-sum"):
        cw.put_metric_alarm(
            AlarmName=name, MetricName="Latency", Namespace=namespace,
            Dimensions=[{"Name": "Api", "Value": "get"}], Period=60, EvaluationPeriods=3,
            DatapointsToAlarm=2 if name.endswith("p90") else 1,
            Threshold=250.0, ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
            AlarmActions=[TOPIC], OKActions=[TOPIC],
            **({"ExtendedStatistic": "p90"} if name.endswith("p90") else {"Statistic": "Sum"}),
        )
    response = cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "get"}], "Timestamp": now,
         "Values": [100.0, 200.0, 300.0], "Counts": [5.0, 3.0, 2.0], "Unit": "Milliseconds"},
        {"MetricName": "Sizes", "Timestamp": now,
         "StatisticValues": {"SampleCount": 2.0, "Sum": 10.0, "Minimum": 4.0, "Maximum": 6.0}, "Unit": "Bytes"},
    ])
    check(f"{tag} boto3 put_metric_data", response["ResponseMetadata"]["HTTPStatusCode"] == 200
          and response["ResponseMetadata"].get("RequestId"), response)
    stats = cw.get_metric_statistics(
        Namespace=namespace, MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "get"}],
        StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=5), Period=60,
        Statistics=["SampleCount", "Average", "Maximum"], ExtendedStatistics=["p50", "p90"], Unit="Milliseconds")
    point = stats["Datapoints"][0] if stats["Datapoints"] else {}
    check(f"{tag} boto3 get_metric_statistics",
          point.get("SampleCount") == 10.0 and point.get("Average") == 170.0 and point.get("Maximum") == 300.0
          and point.get("ExtendedStatistics") == {"p50": 100.0, "p90": 300.0}
          and isinstance(point.get("Timestamp"), datetime.datetime), stats)
    data = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "lat", "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "Latency",
                                                   "Dimensions": [{"Name": "Api", "Value": "get"}]},
                                        "Period": 60, "Stat": "Sum"}},
            {"Id": "size", "Label": "bytes", "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": "Sizes"},
                                                            "Period": 60, "Stat": "Maximum"}},
        ],
        StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=5))
    results = {r["Id"]: r for r in data["MetricDataResults"]}
    check(f"{tag} boto3 get_metric_data",
          results.get("lat", {}).get("Values") == [1700.0] and results.get("size", {}).get("Values") == [6.0]
          and results["size"]["Label"] == "bytes" and results["lat"]["StatusCode"] == "Complete"
          and results["lat"]["Timestamps"][0] == now.replace(second=0), data)
    alarms = cw.describe_alarms(AlarmNamePrefix=tag)["MetricAlarms"]
    states = {a["AlarmName"]: a["StateValue"] for a in alarms}
    check(f"{tag} boto3 sum alarm fired within the put, p90 waits for the period to close",
          states == {f"{tag}-p90": "OK", f"{tag}-sum": "ALARM"}, states)
    p90 = next(a for a in alarms if a["AlarmName"] == f"{tag}-p90")
    check(f"{tag} boto3 describe_alarms shapes",
          p90["ExtendedStatistic"] == "p90" and p90["DatapointsToAlarm"] == 2 and p90["TreatMissingData"] == "notBreaching"
          and isinstance(p90["StateUpdatedTimestamp"], datetime.datetime) and p90["ActionsEnabled"] is True, p90)
    pages = cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=tag, PaginationConfig={"PageSize": 1})
    names = [a["AlarmName"] for page in pages for a in page["MetricAlarms"]]
    check(f"{tag} boto3 describe_alarms paginates", names == [f"{tag}-p90", f"{tag}-sum"], names)
    for_metric = cw.describe_alarms_for_metric(MetricName="Latency", Namespace=namespace, Statistic="Sum")
    check(f"{tag} boto3 describe_alarms_for_metric",
          [a["AlarmName"] for a in for_metric["MetricAlarms"]] == [f"{tag}-sum"], for_metric)
    cw.disable_alarm_actions(AlarmNames=[f"{tag}-sum"])
    cw.enable_alarm_actions(AlarmNames=[f"{tag}-sum"])
    history = cw.describe_alarm_history(AlarmName=f"{tag}-sum", HistoryItemType="ConfigurationUpdate")
    summaries = [i["HistorySummary"] for i in history["AlarmHistoryItems"]]
    check(f"{tag} boto3 describe_alarm_history", summaries == [f'Alarm "{tag}-sum" updated'] * 2
          + [f'Alarm "{tag}-sum" created'] and isinstance(history["AlarmHistoryItems"][0]["Timestamp"],
                                                          datetime.datetime), summaries)
    try:
        cw.set_alarm_state(AlarmName="missing", StateValue="OK", StateReason="x")
        check(f"{tag} boto3 modeled ResourceNotFound", False, "no error")
    except cw.exceptions.ResourceNotFound as error:
        check(f"{tag} boto3 modeled ResourceNotFound",
              error.response["ResponseMetadata"]["HTTPStatusCode"] == 404, error.response)
    try:
        cw.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "m", "Value": 1.0, "Values": [1.0]}])
        check(f"{tag} boto3 modeled InvalidParameterValue", False, "no error")
    except cw.exceptions.InvalidParameterValueException as error:
        check(f"{tag} boto3 modeled InvalidParameterValue", "mutually exclusive" in error.response["Error"]["Message"],
              error.response)
    try:
        cw.put_metric_alarm(AlarmName="bad", MetricName="m", Namespace=namespace, Statistic="Sum", Period=60,
                            EvaluationPeriods=1, DatapointsToAlarm=2, Threshold=1.0,
                            ComparisonOperator="GreaterThanThreshold")
        check(f"{tag} boto3 ValidationError", False, "no error")
    except ClientError as error:
        check(f"{tag} boto3 ValidationError", error.response["Error"]["Code"] == "ValidationError"
              and error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response)
    big = [{"MetricName": "Bulk", "Value": float(i), "Timestamp": now} for i in range(1000)]
    cw.put_metric_data(Namespace=namespace, MetricData=big)
    bulk = cw.get_metric_statistics(Namespace=namespace, MetricName="Bulk", StartTime=now - datetime.timedelta(minutes=1),
                                    EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=["SampleCount"])
    check(f"{tag} boto3 gzip-compressed put_metric_data",
          sum(p["SampleCount"] for p in bulk["Datapoints"]) == 1000.0, bulk)
    cw.delete_alarms(AlarmNames=[f"{tag}-p90", f"{tag}-sum"])
    check(f"{tag} boto3 delete_alarms", cw.describe_alarms(AlarmNamePrefix=tag)["MetricAlarms"] == [], "left over")


def main():
    for tag, protocol in PROTOCOLS.items():
        data_path = None if protocol == "smithy-rpc-v2-cbor" else model_dir(protocol)
        cli_scenario(tag, environment(data_path))
        boto3_scenario(tag, client(data_path), protocol)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
