"""Embedded S3 buckets through `aws s3`, `aws s3api` and boto3, isolation between accounts, and the
management events that bucket-level calls leave (object-level calls are data events: a later issue)."""

import json
import os
import urllib.request

import botocore.exceptions
import pytest

from conftest import ACCOUNT, OTHER_KEY, OTHER_SECRET


def test_cli_round_trips_multipart_sync_and_rm(server, tmp_path):
    server.aws("s3", "mb", "s3://cli-bucket")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(20 * 1024 * 1024))
    server.aws("s3", "cp", str(big), "s3://cli-bucket/dir/big.bin")
    head = server.aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "dir/big.bin")
    assert head["ContentLength"] == big.stat().st_size
    assert head["ETag"].strip('"').endswith("-3")
    back = tmp_path / "back.bin"
    server.aws("s3", "cp", "s3://cli-bucket/dir/big.bin", str(back))
    assert back.read_bytes() == big.read_bytes()
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    for name in ["a/one.txt", "a/two.txt", "three.txt"]:
        (tree / name).write_text(name)
    server.aws("s3", "sync", str(tree), "s3://cli-bucket/tree")
    listing = server.aws("s3", "ls", "s3://cli-bucket/tree/", "--recursive")
    assert sorted(line.split()[-1] for line in listing.splitlines()) == [
        "tree/a/one.txt", "tree/a/two.txt", "tree/three.txt"]
    server.aws("s3", "rm", "s3://cli-bucket/tree", "--recursive")
    keys = server.client("s3").list_objects_v2(Bucket="cli-bucket").get("Contents", [])
    assert [k["Key"] for k in keys] == ["dir/big.bin"]


def test_s3api_objects_ranges_metadata_copies_and_listings(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="api-bucket")
    s3.put_object(Bucket="api-bucket", Key="a b+c.txt", Body=b"0123456789", ContentType="text/plain",
                  Metadata={"owner": "alice"})
    got = s3.get_object(Bucket="api-bucket", Key="a b+c.txt", Range="bytes=2-5")
    assert got["Body"].read() == b"2345" and got["ContentRange"] == "bytes 2-5/10"
    head = s3.head_object(Bucket="api-bucket", Key="a b+c.txt")
    assert head["Metadata"] == {"owner": "alice"} and head["ContentType"] == "text/plain"
    s3.copy_object(Bucket="api-bucket", Key="copy.txt", CopySource={"Bucket": "api-bucket", "Key": "a b+c.txt"})
    assert s3.get_object(Bucket="api-bucket", Key="copy.txt")["Body"].read() == b"0123456789"
    for index in range(5):
        s3.put_object(Bucket="api-bucket", Key=f"list/{index}", Body=b"x")
    v1 = s3.list_objects(Bucket="api-bucket", Prefix="list/", MaxKeys=2, EncodingType="url")
    assert [o["Key"] for o in v1["Contents"]] == ["list/0", "list/1"] and v1["IsTruncated"]
    v1_next = s3.list_objects(Bucket="api-bucket", Prefix="list/", Marker="list/1")
    assert [o["Key"] for o in v1_next["Contents"]] == ["list/2", "list/3", "list/4"]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="api-bucket", PaginationConfig={"PageSize": 2})
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert keys == sorted(keys) and len(keys) == 7
    deleted = s3.delete_objects(Bucket="api-bucket", Delete={"Objects": [{"Key": "list/0"}, {"Key": "list/1"}]})
    assert len(deleted["Deleted"]) == 2
    s3.delete_object(Bucket="api-bucket", Key="copy.txt")
    assert s3.get_bucket_location(Bucket="api-bucket")["LocationConstraint"] is None


def test_multipart_upload_api_and_presigned_urls(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="mpu-bucket")
    upload = s3.create_multipart_upload(Bucket="mpu-bucket", Key="parts")["UploadId"]
    part_one = s3.upload_part(Bucket="mpu-bucket", Key="parts", UploadId=upload, PartNumber=1,
                              Body=b"a" * (5 * 1024 * 1024))["ETag"]
    part_two = s3.upload_part(Bucket="mpu-bucket", Key="parts", UploadId=upload, PartNumber=2, Body=b"b")["ETag"]
    assert len(s3.list_parts(Bucket="mpu-bucket", Key="parts", UploadId=upload)["Parts"]) == 2
    s3.complete_multipart_upload(Bucket="mpu-bucket", Key="parts", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part_one}, {"PartNumber": 2, "ETag": part_two}]})
    assert s3.head_object(Bucket="mpu-bucket", Key="parts")["ContentLength"] == 5 * 1024 * 1024 + 1
    abandoned = s3.create_multipart_upload(Bucket="mpu-bucket", Key="gone")["UploadId"]
    s3.abort_multipart_upload(Bucket="mpu-bucket", Key="gone", UploadId=abandoned)
    presigner = server.client("s3", signature_version="s3v4")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": "mpu-bucket", "Key": "parts"},
                                           ExpiresIn=60)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    with urllib.request.urlopen(url, timeout=30) as response:
        assert len(response.read()) == 5 * 1024 * 1024 + 1
    tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=30)
    assert refused.value.code == 403


def test_second_account_sees_none_of_the_first_accounts_buckets_or_objects(server):
    s3 = server.client("s3")
    s3.create_bucket(Bucket="owned-by-first")
    s3.put_object(Bucket="owned-by-first", Key="secret.txt", Body=b"first")
    other = server.client("s3", key=OTHER_KEY, secret=OTHER_SECRET)
    assert other.list_buckets()["Buckets"] == []
    for call, kwargs in [(other.get_object, {"Bucket": "owned-by-first", "Key": "secret.txt"}),
                         (other.list_objects_v2, {"Bucket": "owned-by-first"}),
                         (other.put_object, {"Bucket": "owned-by-first", "Key": "x", "Body": b"x"})]:
        with pytest.raises(botocore.exceptions.ClientError) as denied:
            call(**kwargs)
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as taken:
        other.create_bucket(Bucket="owned-by-first")
    assert taken.value.response["Error"]["Code"] == "BucketAlreadyExists"
    assert s3.get_object(Bucket="owned-by-first", Key="secret.txt")["Body"].read() == b"first"


def test_bucket_calls_are_management_events_and_object_calls_are_data_events(server):
    s3 = server.client("s3")
    created = s3.create_bucket(Bucket="recorded-bucket")
    s3.put_bucket_policy(Bucket="recorded-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::recorded-bucket/*"}]}))
    s3.put_object(Bucket="recorded-bucket", Key="obj", Body=b"x")
    with pytest.raises(botocore.exceptions.ClientError):
        s3.get_bucket_policy(Bucket="no-such-bucket-here")
    records = [e["record"] for e in server.records()]
    names = [r["eventName"] for r in records]
    assert names == ["CreateBucket", "PutBucketPolicy", "PutObject", "GetBucketPolicy"]
    assert [r["eventCategory"] for r in records] == ["Management", "Management", "Data", "Management"]
    assert records[2]["managementEvent"] is False
    create = records[0]
    assert create["eventSource"] == "s3.amazonaws.com"
    assert create["requestID"] == created["ResponseMetadata"]["RequestId"]
    assert create["requestParameters"]["bucketName"] == "recorded-bucket"
    assert create["managementEvent"] is True and create["eventCategory"] == "Management"
    assert create["readOnly"] is False
    assert create["userIdentity"]["accountId"] == ACCOUNT
    assert create["additionalEventData"]["SignatureVersion"] == "SigV4"
    assert create["additionalEventData"]["AuthenticationMethod"] == "AuthHeader"
    assert records[3]["errorCode"] == "NoSuchBucket" and records[3]["readOnly"] is True
