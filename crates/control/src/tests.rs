//! Tests of the whole control plane through [`ControlPlane::call`], against a real SQLite file in
//! a temporary directory and an in-memory bucket directory. Validation rules of single members
//! are tested next to their code (`names`, `validate`, `policy`); scenarios that need storage,
//! regions or several operations go here, each table run through the one [`check`] helper.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::{
    ApiError, BucketDirectory, BucketInfo, CallContext, ControlPlane, DeliveryKind, TopicDirectory,
    TopicInfo, TrailArn,
};

const ACCOUNT: &str = "123456789012";
const OTHER_ACCOUNT: &str = "210987654321";
const TOKYO: &str = "ap-northeast-1";
const VIRGINIA: &str = "us-east-1";
const OREGON: &str = "us-west-2";

/// The bucket policy of seed 000 (PutObject on `arn:aws:s3:::write-only-events/*`).
const SEED_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::write-only-events"},
    {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": "s3:PutObject", "Resource": "arn:aws:s3:::write-only-events/*",
     "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}
  ]
}"#;

/// The current AWS template: `AWSLogs/<account>/*` and `aws:SourceArn` of one trail.
fn current_template(bucket: &str, prefix: &str, trail_arn: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
             "Resource": format!("arn:aws:s3:::{bucket}"), "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}},
            {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": format!("arn:aws:s3:::{bucket}/{prefix}AWSLogs/{ACCOUNT}/*"),
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}}}
        ]
    })
    .to_string()
}

#[derive(Default)]
struct MemoryBuckets(Mutex<HashMap<String, BucketInfo>>);

impl MemoryBuckets {
    fn put(&self, name: &str, policy: Option<String>) {
        let info = BucketInfo {
            owner_account_id: ACCOUNT.into(),
            region: TOKYO.into(),
            policy,
            operator_trusted: false,
        };
        self.0.lock().unwrap().insert(name.into(), info);
    }
}

impl BucketDirectory for MemoryBuckets {
    fn bucket(&self, name: &str) -> Option<BucketInfo> {
        self.0.lock().unwrap().get(name).cloned()
    }
}

struct MemoryTopics(HashMap<String, TopicInfo>);

impl TopicDirectory for MemoryTopics {
    fn topic(&self, topic_arn: &str) -> Option<TopicInfo> {
        self.0.get(topic_arn).cloned()
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    buckets: Arc<MemoryBuckets>,
    plane: ControlPlane,
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.sqlite");
    let buckets = Arc::new(MemoryBuckets::default());
    buckets.put("write-only-events", Some(SEED_POLICY.into()));
    buckets.put("no-policy-bucket", None);
    buckets.put(
        "logs-only",
        Some(SEED_POLICY.replace("write-only-events/*", "logs-only/AWSLogs/*")),
    );
    buckets.put(
        "other-account-path",
        Some(SEED_POLICY.replace(
            "write-only-events/*",
            "other-account-path/AWSLogs/210987654321/*",
        )),
    );
    let plane = ControlPlane::open(&path, buckets.clone()).unwrap();
    Fixture {
        _dir: dir,
        path,
        buckets,
        plane,
    }
}

impl Fixture {
    fn call_as(
        &self,
        account: &str,
        region: &str,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        let ctx = CallContext {
            account_id: account.into(),
            region: region.into(),
            now: now(),
        };
        self.plane.call(&ctx, operation, &input)
    }

    fn call(&self, region: &str, operation: &str, input: Value) -> Result<Value, ApiError> {
        self.call_as(ACCOUNT, region, operation, input)
    }

    fn create(&self, region: &str, name: &str, extra: Value) -> Value {
        let mut input = json!({"Name": name, "S3BucketName": "write-only-events"});
        merge(&mut input, extra);
        self.call(region, "CreateTrail", input)
            .unwrap_or_else(|e| panic!("CreateTrail {name}: {e}"))
    }
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(target), Value::Object(extra)) = (target, extra) {
        target.extend(extra);
    }
}

fn arn(region: &str, name: &str) -> String {
    format!("arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/{name}")
}

/// What a call should produce: an object containing these members, or this error code.
enum Expect {
    Contains(Value),
    Error(&'static str),
}

use Expect::{Contains, Error};

/// Whether `actual` has every member of `wanted`, recursively into objects (extra members
/// allowed); anything that is not an object must be equal.
fn contains(actual: &Value, wanted: &Value) -> bool {
    match (actual, wanted) {
        (Value::Object(actual), Value::Object(wanted)) => wanted
            .iter()
            .all(|(member, value)| actual.get(member).is_some_and(|a| contains(a, value))),
        _ => actual == wanted,
    }
}

/// The one assertion of this file: `result` matches `expected`.
fn check(label: &str, result: Result<Value, ApiError>, expected: &Expect) {
    match (result, expected) {
        (Ok(actual), Contains(wanted)) => assert!(
            contains(&actual, wanted),
            "{label}: {actual} does not contain {wanted}"
        ),
        (Err(error), Error(code)) => assert_eq!(error.code, *code, "{label}: {error}"),
        (Ok(actual), Error(code)) => panic!("{label}: expected {code}, got {actual}"),
        (Err(error), Contains(_)) => panic!("{label}: unexpected {error}"),
    }
}

#[test]
fn create_trail_validation_rules() {
    let fx = fixture();
    let long_prefix = "p".repeat(201);
    let fifty_one_tags: Vec<Value> = (0..51).map(|i| json!({"Key": format!("k{i}")})).collect();
    let group = "arn:aws:logs:ap-northeast-1:123456789012:log-group:CloudTrail/Default:*";
    let role = "arn:aws:iam::123456789012:role/CloudTrail_CloudWatchLogs_Role";
    let cases: Vec<(&str, Value, Expect)> = vec![
        (
            "name missing",
            json!({"S3BucketName": "write-only-events"}),
            Error("InvalidParameterException"),
        ),
        (
            "bucket missing",
            json!({"Name": "abc"}),
            Error("InvalidParameterException"),
        ),
        (
            "name not a string",
            json!({"Name": 12, "S3BucketName": "write-only-events"}),
            Error("InvalidParameterException"),
        ),
        (
            "name too short",
            json!({"Name": "ab", "S3BucketName": "write-only-events"}),
            Error("InvalidTrailNameException"),
        ),
        (
            "name with --",
            json!({"Name": "my--x", "S3BucketName": "write-only-events"}),
            Error("InvalidTrailNameException"),
        ),
        (
            "name is an ip",
            json!({"Name": "10.0.0.1", "S3BucketName": "write-only-events"}),
            Error("InvalidTrailNameException"),
        ),
        (
            "name is an arn",
            json!({"Name": arn(TOKYO, "abc"), "S3BucketName": "write-only-events"}),
            Error("InvalidTrailNameException"),
        ),
        (
            "bucket name invalid",
            json!({"Name": "abc", "S3BucketName": "Bad_Bucket"}),
            Error("InvalidS3BucketNameException"),
        ),
        (
            "bucket missing in s3",
            json!({"Name": "abc", "S3BucketName": "no-such-bucket"}),
            Error("S3BucketDoesNotExistException"),
        ),
        (
            "bucket without policy",
            json!({"Name": "abc", "S3BucketName": "no-policy-bucket"}),
            Error("InsufficientS3BucketPolicyException"),
        ),
        (
            "policy for another account",
            json!({"Name": "abc", "S3BucketName": "other-account-path"}),
            Error("InsufficientS3BucketPolicyException"),
        ),
        (
            "policy misses the prefix",
            json!({"Name": "abc", "S3BucketName": "logs-only", "S3KeyPrefix": "prod"}),
            Error("InsufficientS3BucketPolicyException"),
        ),
        (
            "prefix too long",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "S3KeyPrefix": long_prefix}),
            Error("InvalidS3PrefixException"),
        ),
        (
            "topic name invalid",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "SnsTopicName": "bad name"}),
            Error("InvalidSnsTopicNameException"),
        ),
        (
            "log group without role",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "CloudWatchLogsLogGroupArn": group}),
            Error("InvalidCloudWatchLogsRoleArnException"),
        ),
        (
            "role without log group",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "CloudWatchLogsRoleArn": role}),
            Error("InvalidParameterCombinationException"),
        ),
        (
            "log group malformed",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "CloudWatchLogsLogGroupArn": "lg", "CloudWatchLogsRoleArn": role}),
            Error("InvalidCloudWatchLogsLogGroupArnException"),
        ),
        (
            "role malformed",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "CloudWatchLogsLogGroupArn": group, "CloudWatchLogsRoleArn": "r"}),
            Error("InvalidCloudWatchLogsRoleArnException"),
        ),
        (
            "kms key malformed",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "KmsKeyId": "nope"}),
            Error("InvalidKmsKeyIdException"),
        ),
        (
            "organization trail",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "IsOrganizationTrail": true}),
            Error("OrganizationsNotInUseException"),
        ),
        (
            "flag not a boolean",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "IsMultiRegionTrail": "yes"}),
            Error("InvalidParameterException"),
        ),
        (
            "51 tags",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "TagsList": fifty_one_tags}),
            Error("TagsLimitExceededException"),
        ),
        (
            "reserved tag key",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "TagsList": [{"Key": "aws:x"}]}),
            Error("InvalidTagParameterException"),
        ),
        (
            "duplicate tag key",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "TagsList": [{"Key": "a"}, {"Key": "a"}]}),
            Error("InvalidTagParameterException"),
        ),
        (
            "tag value too long",
            json!({"Name": "abc", "S3BucketName": "write-only-events", "TagsList": [{"Key": "a", "Value": "v".repeat(257)}]}),
            Error("InvalidTagParameterException"),
        ),
        (
            "everything valid",
            json!({"Name": "full", "S3BucketName": "write-only-events", "S3KeyPrefix": "prod", "SnsTopicName": "alerts",
                   "CloudWatchLogsLogGroupArn": group, "CloudWatchLogsRoleArn": role, "KmsKeyId": "alias/trail-key",
                   "EnableLogFileValidation": true, "IncludeGlobalServiceEvents": false, "RecursiveLogging": false,
                   "TagsList": [{"Key": "env", "Value": "prod"}, {"Key": "solo"}]}),
            Contains(json!({"S3KeyPrefix": "prod", "SnsTopicName": "alerts",
                            "SnsTopicARN": "arn:aws:sns:ap-northeast-1:123456789012:alerts",
                            "CloudWatchLogsLogGroupArn": group, "CloudWatchLogsRoleArn": role,
                            "KmsKeyId": "arn:aws:kms:ap-northeast-1:123456789012:alias/trail-key",
                            "LogFileValidationEnabled": true, "IncludeGlobalServiceEvents": false, "RecursiveLogging": false})),
        ),
    ];
    for (label, input, expected) in &cases {
        check(
            label,
            fx.call(TOKYO, "CreateTrail", input.clone()),
            expected,
        );
    }
}

#[test]
fn seed_000_create_trail_output() {
    let fx = fixture();
    let out = fx.call(
        TOKYO,
        "CreateTrail",
        json!({"Name": "test-event-selector", "S3BucketName": "write-only-events"}),
    );
    assert_eq!(
        out.unwrap(),
        json!({
            "IncludeGlobalServiceEvents": true,
            "Name": "test-event-selector",
            "TrailARN": "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/test-event-selector",
            "LogFileValidationEnabled": false,
            "IsMultiRegionTrail": false,
            "S3BucketName": "write-only-events",
            "IsOrganizationTrail": false,
            "RecursiveLogging": true,
        })
    );
}

#[test]
fn bucket_policy_forms() {
    let fx = fixture();
    let trail_arn = arn(TOKYO, "templated");
    fx.buckets.put(
        "templated",
        Some(current_template("templated", "", &trail_arn)),
    );
    fx.buckets.put(
        "prefixed",
        Some(current_template(
            "prefixed",
            "team/",
            &arn(TOKYO, "prefixed"),
        )),
    );
    fx.buckets.put(
        "wrong-trail",
        Some(current_template(
            "wrong-trail",
            "",
            &arn(TOKYO, "someone-else"),
        )),
    );
    let cases: Vec<(&str, Value, Expect)> = vec![
        (
            "current template",
            json!({"Name": "templated", "S3BucketName": "templated"}),
            Contains(json!({"TrailARN": trail_arn})),
        ),
        (
            "template with prefix",
            json!({"Name": "prefixed", "S3BucketName": "prefixed", "S3KeyPrefix": "team"}),
            Contains(json!({"S3KeyPrefix": "team"})),
        ),
        (
            "template without the prefix",
            json!({"Name": "prefixed2", "S3BucketName": "prefixed"}),
            Error("InsufficientS3BucketPolicyException"),
        ),
        (
            "template of another trail",
            json!({"Name": "wrong-trail", "S3BucketName": "wrong-trail"}),
            Error("InsufficientS3BucketPolicyException"),
        ),
    ];
    for (label, input, expected) in &cases {
        check(
            label,
            fx.call(TOKYO, "CreateTrail", input.clone()),
            expected,
        );
    }
}

#[test]
fn trail_lifecycle() {
    let fx = fixture();
    let trail_arn = arn(TOKYO, "test-event-selector");
    let started = now().timestamp() as f64;
    let steps: Vec<(&str, &str, Value, Expect)> = vec![
        (
            "create",
            "CreateTrail",
            json!({"Name": "test-event-selector", "S3BucketName": "write-only-events"}),
            Contains(json!({"TrailARN": trail_arn})),
        ),
        (
            "create again",
            "CreateTrail",
            json!({"Name": "test-event-selector", "S3BucketName": "write-only-events"}),
            Error("TrailAlreadyExistsException"),
        ),
        (
            "get by name",
            "GetTrail",
            json!({"Name": "test-event-selector"}),
            Contains(json!({"Trail": {
            "Name": "test-event-selector", "S3BucketName": "write-only-events", "IncludeGlobalServiceEvents": true,
            "IsMultiRegionTrail": false, "HomeRegion": TOKYO, "TrailARN": trail_arn, "LogFileValidationEnabled": false,
            "HasCustomEventSelectors": false, "HasInsightSelectors": false, "IsOrganizationTrail": false, "RecursiveLogging": true}})),
        ),
        (
            "status before logging",
            "GetTrailStatus",
            json!({"Name": "test-event-selector"}),
            Contains(json!({
            "IsLogging": false, "TimeLoggingStarted": "", "TimeLoggingStopped": "", "LatestDeliveryAttemptTime": ""})),
        ),
        (
            "start by arn",
            "StartLogging",
            json!({"Name": trail_arn}),
            Contains(json!({})),
        ),
        (
            "status while logging",
            "GetTrailStatus",
            json!({"Name": trail_arn}),
            Contains(json!({
            "IsLogging": true, "StartLoggingTime": started, "TimeLoggingStarted": "2024-05-01T12:00:00Z", "TimeLoggingStopped": ""})),
        ),
        (
            "stop",
            "StopLogging",
            json!({"Name": "test-event-selector"}),
            Contains(json!({})),
        ),
        (
            "status after stop",
            "GetTrailStatus",
            json!({"Name": "test-event-selector"}),
            Contains(json!({
            "IsLogging": false, "StartLoggingTime": started, "StopLoggingTime": started})),
        ),
        (
            "update",
            "UpdateTrail",
            json!({"Name": "test-event-selector", "S3KeyPrefix": "prod", "EnableLogFileValidation": true}),
            Contains(
                json!({"S3KeyPrefix": "prod", "LogFileValidationEnabled": true, "TrailARN": trail_arn}),
            ),
        ),
        (
            "update clears prefix",
            "UpdateTrail",
            json!({"Name": "test-event-selector", "S3KeyPrefix": ""}),
            Contains(json!({"LogFileValidationEnabled": true})),
        ),
        (
            "describe all",
            "DescribeTrails",
            json!({}),
            Contains(json!({"trailList": [{
            "Name": "test-event-selector", "S3BucketName": "write-only-events", "IncludeGlobalServiceEvents": true,
            "IsMultiRegionTrail": false, "HomeRegion": TOKYO, "TrailARN": trail_arn, "LogFileValidationEnabled": true,
            "HasCustomEventSelectors": false, "HasInsightSelectors": false, "IsOrganizationTrail": false, "RecursiveLogging": true}]})),
        ),
        (
            "list",
            "ListTrails",
            json!({}),
            Contains(
                json!({"Trails": [{"TrailARN": trail_arn, "Name": "test-event-selector", "HomeRegion": TOKYO}]}),
            ),
        ),
        (
            "delete",
            "DeleteTrail",
            json!({"Name": "test-event-selector"}),
            Contains(json!({})),
        ),
        (
            "get after delete",
            "GetTrail",
            json!({"Name": "test-event-selector"}),
            Error("TrailNotFoundException"),
        ),
        (
            "delete again",
            "DeleteTrail",
            json!({"Name": "test-event-selector"}),
            Error("TrailNotFoundException"),
        ),
        (
            "describe after delete",
            "DescribeTrails",
            json!({}),
            Contains(json!({"trailList": []})),
        ),
    ];
    for (label, operation, input, expected) in &steps {
        check(label, fx.call(TOKYO, operation, input.clone()), expected);
    }
}

#[test]
fn trail_not_found_message_quotes_the_arn() {
    let fx = fixture();
    let error = fx
        .call(TOKYO, "GetTrail", json!({"Name": "myTrail2"}))
        .unwrap_err();
    assert_eq!(
        error.message,
        format!(
            "Unknown trail: {} for the user: {ACCOUNT}",
            arn(TOKYO, "myTrail2")
        )
    );
}

#[test]
fn names_and_arns_in_requests() {
    let fx = fixture();
    fx.create(TOKYO, "present", json!({}));
    let operations = [
        "GetTrail",
        "GetTrailStatus",
        "StartLogging",
        "StopLogging",
        "DeleteTrail",
        "UpdateTrail",
    ];
    let cases: Vec<(String, Expect)> = vec![
        ("ab".into(), Error("InvalidTrailNameException")),
        ("has space".into(), Error("InvalidTrailNameException")),
        (
            "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/ab".into(),
            Error("CloudTrailARNInvalidException"),
        ),
        (
            "arn:aws:cloudtrail:ap-northeast-1:123456789012:eventdatastore/x".into(),
            Error("CloudTrailARNInvalidException"),
        ),
        (
            "arn:aws:cloudtrail:ap-northeast-1:123".into(),
            Error("CloudTrailARNInvalidException"),
        ),
        ("absent".into(), Error("TrailNotFoundException")),
        (arn(TOKYO, "absent"), Error("TrailNotFoundException")),
        (
            format!("arn:aws:cloudtrail:{TOKYO}:{OTHER_ACCOUNT}:trail/present"),
            Error("TrailNotFoundException"),
        ),
    ];
    for operation in operations {
        for (name, expected) in &cases {
            check(
                &format!("{operation} {name}"),
                fx.call(TOKYO, operation, json!({"Name": name})),
                expected,
            );
        }
    }
    let in_describe = fx.call(
        TOKYO,
        "DescribeTrails",
        json!({"trailNameList": ["present", "absent", arn(TOKYO, "present")]}),
    );
    check(
        "describe skips unknown names",
        in_describe,
        &Contains(
            json!({"trailList": [fx.call(TOKYO, "GetTrail", json!({"Name": "present"})).unwrap()["Trail"]]}),
        ),
    );
    check(
        "describe bad name",
        fx.call(TOKYO, "DescribeTrails", json!({"trailNameList": ["ab"]})),
        &Error("InvalidTrailNameException"),
    );
    check(
        "describe bad arn",
        fx.call(
            TOKYO,
            "DescribeTrails",
            json!({"trailNameList": ["arn:aws:x"]}),
        ),
        &Error("CloudTrailARNInvalidException"),
    );
}

#[test]
fn update_trail_rules() {
    let fx = fixture();
    fx.create(
        TOKYO,
        "upd",
        json!({"KmsKeyId": "12345678-1234-1234-1234-123456789012"}),
    );
    let group = "arn:aws:logs:ap-northeast-1:123456789012:log-group:ct:*";
    let role = "arn:aws:iam::123456789012:role/ct";
    let steps: Vec<(&str, Value, Expect)> = vec![
        (
            "kms stored as arn",
            json!({"Name": "upd"}),
            Contains(
                json!({"KmsKeyId": "arn:aws:kms:ap-northeast-1:123456789012:key/12345678-1234-1234-1234-123456789012"}),
            ),
        ),
        (
            "both cloudwatch members",
            json!({"Name": "upd", "CloudWatchLogsLogGroupArn": group, "CloudWatchLogsRoleArn": role}),
            Contains(json!({"CloudWatchLogsLogGroupArn": group, "CloudWatchLogsRoleArn": role})),
        ),
        (
            "group alone",
            json!({"Name": "upd", "CloudWatchLogsLogGroupArn": group}),
            Error("InvalidCloudWatchLogsRoleArnException"),
        ),
        (
            "role alone",
            json!({"Name": "upd", "CloudWatchLogsRoleArn": role}),
            Error("InvalidParameterCombinationException"),
        ),
        (
            "bad bucket name",
            json!({"Name": "upd", "S3BucketName": ""}),
            Error("InvalidS3BucketNameException"),
        ),
        (
            "bucket without policy",
            json!({"Name": "upd", "S3BucketName": "no-policy-bucket"}),
            Error("InsufficientS3BucketPolicyException"),
        ),
        (
            "missing bucket",
            json!({"Name": "upd", "S3BucketName": "gone"}),
            Error("S3BucketDoesNotExistException"),
        ),
        (
            "organization",
            json!({"Name": "upd", "IsOrganizationTrail": true}),
            Error("OrganizationsNotInUseException"),
        ),
        (
            "not organization is fine",
            json!({"Name": "upd", "IsOrganizationTrail": false}),
            Contains(json!({"IsOrganizationTrail": false})),
        ),
        (
            "recursive logging off",
            json!({"Name": "upd", "RecursiveLogging": false}),
            Contains(json!({"RecursiveLogging": false})),
        ),
        (
            "topic arn",
            json!({"Name": "upd", "SnsTopicName": "arn:aws:sns:ap-northeast-1:123456789012:t1"}),
            Contains(
                json!({"SnsTopicName": "t1", "SnsTopicARN": "arn:aws:sns:ap-northeast-1:123456789012:t1"}),
            ),
        ),
        (
            "multi-region",
            json!({"Name": "upd", "IsMultiRegionTrail": true}),
            Contains(json!({"IsMultiRegionTrail": true})),
        ),
    ];
    for (label, input, expected) in &steps {
        check(
            label,
            fx.call(TOKYO, "UpdateTrail", input.clone()),
            expected,
        );
    }
    let cleared = fx
        .call(TOKYO, "UpdateTrail", json!({"Name": "upd", "CloudWatchLogsLogGroupArn": "", "CloudWatchLogsRoleArn": "", "KmsKeyId": "", "SnsTopicName": ""}))
        .unwrap();
    for member in [
        "CloudWatchLogsLogGroupArn",
        "CloudWatchLogsRoleArn",
        "KmsKeyId",
        "SnsTopicName",
        "SnsTopicARN",
    ] {
        assert!(
            cleared.get(member).is_none(),
            "{member} should be cleared: {cleared}"
        );
    }
    assert_eq!(
        cleared["RecursiveLogging"],
        json!(false),
        "unrelated settings stay"
    );
}

#[test]
fn seed_000_event_selectors_round_trip() {
    let fx = fixture();
    fx.create(TOKYO, "test-event-selector", json!({}));
    let trail_arn = arn(TOKYO, "test-event-selector");
    let default = fx
        .call(
            TOKYO,
            "GetEventSelectors",
            json!({"TrailName": "test-event-selector"}),
        )
        .unwrap();
    assert_eq!(
        default,
        json!({"TrailARN": trail_arn, "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": []}]})
    );
    let selectors = json!([{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": false,
                             "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::test-20161130/"]}]}]);
    let put = fx
        .call(
            TOKYO,
            "PutEventSelectors",
            json!({"TrailName": "test-event-selector", "EventSelectors": selectors}),
        )
        .unwrap();
    let got = fx
        .call(TOKYO, "GetEventSelectors", json!({"TrailName": trail_arn}))
        .unwrap();
    assert_eq!(put, got);
    assert_eq!(got["TrailARN"], json!(trail_arn));
    assert_eq!(
        got["EventSelectors"][0]["ReadWriteType"],
        json!("WriteOnly")
    );
    assert_eq!(
        got["EventSelectors"][0]["DataResources"][0]["Values"],
        json!(["arn:aws:s3:::test-20161130/"])
    );
    let trail = fx
        .call(TOKYO, "GetTrail", json!({"Name": "test-event-selector"}))
        .unwrap();
    assert_eq!(trail["Trail"]["HasCustomEventSelectors"], json!(true));
    let advanced = json!([{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]);
    let put = fx
        .call(
            TOKYO,
            "PutEventSelectors",
            json!({"TrailName": "test-event-selector", "AdvancedEventSelectors": advanced}),
        )
        .unwrap();
    assert!(
        put.get("EventSelectors").is_none(),
        "advanced selectors replace basic ones: {put}"
    );
    assert_eq!(put["AdvancedEventSelectors"][0]["Name"], json!("mgmt"));
    let stored = fx
        .call(
            TOKYO,
            "GetEventSelectors",
            json!({"TrailName": "test-event-selector"}),
        )
        .unwrap();
    assert_eq!(
        stored, put,
        "advanced selectors read back from storage unchanged"
    );
}

#[test]
fn event_selector_errors() {
    let fx = fixture();
    fx.create(TOKYO, "sel", json!({}));
    let cases: Vec<(&str, Value, Expect)> = vec![
        (
            "bad read write type",
            json!({"TrailName": "sel", "EventSelectors": [{"ReadWriteType": "read-only"}]}),
            Error("InvalidEventSelectorsException"),
        ),
        (
            "unknown trail",
            json!({"TrailName": "nope", "EventSelectors": [{}]}),
            Error("TrailNotFoundException"),
        ),
        (
            "trail name missing",
            json!({"EventSelectors": [{}]}),
            Error("InvalidParameterException"),
        ),
    ];
    for (label, input, expected) in &cases {
        check(
            label,
            fx.call(TOKYO, "PutEventSelectors", input.clone()),
            expected,
        );
    }
}

#[test]
fn insight_selectors() {
    let fx = fixture();
    fx.create(TOKYO, "ins", json!({}));
    let insights = json!([{"InsightType": "ApiCallRateInsight"}]);
    let steps: Vec<(&str, &str, Value, Expect)> = vec![
        (
            "none yet",
            "GetInsightSelectors",
            json!({"TrailName": "ins"}),
            Error("InsightNotEnabledException"),
        ),
        (
            "put",
            "PutInsightSelectors",
            json!({"TrailName": "ins", "InsightSelectors": insights}),
            Contains(json!({"TrailARN": arn(TOKYO, "ins"), "InsightSelectors": insights})),
        ),
        (
            "get",
            "GetInsightSelectors",
            json!({"TrailName": "ins"}),
            Contains(json!({"InsightSelectors": insights})),
        ),
        (
            "flag on trail",
            "GetTrail",
            json!({"Name": "ins"}),
            Contains(json!({"Trail": fx_trail_with_insights(&fx)})),
        ),
        (
            "bad type",
            "PutInsightSelectors",
            json!({"TrailName": "ins", "InsightSelectors": [{"InsightType": "Nope"}]}),
            Error("InvalidInsightSelectorsException"),
        ),
        (
            "trail and store",
            "PutInsightSelectors",
            json!({"TrailName": "ins", "EventDataStore": "eds", "InsightSelectors": []}),
            Error("InvalidParameterCombinationException"),
        ),
        (
            "store form",
            "PutInsightSelectors",
            json!({"EventDataStore": "eds", "InsightsDestination": "eds2", "InsightSelectors": []}),
            Error("UnsupportedOperationException"),
        ),
        (
            "neither",
            "GetInsightSelectors",
            json!({}),
            Error("InvalidParameterCombinationException"),
        ),
        (
            "turn off",
            "PutInsightSelectors",
            json!({"TrailName": "ins", "InsightSelectors": []}),
            Contains(json!({"InsightSelectors": []})),
        ),
        (
            "off again",
            "GetInsightSelectors",
            json!({"TrailName": "ins"}),
            Error("InsightNotEnabledException"),
        ),
    ];
    for (label, operation, input, expected) in &steps {
        check(label, fx.call(TOKYO, operation, input.clone()), expected);
    }
}

/// The GetTrail `Trail` of trail "ins" as it should look once Insights are on.
fn fx_trail_with_insights(fx: &Fixture) -> Value {
    let mut trail = fx.call(TOKYO, "GetTrail", json!({"Name": "ins"})).unwrap()["Trail"].clone();
    trail["HasInsightSelectors"] = json!(true);
    trail
}

#[test]
fn tags() {
    let fx = fixture();
    fx.create(
        TOKYO,
        "tagged",
        json!({"TagsList": [{"Key": "env", "Value": "dev"}, {"Key": "solo"}]}),
    );
    let trail_arn = arn(TOKYO, "tagged");
    let many: Vec<Value> = (0..49)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let steps: Vec<(&str, &str, Value, Expect)> = vec![
        (
            "list initial",
            "ListTags",
            json!({"ResourceIdList": [trail_arn]}),
            Contains(
                json!({"ResourceTagList": [{"ResourceId": trail_arn, "TagsList": [{"Key": "env", "Value": "dev"}, {"Key": "solo"}]}]}),
            ),
        ),
        (
            "overwrite and add",
            "AddTags",
            json!({"ResourceId": trail_arn, "TagsList": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "audit"}]}),
            Contains(json!({})),
        ),
        (
            "list after add",
            "ListTags",
            json!({"ResourceIdList": [trail_arn]}),
            Contains(
                json!({"ResourceTagList": [{"ResourceId": trail_arn, "TagsList": [{"Key": "env", "Value": "prod"}, {"Key": "solo"}, {"Key": "team", "Value": "audit"}]}]}),
            ),
        ),
        (
            "remove",
            "RemoveTags",
            json!({"ResourceId": trail_arn, "TagsList": [{"Key": "solo"}, {"Key": "never-there"}]}),
            Contains(json!({})),
        ),
        (
            "list after remove",
            "ListTags",
            json!({"ResourceIdList": [trail_arn]}),
            Contains(
                json!({"ResourceTagList": [{"ResourceId": trail_arn, "TagsList": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "audit"}]}]}),
            ),
        ),
        (
            "over 50",
            "AddTags",
            json!({"ResourceId": trail_arn, "TagsList": many}),
            Error("TagsLimitExceededException"),
        ),
        (
            "bad key",
            "AddTags",
            json!({"ResourceId": trail_arn, "TagsList": [{"Key": ""}]}),
            Error("InvalidTagParameterException"),
        ),
        (
            "key missing",
            "AddTags",
            json!({"ResourceId": trail_arn, "TagsList": [{"Value": "x"}]}),
            Error("InvalidTagParameterException"),
        ),
        (
            "unknown trail",
            "ListTags",
            json!({"ResourceIdList": [arn(TOKYO, "absent")]}),
            Error("CloudTrailARNInvalidException"),
        ),
        (
            "other account",
            "AddTags",
            json!({"ResourceId": format!("arn:aws:cloudtrail:{TOKYO}:{OTHER_ACCOUNT}:trail/tagged"), "TagsList": []}),
            Error("CloudTrailARNInvalidException"),
        ),
        (
            "bare name",
            "AddTags",
            json!({"ResourceId": "tagged", "TagsList": []}),
            Error("CloudTrailARNInvalidException"),
        ),
        (
            "event data store",
            "AddTags",
            json!({"ResourceId": format!("arn:aws:cloudtrail:{TOKYO}:{ACCOUNT}:eventdatastore/x"), "TagsList": []}),
            Error("EventDataStoreNotFoundException"),
        ),
        (
            "channel",
            "ListTags",
            json!({"ResourceIdList": [format!("arn:aws:cloudtrail:{TOKYO}:{ACCOUNT}:channel/x")]}),
            Error("ChannelNotFoundException"),
        ),
        (
            "other service",
            "AddTags",
            json!({"ResourceId": "arn:aws:s3:::bucket", "TagsList": []}),
            Error("ResourceTypeNotSupportedException"),
        ),
        (
            "21 resources",
            "ListTags",
            json!({"ResourceIdList": vec![trail_arn.clone(); 21]}),
            Error("InvalidParameterException"),
        ),
        (
            "list missing",
            "ListTags",
            json!({}),
            Error("InvalidParameterException"),
        ),
    ];
    for (label, operation, input, expected) in &steps {
        check(label, fx.call(TOKYO, operation, input.clone()), expected);
    }
    let deleted = fx.call(TOKYO, "DeleteTrail", json!({"Name": "tagged"}));
    check("delete", deleted, &Contains(json!({})));
    fx.create(TOKYO, "tagged", json!({}));
    check(
        "tags die with the trail",
        fx.call(TOKYO, "ListTags", json!({"ResourceIdList": [trail_arn]})),
        &Contains(json!({"ResourceTagList": [{"ResourceId": trail_arn, "TagsList": []}]})),
    );
}

#[test]
fn shadow_trails_and_home_region() {
    let fx = fixture();
    fx.create(VIRGINIA, "everywhere", json!({"IsMultiRegionTrail": true}));
    fx.create(VIRGINIA, "local", json!({}));
    let everywhere = arn(VIRGINIA, "everywhere");
    let local = arn(VIRGINIA, "local");
    let described = |region: &str, input: Value| -> Vec<String> {
        let out = fx.call(region, "DescribeTrails", input).unwrap();
        out["trailList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["TrailARN"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(described(OREGON, json!({})), vec![everywhere.clone()]);
    assert_eq!(
        described(OREGON, json!({"includeShadowTrails": false})),
        Vec::<String>::new()
    );
    assert_eq!(
        described(VIRGINIA, json!({})),
        vec![everywhere.clone(), local.clone()]
    );
    assert_eq!(
        described(OREGON, json!({"trailNameList": ["everywhere", "local"]})),
        Vec::<String>::new()
    );
    assert_eq!(
        described(OREGON, json!({"trailNameList": [everywhere, local]})),
        vec![everywhere.clone(), local.clone()]
    );
    let home_only = Error("InvalidHomeRegionException");
    let cases: Vec<(&str, &str, Value, Expect)> = vec![
        (
            "shadow home region",
            "GetTrail",
            json!({"Name": "everywhere"}),
            Contains(
                json!({"Trail": {"HomeRegion": VIRGINIA, "IsMultiRegionTrail": true, "TrailARN": everywhere}}),
            ),
        ),
        (
            "single-region trail is not here",
            "GetTrail",
            json!({"Name": "local"}),
            Error("TrailNotFoundException"),
        ),
        (
            "status by shadow name",
            "GetTrailStatus",
            json!({"Name": "everywhere"}),
            Error("TrailNotFoundException"),
        ),
        (
            "status by shadow arn",
            "GetTrailStatus",
            json!({"Name": everywhere}),
            Contains(json!({"IsLogging": false})),
        ),
        (
            "selectors of shadow",
            "GetEventSelectors",
            json!({"TrailName": "everywhere"}),
            Contains(json!({"TrailARN": everywhere})),
        ),
        (
            "update",
            "UpdateTrail",
            json!({"Name": "everywhere", "EnableLogFileValidation": true}),
            home_only,
        ),
        (
            "update by arn",
            "UpdateTrail",
            json!({"Name": everywhere}),
            Error("InvalidHomeRegionException"),
        ),
        (
            "delete",
            "DeleteTrail",
            json!({"Name": "everywhere"}),
            Error("InvalidHomeRegionException"),
        ),
        (
            "start",
            "StartLogging",
            json!({"Name": everywhere}),
            Error("InvalidHomeRegionException"),
        ),
        (
            "stop",
            "StopLogging",
            json!({"Name": "everywhere"}),
            Error("InvalidHomeRegionException"),
        ),
        (
            "put selectors",
            "PutEventSelectors",
            json!({"TrailName": "everywhere", "EventSelectors": [{}]}),
            Error("InvalidHomeRegionException"),
        ),
        (
            "put insights",
            "PutInsightSelectors",
            json!({"TrailName": "everywhere", "InsightSelectors": []}),
            Error("InvalidHomeRegionException"),
        ),
        (
            "same name in shadow region",
            "CreateTrail",
            json!({"Name": "everywhere", "S3BucketName": "write-only-events"}),
            Error("TrailAlreadyExistsException"),
        ),
        (
            "same name as a local trail elsewhere",
            "CreateTrail",
            json!({"Name": "local", "S3BucketName": "write-only-events"}),
            Contains(json!({"TrailARN": arn(OREGON, "local")})),
        ),
        (
            "multi-region over that name",
            "CreateTrail",
            json!({"Name": "local", "S3BucketName": "write-only-events", "IsMultiRegionTrail": true}),
            Error("TrailAlreadyExistsException"),
        ),
    ];
    for (label, operation, input, expected) in &cases {
        check(label, fx.call(OREGON, operation, input.clone()), expected);
    }
    let listed = fx.call(OREGON, "ListTrails", json!({})).unwrap();
    let names: Vec<&str> = listed["Trails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["everywhere", "local", "local"],
        "ListTrails shows every region's trails: {listed}"
    );
    check(
        "update from home",
        fx.call(
            VIRGINIA,
            "UpdateTrail",
            json!({"Name": "everywhere", "IsMultiRegionTrail": false}),
        ),
        &Contains(json!({"IsMultiRegionTrail": false})),
    );
    check(
        "no longer a shadow",
        fx.call(OREGON, "GetTrail", json!({"Name": "everywhere"})),
        &Error("TrailNotFoundException"),
    );
}

#[test]
fn five_trails_per_region() {
    let fx = fixture();
    for name in ["one", "two", "three", "four"] {
        fx.create(OREGON, name, json!({}));
    }
    fx.create(VIRGINIA, "global", json!({"IsMultiRegionTrail": true}));
    let limit = Error("MaximumNumberOfTrailsExceededException");
    let cases: Vec<(&str, &str, Value, Expect)> = vec![
        (
            "sixth in oregon counting the shadow",
            OREGON,
            json!({"Name": "six", "S3BucketName": "write-only-events"}),
            Error("MaximumNumberOfTrailsExceededException"),
        ),
        (
            "single-region in virginia fits",
            VIRGINIA,
            json!({"Name": "vir2", "S3BucketName": "write-only-events"}),
            Contains(json!({"Name": "vir2"})),
        ),
        (
            "multi-region from virginia hits oregon",
            VIRGINIA,
            json!({"Name": "glob2", "S3BucketName": "write-only-events", "IsMultiRegionTrail": true}),
            limit,
        ),
    ];
    for (label, region, input, expected) in &cases {
        check(
            label,
            fx.call(region, "CreateTrail", input.clone()),
            expected,
        );
    }
    let error = fx
        .call(
            OREGON,
            "CreateTrail",
            json!({"Name": "six", "S3BucketName": "write-only-events"}),
        )
        .unwrap_err();
    assert_eq!(
        error.message,
        format!("User: {ACCOUNT} already has 5 trails in {OREGON}.")
    );
    check(
        "convert to multi-region hits oregon",
        fx.call(
            VIRGINIA,
            "UpdateTrail",
            json!({"Name": "vir2", "IsMultiRegionTrail": true}),
        ),
        &Error("MaximumNumberOfTrailsExceededException"),
    );
    check(
        "other accounts have their own quota",
        fx.call_as(
            OTHER_ACCOUNT,
            OREGON,
            "CreateTrail",
            json!({"Name": "six", "S3BucketName": "write-only-events"}),
        ),
        &Contains(json!({"Name": "six"})),
    );
}

#[test]
fn state_survives_reopen() {
    let fx = fixture();
    fx.create(
        TOKYO,
        "durable",
        json!({"S3KeyPrefix": "p", "TagsList": [{"Key": "k", "Value": "v"}]}),
    );
    let selectors = json!([{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": true, "DataResources": []}]);
    fx.call(
        TOKYO,
        "PutEventSelectors",
        json!({"TrailName": "durable", "EventSelectors": selectors}),
    )
    .unwrap();
    fx.call(TOKYO, "PutInsightSelectors", json!({"TrailName": "durable", "InsightSelectors": [{"InsightType": "ApiErrorRateInsight"}]})).unwrap();
    fx.call(TOKYO, "StartLogging", json!({"Name": "durable"}))
        .unwrap();
    let trail_arn = TrailArn::parse(&arn(TOKYO, "durable")).unwrap();
    fx.plane
        .record_delivery_status(&trail_arn, DeliveryKind::LogFile, now(), Ok(()))
        .unwrap();
    let reads = [
        ("GetTrail", json!({"Name": "durable"})),
        ("GetTrailStatus", json!({"Name": "durable"})),
        ("GetEventSelectors", json!({"TrailName": "durable"})),
        ("GetInsightSelectors", json!({"TrailName": "durable"})),
        (
            "ListTags",
            json!({"ResourceIdList": [arn(TOKYO, "durable")]}),
        ),
    ];
    let before: Vec<Value> = reads
        .iter()
        .map(|(op, input)| fx.call(TOKYO, op, input.clone()).unwrap())
        .collect();
    let Fixture {
        _dir,
        path,
        buckets,
        plane,
    } = fx;
    drop(plane);
    let reopened = Fixture {
        plane: ControlPlane::open(&path, buckets.clone()).unwrap(),
        _dir,
        path,
        buckets,
    };
    let after: Vec<Value> = reads
        .iter()
        .map(|(op, input)| reopened.call(TOKYO, op, input.clone()).unwrap())
        .collect();
    assert_eq!(before, after);
    assert_eq!(after[1]["IsLogging"], json!(true));
    assert_eq!(
        after[1]["LatestDeliveryTime"],
        json!(now().timestamp() as f64)
    );
    assert_eq!(reopened.plane.schema_version().unwrap(), 1);
}

#[test]
fn delivery_status_is_reported() {
    let fx = fixture();
    fx.create(TOKYO, "delivering", json!({}));
    let trail_arn = TrailArn::parse(&arn(TOKYO, "delivering")).unwrap();
    let later = now() + chrono::Duration::seconds(90);
    let record = |kind, at, outcome| {
        fx.plane
            .record_delivery_status(&trail_arn, kind, at, outcome)
            .unwrap()
    };
    assert!(record(DeliveryKind::LogFile, now(), Ok(())));
    assert!(record(DeliveryKind::LogFile, later, Err("Access Denied")));
    assert!(record(DeliveryKind::Digest, now(), Err("NoSuchBucket")));
    assert!(record(DeliveryKind::Notification, now(), Ok(())));
    assert!(record(DeliveryKind::CloudWatchLogs, later, Ok(())));
    let status = fx
        .call(TOKYO, "GetTrailStatus", json!({"Name": "delivering"}))
        .unwrap();
    let expected = Contains(json!({
        "LatestDeliveryTime": now().timestamp() as f64,
        "LatestDeliveryError": "Access Denied",
        "LatestDeliveryAttemptTime": "2024-05-01T12:01:30Z",
        "LatestDeliveryAttemptSucceeded": "2024-05-01T12:00:00Z",
        "LatestDigestDeliveryError": "NoSuchBucket",
        "LatestNotificationTime": now().timestamp() as f64,
        "LatestNotificationAttemptSucceeded": "2024-05-01T12:00:00Z",
        "LatestCloudWatchLogsDeliveryTime": later.timestamp() as f64,
    }));
    check("status members", Ok(status.clone()), &expected);
    assert!(status.get("LatestDigestDeliveryTime").is_none());
    assert!(record(DeliveryKind::LogFile, later, Ok(())));
    let status = fx
        .call(TOKYO, "GetTrailStatus", json!({"Name": "delivering"}))
        .unwrap();
    assert!(
        status.get("LatestDeliveryError").is_none(),
        "a success clears the error: {status}"
    );
    fx.call(TOKYO, "DeleteTrail", json!({"Name": "delivering"}))
        .unwrap();
    assert!(
        !record(DeliveryKind::LogFile, later, Ok(())),
        "deleted trails report false"
    );
}

#[test]
fn snapshot_and_generation() {
    let fx = fixture();
    let start = fx.plane.trail_generation();
    fx.create(TOKYO, "snap", json!({}));
    let after_create = fx.plane.trail_generation();
    assert!(after_create > start);
    fx.call(TOKYO, "GetTrail", json!({"Name": "snap"})).unwrap();
    assert_eq!(
        fx.plane.trail_generation(),
        after_create,
        "reads do not bump"
    );
    fx.call(TOKYO, "StartLogging", json!({"Name": "snap"}))
        .unwrap();
    assert!(fx.plane.trail_generation() > after_create);
    fx.call_as(
        OTHER_ACCOUNT,
        OREGON,
        "CreateTrail",
        json!({"Name": "theirs", "S3BucketName": "write-only-events"}),
    )
    .unwrap();
    let snapshot = fx.plane.trails_snapshot();
    let summary: Vec<(String, bool)> = snapshot
        .iter()
        .map(|c| (c.trail.arn.to_string(), c.is_logging))
        .collect();
    assert_eq!(
        summary,
        [
            (arn(TOKYO, "snap"), true),
            (
                format!("arn:aws:cloudtrail:{OREGON}:{OTHER_ACCOUNT}:trail/theirs"),
                false
            )
        ]
    );
    assert_eq!(snapshot[0].start_logging_time, Some(now()));
    assert!(!snapshot[0].trail.selectors.is_custom());
}

#[test]
fn topic_directory_checks_topics() {
    let dir = tempfile::tempdir().unwrap();
    let buckets = Arc::new(MemoryBuckets::default());
    buckets.put("write-only-events", Some(SEED_POLICY.into()));
    let publish = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"SNS:Publish","Resource":"arn:aws:sns:ap-northeast-1:123456789012:open"}]}"#;
    let topics = MemoryTopics(HashMap::from([
        (
            "arn:aws:sns:ap-northeast-1:123456789012:open".to_string(),
            TopicInfo {
                policy: Some(publish.into()),
            },
        ),
        (
            "arn:aws:sns:ap-northeast-1:123456789012:closed".to_string(),
            TopicInfo { policy: None },
        ),
    ]));
    let plane = ControlPlane::open(&dir.path().join("db"), buckets)
        .unwrap()
        .with_topic_directory(Arc::new(topics));
    let ctx = CallContext {
        account_id: ACCOUNT.into(),
        region: TOKYO.into(),
        now: now(),
    };
    let create = |name: &str, topic: &str| {
        plane.call(
            &ctx,
            "CreateTrail",
            &json!({"Name": name, "S3BucketName": "write-only-events", "SnsTopicName": topic}),
        )
    };
    check(
        "topic allows publish",
        create("t-open", "open"),
        &Contains(json!({"SnsTopicName": "open"})),
    );
    check(
        "topic without policy",
        create("t-closed", "closed"),
        &Error("InsufficientSnsTopicPolicyException"),
    );
    check(
        "topic missing",
        create("t-missing", "missing"),
        &Error("InsufficientSnsTopicPolicyException"),
    );
}

/// Log groups, as `account/region/name`.
struct MemoryLogGroups(Vec<String>);

impl crate::LogGroupDirectory for MemoryLogGroups {
    fn log_group_exists(&self, account_id: &str, region: &str, name: &str) -> bool {
        self.0.contains(&format!("{account_id}/{region}/{name}"))
    }
}

#[test]
fn log_groups_must_exist_when_a_directory_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let buckets = Arc::new(MemoryBuckets::default());
    buckets.put("write-only-events", Some(SEED_POLICY.into()));
    let groups = MemoryLogGroups(vec![format!("{ACCOUNT}/{TOKYO}/CloudTrail/Default")]);
    let plane = ControlPlane::open(&dir.path().join("db"), buckets)
        .unwrap()
        .with_log_group_directory(Arc::new(groups));
    let ctx = CallContext {
        account_id: ACCOUNT.into(),
        region: TOKYO.into(),
        now: now(),
    };
    let role = "arn:aws:iam::123456789012:role/CloudTrail_CloudWatchLogs_Role";
    let arn =
        |region: &str, name: &str| format!("arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}:*");
    let call = |operation: &str, input: Value| plane.call(&ctx, operation, &input);
    check(
        "existing group",
        call(
            "CreateTrail",
            json!({"Name": "with-group", "S3BucketName": "write-only-events",
            "CloudWatchLogsLogGroupArn": arn(TOKYO, "CloudTrail/Default"), "CloudWatchLogsRoleArn": role}),
        ),
        &Contains(json!({"CloudWatchLogsLogGroupArn": arn(TOKYO, "CloudTrail/Default")})),
    );
    check(
        "missing group",
        call(
            "CreateTrail",
            json!({"Name": "without-group", "S3BucketName": "write-only-events",
            "CloudWatchLogsLogGroupArn": arn(TOKYO, "CloudTrail/Missing"), "CloudWatchLogsRoleArn": role}),
        ),
        &Error("InvalidCloudWatchLogsLogGroupArnException"),
    );
    check(
        "a group of the same name in another region",
        call(
            "UpdateTrail",
            json!({"Name": "with-group",
            "CloudWatchLogsLogGroupArn": arn("us-east-1", "CloudTrail/Default"), "CloudWatchLogsRoleArn": role}),
        ),
        &Error("InvalidCloudWatchLogsLogGroupArnException"),
    );
    check(
        "removing the group needs no lookup",
        call(
            "UpdateTrail",
            json!({"Name": "with-group", "CloudWatchLogsLogGroupArn": "", "CloudWatchLogsRoleArn": ""}),
        ),
        &Contains(json!({"Name": "with-group"})),
    );
}

#[test]
fn requests_outside_the_trail_plane() {
    let fx = fixture();
    let cases: Vec<(&str, Value, Expect)> = vec![
        (
            "CreateEventDataStore",
            json!({"Name": "x"}),
            Error("UnsupportedOperationException"),
        ),
        (
            "LookupEvents",
            json!({}),
            Error("UnsupportedOperationException"),
        ),
        (
            "NoSuchOperation",
            json!({}),
            Error("UnsupportedOperationException"),
        ),
        (
            "GetTrail",
            json!(["not", "an", "object"]),
            Error("InvalidParameterException"),
        ),
        ("ListTrails", Value::Null, Contains(json!({"Trails": []}))),
        (
            "ListTrails",
            json!({"NextToken": "not-hex"}),
            Error("InvalidNextTokenException"),
        ),
    ];
    for (operation, input, expected) in &cases {
        check(
            operation,
            fx.call(TOKYO, operation, input.clone()),
            expected,
        );
    }
    assert_eq!(ControlPlane::is_read_only("DescribeTrails"), Some(true));
    assert_eq!(ControlPlane::is_read_only("CreateTrail"), Some(false));
    assert_eq!(ControlPlane::is_read_only("Frobnicate"), None);
}

/// What `aws cloudtrail create-subscription --s3-new-bucket b --s3-prefix logs --sns-new-topic t`
/// does on the trail side: the bucket policy comes from a template with `<BucketName>`,
/// `<Prefix>/` (replaced by `logs/`) and `<CustomerAccountID>`; then CreateTrail with the topic
/// name, DescribeTrails without arguments and StartLogging.
#[test]
fn create_subscription_flow() {
    let fx = fixture();
    let template = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::<BucketName>"},
        {"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
         "Resource":"arn:aws:s3:::<BucketName>/<Prefix>/AWSLogs/<CustomerAccountID>/*",
         "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}"#;
    let policy = template
        .replace("<BucketName>", "sub-bucket")
        .replace("<CustomerAccountID>", ACCOUNT)
        .replace("<Prefix>/", "logs/");
    fx.buckets.put("sub-bucket", Some(policy));
    let created = fx.call(
        VIRGINIA,
        "CreateTrail",
        json!({"Name": "sub", "S3BucketName": "sub-bucket", "S3KeyPrefix": "logs", "SnsTopicName": "sub-topic"}),
    );
    check(
        "create",
        created,
        &Contains(json!({"SnsTopicARN": format!("arn:aws:sns:{VIRGINIA}:{ACCOUNT}:sub-topic")})),
    );
    check(
        "describe",
        fx.call(VIRGINIA, "DescribeTrails", json!({})),
        &Contains(
            json!({"trailList": [fx.call(VIRGINIA, "GetTrail", json!({"Name": "sub"})).unwrap()["Trail"]]}),
        ),
    );
    check(
        "start",
        fx.call(VIRGINIA, "StartLogging", json!({"Name": "sub"})),
        &Contains(json!({})),
    );
    check(
        "logging",
        fx.call(VIRGINIA, "GetTrailStatus", json!({"Name": "sub"})),
        &Contains(json!({"IsLogging": true})),
    );
}
