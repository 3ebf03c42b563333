"""Trails deliver: log files with AWS's key layout, hourly-style signed digest chains that the
unmodified `aws cloudtrail validate-logs` accepts (and exactly which INVALID lines it prints after each
kind of tampering), chains across restarts and Stop/StartLogging, an upstream S3 outage with zero
loss, and SNS notifications. The server runs with short intervals so no test waits for AWS's cadence."""

import datetime
import gzip
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time

import pytest
import rsa

from conftest import ACCOUNT, BIN, free_port
from subscriber import Subscriber
from test_trails import make_trail_bucket

FAST = ["--delivery-interval", "300ms", "--digest-interval", "2s"]
LOG_KEY = re.compile(r"^AWSLogs/123456789012/CloudTrail/us-east-1/\d{4}/\d{2}/\d{2}/"
                     r"123456789012_CloudTrail_us-east-1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$")


def wait_for(predicate, timeout=30, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def keys(server, bucket, prefix=""):
    pages = server.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def delivered_records(server, bucket):
    s3 = server.client("s3")
    records = []
    for key in keys(server, bucket, "AWSLogs/123456789012/CloudTrail/"):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        records.extend(json.loads(gzip.decompress(body))["Records"])
    return records


def start_trail(server, bucket="trail-logs", name="main-trail", **kwargs):
    make_trail_bucket(server, bucket)
    cloudtrail = server.client("cloudtrail")
    arn = cloudtrail.create_trail(Name=name, S3BucketName=bucket, EnableLogFileValidation=True, **kwargs)["TrailARN"]
    cloudtrail.start_logging(Name=name)
    return arn


def settle(server, trail="main-trail"):
    """Stops logging and waits until no more objects arrive, so that two validations see one state."""
    server.client("cloudtrail").stop_logging(Name=trail)
    previous = None
    while True:
        current = keys(server, "trail-logs")
        if current == previous:
            return
        previous = current
        time.sleep(3)


def validate(server, arn, start, *extra):
    """Runs the aws CLI's validate-logs and `opentrail validate-logs` with the same arguments, asserts
    they print the same thing and exit alike, and returns the aws CLI's result."""
    end = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = ["--trail-arn", arn, "--start-time", start, "--end-time", end, *extra]
    theirs = server.aws("cloudtrail", "validate-logs", *args, check=False)
    ours = subprocess.run([BIN, "validate-logs", *args], env=server.aws_env(), capture_output=True, text=True,
                          timeout=120)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    return theirs


def test_log_files_arrive_with_aws_layout_and_original_records(start_server):
    server = start_server(FAST)
    start_trail(server)
    described = server.client("cloudtrail").describe_trails()["ResponseMetadata"]["RequestId"]
    found = wait_for(lambda: [r for r in delivered_records(server, "trail-logs") if r.get("requestID") == described])
    [record] = found
    assert record["eventName"] == "DescribeTrails" and record["recipientAccountId"] == ACCOUNT
    log_keys = keys(server, "trail-logs", "AWSLogs/123456789012/CloudTrail/")
    assert log_keys and all(LOG_KEY.match(key) for key in log_keys), log_keys
    body = server.client("s3").get_object(Bucket="trail-logs", Key=log_keys[0])["Body"].read()
    assert gzip.decompress(body).startswith(b'{"Records":[')
    status = server.client("cloudtrail").get_trail_status(Name="main-trail")
    assert "LatestDeliveryTime" in status and "LatestDeliveryError" not in status
    # What the trail delivered equals what the event log holds for the trail's period, once each.
    ids = [r["eventID"] for r in delivered_records(server, "trail-logs")]
    assert len(ids) == len(set(ids))


def test_validate_logs_accepts_the_chain_and_reports_each_tampering(start_server):
    server = start_server(FAST)
    start = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    arn = start_trail(server)
    for _ in range(8):
        server.client("cloudtrail").describe_trails()
        time.sleep(0.6)
    wait_for(lambda: len(keys(server, "trail-logs", "AWSLogs/123456789012/CloudTrail-Digest/")) >= 6, timeout=40)
    settle(server)
    result = validate(server, arn, start, "--verbose")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\d+/\d+ digest files valid$", result.stdout, re.M)
    assert "INVALID" not in result.stdout + result.stderr

    s3 = server.client("s3")
    digests = keys(server, "trail-logs", "AWSLogs/123456789012/CloudTrail-Digest/")
    listed = {key: json.loads(gzip.decompress(s3.get_object(Bucket="trail-logs", Key=key)["Body"].read()))["logFiles"]
              for key in digests}
    # Tamper with log files of one digest that stays intact, and break three other digests.
    holder = next(key for key in reversed(digests) if len(listed[key]) >= 1)
    logs = [entry["s3Object"] for entry in listed[holder]]
    others = [key for key in digests if key != holder]
    assert len(others) >= 3
    deleted_digest, modified_digest, resigned_digest = others[-1], others[-2], others[-3]
    tampered_log = logs[0]
    original = gzip.decompress(s3.get_object(Bucket="trail-logs", Key=tampered_log)["Body"].read())
    s3.put_object(Bucket="trail-logs", Key=tampered_log, Body=gzip.compress(original.replace(b"{\"Records\":[", b"{\"Records\": [")))
    other_logs = [entry["s3Object"] for key in digests if key not in (holder, deleted_digest, modified_digest,
                                                                       resigned_digest) for entry in listed[key]]
    deleted_log = (logs[1:] or other_logs)[0] if (logs[1:] or other_logs) else None
    if deleted_log:
        s3.delete_object(Bucket="trail-logs", Key=deleted_log)
    s3.delete_object(Bucket="trail-logs", Key=deleted_digest)
    stored = s3.get_object(Bucket="trail-logs", Key=modified_digest)
    body = json.loads(gzip.decompress(stored["Body"].read()))
    body["awsAccountId"] = "999999999999"
    s3.put_object(Bucket="trail-logs", Key=modified_digest, Body=gzip.compress(json.dumps(body).encode()),
                  Metadata=stored["Metadata"])
    stored = s3.get_object(Bucket="trail-logs", Key=resigned_digest)
    inflated = gzip.decompress(stored["Body"].read())
    body = json.loads(inflated)
    foreign_public, foreign_private = rsa.newkeys(2048)
    body["digestPublicKeyFingerprint"] = hashlib.md5(foreign_public.save_pkcs1("DER")).hexdigest()
    forged = json.dumps(body).encode()
    message = "\n".join([body["digestEndTime"], f"trail-logs/{resigned_digest}",
                         hashlib.sha256(forged).hexdigest(),
                         body["previousDigestSignature"] or "null"]).encode()
    signature = rsa.sign(message, foreign_private, "SHA-256").hex()
    s3.put_object(Bucket="trail-logs", Key=resigned_digest, Body=gzip.compress(forged),
                  Metadata={"signature": signature, "signature-algorithm": "SHA256withRSA"})

    result = validate(server, arn, start)
    assert result.returncode == 1
    errors = result.stderr
    assert f"Log file\ts3://trail-logs/{tampered_log}\tINVALID: hash value doesn't match" in errors
    assert deleted_log and f"Log file\ts3://trail-logs/{deleted_log}\tINVALID: not found" in errors
    assert f"Digest file\ts3://trail-logs/{deleted_digest}\tINVALID: not found" in errors
    assert f"Digest file\ts3://trail-logs/{modified_digest}\tINVALID: signature verification failed" in errors
    assert (f"Digest file\ts3://trail-logs/{resigned_digest}\tINVALID: public key not found in region us-east-1 "
            f"for fingerprint {body['digestPublicKeyFingerprint']}") in errors


def test_chain_continues_across_restart_and_restarts_after_stop_start_logging(start_server, tmp_path):
    server = start_server(FAST, data_dir=tmp_path / "chain")
    start = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    arn = start_trail(server)
    prefix = "AWSLogs/123456789012/CloudTrail-Digest/"
    wait_for(lambda: len(keys(server, "trail-logs", prefix)) >= 2)
    server.stop()
    server = start_server(FAST, data_dir=tmp_path / "chain", port=server.port)
    before = len(keys(server, "trail-logs", prefix))
    wait_for(lambda: len(keys(server, "trail-logs", prefix)) >= before + 2)
    s3 = server.client("s3")

    def digest(key):
        return json.loads(gzip.decompress(s3.get_object(Bucket="trail-logs", Key=key)["Body"].read()))

    chain = [digest(k) for k in keys(server, "trail-logs", prefix)]
    starts = [d for d in chain if d["previousDigestSignature"] is None]
    assert len(starts) == 1, "a restart must not start a new chain"
    server.client("cloudtrail").stop_logging(Name="main-trail")
    server.client("cloudtrail").start_logging(Name="main-trail")
    count = len(chain)
    wait_for(lambda: len(keys(server, "trail-logs", prefix)) >= count + 2)
    chain = [digest(k) for k in keys(server, "trail-logs", prefix)]
    assert len([d for d in chain if d["previousDigestSignature"] is None]) == 2
    settle(server)
    result = validate(server, arn, start)
    assert result.returncode == 0, result.stderr


def test_upstream_outage_loses_nothing(start_server, upstream, tmp_path):
    config_extra = f"""
[[upstreams]]
endpoint = "{upstream.endpoint}"
access_key_id = "UPSTREAMKEY"
secret_access_key = "UPSTREAMSECRET"
buckets = ["upstream-logs"]
"""
    server = start_server(FAST, config_extra=config_extra)
    cloudtrail = server.client("cloudtrail")
    cloudtrail.create_trail(Name="upstream-trail", S3BucketName="upstream-logs")
    cloudtrail.start_logging(Name="upstream-trail")
    upstream.stop()
    request_ids = [cloudtrail.describe_trails()["ResponseMetadata"]["RequestId"] for _ in range(20)]
    wait_for(lambda: "LatestDeliveryError" in cloudtrail.get_trail_status(Name="upstream-trail"), timeout=20)
    upstream.start()

    def delivered_ids():
        found = set()
        for path in (upstream.root / "upstream-logs").rglob("*.json.gz"):
            found.update(r.get("requestID") for r in json.loads(gzip.decompress(path.read_bytes()))["Records"])
        return found

    wait_for(lambda: set(request_ids) <= delivered_ids(), timeout=60)
    wait_for(lambda: "LatestDeliveryError" not in cloudtrail.get_trail_status(Name="upstream-trail"))


def test_sns_notification_after_each_delivered_file(start_server):
    server = start_server(FAST)
    subscriber = Subscriber()
    try:
        sns = server.client("sns")
        topic = sns.create_topic(Name="trail-notices")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url)
        _, confirmation = subscriber.next("SubscriptionConfirmation")
        sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])
        start_trail(server, SnsTopicName="trail-notices")
        _, notification = subscriber.next("Notification", timeout=30)
        message = json.loads(notification["Message"])
        assert message["s3Bucket"] == "trail-logs"
        assert all(LOG_KEY.match(key) for key in message["s3ObjectKey"])
        assert "LatestNotificationTime" in server.client("cloudtrail").get_trail_status(Name="main-trail")
    finally:
        subscriber.close()
