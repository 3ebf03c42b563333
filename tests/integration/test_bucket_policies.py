"""Bucket policies enforced on embedded buckets, and seed 003's two PutObject data events (success and
the AccessDenied of a Deny-unless-this-IP policy) reproduced key by key and type by type."""

import http.client
import json
import os
import re
import ssl
import urllib.parse

import boto3
import botocore.config
import botocore.exceptions
import pytest
import trustme

from conftest import ACCOUNT, ALICE_KEY, ALICE_SECRET, OTHER_ACCOUNT, OTHER_KEY, OTHER_SECRET

SEED_003 = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../../shared/seeds/003_4409c4d6621607b6.txt"))


def seed_records():
    """The CloudTrail records printed in seed 003, parsed from the article itself."""
    with open(SEED_003, encoding="utf-8") as handle:
        text = handle.read()
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(text, match.start())[0]
            for match in re.finditer(r'\{\s*"eventVersion"', text)]


def seed_policy(bucket, allowed_ip):
    with open(SEED_003, encoding="utf-8") as handle:
        text = handle.read()
    start = text.index('{\n    "Version"')
    policy = json.JSONDecoder().raw_decode(text, start)[0]
    return json.dumps(policy).replace("test-blog-12345", bucket).replace("xx.xx.xx.xx", allowed_ip)


def shape(value):
    """The JSON type tree of a value: dicts keep their key order, lists their element shapes."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def error_code(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as failure:
        call(**kwargs)
    return failure.value.response["Error"]["Code"]


@pytest.fixture
def tls_server(start_server, tmp_path):
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path, ca_path = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.private_key_pem.write_to_path(str(key_path))
    certificate.cert_chain_pems[0].write_to_path(str(cert_path))
    authority.cert_pem.write_to_path(str(ca_path))
    server = start_server(["--tls-cert", str(cert_path), "--tls-key", str(key_path)], scheme="https",
                          verify=str(ca_path), region="ap-northeast-1")
    server.ca_path = str(ca_path)
    return server


def test_seed_003_success_and_access_denied_records(tls_server):
    server = tls_server
    region = "ap-northeast-1"
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name=region, verify=server.ca_path,
                      aws_access_key_id="AKIAOPENTRAILTEST001",
                      aws_secret_access_key="opentrail-test-root-secret-000000000000",
                      config=botocore.config.Config(signature_version="s3v4", retries={"max_attempts": 1}))
    s3.create_bucket(Bucket="test-blog-12345", CreateBucketConfiguration={"LocationConstraint": region})
    # seed 003's policy, with 127.0.0.2 as the one allowed address
    s3.put_bucket_policy(Bucket="test-blog-12345", Policy=seed_policy("test-blog-12345", "127.0.0.2"))

    # success: the console's presigned PUT of test.txt ("test"), from the allowed address
    url = s3.generate_presigned_url("put_object", ExpiresIn=300, Params={
        "Bucket": "test-blog-12345", "Key": "test.txt", "ACL": "bucket-owner-full-control",
        "StorageClass": "STANDARD", "ContentType": "text/plain"})
    parsed = urllib.parse.urlsplit(url)
    signed = urllib.parse.parse_qs(parsed.query)["X-Amz-SignedHeaders"][0].split(";")
    headers = {name: value for name, value in [("x-amz-acl", "bucket-owner-full-control"),
                                               ("x-amz-storage-class", "STANDARD"),
                                               ("content-type", "text/plain")] if name in signed}
    headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) OpenTrail-seed-003"
    context = ssl.create_default_context(cafile=server.ca_path)
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context,
                                             source_address=("127.0.0.2", 0))
    connection.request("PUT", f"{parsed.path}?{parsed.query}", body=b"test", headers=headers)
    answer = connection.getresponse()
    assert answer.status == 200, answer.read()
    connection.close()

    # failure: `aws s3api put-object` of an empty test2.txt from anywhere else
    denied = server.aws("s3api", "put-object", "--bucket", "test-blog-12345", "--key", "test2.txt",
                        "--ca-bundle", server.ca_path, check=False)
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr

    ours = [e["record"] for e in server.records() if e["record"]["eventName"] == "PutObject"]
    theirs = seed_records()
    assert [r["eventName"] for r in theirs] == ["PutObject", "PutObject"] and len(ours) == 2
    for mine, seed in zip(ours, theirs):
        assert list(mine) == list(seed)  # the same members in the same order
        for member in seed:
            if member not in ("userIdentity", "requestParameters"):
                assert shape(mine[member]) == shape(seed[member]), member
        assert sorted(mine["requestParameters"]) == sorted(seed["requestParameters"])
        assert all(isinstance(value, str) for value in mine["requestParameters"].values())
        assert mine["eventCategory"] == "Data" and mine["managementEvent"] is False
        assert mine["readOnly"] is False and mine["responseElements"] is None
        assert mine["awsRegion"] == region and mine["recipientAccountId"] == ACCOUNT
        assert mine["resources"][1]["accountId"] == ACCOUNT
        assert mine["userAgent"].startswith("[") and mine["userAgent"].endswith("]")
        assert mine["tlsDetails"]["clientProvidedHostHeader"] == f"127.0.0.1:{server.port}"
        assert mine["additionalEventData"]["CipherSuite"] == mine["tlsDetails"]["cipherSuite"]
    success, failure = ours
    assert success["sourceIPAddress"] == "127.0.0.2" and failure["sourceIPAddress"] == "127.0.0.1"
    assert success["additionalEventData"]["AuthenticationMethod"] == "QueryString"
    assert success["additionalEventData"]["bytesTransferredIn"] == 4
    assert success["requestParameters"]["x-amz-acl"] == "bucket-owner-full-control"
    assert (failure["errorCode"], failure["errorMessage"]) == ("AccessDenied", "Access Denied")
    assert failure["additionalEventData"]["AuthenticationMethod"] == "AuthHeader"
    assert failure["additionalEventData"]["bytesTransferredIn"] == 0
    assert failure["additionalEventData"]["bytesTransferredOut"] > 0
    assert s3.get_object(Bucket="test-blog-12345", Key="test.txt")["Body"].read() == b"test"
    assert error_code(s3.head_object, Bucket="test-blog-12345", Key="test2.txt") == "404"


def test_cross_account_grant_gives_both_accounts_a_copy(server):
    owner = server.client("s3")
    other = server.client("s3", key=OTHER_KEY, secret=OTHER_SECRET)
    owner.create_bucket(Bucket="shared-bucket")
    owner.put_object(Bucket="shared-bucket", Key="public/report.csv", Body=b"a,b")
    owner.put_object(Bucket="shared-bucket", Key="private/keys.txt", Body=b"secret")
    assert error_code(other.get_object, Bucket="shared-bucket", Key="public/report.csv") == "AccessDenied"
    owner.put_bucket_policy(Bucket="shared-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::shared-bucket/public/*"},
        {"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT}, "Action": "s3:ListBucket",
         "Resource": "arn:aws:s3:::shared-bucket", "Condition": {"StringLike": {"s3:prefix": "public/*"}}}]}))
    assert other.get_object(Bucket="shared-bucket", Key="public/report.csv")["Body"].read() == b"a,b"
    assert error_code(other.get_object, Bucket="shared-bucket", Key="private/keys.txt") == "AccessDenied"
    listed = other.list_objects_v2(Bucket="shared-bucket", Prefix="public/")
    assert [o["Key"] for o in listed["Contents"]] == ["public/report.csv"]
    assert error_code(other.list_objects_v2, Bucket="shared-bucket", Prefix="private/") == "AccessDenied"
    assert error_code(other.put_object, Bucket="shared-bucket", Key="public/x", Body=b"x") == "AccessDenied"

    reads = [e for e in server.records() if e["record"]["eventName"] == "GetObject"
             and e["record"]["requestParameters"]["key"] == "public/report.csv" and "errorCode" not in e["record"]]
    copies = {e["account"]: e["record"] for e in reads}
    assert set(copies) == {ACCOUNT, OTHER_ACCOUNT}
    mine, theirs = copies[OTHER_ACCOUNT], copies[ACCOUNT]
    assert mine["sharedEventID"] == theirs["sharedEventID"] and mine["eventID"] != theirs["eventID"]
    assert (mine["recipientAccountId"], theirs["recipientAccountId"]) == (OTHER_ACCOUNT, ACCOUNT)
    assert theirs["userIdentity"]["accountId"] == OTHER_ACCOUNT
    denied = [e for e in server.records() if e["record"].get("errorCode") == "AccessDenied"]
    assert denied and all(e["account"] == OTHER_ACCOUNT for e in denied)
    assert all("sharedEventID" not in e["record"] for e in denied)


def test_deny_statements_conditions_and_the_owner_lockout_exception(server):
    s3 = server.client("s3")
    alice = server.client("s3", key=ALICE_KEY, secret=ALICE_SECRET)
    s3.create_bucket(Bucket="guarded-bucket")
    for key in ["a.txt", "b.txt", "keep/c.txt"]:
        s3.put_object(Bucket="guarded-bucket", Key=key, Body=b"x")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoPlainHttpReads", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::guarded-bucket/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "AliceKeepsOut", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
         "NotAction": ["s3:ListBucket", "s3:GetObject"], "Resource": ["arn:aws:s3:::guarded-bucket",
                                                                       "arn:aws:s3:::guarded-bucket/*"]},
        {"Sid": "KeepIsKept", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": "arn:aws:s3:::guarded-bucket/keep/*"},
        {"Sid": "AclRequired", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::guarded-bucket/acl/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}
    s3.put_bucket_policy(Bucket="guarded-bucket", Policy=json.dumps(policy))
    assert error_code(s3.get_object, Bucket="guarded-bucket", Key="a.txt") == "AccessDenied"
    assert error_code(s3.head_object, Bucket="guarded-bucket", Key="a.txt") == "403"
    assert error_code(alice.put_object, Bucket="guarded-bucket", Key="z", Body=b"x") == "AccessDenied"
    assert alice.list_objects_v2(Bucket="guarded-bucket")["KeyCount"] == 3
    assert error_code(s3.put_object, Bucket="guarded-bucket", Key="acl/1", Body=b"x") == "AccessDenied"
    s3.put_object(Bucket="guarded-bucket", Key="acl/1", Body=b"x", ACL="bucket-owner-full-control")
    result = s3.delete_objects(Bucket="guarded-bucket", Delete={"Objects": [{"Key": "b.txt"}, {"Key": "keep/c.txt"}]})
    assert [d["Key"] for d in result["Deleted"]] == ["b.txt"]
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("keep/c.txt", "AccessDenied")]
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket="guarded-bucket")["Contents"]]
    assert remaining == ["a.txt", "acl/1", "keep/c.txt"]

    # a malformed policy is refused and changes nothing
    with pytest.raises(botocore.exceptions.ClientError) as malformed:
        s3.put_bucket_policy(Bucket="guarded-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::elsewhere/*"}]}))
    assert malformed.value.response["Error"]["Code"] == "MalformedPolicy"
    assert malformed.value.response["Error"]["Message"] == "Policy has invalid resource"
    assert json.loads(s3.get_bucket_policy(Bucket="guarded-bucket")["Policy"]) == policy

    # the owner's root can always manage the policy, even under a Deny of everything
    s3.put_bucket_policy(Bucket="guarded-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::guarded-bucket",
                                                                            "arn:aws:s3:::guarded-bucket/*"]}]}))
    assert error_code(s3.list_objects_v2, Bucket="guarded-bucket") == "AccessDenied"
    s3.delete_bucket_policy(Bucket="guarded-bucket")
    assert s3.list_objects_v2(Bucket="guarded-bucket")["KeyCount"] == 3
    assert s3.get_object(Bucket="guarded-bucket", Key="a.txt")["Body"].read() == b"x"
