//! S3 knowledge: which IAM actions S3 authorizes for each API operation, on which resource, and
//! how S3 combines a bucket policy with ownership into one decision.
//!
//! The operation table follows "Required permissions for Amazon S3 API operations" (S3 User Guide)
//! and each operation's API reference ("To use this operation, you must have permission to
//! perform the s3:PutBucketCORS action" for DeleteBucketCors, and so on). Operations are looked up
//! by CloudTrail event name and by API model name where they differ (`ListObjectsV2`,
//! `GetBucketLifecycleConfiguration`, `GetPublicAccessBlock`...). Not modelled: the `*Version`
//! actions a `versionId` request needs (`s3:GetObjectVersion`, `s3:DeleteObjectVersion`...), the
//! source side of CopyObject/UploadPartCopy (`s3:GetObject` on the source object; callers check it
//! as a separate GetObject), ACLs, Block Public Access, and Object Ownership.

pub(crate) mod catalog;

use crate::context::PolicyRequest;
use crate::document::{BucketPolicy, PolicyOutcome};
use crate::principal::RequestPrincipal;

/// Where an operation's actions are authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The bucket ARN.
    Bucket,
    /// The object ARN.
    Object,
    /// No bucket (`ListBuckets`).
    Service,
}

/// Operation names (CloudTrail and API model), scope, and the IAM actions S3 checks.
const OPERATIONS: &[(&[&str], Scope, &[&str])] = &[
    (
        &["GetObject", "HeadObject", "SelectObjectContent"],
        Scope::Object,
        &["s3:GetObject"],
    ),
    (
        &["GetObjectAttributes"],
        Scope::Object,
        &["s3:GetObject", "s3:GetObjectAttributes"],
    ),
    (
        &["GetObjectTorrent"],
        Scope::Object,
        &["s3:GetObjectTorrent"],
    ),
    (
        &[
            "PutObject",
            "PostObject",
            "CopyObject",
            "CreateMultipartUpload",
            "UploadPart",
            "UploadPartCopy",
            "CompleteMultipartUpload",
        ],
        Scope::Object,
        &["s3:PutObject"],
    ),
    (
        &["AbortMultipartUpload"],
        Scope::Object,
        &["s3:AbortMultipartUpload"],
    ),
    (
        &["ListParts"],
        Scope::Object,
        &["s3:ListMultipartUploadParts"],
    ),
    (
        &["DeleteObject", "DeleteObjects"],
        Scope::Object,
        &["s3:DeleteObject"],
    ),
    (&["GetObjectAcl"], Scope::Object, &["s3:GetObjectAcl"]),
    (&["PutObjectAcl"], Scope::Object, &["s3:PutObjectAcl"]),
    (
        &["GetObjectTagging"],
        Scope::Object,
        &["s3:GetObjectTagging"],
    ),
    (
        &["PutObjectTagging"],
        Scope::Object,
        &["s3:PutObjectTagging"],
    ),
    (
        &["DeleteObjectTagging"],
        Scope::Object,
        &["s3:DeleteObjectTagging"],
    ),
    (
        &["GetObjectLegalHold"],
        Scope::Object,
        &["s3:GetObjectLegalHold"],
    ),
    (
        &["PutObjectLegalHold"],
        Scope::Object,
        &["s3:PutObjectLegalHold"],
    ),
    (
        &["GetObjectRetention"],
        Scope::Object,
        &["s3:GetObjectRetention"],
    ),
    (
        &["PutObjectRetention"],
        Scope::Object,
        &["s3:PutObjectRetention"],
    ),
    (&["RestoreObject"], Scope::Object, &["s3:RestoreObject"]),
    (
        &["ListObjects", "ListObjectsV2", "HeadBucket"],
        Scope::Bucket,
        &["s3:ListBucket"],
    ),
    (
        &["ListObjectVersions"],
        Scope::Bucket,
        &["s3:ListBucketVersions"],
    ),
    (
        &["ListMultipartUploads"],
        Scope::Bucket,
        &["s3:ListBucketMultipartUploads"],
    ),
    (&["CreateBucket"], Scope::Bucket, &["s3:CreateBucket"]),
    (&["DeleteBucket"], Scope::Bucket, &["s3:DeleteBucket"]),
    (&["GetBucketPolicy"], Scope::Bucket, &["s3:GetBucketPolicy"]),
    (&["PutBucketPolicy"], Scope::Bucket, &["s3:PutBucketPolicy"]),
    (
        &["DeleteBucketPolicy"],
        Scope::Bucket,
        &["s3:DeleteBucketPolicy"],
    ),
    (
        &["GetBucketPolicyStatus"],
        Scope::Bucket,
        &["s3:GetBucketPolicyStatus"],
    ),
    (
        &["GetBucketLocation"],
        Scope::Bucket,
        &["s3:GetBucketLocation"],
    ),
    (&["GetBucketAcl"], Scope::Bucket, &["s3:GetBucketAcl"]),
    (&["PutBucketAcl"], Scope::Bucket, &["s3:PutBucketAcl"]),
    (&["GetBucketCors"], Scope::Bucket, &["s3:GetBucketCORS"]),
    (
        &["PutBucketCors", "DeleteBucketCors"],
        Scope::Bucket,
        &["s3:PutBucketCORS"],
    ),
    (
        &["GetBucketLifecycle", "GetBucketLifecycleConfiguration"],
        Scope::Bucket,
        &["s3:GetLifecycleConfiguration"],
    ),
    (
        &[
            "PutBucketLifecycle",
            "PutBucketLifecycleConfiguration",
            "DeleteBucketLifecycle",
        ],
        Scope::Bucket,
        &["s3:PutLifecycleConfiguration"],
    ),
    (
        &["GetBucketTagging"],
        Scope::Bucket,
        &["s3:GetBucketTagging"],
    ),
    (
        &["PutBucketTagging", "DeleteBucketTagging"],
        Scope::Bucket,
        &["s3:PutBucketTagging"],
    ),
    (
        &["GetBucketVersioning"],
        Scope::Bucket,
        &["s3:GetBucketVersioning"],
    ),
    (
        &["PutBucketVersioning"],
        Scope::Bucket,
        &["s3:PutBucketVersioning"],
    ),
    (
        &["GetBucketWebsite"],
        Scope::Bucket,
        &["s3:GetBucketWebsite"],
    ),
    (
        &["PutBucketWebsite"],
        Scope::Bucket,
        &["s3:PutBucketWebsite"],
    ),
    (
        &["DeleteBucketWebsite"],
        Scope::Bucket,
        &["s3:DeleteBucketWebsite"],
    ),
    (
        &["GetBucketLogging"],
        Scope::Bucket,
        &["s3:GetBucketLogging"],
    ),
    (
        &["PutBucketLogging"],
        Scope::Bucket,
        &["s3:PutBucketLogging"],
    ),
    (
        &[
            "GetBucketNotification",
            "GetBucketNotificationConfiguration",
        ],
        Scope::Bucket,
        &["s3:GetBucketNotification"],
    ),
    (
        &[
            "PutBucketNotification",
            "PutBucketNotificationConfiguration",
        ],
        Scope::Bucket,
        &["s3:PutBucketNotification"],
    ),
    (
        &["GetBucketEncryption"],
        Scope::Bucket,
        &["s3:GetEncryptionConfiguration"],
    ),
    (
        &["PutBucketEncryption", "DeleteBucketEncryption"],
        Scope::Bucket,
        &["s3:PutEncryptionConfiguration"],
    ),
    (
        &["GetBucketReplication"],
        Scope::Bucket,
        &["s3:GetReplicationConfiguration"],
    ),
    (
        &["PutBucketReplication", "DeleteBucketReplication"],
        Scope::Bucket,
        &["s3:PutReplicationConfiguration"],
    ),
    (
        &["GetBucketRequestPayment"],
        Scope::Bucket,
        &["s3:GetBucketRequestPayment"],
    ),
    (
        &["PutBucketRequestPayment"],
        Scope::Bucket,
        &["s3:PutBucketRequestPayment"],
    ),
    (
        &["GetBucketOwnershipControls"],
        Scope::Bucket,
        &["s3:GetBucketOwnershipControls"],
    ),
    (
        &[
            "PutBucketOwnershipControls",
            "DeleteBucketOwnershipControls",
        ],
        Scope::Bucket,
        &["s3:PutBucketOwnershipControls"],
    ),
    (
        &[
            "GetBucketObjectLockConfiguration",
            "GetObjectLockConfiguration",
        ],
        Scope::Bucket,
        &["s3:GetBucketObjectLockConfiguration"],
    ),
    (
        &[
            "PutBucketObjectLockConfiguration",
            "PutObjectLockConfiguration",
        ],
        Scope::Bucket,
        &["s3:PutBucketObjectLockConfiguration"],
    ),
    (
        &["GetBucketPublicAccessBlock", "GetPublicAccessBlock"],
        Scope::Bucket,
        &["s3:GetBucketPublicAccessBlock"],
    ),
    (
        &[
            "PutBucketPublicAccessBlock",
            "PutPublicAccessBlock",
            "DeleteBucketPublicAccessBlock",
            "DeletePublicAccessBlock",
        ],
        Scope::Bucket,
        &["s3:PutBucketPublicAccessBlock"],
    ),
    (
        &[
            "GetAccelerateConfiguration",
            "GetBucketAccelerateConfiguration",
        ],
        Scope::Bucket,
        &["s3:GetAccelerateConfiguration"],
    ),
    (
        &[
            "PutAccelerateConfiguration",
            "PutBucketAccelerateConfiguration",
        ],
        Scope::Bucket,
        &["s3:PutAccelerateConfiguration"],
    ),
    (
        &[
            "GetBucketAnalyticsConfiguration",
            "ListBucketAnalyticsConfigurations",
        ],
        Scope::Bucket,
        &["s3:GetAnalyticsConfiguration"],
    ),
    (
        &[
            "PutBucketAnalyticsConfiguration",
            "DeleteBucketAnalyticsConfiguration",
        ],
        Scope::Bucket,
        &["s3:PutAnalyticsConfiguration"],
    ),
    (
        &[
            "GetBucketInventoryConfiguration",
            "ListBucketInventoryConfigurations",
        ],
        Scope::Bucket,
        &["s3:GetInventoryConfiguration"],
    ),
    (
        &[
            "PutBucketInventoryConfiguration",
            "DeleteBucketInventoryConfiguration",
        ],
        Scope::Bucket,
        &["s3:PutInventoryConfiguration"],
    ),
    (
        &[
            "GetBucketMetricsConfiguration",
            "ListBucketMetricsConfigurations",
        ],
        Scope::Bucket,
        &["s3:GetMetricsConfiguration"],
    ),
    (
        &[
            "PutBucketMetricsConfiguration",
            "DeleteBucketMetricsConfiguration",
        ],
        Scope::Bucket,
        &["s3:PutMetricsConfiguration"],
    ),
    (
        &[
            "GetBucketIntelligentTieringConfiguration",
            "ListBucketIntelligentTieringConfigurations",
        ],
        Scope::Bucket,
        &["s3:GetIntelligentTieringConfiguration"],
    ),
    (
        &[
            "PutBucketIntelligentTieringConfiguration",
            "DeleteBucketIntelligentTieringConfiguration",
        ],
        Scope::Bucket,
        &["s3:PutIntelligentTieringConfiguration"],
    ),
    (
        &["CreateBucketMetadataTableConfiguration"],
        Scope::Bucket,
        &["s3:CreateBucketMetadataTableConfiguration"],
    ),
    (
        &["GetBucketMetadataTableConfiguration"],
        Scope::Bucket,
        &["s3:GetBucketMetadataTableConfiguration"],
    ),
    (
        &["DeleteBucketMetadataTableConfiguration"],
        Scope::Bucket,
        &["s3:DeleteBucketMetadataTableConfiguration"],
    ),
    (&["ListBuckets"], Scope::Service, &["s3:ListAllMyBuckets"]),
];

fn operation(event_name: &str) -> Option<(Scope, &'static [&'static str])> {
    OPERATIONS
        .iter()
        .find(|(names, _, _)| names.contains(&event_name))
        .map(|(_, scope, actions)| (*scope, *actions))
}

/// The IAM actions S3 authorizes for the operation `event_name` (CloudTrail event name or API
/// model name); every one must be allowed. Empty for an operation S3 buckets do not serve.
pub fn actions_for(event_name: &str) -> &'static [&'static str] {
    operation(event_name).map_or(&[], |(_, actions)| actions)
}

/// The ARN the operation's actions are authorized on: the object ARN for object operations
/// (`arn:aws:s3:::bucket/key`), the bucket ARN for bucket operations, `*` for ListBuckets.
/// An object operation without a key (DeleteObjects, whose keys are in the body) gets the bucket
/// ARN; callers check each key of DeleteObjects as a DeleteObject. An unknown operation gets the
/// object ARN when a key is given and the bucket ARN otherwise.
pub fn resource_arn(event_name: &str, bucket: &str, key: Option<&str>) -> String {
    let scope = operation(event_name).map_or_else(
        || {
            if key.is_some() {
                Scope::Object
            } else {
                Scope::Bucket
            }
        },
        |(scope, _)| scope,
    );
    match (scope, key) {
        (Scope::Service, _) => "*".to_owned(),
        (Scope::Object, Some(key)) => format!("arn:aws:s3:::{bucket}/{key}"),
        (Scope::Object | Scope::Bucket, _) => format!("arn:aws:s3:::{bucket}"),
    }
}

/// S3's answer for one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Decision {
    /// Go ahead.
    Allow,
    /// Answer `AccessDenied`.
    Deny,
}

/// The IAM actions whose explicit Deny the bucket owner's root user is never subject to
/// ("the root user of the account that owns the bucket can always perform GetBucketPolicy,
/// PutBucketPolicy and DeleteBucketPolicy", S3 User Guide, bucket policy lock-out).
const LOCKOUT_EXEMPT_ACTIONS: &[&str] = &[
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// Whether S3 lets `request` through on a bucket owned by `bucket_owner_account` with `policy`.
///
/// In order: an anonymous caller is denied (OpenTrail lets nothing unauthenticated in, even when a
/// policy allows `"*"`); the owner account's root user may always get, put and delete the bucket
/// policy; an explicit Deny in the policy denies; a principal of the owner account is allowed
/// (OpenTrail has no identity policies: an account's users have full rights in their account);
/// anyone else (other accounts, services) is allowed only by an explicit Allow.
/// For an operation with several actions, call once per action and allow only if all allow.
pub fn decide(
    policy: Option<&BucketPolicy>,
    bucket_owner_account: &str,
    request: &PolicyRequest,
) -> S3Decision {
    let principal = &request.principal;
    if *principal == RequestPrincipal::Anonymous {
        return S3Decision::Deny;
    }
    let owner_account = principal.account_id() == Some(bucket_owner_account);
    let lockout_exempt = LOCKOUT_EXEMPT_ACTIONS
        .iter()
        .any(|action| action.eq_ignore_ascii_case(&request.action));
    if owner_account && principal.is_account_root() && lockout_exempt {
        return S3Decision::Allow;
    }
    let outcome = policy.map_or(PolicyOutcome::NotApplicable, |policy| {
        policy.evaluate(request)
    });
    match outcome {
        PolicyOutcome::ExplicitDeny => S3Decision::Deny,
        PolicyOutcome::Allow => S3Decision::Allow,
        PolicyOutcome::NotApplicable if owner_account => S3Decision::Allow,
        PolicyOutcome::NotApplicable => S3Decision::Deny,
    }
}

#[cfg(test)]
mod tests;
