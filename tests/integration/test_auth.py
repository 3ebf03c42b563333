"""Authentication: every API refuses what AWS refuses, with AWS's error codes, and records what AWS
records (failures with a known access key land in that key's account; see ADR 0006)."""

import datetime
import json
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from conftest import ACCOUNT, OTHER_ACCOUNT, OTHER_KEY, OTHER_SECRET, ROOT_KEY, ROOT_SECRET
from signing import json_call, utc_now


def raw_post(server, headers, body=b"{}"):
    request = urllib.request.Request(server.endpoint + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_unsigned_json_call_is_missing_authentication_token(server):
    status, headers, body = raw_post(server, {
        "X-Amz-Target": "CloudTrail_20131101.ListTrails", "Content-Type": "application/x-amz-json-1.1"})
    assert status == 400
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert headers["x-amzn-requestid"]
    # Nobody can be blamed, so nothing is recorded in any account.
    assert server.records() == []


def test_malformed_authorization_is_incomplete_signature(server):
    status, _, body = raw_post(server, {
        "X-Amz-Target": "CloudTrail_20131101.ListTrails", "X-Amz-Date": "20260101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAOPENTRAILTEST001/20260101/us-east-1/cloudtrail/aws4_request"})
    assert status == 400
    assert json.loads(body)["__type"] == "IncompleteSignatureException"


def test_unknown_access_key_is_unrecognized_client_and_unrecorded(server):
    result = server.aws("cloudtrail", "list-trails", key="AKIANOBODY0000000000", secret="x", check=False)
    assert result.returncode != 0
    assert "UnrecognizedClientException" in result.stderr
    assert server.records() == []


def test_wrong_secret_is_invalid_signature_and_recorded_for_the_key_owner(server):
    result = server.aws("cloudtrail", "list-trails", secret="not-the-secret", check=False)
    assert "InvalidSignatureException" in result.stderr
    [entry] = server.records()
    record = entry["record"]
    assert entry["account"] == ACCOUNT
    assert record["errorCode"] == "InvalidSignatureException"
    assert record["eventName"] == "ListTrails"
    assert record["userIdentity"]["accessKeyId"] == ROOT_KEY
    assert record["userIdentity"]["type"] == "Root"


@pytest.mark.parametrize("minutes, accepted", [(-20, False), (20, False), (-10, True), (10, True)])
def test_clock_skew_window_is_fifteen_minutes(server, minutes, accepted):
    at = utc_now() + datetime.timedelta(minutes=minutes)
    status, headers, body = json_call(server, "ListTrails", {}, ROOT_KEY, ROOT_SECRET, at=at)
    if accepted:
        assert status == 200, body
        assert body == {"Trails": []}
    else:
        assert status == 400
        assert body["__type"] == "InvalidSignatureException"
        assert body["message"].startswith("Signature expired:") or "not yet current" in body["message"]


def test_s3_auth_failures_use_s3_codes(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="private-bucket")
    s3.put_object(Bucket="private-bucket", Key="k", Body=b"secret")
    with pytest.raises(botocore.exceptions.ClientError) as wrong_secret:
        server.client("s3", secret="wrong").get_object(Bucket="private-bucket", Key="k")
    assert wrong_secret.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(botocore.exceptions.ClientError) as unknown:
        server.client("s3", key="AKIANOBODY0000000000", secret="x").list_buckets()
    assert unknown.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    status, body = anonymous_get(server.endpoint + "/private-bucket/k")
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body


def anonymous_get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_s3_skewed_clock_is_request_time_too_skewed(server):
    from signing import signed_request
    at = utc_now() - datetime.timedelta(minutes=30)
    status, _, body = signed_request(server.endpoint + "/", b"", ROOT_KEY, ROOT_SECRET, service="s3", method="GET",
                                     headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, at=at)
    assert status == 403
    assert b"<Code>RequestTimeTooSkewed</Code>" in body


def test_other_accounts_key_works_only_for_its_own_account(server):
    server.client("s3").create_bucket(Bucket="first-account-bucket")
    other = server.client("s3", key=OTHER_KEY, secret=OTHER_SECRET)
    assert [b["Name"] for b in other.list_buckets()["Buckets"]] == []
    identity = server.client("sts", key=OTHER_KEY, secret=OTHER_SECRET).get_caller_identity()
    assert identity["Account"] == OTHER_ACCOUNT
    assert identity["Arn"] == f"arn:aws:iam::{OTHER_ACCOUNT}:root"


def test_malformed_json_body_is_a_serialization_error_and_is_recorded(server):
    from signing import signed_request
    headers = {"X-Amz-Target": "CloudTrail_20131101.GetTrail", "Content-Type": "application/x-amz-json-1.1"}
    status, response_headers, body = signed_request(server.endpoint + "/", b"{not json", ROOT_KEY, ROOT_SECRET,
                                                    service="cloudtrail", headers=headers)
    assert status == 400 and json.loads(body)["__type"] == "SerializationException"
    [record] = [e["record"] for e in server.records()]
    assert record["eventName"] == "GetTrail" and record["errorCode"] == "SerializationException"
    assert record["requestID"] == response_headers["x-amzn-requestid"]
