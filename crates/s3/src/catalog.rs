//! The operation catalog: CloudTrail's event name, category and read-only flag for each S3 operation,
//! and a fallback classifier for requests s3s rejected before it identified their operation.
//!
//! s3s names operations after the S3 API model (`ListObjectsV2`, `GetPublicAccessBlock`); CloudTrail
//! records some under older names (`ListObjects`, `GetBucketPublicAccessBlock`). Everything here is a
//! table or a pure function; nothing does IO.

use http::Method;

use crate::audit::S3EventCategory;

/// How CloudTrail files one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OperationTraits {
    /// CloudTrail `eventName`.
    pub(crate) event_name: &'static str,
    /// Management or data event.
    pub(crate) category: S3EventCategory,
    /// CloudTrail `readOnly`.
    pub(crate) read_only: bool,
}

/// The name recorded when nothing identified the operation.
pub(crate) const UNKNOWN_OPERATION: &str = "UnknownOperation";

/// Every operation name s3s 0.14 routes to (its `S3Operation::name` values).
const S3S_OPERATIONS: &[&str] = &[
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CopyObject",
    "CreateBucket",
    "CreateBucketMetadataTableConfiguration",
    "CreateMultipartUpload",
    "CreateSession",
    "DeleteBucket",
    "DeleteBucketAnalyticsConfiguration",
    "DeleteBucketCors",
    "DeleteBucketEncryption",
    "DeleteBucketIntelligentTieringConfiguration",
    "DeleteBucketInventoryConfiguration",
    "DeleteBucketLifecycle",
    "DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetricsConfiguration",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketReplication",
    "DeleteBucketTagging",
    "DeleteBucketWebsite",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjects",
    "DeletePublicAccessBlock",
    "GetBucketAccelerateConfiguration",
    "GetBucketAcl",
    "GetBucketAnalyticsConfiguration",
    "GetBucketCors",
    "GetBucketEncryption",
    "GetBucketIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration",
    "GetBucketLifecycleConfiguration",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketMetadataTableConfiguration",
    "GetBucketMetricsConfiguration",
    "GetBucketNotificationConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketReplication",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectLockConfiguration",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetPublicAccessBlock",
    "HeadBucket",
    "HeadObject",
    "ListBucketAnalyticsConfigurations",
    "ListBucketIntelligentTieringConfigurations",
    "ListBucketInventoryConfigurations",
    "ListBucketMetricsConfigurations",
    "ListBuckets",
    "ListDirectoryBuckets",
    "ListMultipartUploads",
    "ListObjectVersions",
    "ListObjects",
    "ListObjectsV2",
    "ListParts",
    "PutBucketAccelerateConfiguration",
    "PutBucketAcl",
    "PutBucketAnalyticsConfiguration",
    "PutBucketCors",
    "PutBucketEncryption",
    "PutBucketIntelligentTieringConfiguration",
    "PutBucketInventoryConfiguration",
    "PutBucketLifecycleConfiguration",
    "PutBucketLogging",
    "PutBucketMetricsConfiguration",
    "PutBucketNotificationConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketReplication",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectLockConfiguration",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutPublicAccessBlock",
    "RestoreObject",
    "SelectObjectContent",
    "UploadPart",
    "UploadPartCopy",
    "WriteGetObjectResponse",
    "PostObject",
];

/// s3s (API model) names that CloudTrail records under another name.
const CLOUDTRAIL_NAMES: &[(&str, &str)] = &[
    ("ListObjectsV2", "ListObjects"),
    ("GetBucketLifecycleConfiguration", "GetBucketLifecycle"),
    ("PutBucketLifecycleConfiguration", "PutBucketLifecycle"),
    (
        "GetBucketNotificationConfiguration",
        "GetBucketNotification",
    ),
    (
        "PutBucketNotificationConfiguration",
        "PutBucketNotification",
    ),
    (
        "GetObjectLockConfiguration",
        "GetBucketObjectLockConfiguration",
    ),
    (
        "PutObjectLockConfiguration",
        "PutBucketObjectLockConfiguration",
    ),
    ("GetPublicAccessBlock", "GetBucketPublicAccessBlock"),
    ("PutPublicAccessBlock", "PutBucketPublicAccessBlock"),
    ("DeletePublicAccessBlock", "DeleteBucketPublicAccessBlock"),
    (
        "GetBucketAccelerateConfiguration",
        "GetAccelerateConfiguration",
    ),
    (
        "PutBucketAccelerateConfiguration",
        "PutAccelerateConfiguration",
    ),
];

/// CloudTrail event names filed as data events (reference §10; ListMultipartUploads is our guess).
const DATA_EVENTS: &[&str] = &[
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CopyObject",
    "CreateMultipartUpload",
    "DeleteObject",
    "DeleteObjects",
    "DeleteObjectTagging",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "HeadObject",
    "ListParts",
    "PostObject",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectRetention",
    "PutObjectTagging",
    "RestoreObject",
    "SelectObjectContent",
    "UploadPart",
    "UploadPartCopy",
    "ListObjects",
    "ListObjectVersions",
    "HeadBucket",
    "ListMultipartUploads",
];

/// CloudTrail's traits for the operation s3s calls `s3s_name`.
pub(crate) fn traits_of(s3s_name: &str) -> OperationTraits {
    let event_name = cloudtrail_name(s3s_name);
    OperationTraits {
        event_name,
        category: if DATA_EVENTS.contains(&event_name) {
            S3EventCategory::Data
        } else {
            S3EventCategory::Management
        },
        read_only: ["Get", "Head", "List"]
            .iter()
            .any(|verb| event_name.starts_with(verb))
            || event_name == "SelectObjectContent",
    }
}

fn cloudtrail_name(s3s_name: &str) -> &'static str {
    if let Some((_, renamed)) = CLOUDTRAIL_NAMES
        .iter()
        .find(|(model, _)| *model == s3s_name)
    {
        return renamed;
    }
    S3S_OPERATIONS
        .iter()
        .find(|known| **known == s3s_name)
        .copied()
        .unwrap_or(UNKNOWN_OPERATION)
}

/// Bucket sub-resources: query marker, then the GET, PUT and DELETE operation ("" when none).
const BUCKET_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    (
        "policy",
        "GetBucketPolicy",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
    ),
    ("policyStatus", "GetBucketPolicyStatus", "", ""),
    ("location", "GetBucketLocation", "", ""),
    ("acl", "GetBucketAcl", "PutBucketAcl", ""),
    ("cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors"),
    (
        "lifecycle",
        "GetBucketLifecycleConfiguration",
        "PutBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
    ),
    (
        "tagging",
        "GetBucketTagging",
        "PutBucketTagging",
        "DeleteBucketTagging",
    ),
    (
        "versioning",
        "GetBucketVersioning",
        "PutBucketVersioning",
        "",
    ),
    (
        "website",
        "GetBucketWebsite",
        "PutBucketWebsite",
        "DeleteBucketWebsite",
    ),
    ("logging", "GetBucketLogging", "PutBucketLogging", ""),
    (
        "notification",
        "GetBucketNotificationConfiguration",
        "PutBucketNotificationConfiguration",
        "",
    ),
    (
        "encryption",
        "GetBucketEncryption",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
    ),
    (
        "replication",
        "GetBucketReplication",
        "PutBucketReplication",
        "DeleteBucketReplication",
    ),
    (
        "requestPayment",
        "GetBucketRequestPayment",
        "PutBucketRequestPayment",
        "",
    ),
    (
        "accelerate",
        "GetBucketAccelerateConfiguration",
        "PutBucketAccelerateConfiguration",
        "",
    ),
    (
        "object-lock",
        "GetObjectLockConfiguration",
        "PutObjectLockConfiguration",
        "",
    ),
    (
        "publicAccessBlock",
        "GetPublicAccessBlock",
        "PutPublicAccessBlock",
        "DeletePublicAccessBlock",
    ),
    (
        "ownershipControls",
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
    ),
    ("uploads", "ListMultipartUploads", "", ""),
    ("versions", "ListObjectVersions", "", ""),
];

/// What a request addresses, for [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `/` of the service.
    Service,
    /// A bucket.
    Bucket,
    /// An object.
    Object,
}

/// The s3s operation name a request would route to, judged from its shape alone. Used only when s3s
/// answered before identifying the operation (signature failures, bad paths).
pub(crate) fn classify(
    method: &Method,
    target: Target,
    query: &[(String, String)],
    has_copy_source: bool,
) -> &'static str {
    let has = |name: &str| query.iter().any(|(key, _)| key == name);
    match target {
        Target::Service if method == Method::GET => "ListBuckets",
        Target::Service => UNKNOWN_OPERATION,
        Target::Bucket => classify_bucket(method, &has),
        Target::Object => classify_object(method, &has, has_copy_source),
    }
}

fn classify_bucket(method: &Method, has: &dyn Fn(&str) -> bool) -> &'static str {
    let column = |get: &'static str, put: &'static str, delete: &'static str| match *method {
        Method::GET => get,
        Method::PUT => put,
        Method::DELETE => delete,
        _ => "",
    };
    let subresource = BUCKET_SUBRESOURCES
        .iter()
        .filter(|(marker, ..)| has(marker))
        .map(|(_, get, put, delete)| column(get, put, delete))
        .find(|name| !name.is_empty());
    if let Some(name) = subresource {
        return name;
    }
    match *method {
        Method::HEAD => "HeadBucket",
        Method::GET if has("list-type") => "ListObjectsV2",
        Method::GET => "ListObjects",
        Method::PUT => "CreateBucket",
        Method::DELETE => "DeleteBucket",
        Method::POST if has("delete") => "DeleteObjects",
        Method::POST => "PostObject",
        _ => UNKNOWN_OPERATION,
    }
}

fn classify_object(
    method: &Method,
    has: &dyn Fn(&str) -> bool,
    has_copy_source: bool,
) -> &'static str {
    match *method {
        Method::HEAD => "HeadObject",
        Method::GET if has("uploadId") => "ListParts",
        Method::GET if has("acl") => "GetObjectAcl",
        Method::GET if has("tagging") => "GetObjectTagging",
        Method::GET if has("attributes") => "GetObjectAttributes",
        Method::GET => "GetObject",
        Method::PUT if has("uploadId") && has_copy_source => "UploadPartCopy",
        Method::PUT if has("uploadId") => "UploadPart",
        Method::PUT if has("acl") => "PutObjectAcl",
        Method::PUT if has("tagging") => "PutObjectTagging",
        Method::PUT if has_copy_source => "CopyObject",
        Method::PUT => "PutObject",
        Method::POST if has("uploads") => "CreateMultipartUpload",
        Method::POST if has("uploadId") => "CompleteMultipartUpload",
        Method::POST if has("restore") => "RestoreObject",
        Method::POST if has("select") => "SelectObjectContent",
        Method::DELETE if has("uploadId") => "AbortMultipartUpload",
        Method::DELETE if has("tagging") => "DeleteObjectTagging",
        Method::DELETE => "DeleteObject",
        _ => UNKNOWN_OPERATION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traits_follow_cloudtrail_names_and_categories() {
        let check =
            |s3s_name: &str, event_name: &str, category: S3EventCategory, read_only: bool| {
                let traits = traits_of(s3s_name);
                assert_eq!(
                    (traits.event_name, traits.category, traits.read_only),
                    (event_name, category, read_only),
                    "{s3s_name}"
                );
            };
        use S3EventCategory::{Data, Management};
        check("CreateBucket", "CreateBucket", Management, false);
        check("ListBuckets", "ListBuckets", Management, true);
        check("GetBucketPolicy", "GetBucketPolicy", Management, true);
        check("PutBucketPolicy", "PutBucketPolicy", Management, false);
        check("GetBucketLocation", "GetBucketLocation", Management, true);
        check("PutObject", "PutObject", Data, false);
        check("GetObject", "GetObject", Data, true);
        check("HeadObject", "HeadObject", Data, true);
        check("HeadBucket", "HeadBucket", Data, true);
        check("ListObjectsV2", "ListObjects", Data, true);
        check("DeleteObjects", "DeleteObjects", Data, false);
        check("UploadPart", "UploadPart", Data, false);
        check(
            "GetPublicAccessBlock",
            "GetBucketPublicAccessBlock",
            Management,
            true,
        );
        check("NoSuchThing", UNKNOWN_OPERATION, Management, false);
    }

    #[test]
    fn classify_matches_s3_routing() {
        let check = |method: Method, target: Target, query: &[&str], copy: bool, expected: &str| {
            let query: Vec<(String, String)> = query
                .iter()
                .map(|k| ((*k).to_owned(), String::new()))
                .collect();
            assert_eq!(
                classify(&method, target, &query, copy),
                expected,
                "{method} {target:?} {query:?}"
            );
        };
        check(Method::GET, Target::Service, &[], false, "ListBuckets");
        check(Method::PUT, Target::Bucket, &[], false, "CreateBucket");
        check(
            Method::PUT,
            Target::Bucket,
            &["policy"],
            false,
            "PutBucketPolicy",
        );
        check(
            Method::GET,
            Target::Bucket,
            &["policy"],
            false,
            "GetBucketPolicy",
        );
        check(
            Method::DELETE,
            Target::Bucket,
            &["policy"],
            false,
            "DeleteBucketPolicy",
        );
        check(
            Method::GET,
            Target::Bucket,
            &["location"],
            false,
            "GetBucketLocation",
        );
        check(
            Method::GET,
            Target::Bucket,
            &["list-type"],
            false,
            "ListObjectsV2",
        );
        check(
            Method::GET,
            Target::Bucket,
            &["uploads"],
            false,
            "ListMultipartUploads",
        );
        check(
            Method::POST,
            Target::Bucket,
            &["delete"],
            false,
            "DeleteObjects",
        );
        check(Method::HEAD, Target::Bucket, &[], false, "HeadBucket");
        check(Method::PUT, Target::Object, &[], true, "CopyObject");
        check(
            Method::PUT,
            Target::Object,
            &["partNumber", "uploadId"],
            false,
            "UploadPart",
        );
        check(
            Method::POST,
            Target::Object,
            &["uploads"],
            false,
            "CreateMultipartUpload",
        );
        check(
            Method::POST,
            Target::Object,
            &["uploadId"],
            false,
            "CompleteMultipartUpload",
        );
        check(
            Method::DELETE,
            Target::Object,
            &["uploadId"],
            false,
            "AbortMultipartUpload",
        );
        check(
            Method::GET,
            Target::Object,
            &["uploadId"],
            false,
            "ListParts",
        );
        check(Method::GET, Target::Object, &[], false, "GetObject");
    }
}
