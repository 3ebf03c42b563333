"""Crash safety of the real binary: `kill -9` while many clients write, restart, and prove that every
acknowledged event is present exactly once (and nothing is duplicated)."""

import collections
import json
import threading
import time

import botocore.exceptions

from conftest import ROOT_KEY, ROOT_SECRET
from signing import ingest

WRITERS = 8
BATCH = 20


def record(event_id):
    return json.dumps({"eventVersion": "1.08", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
                       "eventName": "GetObject", "awsRegion": "us-east-1", "eventID": event_id,
                       "eventType": "AwsApiCall"})


def test_kill_9_under_load_loses_no_acknowledged_event(start_server, tmp_path):
    server = start_server(data_dir=tmp_path / "crash")
    acknowledged_ingest, acknowledged_calls = [], []
    stop = threading.Event()
    lock = threading.Lock()

    def ingest_writer(writer):
        sequence = 0
        while not stop.is_set():
            ids = [f"w{writer}-{sequence}-{index}" for index in range(BATCH)]
            sequence += 1
            try:
                status, body = ingest(server, "\n".join(record(i) for i in ids).encode(), ROOT_KEY, ROOT_SECRET)
            except OSError:
                return
            if status == 200 and body["accepted"] == BATCH:
                with lock:
                    acknowledged_ingest.extend(ids)

    def api_writer():
        sts = server.client("sts")
        while not stop.is_set():
            try:
                request_id = sts.get_caller_identity()["ResponseMetadata"]["RequestId"]
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
                return
            with lock:
                acknowledged_calls.append(request_id)

    threads = [threading.Thread(target=ingest_writer, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=api_writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged_ingest) < 6000 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged_ingest) >= 6000 and acknowledged_calls

    restarted = start_server(data_dir=tmp_path / "crash", port=server.port)
    assert restarted.client("sts").get_caller_identity()["Account"]
    restarted.stop()
    entries = restarted.records()
    ingested = collections.Counter(e["record"]["eventID"] for e in entries if e["source"] == "Ingest")
    duplicated = [event_id for event_id, count in ingested.items() if count > 1]
    assert duplicated == []
    missing = [event_id for event_id in acknowledged_ingest if event_id not in ingested]
    assert missing == []
    request_ids = collections.Counter(e["record"].get("requestID") for e in entries if e["source"] == "SelfAudit")
    assert [r for r in acknowledged_calls if request_ids[r] != 1] == []
    assert [e["seq"] for e in entries] == list(range(len(entries)))
