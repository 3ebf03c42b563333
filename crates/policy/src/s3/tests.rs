//! S3's operation table and decision rule.

use super::catalog::{ACTIONS, ResourceKind};
use super::*;
use crate::context::PolicyRequest;

const BUCKET: &str = "trail-bucket";
const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";

#[test]
fn operations_map_to_actions_and_resources() {
    let check = |event: &str, key: Option<&str>, actions: &[&str], arn: &str| {
        assert_eq!(actions_for(event), actions, "{event}");
        assert_eq!(resource_arn(event, BUCKET, key), arn, "{event}");
    };
    let object = "arn:aws:s3:::trail-bucket/a/b.txt";
    let bucket = "arn:aws:s3:::trail-bucket";
    let key = Some("a/b.txt");
    check("GetObject", key, &["s3:GetObject"], object);
    check("HeadObject", key, &["s3:GetObject"], object);
    check(
        "GetObjectAttributes",
        key,
        &["s3:GetObject", "s3:GetObjectAttributes"],
        object,
    );
    for put in [
        "PutObject",
        "CopyObject",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
    ] {
        check(put, key, &["s3:PutObject"], object);
    }
    check(
        "AbortMultipartUpload",
        key,
        &["s3:AbortMultipartUpload"],
        object,
    );
    check("ListParts", key, &["s3:ListMultipartUploadParts"], object);
    check("DeleteObject", key, &["s3:DeleteObject"], object);
    check("DeleteObjects", None, &["s3:DeleteObject"], bucket);
    check("ListObjects", None, &["s3:ListBucket"], bucket);
    check("ListObjectsV2", None, &["s3:ListBucket"], bucket);
    check("HeadBucket", None, &["s3:ListBucket"], bucket);
    check(
        "ListObjectVersions",
        None,
        &["s3:ListBucketVersions"],
        bucket,
    );
    check(
        "ListMultipartUploads",
        None,
        &["s3:ListBucketMultipartUploads"],
        bucket,
    );
    check("GetBucketPolicy", None, &["s3:GetBucketPolicy"], bucket);
    check("PutBucketCors", None, &["s3:PutBucketCORS"], bucket);
    check("DeleteBucketCors", None, &["s3:PutBucketCORS"], bucket);
    check("GetBucketLocation", None, &["s3:GetBucketLocation"], bucket);
    check(
        "GetBucketLifecycle",
        None,
        &["s3:GetLifecycleConfiguration"],
        bucket,
    );
    check(
        "DeleteBucketEncryption",
        None,
        &["s3:PutEncryptionConfiguration"],
        bucket,
    );
    check(
        "DeleteBucketPublicAccessBlock",
        None,
        &["s3:PutBucketPublicAccessBlock"],
        bucket,
    );
    check(
        "GetObjectLockConfiguration",
        None,
        &["s3:GetBucketObjectLockConfiguration"],
        bucket,
    );
    check("ListBuckets", None, &["s3:ListAllMyBuckets"], "*");
    check("CreateSession", None, &[], bucket);
    check("SomethingNew", key, &[], object);
}

#[test]
fn every_mapped_action_is_in_the_catalog_with_the_operations_scope() {
    for (names, scope, actions) in OPERATIONS {
        for action in *actions {
            let name = action.strip_prefix("s3:").unwrap();
            let kind = ACTIONS
                .iter()
                .find(|(known, _)| known == &name)
                .map(|(_, kind)| *kind)
                .unwrap_or_else(|| panic!("{action} of {names:?} missing from the catalog"));
            let expected = match scope {
                Scope::Bucket => ResourceKind::Bucket,
                Scope::Object => ResourceKind::Object,
                Scope::Service => ResourceKind::Other,
            };
            assert_eq!(kind, expected, "{action} of {names:?}");
        }
    }
}

/// The bucket's policy (if any), then each principal, action, object path and the decision.
fn check(policy: Option<&str>, cases: &[(RequestPrincipal, &str, &str, S3Decision)]) {
    let policy = policy.map(|json| BucketPolicy::parse(json, BUCKET).unwrap());
    for (principal, action, path, expected) in cases {
        let request = PolicyRequest::builder(
            principal.clone(),
            *action,
            format!("arn:aws:s3:::{BUCKET}{path}"),
        )
        .source_ip("198.51.100.9".parse().unwrap())
        .build();
        assert_eq!(
            decide(policy.as_ref(), OWNER, &request),
            *expected,
            "{principal:?} {action} {path} with {policy:?}"
        );
    }
}

fn root() -> RequestPrincipal {
    RequestPrincipal::account_root(OWNER)
}

fn alice() -> RequestPrincipal {
    RequestPrincipal::iam_user(OWNER, "alice", "AIDAALICE")
}

fn bob() -> RequestPrincipal {
    RequestPrincipal::iam_user(OTHER, "bob", "AIDABOB")
}

fn cloudtrail() -> RequestPrincipal {
    RequestPrincipal::service("cloudtrail.amazonaws.com")
}

#[test]
fn without_a_policy_only_the_owner_account_gets_in() {
    use S3Decision::{Allow, Deny};
    check(
        None,
        &[
            (root(), "s3:GetObject", "/a", Allow),
            (alice(), "s3:PutBucketPolicy", "", Allow),
            (bob(), "s3:GetObject", "/a", Deny),
            (cloudtrail(), "s3:PutObject", "/a", Deny),
            (RequestPrincipal::Anonymous, "s3:GetObject", "/a", Deny),
        ],
    );
}

#[test]
fn cross_account_and_service_grants() {
    use S3Decision::{Allow, Deny};
    let grants = format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Effect":"Allow","Principal":{{"AWS":"{OTHER}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}},
        {{"Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/AWSLogs/*"}},
        {{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::{BUCKET}"}}]}}"#
    );
    check(
        Some(&grants),
        &[
            (bob(), "s3:GetObject", "/a", Allow),
            (bob(), "s3:PutObject", "/a", Deny),
            (cloudtrail(), "s3:PutObject", "/AWSLogs/x", Allow),
            (cloudtrail(), "s3:PutObject", "/elsewhere", Deny),
            (alice(), "s3:DeleteObject", "/a", Allow),
            (bob(), "s3:ListBucket", "", Allow),
            (RequestPrincipal::Anonymous, "s3:ListBucket", "", Deny),
        ],
    );
}

#[test]
fn explicit_deny_spares_only_the_owner_root_on_the_policy_itself() {
    use S3Decision::{Allow, Deny};
    let lock_out = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:*",
            "Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"]}}]}}"#
    );
    check(
        Some(&lock_out),
        &[
            (root(), "s3:GetBucketPolicy", "", Allow),
            (root(), "s3:PutBucketPolicy", "", Allow),
            (root(), "s3:DeleteBucketPolicy", "", Allow),
            (root(), "s3:GetObject", "/a", Deny),
            (root(), "s3:PutBucketAcl", "", Deny),
            (alice(), "s3:PutBucketPolicy", "", Deny),
            (
                RequestPrincipal::account_root(OTHER),
                "s3:PutBucketPolicy",
                "",
                Deny,
            ),
            (cloudtrail(), "s3:PutObject", "/a", Deny),
        ],
    );
}
