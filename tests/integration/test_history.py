"""Event history (LookupEvents) over the real corpus: each attribute alone and with time ranges,
the aws CLI (which follows NextToken) and boto3's paginator return every match exactly once newest
first, every error case, data events excluded, a restart changes nothing, and `opentrail lookup`."""

import datetime
import glob
import json
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import BIN, CORPUS_DIR

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def corpus_records():
    records = []
    for path in sorted(glob.glob(f"{CORPUS_DIR}/*/*.json")):
        with open(path) as handle:
            document = json.load(handle)
        records.extend(document["Records"] if isinstance(document, dict) else document)
    return records


def is_management(record):
    return record.get("eventCategory", "Management") == "Management" and record.get("managementEvent") is not False


def ingest_corpus(server):
    result = subprocess.run([BIN, "ingest", *sorted(glob.glob(f"{CORPUS_DIR}/*/*.json"))], env=server.aws_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def lookup_all(client, **kwargs):
    pages = client.get_paginator("lookup_events").paginate(**kwargs)
    return [event for page in pages for event in page["Events"]]


def wait_indexed(client, region, expected, **kwargs):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = lookup_all(client, **kwargs)
        if len(found) >= expected:
            return found
        time.sleep(0.2)
    raise AssertionError(f"only {len(found)} of {expected} events indexed in {region}")


def event_time(record):
    return datetime.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


@pytest.fixture
def history_server(start_server):
    server = start_server(["--history-retention-days", "100000"])
    ingest_corpus(server)
    return server


def expected(records, region, predicate=lambda r: True):
    return [r for r in records if r["awsRegion"] == region and is_management(r) and predicate(r)]


@pytest.mark.parametrize("key, field", [
    ("EventName", lambda r: r["eventName"]),
    ("EventSource", lambda r: r["eventSource"]),
    ("ReadOnly", lambda r: "true" if r.get("readOnly") else "false"),
    ("AccessKeyId", lambda r: (r.get("userIdentity") or {}).get("accessKeyId")),
    ("EventId", lambda r: r["eventID"]),
])
def test_each_attribute_over_the_real_corpus(history_server, key, field):
    records = corpus_records()
    region = "us-east-1"
    client = history_server.client("cloudtrail", region=region)
    everything = expected(records, region)
    wait_indexed(client, region, len(everything))
    sample = next(field(r) for r in everything if field(r))
    want = expected(records, region, lambda r: field(r) == sample)
    got = lookup_all(client, LookupAttributes=[{"AttributeKey": key, "AttributeValue": sample}])
    corpus_ids = {r["eventID"] for r in records}
    assert sorted(e["EventId"] for e in got if e["EventId"] in corpus_ids) == sorted(r["eventID"] for r in want)
    # Anything else is the server's own record of this test's calls (ingest, LookupEvents).
    own = {e["EventSource"] for e in got if e["EventId"] not in corpus_ids}
    assert own <= {"opentrail.amazonaws.com", "cloudtrail.amazonaws.com"}
    times = [e["EventTime"] for e in got]
    assert times == sorted(times, reverse=True)
    assert all(json.loads(e["CloudTrailEvent"])["eventID"] == e["EventId"] for e in got)


def test_time_ranges_are_inclusive_and_the_cli_follows_next_token(history_server):
    records = corpus_records()
    region = "us-east-1"
    client = history_server.client("cloudtrail", region=region)
    everything = expected(records, region)
    wait_indexed(client, region, len(everything))
    times = sorted({event_time(r) for r in everything})
    start, end = times[len(times) // 4], times[len(times) // 2]
    want = [r for r in everything if start <= event_time(r) <= end]
    got = lookup_all(client, StartTime=start, EndTime=end)
    assert sorted(e["EventId"] for e in got) == sorted(r["eventID"] for r in want)  # 2023: no own calls then
    cli = history_server.aws("cloudtrail", "lookup-events", "--start-time", start.isoformat(),
                             "--end-time", end.isoformat(), region=region)
    assert [e["EventId"] for e in cli["Events"]] == [e["EventId"] for e in got]


def test_errors(history_server):
    client = history_server.client("cloudtrail")
    cases = [
        ("InvalidLookupAttributesException", {"LookupAttributes": [
            {"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "EventSource", "AttributeValue": "b"}]}),
        ("InvalidLookupAttributesException", {"LookupAttributes": [{"AttributeKey": "Nope", "AttributeValue": "a"}]}),
        ("InvalidTimeRangeException", {"StartTime": datetime.datetime(2026, 2, 1), "EndTime": datetime.datetime(2026, 1, 1)}),
        ("InvalidMaxResultsException", {"MaxResults": 51}),
        ("InvalidEventCategoryException", {"EventCategory": "data"}),
        ("InvalidNextTokenException", {"NextToken": "not-a-token"}),
    ]
    for code, kwargs in cases:
        with pytest.raises(botocore.exceptions.ClientError) as failure:
            client.lookup_events(**kwargs)
        assert failure.value.response["Error"]["Code"] == code, kwargs


def test_own_api_calls_appear_and_restart_changes_nothing(start_server, tmp_path):
    server = start_server(data_dir=tmp_path / "history")
    client = server.client("cloudtrail")
    client.list_trails()
    found = wait_indexed(client, "us-east-1", 1, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListTrails"}])
    assert found[0]["Username"] == "root" and found[0]["ReadOnly"] == "true"
    before = lookup_all(client)
    server.stop()
    server = start_server(data_dir=tmp_path / "history", port=server.port)
    after = lookup_all(server.client("cloudtrail"))
    assert [e["EventId"] for e in after[-len(before):]] == [e["EventId"] for e in before]
    result = subprocess.run([BIN, "lookup", "--attribute", "EventName=ListTrails", "--since", "1h", "--json"],
                            env=server.aws_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["EventId"] for line in result.stdout.splitlines()] == [found[0]["EventId"]]
