"""S3 object-level data events on embedded buckets: recorded in AWS's record shape, delivered only to
trails whose selectors ask for them (seed 000's WriteOnly selector, bucket/prefix values, advanced
selectors), never in event history; multipart and multi-object calls as AWS records them."""

import gzip
import json
import os

from conftest import ACCOUNT
from test_delivery import FAST, keys, wait_for
from test_trails import make_trail_bucket, run_seed_000

SEED_REGION = "ap-northeast-1"


def delivered(server, bucket, region="us-east-1", prefix=""):
    """Every record in the trail log files of `bucket` so far, in event-log order (files of the same
    minute list in random order)."""
    s3 = server.client("s3", region=region)
    records = []
    for key in keys(server, bucket, f"{prefix}AWSLogs/{ACCOUNT}/CloudTrail/"):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        records.extend(json.loads(gzip.decompress(body))["Records"])
    position = {entry["record"]["eventID"]: n for n, entry in enumerate(server.records())}
    return sorted(records, key=lambda record: position[record["eventID"]])


def object_calls(records):
    """(eventName, bucket, key) of each record, in delivery order."""
    return [(r["eventName"], r["requestParameters"].get("bucketName"), r["requestParameters"].get("key"))
            for r in records]


def test_seed_000_write_only_data_events_of_one_bucket(start_server, tmp_path):
    server = start_server(FAST)
    run_seed_000(server)
    sample = tmp_path / "sample.png"
    sample.write_bytes(os.urandom(3000))
    aws = lambda *args: server.aws(*args, region=SEED_REGION)  # noqa: E731
    aws("s3api", "create-bucket", "--bucket", "unwatched-bucket", "--create-bucket-configuration",
        f"LocationConstraint={SEED_REGION}")
    aws("s3api", "put-object", "--bucket", "test-20161130", "--key", "sample.png", "--body", str(sample))
    aws("s3api", "put-object", "--bucket", "unwatched-bucket", "--key", "sample.png", "--body", str(sample))
    aws("s3api", "get-object", "--bucket", "test-20161130", "--key", "sample.png", str(tmp_path / "out.png"))
    aws("s3api", "head-object", "--bucket", "test-20161130", "--key", "sample.png")
    aws("s3api", "list-objects-v2", "--bucket", "test-20161130")
    aws("s3api", "delete-object", "--bucket", "test-20161130", "--key", "sample.png")
    aws("s3api", "delete-object", "--bucket", "unwatched-bucket", "--key", "sample.png")

    def writes_arrived():
        records = delivered(server, "write-only-events", SEED_REGION)
        return records if len(records) >= 2 else None

    records = wait_for(writes_arrived)
    wait_for(lambda: not server.client("cloudtrail", region=SEED_REGION)
             .get_trail_status(Name="test-event-selector").get("LatestDeliveryError"))
    records = delivered(server, "write-only-events", SEED_REGION)
    assert object_calls(records) == [("PutObject", "test-20161130", "sample.png"),
                                     ("DeleteObject", "test-20161130", "sample.png")]
    put = records[0]
    assert put["eventCategory"] == "Data" and put["managementEvent"] is False and put["readOnly"] is False
    assert put["awsRegion"] == SEED_REGION and put["recipientAccountId"] == ACCOUNT
    assert put["additionalEventData"]["bytesTransferredIn"] == 3000
    assert put["resources"] == [
        {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::test-20161130/sample.png"},
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::test-20161130"}]
    assert put["userAgent"].startswith("[aws-cli/") and put["userAgent"].endswith("]")
    key_pattern = f"AWSLogs/{ACCOUNT}/CloudTrail/{SEED_REGION}/"
    assert all(key.startswith(key_pattern) for key in keys(server, "write-only-events", "AWSLogs/"))
    # the event log has the reads too (a trail with ReadOnly selectors would get them) ...
    logged = {(r["eventName"], r["requestParameters"].get("bucketName"))
              for r in (e["record"] for e in server.records()) if r["eventCategory"] == "Data"}
    assert {("GetObject", "test-20161130"), ("HeadObject", "test-20161130"),
            ("ListObjects", "test-20161130"), ("PutObject", "unwatched-bucket")} <= logged
    # ... but data events never enter event history
    found = server.aws("cloudtrail", "lookup-events", "--lookup-attributes",
                       "AttributeKey=EventName,AttributeValue=PutObject", region=SEED_REGION)
    assert found["Events"] == []
    found = server.aws("cloudtrail", "lookup-events", "--lookup-attributes",
                       "AttributeKey=EventName,AttributeValue=CreateBucket", region=SEED_REGION)
    assert len(found["Events"]) == 3


def test_prefix_and_advanced_selectors_choose_the_data_events(start_server):
    server = start_server(FAST)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="data-bucket")
    cloudtrail = server.client("cloudtrail")
    trails = {
        # basic: reads under reports/ only
        "reports-reads": dict(EventSelectors=[{
            "ReadWriteType": "ReadOnly", "IncludeManagementEvents": False,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data-bucket/reports/"]}]}]),
        # advanced: writes under logs/ except deletes
        "logs-writes": dict(AdvancedEventSelectors=[{"Name": "logs writes", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::data-bucket/logs/"]},
            {"Field": "readOnly", "Equals": ["false"]},
            {"Field": "eventName", "NotEquals": ["DeleteObject"]}]}]),
        # basic: everything in the bucket
        "whole-bucket": dict(EventSelectors=[{
            "ReadWriteType": "All", "IncludeManagementEvents": False,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data-bucket/"]}]}]),
    }
    for name, selectors in trails.items():
        make_trail_bucket(server, f"{name}-logs")
        cloudtrail.create_trail(Name=name, S3BucketName=f"{name}-logs")
        cloudtrail.put_event_selectors(TrailName=name, **selectors)
        cloudtrail.start_logging(Name=name)

    # Known defect (notes, issue 3): a trail's delivery worker may route records that arrive just
    # after StartLogging with its previous settings and drop them. Until that is fixed, make sure every
    # trail's worker has its logging settings: repeat a call each trail selects until each delivers it.
    def warmed_up():
        s3.put_object(Bucket="data-bucket", Key="logs/warm-up", Body=b"w")
        s3.get_object(Bucket="data-bucket", Key="reports/warm-up")["Body"].read()
        return all(any("warm-up" in json.dumps(r) for r in delivered(server, f"{name}-logs")) for name in trails)

    s3.put_object(Bucket="data-bucket", Key="reports/warm-up", Body=b"w")
    wait_for(warmed_up, timeout=60, interval=1)

    for key in ["reports/q1.csv", "logs/app.log", "top.txt"]:
        s3.put_object(Bucket="data-bucket", Key=key, Body=b"0123456789")
        s3.get_object(Bucket="data-bucket", Key=key)["Body"].read()
    s3.list_objects_v2(Bucket="data-bucket", Prefix="reports/")
    s3.list_objects_v2(Bucket="data-bucket")
    s3.delete_object(Bucket="data-bucket", Key="logs/app.log")
    upload = s3.create_multipart_upload(Bucket="data-bucket", Key="logs/big.bin")["UploadId"]
    parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="data-bucket", Key="logs/big.bin", UploadId=upload,
                                                      PartNumber=n, Body=os.urandom(5 * 1024 * 1024 if n == 1 else 10))["ETag"]}
             for n in (1, 2)]
    s3.complete_multipart_upload(Bucket="data-bucket", Key="logs/big.bin", UploadId=upload,
                                 MultipartUpload={"Parts": parts})
    s3.delete_objects(Bucket="data-bucket", Delete={"Objects": [{"Key": "top.txt"}, {"Key": "reports/q1.csv"}]})
    expected_total = 14

    def without_warm_up(name):
        return [r for r in delivered(server, f"{name}-logs") if "warm-up" not in json.dumps(r)]

    wait_for(lambda: len(without_warm_up("whole-bucket")) >= expected_total, timeout=60)
    whole = without_warm_up("whole-bucket")
    assert len(whole) == expected_total
    assert all(r["eventCategory"] == "Data" for r in whole)
    reports = without_warm_up("reports-reads")
    assert object_calls(reports) == [("GetObject", "data-bucket", "reports/q1.csv"),
                                     ("ListObjects", "data-bucket", None)]
    assert reports[1]["requestParameters"]["prefix"] == "reports/"
    assert reports[1]["resources"][0] == {"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::data-bucket/reports/"}
    writes = without_warm_up("logs-writes")
    assert [name for name, _, _ in object_calls(writes)] == [
        "PutObject", "CreateMultipartUpload", "UploadPart", "UploadPart", "CompleteMultipartUpload"]
    create, first_part = writes[1], writes[2]
    assert create["responseElements"] == {"bucket": "data-bucket", "key": "logs/big.bin", "uploadId": upload}
    assert first_part["requestParameters"]["uploadId"] == upload
    assert first_part["requestParameters"]["partNumber"] == "1"
    assert first_part["additionalEventData"]["bytesTransferredIn"] == 5 * 1024 * 1024
    [delete_many] = [r for r in whole if r["eventName"] == "DeleteObjects"]
    assert "top.txt" not in json.dumps(delete_many) and "q1.csv" not in json.dumps(delete_many)
    assert delete_many["readOnly"] is False
    assert delete_many["resources"][0] == {"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::data-bucket/"}
