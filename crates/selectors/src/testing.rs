//! Record builders shared by the unit tests: small CloudTrail records in the JSON shape the
//! engine delivers, so tests exercise `EventFacts::from_record` too.

use serde_json::{Value, json};

use crate::{EventFacts, TrailSelectors};

/// Whether `selectors` take `record`.
pub(crate) fn takes(selectors: &TrailSelectors, record: &Value) -> bool {
    let mut buffer = Vec::new();
    let facts = EventFacts::from_record(record, &mut buffer);
    selectors.matches(&facts)
}

/// A management API call.
pub(crate) fn management(source: &str, name: &str, read_only: bool) -> Value {
    json!({"eventVersion":"1.11","eventCategory":"Management","eventType":"AwsApiCall",
        "managementEvent":true,"eventSource":source,"eventName":name,"readOnly":read_only,
        "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Alice"}})
}

/// A console sign-in: a management event without `readOnly`.
pub(crate) fn console_login() -> Value {
    json!({"eventVersion":"1.11","eventCategory":"Management","eventType":"AwsConsoleSignIn",
        "managementEvent":true,"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin"})
}

/// An S3 object data event on `bucket/key`.
pub(crate) fn s3_object(name: &str, bucket: &str, key: &str, read_only: bool) -> Value {
    json!({"eventVersion":"1.11","eventCategory":"Data","eventType":"AwsApiCall",
        "managementEvent":false,"eventSource":"s3.amazonaws.com","eventName":name,
        "readOnly":read_only,
        "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice"},
        "resources":[{"type":"AWS::S3::Object","ARN":format!("arn:aws:s3:::{bucket}/{key}")},
            {"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":format!("arn:aws:s3:::{bucket}")}]})
}

/// A bucket-level S3 data event (ListObjects, HeadBucket, DeleteObjects) carrying `ARNPrefix`.
pub(crate) fn s3_bucket_level(name: &str, bucket: &str, prefix: &str, read_only: bool) -> Value {
    json!({"eventVersion":"1.11","eventCategory":"Data","eventType":"AwsApiCall",
        "managementEvent":false,"eventSource":"s3.amazonaws.com","eventName":name,
        "readOnly":read_only,
        "resources":[{"type":"AWS::S3::Object","ARNPrefix":format!("arn:aws:s3:::{bucket}/{prefix}")},
            {"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":format!("arn:aws:s3:::{bucket}")}]})
}

/// A data event on one resource of another service.
pub(crate) fn data_event(source: &str, name: &str, resource_type: &str, arn: &str) -> Value {
    json!({"eventVersion":"1.11","eventCategory":"Data","eventType":"AwsApiCall",
        "managementEvent":false,"eventSource":source,"eventName":name,"readOnly":false,
        "resources":[{"accountId":"111122223333","type":resource_type,"ARN":arn}]})
}

/// An Insights record.
pub(crate) fn insight() -> Value {
    json!({"eventVersion":"1.11","eventCategory":"Insight","eventType":"AwsCloudTrailInsight",
        "insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances"}})
}

/// A network activity event through a VPC endpoint.
pub(crate) fn network(source: &str, error_code: Option<&str>) -> Value {
    let mut record = json!({"eventVersion":"1.11","eventCategory":"NetworkActivity",
        "eventType":"AwsVpceEvent","eventSource":source,"eventName":"ListBuckets",
        "vpcEndpointId":"vpce-0123","userIdentity":{"arn":"arn:aws:iam::111122223333:user/Bob"}});
    if let Some(code) = error_code {
        record["errorCode"] = json!(code);
    }
    record
}
