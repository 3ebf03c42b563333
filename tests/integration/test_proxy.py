"""Proxy mode: OpenTrail in front of a real S3-compatible server (s3s-fs, installed by the test
command into .tools/bin). Clients sign with their OpenTrail keys; every call is forwarded with the
upstream's own key, streamed both ways, and recorded with the upstream's real status and byte counts."""

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import pytest

from conftest import ACCOUNT, OTHER_KEY, OTHER_SECRET, ROOT_KEY, ROOT_SECRET
from test_data_events import delivered
from test_delivery import FAST, wait_for
from test_trails import make_trail_bucket


def proxy_config(upstream, buckets='["*"]'):
    return f"""
[[upstreams]]
endpoint = "{upstream.endpoint}"
access_key_id = "UPSTREAMKEY"
secret_access_key = "UPSTREAMSECRET"
buckets = {buckets}
proxy = true
"""


@pytest.fixture
def proxied(start_server, upstream):
    server = start_server(FAST, config_extra=proxy_config(upstream))
    server.upstream = upstream
    return server


def records_named(server, *names):
    return [e["record"] for e in server.records() if e["record"]["eventName"] in names]


def test_cli_through_the_proxy_is_forwarded_and_recorded(proxied, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024))
    proxied.aws("s3", "mb", "s3://proxied-bucket")
    assert (proxied.upstream.root / "proxied-bucket").is_dir()
    proxied.aws("s3api", "put-object", "--bucket", "proxied-bucket", "--key", "dir/small.txt", "--body",
                __file__)
    proxied.aws("s3", "cp", str(big), "s3://proxied-bucket/dir/big.bin")
    assert (proxied.upstream.root / "proxied-bucket/dir/big.bin").read_bytes() == big.read_bytes()
    proxied.aws("s3", "cp", "s3://proxied-bucket/dir/big.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == big.read_bytes()
    listing = proxied.aws("s3api", "list-objects-v2", "--bucket", "proxied-bucket", "--prefix", "dir/")
    assert sorted(o["Key"] for o in listing["Contents"]) == ["dir/big.bin", "dir/small.txt"]
    missing = proxied.aws("s3api", "get-object", "--bucket", "proxied-bucket", "--key", "nope", "out",
                          check=False)
    assert missing.returncode != 0 and "NoSuchKey" in missing.stderr
    proxied.aws("s3api", "delete-object", "--bucket", "proxied-bucket", "--key", "dir/small.txt")
    assert not (proxied.upstream.root / "proxied-bucket/dir/small.txt").exists()
    assert "proxied-bucket" in [b["Name"] for b in proxied.aws("s3api", "list-buckets")["Buckets"]]

    records = [e["record"] for e in proxied.records() if e["record"]["eventSource"] == "s3.amazonaws.com"]
    names = [r["eventName"] for r in records]
    assert names[:2] == ["CreateBucket", "PutObject"]
    assert {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "GetObject", "ListObjects",
            "DeleteObject", "ListBuckets"} <= set(names)
    parts = [r for r in records if r["eventName"] == "UploadPart"]
    assert sum(r["additionalEventData"]["bytesTransferredIn"] for r in parts) == big.stat().st_size
    create_upload = next(r for r in records if r["eventName"] == "CreateMultipartUpload")
    assert create_upload["responseElements"]["uploadId"] == parts[0]["requestParameters"]["uploadId"]
    downloads = [r for r in records if r["eventName"] == "GetObject" and "errorCode" not in r]
    assert sum(r["additionalEventData"]["bytesTransferredOut"] for r in downloads) == big.stat().st_size
    [failed] = [r for r in records if r["eventName"] == "GetObject" and "errorCode" in r]
    assert failed["errorCode"] == "NoSuchKey" and failed["errorMessage"]
    assert failed["eventCategory"] == "Data" and failed["readOnly"] is True
    put = records[1]
    assert put["managementEvent"] is False and put["eventCategory"] == "Data"
    assert put["userIdentity"]["accountId"] == ACCOUNT and put["recipientAccountId"] == ACCOUNT
    assert put["resources"] == [
        {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::proxied-bucket/dir/small.txt"},
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::proxied-bucket"}]
    assert put["additionalEventData"]["bytesTransferredIn"] == os.path.getsize(__file__)
    assert records[0]["eventCategory"] == "Management"
    # the upstream's request ids never replace ours: each record's requestID is the one the client saw
    assert len({r["requestID"] for r in records}) == len(records)


def test_presigned_urls_and_boto3_streams(proxied):
    s3 = proxied.client("s3")
    s3.create_bucket(Bucket="presigned-bucket")
    body = os.urandom(70_000)
    s3.put_object(Bucket="presigned-bucket", Key="blob", Body=body)
    assert s3.get_object(Bucket="presigned-bucket", Key="blob", Range="bytes=10-19")["Body"].read() == body[10:20]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned-bucket", "Key": "blob"}, ExpiresIn=60)
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == body
    [presigned] = [r for r in records_named(proxied, "GetObject")
                   if r["additionalEventData"]["AuthenticationMethod"] == "QueryString"]
    assert presigned["additionalEventData"]["bytesTransferredOut"] == len(body)
    assert "X-Amz-Signature" not in presigned["requestParameters"]
    assert "X-Amz-Credential" not in presigned["requestParameters"]
    head = s3.head_object(Bucket="presigned-bucket", Key="blob")
    assert head["ContentLength"] == len(body)
    assert head["ResponseMetadata"]["RequestId"] == records_named(proxied, "HeadObject")[0]["requestID"]


def test_refused_callers_reach_nothing_upstream(proxied):
    proxied.client("s3").create_bucket(Bucket="guarded")
    other = proxied.client("s3", key=OTHER_KEY, secret=OTHER_SECRET)
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        other.put_object(Bucket="guarded", Key="intruder", Body=b"x")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    forged = proxied.client("s3", key=ROOT_KEY, secret="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as mismatch:
        forged.put_object(Bucket="guarded", Key="forged", Body=b"x")
    assert mismatch.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    anonymous = boto3.client("s3", endpoint_url=proxied.endpoint, region_name="us-east-1",
                             config=botocore.config.Config(signature_version=botocore.UNSIGNED))
    with pytest.raises(botocore.exceptions.ClientError) as unsigned:
        anonymous.put_object(Bucket="guarded", Key="anonymous", Body=b"x")
    assert unsigned.value.response["Error"]["Code"] == "AccessDenied"
    assert sorted(os.listdir(proxied.upstream.root / "guarded")) == []
    [intruder] = [e for e in proxied.records() if e["record"]["eventName"] == "PutObject"
                  and e["record"]["userIdentity"]["accountId"] != ACCOUNT]
    assert intruder["account"] == "111122223333"
    assert intruder["record"]["errorCode"] == "AccessDenied"
    assert intruder["record"]["errorMessage"] == "Access Denied"
    assert intruder["record"]["recipientAccountId"] == "111122223333"


def _aws_chunked_put(proxied, bucket, key, chunks, tamper=False):
    """A PutObject with a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body (chunk signatures chained from the
    request signature), as the Java and Go SDKs send; botocore's signer signs the head."""
    url = f"{proxied.endpoint}/{bucket}/{key}"
    decoded = b"".join(chunks)
    headers = {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "content-encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(decoded))}
    request = botocore.awsrequest.AWSRequest(method="PUT", url=url, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ROOT_KEY, ROOT_SECRET), "s3", "us-east-1") \
        .add_auth(request)
    seed = request.headers["Authorization"].split("Signature=")[1]
    stamp = request.headers["X-Amz-Date"]
    scope = f"{stamp[:8]}/us-east-1/s3/aws4_request"
    key_bytes = ("AWS4" + ROOT_SECRET).encode()
    for part in (stamp[:8], "us-east-1", "s3", "aws4_request"):
        key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
    empty = hashlib.sha256(b"").hexdigest()
    body, previous = b"", seed
    for chunk in [*chunks, b""]:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", stamp, scope, previous, empty,
                             hashlib.sha256(chunk).hexdigest()])
        previous = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = chunk[:-1] + b"!" if tamper and chunk else chunk
        body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode() + sent + b"\r\n"
    prepared = request.prepare()
    head = {name: value for name, value in prepared.headers.items() if name.lower() != "content-length"}
    raw = urllib.request.Request(url, data=body, method="PUT", headers=head)
    try:
        with urllib.request.urlopen(raw, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_signed_aws_chunked_bodies_are_verified_and_forwarded_decoded(proxied):
    proxied.client("s3").create_bucket(Bucket="chunked")
    chunks = [os.urandom(65536), os.urandom(65536), os.urandom(1000)]
    status, _ = _aws_chunked_put(proxied, "chunked", "good.bin", chunks)
    assert status == 200
    assert (proxied.upstream.root / "chunked/good.bin").read_bytes() == b"".join(chunks)
    status, answer = _aws_chunked_put(proxied, "chunked", "bad.bin", chunks, tamper=True)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    assert not (proxied.upstream.root / "chunked/bad.bin").exists()
    puts = records_named(proxied, "PutObject")
    assert [r.get("errorCode") for r in puts] == [None, "SignatureDoesNotMatch"]
    assert puts[0]["additionalEventData"]["bytesTransferredIn"] == len(b"".join(chunks))


def test_trail_delivers_the_proxied_data_events(start_server, upstream):
    config = proxy_config(upstream, buckets='["watched", "unwatched"]')
    server = start_server(FAST, config_extra=config)
    (upstream.root / "watched").mkdir()
    (upstream.root / "unwatched").mkdir()
    make_trail_bucket(server, "proxy-trail-logs")
    cloudtrail = server.client("cloudtrail")
    cloudtrail.create_trail(Name="proxy-trail", S3BucketName="proxy-trail-logs")
    cloudtrail.put_event_selectors(TrailName="proxy-trail", EventSelectors=[{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::watched/"]}]}])
    cloudtrail.start_logging(Name="proxy-trail")
    s3 = server.client("s3")
    for bucket in ["watched", "unwatched"]:
        s3.put_object(Bucket=bucket, Key="k", Body=b"data")
        s3.get_object(Bucket=bucket, Key="k")["Body"].read()
        s3.delete_object(Bucket=bucket, Key="k")
    records = wait_for(lambda: (lambda found: found if len(found) >= 2 else None)(
        delivered(server, "proxy-trail-logs")))
    assert [(r["eventName"], r["requestParameters"]["bucketName"]) for r in records] == [
        ("PutObject", "watched"), ("DeleteObject", "watched")]
    assert json.loads(json.dumps(records[0]))["eventCategory"] == "Data"


def test_seed_003_records_through_the_proxy(start_server, upstream, tmp_path):
    """Seed 003's success (a presigned console-style PUT) and AccessDenied records, key by key and type
    by type, for a bucket on the upstream server, with TLS as in the seed. The denial here is the
    proxy's own (a principal of another account); the upstream enforces its own bucket policies."""
    import http.client
    import ssl
    import urllib.parse

    import trustme

    from test_bucket_policies import seed_records, shape

    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path, ca_path = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.private_key_pem.write_to_path(str(key_path))
    certificate.cert_chain_pems[0].write_to_path(str(cert_path))
    authority.cert_pem.write_to_path(str(ca_path))
    server = start_server(["--tls-cert", str(cert_path), "--tls-key", str(key_path)], scheme="https",
                          verify=str(ca_path), config_extra=proxy_config(upstream))
    (upstream.root / "test-blog-12345").mkdir()
    config = botocore.config.Config(signature_version="s3v4", retries={"max_attempts": 1})
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", verify=str(ca_path),
                      aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET, config=config)
    url = s3.generate_presigned_url("put_object", ExpiresIn=300, Params={
        "Bucket": "test-blog-12345", "Key": "test.txt", "ACL": "bucket-owner-full-control",
        "StorageClass": "STANDARD", "ContentType": "text/plain"})
    parsed = urllib.parse.urlsplit(url)
    signed = urllib.parse.parse_qs(parsed.query)["X-Amz-SignedHeaders"][0].split(";")
    headers = {name: value for name, value in [("x-amz-acl", "bucket-owner-full-control"),
                                               ("x-amz-storage-class", "STANDARD"),
                                               ("content-type", "text/plain")] if name in signed}
    headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) OpenTrail-seed-003"
    connection = http.client.HTTPSConnection("127.0.0.1", server.port,
                                             context=ssl.create_default_context(cafile=str(ca_path)))
    connection.request("PUT", f"{parsed.path}?{parsed.query}", body=b"test", headers=headers)
    answer = connection.getresponse()
    assert answer.status == 200, answer.read()
    connection.close()
    assert (upstream.root / "test-blog-12345/test.txt").read_bytes() == b"test"
    other = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", verify=str(ca_path),
                         aws_access_key_id=OTHER_KEY, aws_secret_access_key=OTHER_SECRET, config=config)
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        other.put_object(Bucket="test-blog-12345", Key="test2.txt", Body=b"")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"

    ours = [e["record"] for e in server.records() if e["record"]["eventName"] == "PutObject"]
    theirs = seed_records()
    assert len(ours) == 2
    for mine, seed in zip(ours, theirs):
        assert list(mine) == list(seed)
        for member in seed:
            if member not in ("userIdentity", "requestParameters"):
                assert shape(mine[member]) == shape(seed[member]), member
        assert sorted(mine["requestParameters"]) == sorted(seed["requestParameters"])
        assert mine["eventCategory"] == "Data" and mine["resources"][1]["accountId"] == ACCOUNT
    success, failure = ours
    assert success["additionalEventData"]["AuthenticationMethod"] == "QueryString"
    assert success["additionalEventData"]["bytesTransferredIn"] == 4
    assert (failure["errorCode"], failure["errorMessage"]) == ("AccessDenied", "Access Denied")
    assert failure["recipientAccountId"] == "111122223333"
