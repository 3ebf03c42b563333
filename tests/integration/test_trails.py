"""The trail control plane through the real aws CLI and boto3: lifecycle, every error code triggered
by a request that should trigger it, selector round trips, isolation between accounts, restarts, and
the self-audit record of each call."""

import json

import botocore.exceptions
import pytest

from conftest import ACCOUNT, ALICE_KEY, ALICE_SECRET, OTHER_KEY, OTHER_SECRET, ROOT_KEY

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::{bucket}"},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{bucket}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
    ],
}


def make_trail_bucket(server, bucket, key=ROOT_KEY, secret=None, region=None):
    kwargs = {"key": key} if secret is None else {"key": key, "secret": secret}
    s3 = server.client("s3", region=region, **kwargs)
    s3.create_bucket(Bucket=bucket)
    policy = json.dumps(POLICY).replace("{bucket}", bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)


def error_code(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as failure:
        call(*args, **kwargs)
    return failure.value.response["Error"]["Code"]


def run_seed_000(server):
    """Seed 000's aws CLI session, verbatim, checking each answer; returns the trail's ARN."""
    region = "ap-northeast-1"
    server.aws("s3api", "create-bucket", "--bucket", "write-only-events",
               "--create-bucket-configuration", "LocationConstraint=ap-northeast-1", region=region)
    policy_path = f"{server.data_dir}/../policy.json"
    with open(policy_path, "w") as handle:
        handle.write(json.dumps(POLICY).replace("{bucket}", "write-only-events"))
    server.aws("s3api", "put-bucket-policy", "--bucket", "write-only-events", "--policy", f"file://{policy_path}",
               region=region)
    server.aws("s3api", "create-bucket", "--bucket", "test-20161130",
               "--create-bucket-configuration", "LocationConstraint=ap-northeast-1", region=region)
    created = server.aws("cloudtrail", "create-trail", "--name", "test-event-selector",
                         "--s3-bucket-name", "write-only-events", region=region)
    assert created == {
        "IncludeGlobalServiceEvents": True, "Name": "test-event-selector",
        "TrailARN": "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/test-event-selector",
        "LogFileValidationEnabled": False, "IsMultiRegionTrail": False, "S3BucketName": "write-only-events",
        "IsOrganizationTrail": False,
    }
    selectors = server.aws("cloudtrail", "get-event-selectors", "--trail-name", "test-event-selector", region=region)
    assert selectors["EventSelectors"] == [{"IncludeManagementEvents": True, "DataResources": [],
                                            "ReadWriteType": "All", "ExcludeManagementEventSources": []}]
    selector_path = f"{server.data_dir}/../event_selector.json"
    wanted = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
               "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::test-20161130/"]}]}]
    with open(selector_path, "w") as handle:
        json.dump(wanted, handle)
    put = server.aws("cloudtrail", "put-event-selectors", "--trail-name", "test-event-selector",
                     "--event-selectors", f"file://{selector_path}", region=region)
    assert put["TrailARN"] == created["TrailARN"]
    assert put["EventSelectors"] == [dict(wanted[0], ExcludeManagementEventSources=[])]
    server.aws("cloudtrail", "start-logging", "--name", created["TrailARN"], region=region)
    status = server.aws("cloudtrail", "get-trail-status", "--name", "test-event-selector", region=region)
    assert status["IsLogging"] is True
    assert isinstance(status["StartLoggingTime"], float)
    trail = server.aws("cloudtrail", "get-trail", "--name", "test-event-selector", region=region)["Trail"]
    assert trail["HasCustomEventSelectors"] is True
    assert trail["HomeRegion"] == region
    return created["TrailARN"]


def test_seed_000_session_verbatim_with_the_aws_cli(server):
    assert run_seed_000(server) == "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/test-event-selector"


def test_trail_lifecycle_with_boto3(server):
    make_trail_bucket(server, "lifecycle-logs")
    cloudtrail = server.client("cloudtrail")
    arn = cloudtrail.create_trail(Name="trail-one", S3BucketName="lifecycle-logs", IsMultiRegionTrail=True,
                                  EnableLogFileValidation=True, TagsList=[{"Key": "team", "Value": "sec"}])["TrailARN"]
    assert [t["Name"] for t in cloudtrail.describe_trails()["trailList"]] == ["trail-one"]
    assert cloudtrail.list_trails()["Trails"] == [{"TrailARN": arn, "Name": "trail-one", "HomeRegion": "us-east-1"}]
    updated = cloudtrail.update_trail(Name="trail-one", S3KeyPrefix="audit", IsMultiRegionTrail=False)
    assert updated["S3KeyPrefix"] == "audit" and updated["IsMultiRegionTrail"] is False
    cloudtrail.start_logging(Name="trail-one")
    assert cloudtrail.get_trail_status(Name=arn)["IsLogging"] is True
    cloudtrail.stop_logging(Name="trail-one")
    status = cloudtrail.get_trail_status(Name="trail-one")
    assert status["IsLogging"] is False and "StopLoggingTime" in status
    cloudtrail.add_tags(ResourceId=arn, TagsList=[{"Key": "env", "Value": "test"}])
    cloudtrail.remove_tags(ResourceId=arn, TagsList=[{"Key": "team"}])
    tags = cloudtrail.list_tags(ResourceIdList=[arn])["ResourceTagList"]
    assert tags == [{"ResourceId": arn, "TagsList": [{"Key": "env", "Value": "test"}]}]
    cloudtrail.put_insight_selectors(TrailName="trail-one", InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])
    assert cloudtrail.get_insight_selectors(TrailName="trail-one")["InsightSelectors"][0]["InsightType"] == "ApiCallRateInsight"
    advanced = [{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
    cloudtrail.put_event_selectors(TrailName="trail-one", AdvancedEventSelectors=advanced)
    got = cloudtrail.get_event_selectors(TrailName="trail-one")
    assert got["AdvancedEventSelectors"] == advanced and "EventSelectors" not in got
    cloudtrail.delete_trail(Name="trail-one")
    assert cloudtrail.describe_trails()["trailList"] == []


def test_each_error_code_is_triggered_by_its_request(server):
    make_trail_bucket(server, "errors-logs")
    server.client("s3").create_bucket(Bucket="no-policy-bucket")
    ct = server.client("cloudtrail")
    ct.create_trail(Name="exists", S3BucketName="errors-logs")
    cases = [
        ("TrailNotFoundException", ct.get_trail, {"Name": "missing"}),
        ("InvalidTrailNameException", ct.get_trail, {"Name": "a--b"}),
        ("CloudTrailARNInvalidException", ct.get_trail, {"Name": "arn:aws:cloudtrail:us-east-1:bad"}),
        ("TrailAlreadyExistsException", ct.create_trail, {"Name": "exists", "S3BucketName": "errors-logs"}),
        ("S3BucketDoesNotExistException", ct.create_trail, {"Name": "trail-two", "S3BucketName": "no-such-bucket"}),
        ("InsufficientS3BucketPolicyException", ct.create_trail, {"Name": "trail-two", "S3BucketName": "no-policy-bucket"}),
        ("InvalidS3BucketNameException", ct.create_trail, {"Name": "trail-two", "S3BucketName": "Bad_Bucket"}),
        ("InvalidS3PrefixException", ct.create_trail, {"Name": "trail-two", "S3BucketName": "errors-logs",
                                                       "S3KeyPrefix": "p" * 201}),
        ("InvalidParameterCombinationException", ct.create_trail, {
            "Name": "trail-two", "S3BucketName": "errors-logs", "CloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/r"}),
        ("InvalidKmsKeyIdException", ct.create_trail, {"Name": "trail-two", "S3BucketName": "errors-logs",
                                                       "KmsKeyId": "not a key"}),
        ("TagsLimitExceededException", ct.create_trail, {
            "Name": "trail-two", "S3BucketName": "errors-logs", "TagsList": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}),
        ("InvalidEventSelectorsException", ct.put_event_selectors, {
            "TrailName": "exists", "EventSelectors": [{"ReadWriteType": "All"}] * 6}),
        ("InvalidEventSelectorsException", ct.put_event_selectors, {
            "TrailName": "exists", "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object",
                                                                          "Values": ["not-an-arn"]}]}]}),
        ("InsightNotEnabledException", ct.get_insight_selectors, {"TrailName": "exists"}),
        ("CloudTrailARNInvalidException", ct.list_tags,
         {"ResourceIdList": ["arn:aws:cloudtrail:us-east-1:123456789012:trail/missing"]}),
        ("UnsupportedOperationException", ct.list_event_data_stores, {}),
    ]
    for expected, call, kwargs in cases:
        assert error_code(call, **kwargs) == expected, (call.__name__, kwargs)


def test_server_side_validation_of_max_pattern_and_enum(server):
    make_trail_bucket(server, "validation-logs")
    ct = server.client("cloudtrail")
    ct.create_trail(Name="validated", S3BucketName="validation-logs")
    bad_enum = [{"ReadWriteType": "Sometimes", "IncludeManagementEvents": True}]
    assert error_code(ct.put_event_selectors, TrailName="validated", EventSelectors=bad_enum) in (
        "InvalidEventSelectorsException", "ValidationException", "InvalidParameterException")
    assert error_code(ct.get_trail, Name="x" * 129) == "InvalidTrailNameException"


def test_five_trails_per_region_and_home_region_rules(server):
    make_trail_bucket(server, "quota-logs")
    east = server.client("cloudtrail")
    west = server.client("cloudtrail", region="us-west-2")
    for index in range(5):
        east.create_trail(Name=f"trail-{index}", S3BucketName="quota-logs")
    assert error_code(east.create_trail, Name="trail-6", S3BucketName="quota-logs") == \
        "MaximumNumberOfTrailsExceededException"
    east.delete_trail(Name="trail-4")
    arn = east.create_trail(Name="everywhere", S3BucketName="quota-logs", IsMultiRegionTrail=True)["TrailARN"]
    shadows = west.describe_trails()["trailList"]
    assert [t["TrailARN"] for t in shadows] == [arn]
    assert west.describe_trails(includeShadowTrails=False)["trailList"] == []
    assert error_code(west.start_logging, Name=arn) == "InvalidHomeRegionException"
    assert error_code(west.delete_trail, Name=arn) == "InvalidHomeRegionException"


def test_second_account_sees_none_of_the_first_accounts_trails(server):
    make_trail_bucket(server, "first-logs")
    server.client("cloudtrail").create_trail(Name="mine", S3BucketName="first-logs")
    other = server.client("cloudtrail", key=OTHER_KEY, secret=OTHER_SECRET)
    assert other.describe_trails()["trailList"] == []
    assert other.list_trails()["Trails"] == []
    assert error_code(other.get_trail, Name="mine") == "TrailNotFoundException"
    arn = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/mine"
    assert error_code(other.get_trail, Name=arn) in ("TrailNotFoundException", "CloudTrailARNInvalidException")
    # Another account's bucket is usable only where its policy lets CloudTrail write for this account,
    # as on AWS: seed 000's policy grants `bucket/*` (every account's prefix); a bucket with no policy
    # grants nothing.
    server.client("s3").create_bucket(Bucket="first-private")
    assert error_code(other.create_trail, Name="theirs", S3BucketName="first-private") == \
        "InsufficientS3BucketPolicyException"
    assert other.create_trail(Name="theirs", S3BucketName="first-logs")["S3BucketName"] == "first-logs"
    assert [t["Name"] for t in server.client("cloudtrail").describe_trails()["trailList"]] == ["mine"]


def test_trails_survive_restart(start_server, tmp_path):
    server = start_server(data_dir=tmp_path / "persist")
    make_trail_bucket(server, "persist-logs")
    ct = server.client("cloudtrail")
    ct.create_trail(Name="durable", S3BucketName="persist-logs", TagsList=[{"Key": "a", "Value": "b"}])
    ct.put_event_selectors(TrailName="durable", EventSelectors=[{"ReadWriteType": "ReadOnly"}])
    ct.start_logging(Name="durable")
    before = ct.get_trail(Name="durable")["Trail"], ct.get_event_selectors(TrailName="durable")["EventSelectors"]
    server.stop()
    restarted = start_server(data_dir=tmp_path / "persist", port=server.port)
    ct = restarted.client("cloudtrail")
    after = ct.get_trail(Name="durable")["Trail"], ct.get_event_selectors(TrailName="durable")["EventSelectors"]
    assert after == before
    assert ct.get_trail_status(Name="durable")["IsLogging"] is True
    assert restarted.client("s3").get_bucket_policy(Bucket="persist-logs")["Policy"]


def test_create_subscription_helper_works(server):
    output = server.aws("cloudtrail", "create-subscription", "--name", "subscribed",
                        "--s3-new-bucket", "subscription-logs")
    assert "subscribed" in json.dumps(output)
    trail = server.client("cloudtrail").get_trail(Name="subscribed")["Trail"]
    assert trail["S3BucketName"] == "subscription-logs"
    assert server.client("cloudtrail").get_trail_status(Name="subscribed")["IsLogging"] is True


def test_self_audit_records_field_by_field(server):
    make_trail_bucket(server, "audited-logs")
    alice = server.client("cloudtrail", key=ALICE_KEY, secret=ALICE_SECRET)
    response = alice.create_trail(Name="audited", S3BucketName="audited-logs")
    request_id = response["ResponseMetadata"]["RequestId"]
    with pytest.raises(botocore.exceptions.ClientError):
        alice.get_trail(Name="nope")
    [create] = [e["record"] for e in server.records() if e["record"].get("requestID") == request_id]
    assert create["eventVersion"] == "1.11"
    assert create["eventSource"] == "cloudtrail.amazonaws.com"
    assert create["eventName"] == "CreateTrail"
    assert create["awsRegion"] == "us-east-1"
    assert create["sourceIPAddress"] == "127.0.0.1"
    assert create["userAgent"].startswith("Boto3/")
    assert create["userIdentity"] == {
        "type": "IAMUser", "principalId": create["userIdentity"]["principalId"],
        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "accountId": ACCOUNT, "accessKeyId": ALICE_KEY,
        "userName": "alice"}
    assert create["userIdentity"]["principalId"].startswith("AIDA")
    assert create["requestParameters"] == {"name": "audited", "s3BucketName": "audited-logs"}
    assert create["responseElements"]["trailARN"] == response["TrailARN"]
    assert create["readOnly"] is False
    assert create["eventType"] == "AwsApiCall"
    assert create["managementEvent"] is True
    assert create["eventCategory"] == "Management"
    assert create["recipientAccountId"] == ACCOUNT
    assert len(create["eventID"]) == 36
    assert "errorCode" not in create and "tlsDetails" not in create
    [failed] = [e["record"] for e in server.records() if e["record"]["eventName"] == "GetTrail"]
    assert failed["errorCode"] == "TrailNotFoundException"
    assert failed["errorMessage"].startswith("Unknown trail")
    assert failed["readOnly"] is True
    assert failed["responseElements"] is None
    assert len({e["record"]["eventID"] for e in server.records()}) == len(server.records())
