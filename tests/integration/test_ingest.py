"""Ingest of CloudTrail records: the whole real corpus goes in with original bytes, bad records are
reported one by one while good ones are kept, and records belong to the ingesting account."""

import glob
import gzip
import json
import os
import subprocess

from conftest import ACCOUNT, BIN, CORPUS_DIR, OTHER_ACCOUNT, OTHER_KEY, OTHER_SECRET, ROOT_KEY, ROOT_SECRET
from signing import ingest

CORPUS = CORPUS_DIR


def run_ingest(server, files, key=ROOT_KEY, secret=ROOT_SECRET):
    env = server.aws_env(key, secret)
    return subprocess.run([BIN, "ingest", *files], env=env, capture_output=True, text=True, timeout=300)


def test_every_real_corpus_record_goes_in_with_original_bytes(server):
    files = sorted(glob.glob(f"{CORPUS}/*/*.json"))
    assert len(files) > 50
    result = run_ingest(server, files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("total: 3210 accepted, 0 rejected")
    ingested = [e for e in server.records() if e["source"] == "Ingest"]
    assert len(ingested) == 3210
    assert all(e["account"] == ACCOUNT for e in ingested)
    dump = subprocess.run([BIN, "log", "dump", "--data-dir", server.data_dir], capture_output=True, text=True).stdout
    assert "1.688560107857E9" in dump
    corpus_ids = set()
    for path in files:
        with open(path) as handle:
            document = json.load(handle)
        records = document["Records"] if isinstance(document, dict) else document
        corpus_ids.update(r["eventID"] for r in records)
    assert {e["record"]["eventID"] for e in ingested} == corpus_ids
    audits = server.records_where(eventName="IngestRecords")
    assert len(audits) == len(files)
    assert sum(a["record"]["responseElements"]["accepted"] for a in audits) == 3210


def test_bad_records_fail_alone_and_are_reported_with_reasons(server, tmp_path):
    good = {"eventVersion": "1.08", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "ListBuckets", "awsRegion": "us-east-1", "eventID": "good-1", "eventType": "AwsApiCall"}
    lines = [json.dumps(good), json.dumps(dict(good, eventID="bad-time", eventTime="yesterday")),
             '{"truncated": ', json.dumps(dict(good, eventID="good-2"))]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run_ingest(server, [str(path)])
    assert result.returncode != 0
    assert "2 accepted, 2 rejected" in result.stdout
    assert 'record 1 (eventID bad-time): eventTime "yesterday" is not an ISO 8601 UTC time' in result.stdout
    assert "record 2: record is not valid JSON" in result.stdout
    ids = [e["record"]["eventID"] for e in server.records() if e["source"] == "Ingest"]
    assert ids == ["good-1", "good-2"]


def test_gzipped_log_files_and_ownership_by_the_ingesting_account(server, tmp_path):
    record = {"eventVersion": "1.08", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "iam.amazonaws.com",
              "eventName": "CreateUser", "awsRegion": "us-east-1", "eventID": "owned-1", "eventType": "AwsApiCall",
              "recipientAccountId": ACCOUNT}
    path = tmp_path / "file.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    result = run_ingest(server, [str(path)], key=OTHER_KEY, secret=OTHER_SECRET)
    assert result.returncode == 0, result.stdout + result.stderr
    [entry] = [e for e in server.records() if e["source"] == "Ingest"]
    assert entry["account"] == OTHER_ACCOUNT
    assert entry["record"]["recipientAccountId"] == ACCOUNT  # the record itself is unchanged


def test_ingest_endpoint_refuses_unauthenticated_and_oversized_records(server):
    status, body = ingest(server, b'{"Records":[]}', "AKIANOBODY0000000000", "x")
    assert status == 400 and body["__type"] == "UnrecognizedClientException"
    big = {"eventVersion": "1.08", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "x.amazonaws.com",
           "eventName": "Big", "awsRegion": "us-east-1", "eventID": "big", "eventType": "AwsApiCall",
           "requestParameters": {"blob": "x" * 300_000}}
    status, body = ingest(server, json.dumps({"Records": [big]}).encode(), ROOT_KEY, ROOT_SECRET)
    assert status == 200
    assert body["accepted"] == 0
    assert "over the 262144-byte limit" in body["rejected"][0]["reason"]
