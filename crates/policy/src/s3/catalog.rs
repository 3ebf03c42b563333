//! What S3 defines for policies: its IAM actions with the resource type each applies to, and its
//! condition keys (Service Authorization Reference, "Actions, resources, and condition keys for
//! Amazon S3", general purpose buckets).
//!
//! The tables serve validation: an action pattern that names no action here is "Policy has invalid
//! action", one whose actions take none of the statement's resource types is "Action does not
//! apply to any resource(s) in statement", and an `s3:` key not listed is "Policy has an invalid
//! condition key". Actions of access points, jobs, Storage Lens, Multi-Region Access Points and
//! directory buckets are listed as [`ResourceKind::Other`]: valid names, but no bucket policy
//! resource can be theirs. Not modelled: which condition keys go with which actions
//! ("Conditions do not apply to combination of actions and resources in statement").

/// The resource type an S3 action is authorized on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    /// `arn:aws:s3:::bucket`.
    Bucket,
    /// `arn:aws:s3:::bucket/key`.
    Object,
    /// Anything else (`*`, access points, jobs...).
    Other,
}

use ResourceKind::{Bucket, Object, Other};

/// S3's actions (without the `s3:` prefix) and their resource types.
pub(crate) const ACTIONS: &[(&str, ResourceKind)] = &[
    // Object actions.
    ("AbortMultipartUpload", Object),
    ("BypassGovernanceRetention", Object),
    ("DeleteObject", Object),
    ("DeleteObjectTagging", Object),
    ("DeleteObjectVersion", Object),
    ("DeleteObjectVersionTagging", Object),
    ("GetObject", Object),
    ("GetObjectAcl", Object),
    ("GetObjectAttributes", Object),
    ("GetObjectLegalHold", Object),
    ("GetObjectRetention", Object),
    ("GetObjectTagging", Object),
    ("GetObjectTorrent", Object),
    ("GetObjectVersion", Object),
    ("GetObjectVersionAcl", Object),
    ("GetObjectVersionAttributes", Object),
    ("GetObjectVersionForReplication", Object),
    ("GetObjectVersionTagging", Object),
    ("GetObjectVersionTorrent", Object),
    ("InitiateReplication", Object),
    ("ListMultipartUploadParts", Object),
    ("ObjectOwnerOverrideToBucketOwner", Object),
    ("PutObject", Object),
    ("PutObjectAcl", Object),
    ("PutObjectLegalHold", Object),
    ("PutObjectRetention", Object),
    ("PutObjectTagging", Object),
    ("PutObjectVersionAcl", Object),
    ("PutObjectVersionTagging", Object),
    ("ReplicateDelete", Object),
    ("ReplicateObject", Object),
    ("ReplicateTags", Object),
    ("RestoreObject", Object),
    // Bucket actions.
    ("CreateBucket", Bucket),
    ("CreateBucketMetadataTableConfiguration", Bucket),
    ("DeleteBucket", Bucket),
    ("DeleteBucketMetadataTableConfiguration", Bucket),
    ("DeleteBucketPolicy", Bucket),
    ("DeleteBucketWebsite", Bucket),
    ("GetAccelerateConfiguration", Bucket),
    ("GetAnalyticsConfiguration", Bucket),
    ("GetBucketAcl", Bucket),
    ("GetBucketCORS", Bucket),
    ("GetBucketLocation", Bucket),
    ("GetBucketLogging", Bucket),
    ("GetBucketMetadataTableConfiguration", Bucket),
    ("GetBucketNotification", Bucket),
    ("GetBucketObjectLockConfiguration", Bucket),
    ("GetBucketOwnershipControls", Bucket),
    ("GetBucketPolicy", Bucket),
    ("GetBucketPolicyStatus", Bucket),
    ("GetBucketPublicAccessBlock", Bucket),
    ("GetBucketRequestPayment", Bucket),
    ("GetBucketTagging", Bucket),
    ("GetBucketVersioning", Bucket),
    ("GetBucketWebsite", Bucket),
    ("GetEncryptionConfiguration", Bucket),
    ("GetIntelligentTieringConfiguration", Bucket),
    ("GetInventoryConfiguration", Bucket),
    ("GetLifecycleConfiguration", Bucket),
    ("GetMetricsConfiguration", Bucket),
    ("GetReplicationConfiguration", Bucket),
    ("ListBucket", Bucket),
    ("ListBucketMultipartUploads", Bucket),
    ("ListBucketVersions", Bucket),
    ("PutAccelerateConfiguration", Bucket),
    ("PutAnalyticsConfiguration", Bucket),
    ("PutBucketAcl", Bucket),
    ("PutBucketCORS", Bucket),
    ("PutBucketLogging", Bucket),
    ("PutBucketNotification", Bucket),
    ("PutBucketObjectLockConfiguration", Bucket),
    ("PutBucketOwnershipControls", Bucket),
    ("PutBucketPolicy", Bucket),
    ("PutBucketPublicAccessBlock", Bucket),
    ("PutBucketRequestPayment", Bucket),
    ("PutBucketTagging", Bucket),
    ("PutBucketVersioning", Bucket),
    ("PutBucketWebsite", Bucket),
    ("PutEncryptionConfiguration", Bucket),
    ("PutIntelligentTieringConfiguration", Bucket),
    ("PutInventoryConfiguration", Bucket),
    ("PutLifecycleConfiguration", Bucket),
    ("PutMetricsConfiguration", Bucket),
    ("PutReplicationConfiguration", Bucket),
    // Actions on other resource types (or on `*`).
    ("CreateAccessPoint", Other),
    ("CreateJob", Other),
    ("CreateMultiRegionAccessPoint", Other),
    ("DeleteAccessPoint", Other),
    ("DeleteAccessPointPolicy", Other),
    ("DeleteStorageLensConfiguration", Other),
    ("DescribeJob", Other),
    ("GetAccessPoint", Other),
    ("GetAccessPointPolicy", Other),
    ("GetAccountPublicAccessBlock", Other),
    ("GetStorageLensConfiguration", Other),
    ("ListAccessPoints", Other),
    ("ListAllMyBuckets", Other),
    ("ListJobs", Other),
    ("ListStorageLensConfigurations", Other),
    ("PutAccessPointPolicy", Other),
    ("PutAccountPublicAccessBlock", Other),
    ("PutStorageLensConfiguration", Other),
    ("UpdateJobPriority", Other),
    ("UpdateJobStatus", Other),
];

/// S3's condition keys (lower-cased); names ending in `/` take any suffix (`s3:ExistingObjectTag/<key>`).
const CONDITION_KEYS: &[&str] = &[
    "s3:accessgrantsinstancearn",
    "s3:accesspointnetworkorigin",
    "s3:authtype",
    "s3:buckettag/",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    "s3:delimiter",
    "s3:existingjoboperation",
    "s3:existingjobpriority",
    "s3:existingobjecttag/",
    "s3:if-match",
    "s3:if-none-match",
    "s3:jobsuspendedcause",
    "s3:locationconstraint",
    "s3:max-keys",
    "s3:object-lock-legal-hold",
    "s3:object-lock-mode",
    "s3:object-lock-remaining-retention-days",
    "s3:object-lock-retain-until-date",
    "s3:objectcreationoperation",
    "s3:prefix",
    "s3:requestjoboperation",
    "s3:requestjobpriority",
    "s3:requestobjecttag/",
    "s3:requestobjecttagkeys",
    "s3:resourceaccount",
    "s3:signatureage",
    "s3:signatureversion",
    "s3:tlsversion",
    "s3:versionid",
    "s3:x-amz-acl",
    "s3:x-amz-content-sha256",
    "s3:x-amz-copy-source",
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-object-ownership",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-server-side-encryption-customer-algorithm",
    "s3:x-amz-storage-class",
    "s3:x-amz-website-redirect-location",
];

/// Whether a bucket policy may use `key`: any global `aws:` key (S3 accepts those it does not
/// know, as Scality observed), or one of S3's keys; compared case-insensitively.
pub(crate) fn is_condition_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if let Some(global) = key.strip_prefix("aws:") {
        return !global.is_empty();
    }
    CONDITION_KEYS
        .iter()
        .any(|known| match known.strip_suffix('/') {
            Some(family) => key
                .strip_prefix(family)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|tag| !tag.is_empty()),
            None => key == *known,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_keys() {
        let check =
            |key: &str, expected: bool| assert_eq!(is_condition_key(key), expected, "{key}");
        check("aws:SourceIp", true);
        check("AWS:anything-at-all", true);
        check("aws:", false);
        check("s3:x-amz-acl", true);
        check("S3:X-AMZ-ACL", true);
        check("s3:prefix", true);
        check("s3:ExistingObjectTag/team", true);
        check("s3:ExistingObjectTag/", false);
        check("s3:x-acl", false);
        check("s3:ExistingObjectTag", false);
        check("iam:PassedToService", false);
        check("prefix", false);
    }

    #[test]
    fn action_names_are_unique() {
        for (index, (name, _)) in ACTIONS.iter().enumerate() {
            assert!(
                !ACTIONS[index + 1..]
                    .iter()
                    .any(|(other, _)| other.eq_ignore_ascii_case(name)),
                "{name} listed twice"
            );
        }
    }
}
