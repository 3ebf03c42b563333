//! Scenarios: each starts a server, runs one Python script, then checks the audit records.

use opentrail_s3::S3EventCategory;
use serde_json::json;

use crate::harness::{
    ALICE_ACCOUNT, ALICE_KEY, BOB_ACCOUNT, TestServer, VIRTUAL_HOST_DOMAIN, failed, of,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_buckets_policies_objects_and_listings() {
    let server = TestServer::start().await;
    server.run_python("cli_buckets_objects.py").await;
    let records = server.assert_one_record_per_request();

    let created = of(&records, "CreateBucket")
        .into_iter()
        .find(|r| r.error_code.is_none())
        .unwrap();
    assert_eq!(created.category, S3EventCategory::Management);
    assert!(!created.read_only);
    assert_eq!(
        created.bucket_owner_account_id, None,
        "the bucket did not exist when the call began"
    );
    assert_eq!(
        created.principal.as_ref().unwrap().account_id,
        ALICE_ACCOUNT
    );
    assert_eq!(
        created.request_parameters["CreateBucketConfiguration"]["LocationConstraint"],
        json!("eu-west-1")
    );
    assert_eq!(
        created.request_parameters["bucketName"],
        json!("alpha-bucket")
    );
    assert_eq!(created.auth_method, Some("AuthHeader"));

    let location = of(&records, "GetBucketLocation")[0];
    assert_eq!(location.request_parameters["location"], json!(""));
    assert_eq!(location.aws_region, "eu-west-1");
    assert!(location.read_only);

    let policy_put = of(&records, "PutBucketPolicy")
        .into_iter()
        .find(|r| r.error_code.is_none())
        .unwrap();
    assert_eq!(policy_put.request_parameters["policy"], json!(""));
    assert_eq!(
        policy_put.request_parameters["bucketPolicy"]["Version"],
        json!("2012-10-17")
    );
    assert_eq!(
        policy_put.bucket_owner_account_id.as_deref(),
        Some(ALICE_ACCOUNT)
    );
    let missing_policy = failed(&records, "GetBucketPolicy", "NoSuchBucketPolicy");
    assert_eq!(missing_policy.http_status, 404);
    assert_eq!(
        missing_policy.error_message.as_deref(),
        Some("The bucket policy does not exist")
    );
    failed(&records, "PutBucketPolicy", "MalformedPolicy");
    failed(&records, "CreateBucket", "BucketAlreadyOwnedByYou");
    failed(&records, "CreateBucket", "InvalidBucketName");
    failed(&records, "GetObject", "InvalidRange");
    failed(&records, "GetObject", "NoSuchKey");
    failed(&records, "HeadObject", "NoSuchKey");
    failed(&records, "HeadBucket", "NoSuchBucket");
    failed(&records, "CopyObject", "InvalidRequest");
    failed(&records, "DeleteBucket", "BucketNotEmpty");

    let put = of(&records, "PutObject")
        .into_iter()
        .find(|r| r.key.as_deref() == Some("docs/a b.txt"))
        .unwrap();
    assert_eq!(put.category, S3EventCategory::Data);
    assert_eq!(put.bytes_in, 20);
    assert_eq!(put.request_parameters["key"], json!("docs/a b.txt"));
    let ranged = of(&records, "GetObject")
        .into_iter()
        .find(|r| r.http_status == 206)
        .unwrap();
    assert_eq!(ranged.bytes_out, 4);
    let copy = of(&records, "CopyObject")[0];
    assert_eq!(
        copy.request_parameters["x-amz-copy-source"],
        json!("alpha-bucket/docs/a%20b.txt")
    );

    let v2 = of(&records, "ListObjects")
        .into_iter()
        .find(|r| r.request_parameters.get("list-type") == Some(&json!("2")))
        .expect("ListObjectsV2 is recorded as ListObjects with list-type 2");
    assert_eq!(v2.category, S3EventCategory::Data);
    assert!(
        of(&records, "ListBuckets")
            .iter()
            .all(|r| r.category == S3EventCategory::Management)
    );
    assert!(!of(&records, "DeleteObjects").is_empty());
    assert!(!of(&records, "DeleteBucketPolicy").is_empty());
    assert!(
        of(&records, "DeleteBucket")
            .iter()
            .any(|r| r.error_code.is_none() && r.http_status == 204),
        "the final DeleteBucket succeeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_multipart_copy_sync_rm_and_presign() {
    let server = TestServer::start().await;
    server.run_python("cli_transfers.py").await;
    let records = server.assert_one_record_per_request();

    let created = of(&records, "CreateMultipartUpload");
    assert_eq!(created.len(), 1);
    let upload_id = created[0].response_elements.as_ref().unwrap()["uploadId"]
        .as_str()
        .unwrap();
    let parts = of(&records, "UploadPart");
    assert_eq!(parts.len(), 3);
    assert!(
        parts
            .iter()
            .all(|part| part.request_parameters["uploadId"] == json!(upload_id))
    );
    assert!(parts.iter().map(|part| part.bytes_in).sum::<u64>() >= 20 << 20);
    let completed = of(&records, "CompleteMultipartUpload");
    assert_eq!((completed.len(), completed[0].http_status), (1, 200));

    let ranged_reads: u64 = of(&records, "GetObject")
        .iter()
        .filter(|r| r.key.as_deref() == Some("data/big.bin"))
        .map(|r| r.bytes_out)
        .sum();
    assert_eq!(ranged_reads, 20 << 20, "the download read every byte once");

    let presigned = of(&records, "GetObject")
        .into_iter()
        .filter(|r| r.auth_method == Some("QueryString"))
        .collect::<Vec<_>>();
    assert_eq!(
        presigned.len(),
        2,
        "the presigned fetch and the tampered one"
    );
    assert_eq!(presigned[0].http_status, 200);
    assert!(
        presigned[0]
            .request_parameters
            .get("X-Amz-Signature")
            .is_none()
    );
    assert_eq!(presigned[0].access_key_id.as_deref(), Some(ALICE_KEY));
    let tampered = presigned[1];
    assert_eq!(
        tampered.error_code.as_deref(),
        Some("SignatureDoesNotMatch")
    );
    assert_eq!(tampered.principal, None);
    assert_eq!(tampered.key.as_deref(), Some("big.txt"));

    assert_eq!(
        of(&records, "DeleteObject").len(),
        3,
        "rm --recursive deletes the three synced keys"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_tenants_auth_failures_virtual_hosts_and_multipart_rules() {
    let server = TestServer::start().await;
    server.run_python("boto3_tenants.py").await;
    let abandoned = server.wait_for_record("partial.bin").await;
    assert_eq!(abandoned.operation, "PutObject");
    assert_eq!(
        (
            abandoned.error_code.as_deref(),
            abandoned.error_message.as_deref()
        ),
        (
            Some("IncompleteBody"),
            Some(
                "You did not provide the number of bytes specified by the Content-Length HTTP header."
            )
        )
    );
    assert_eq!(
        abandoned.principal.as_ref().unwrap().account_id,
        ALICE_ACCOUNT
    );
    let records = server.assert_one_record_per_request();

    let wrong_secret = failed(&records, "ListBuckets", "SignatureDoesNotMatch");
    assert_eq!(
        (
            wrong_secret.principal.as_ref(),
            wrong_secret.access_key_id.as_deref()
        ),
        (None, Some(ALICE_KEY))
    );
    assert_eq!(wrong_secret.http_status, 403);
    let unknown = failed(&records, "ListBuckets", "InvalidAccessKeyId");
    assert_eq!(
        unknown.access_key_id.as_deref(),
        Some("AKIAUNKNOWN000000000")
    );

    let anonymous = failed(&records, "GetObject", "AccessDenied");
    assert_eq!(
        (anonymous.principal.as_ref(), anonymous.auth_method),
        (None, None),
        "the unsigned GET"
    );
    let denied = of(&records, "GetObject")
        .into_iter()
        .find(|r| {
            r.principal
                .as_ref()
                .is_some_and(|p| p.account_id == BOB_ACCOUNT)
        })
        .unwrap();
    assert_eq!(denied.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(
        denied.bucket_owner_account_id.as_deref(),
        Some(ALICE_ACCOUNT)
    );
    failed(&records, "PutObject", "AccessDenied");
    failed(&records, "ListObjects", "AccessDenied");
    failed(&records, "HeadBucket", "AccessDenied");
    failed(&records, "CreateBucket", "BucketAlreadyExists");
    failed(&records, "CopyObject", "AccessDenied");
    failed(&records, "PutObject", "BadDigest");
    let bad_crc = records
        .iter()
        .filter(|r| r.error_code.as_deref() == Some("BadDigest"))
        .find(|r| r.key.as_deref() == Some("crc"))
        .unwrap();
    assert!(
        bad_crc
            .error_message
            .as_deref()
            .unwrap()
            .starts_with("The CRC32 you specified")
    );
    let chunked = of(&records, "PutObject")
        .into_iter()
        .find(|r| r.key.as_deref() == Some("chunked.bin"))
        .unwrap();
    assert_eq!(chunked.http_status, 200);
    assert!(
        chunked.bytes_in > 256 * 1200,
        "the aws-chunked encoding is larger than the payload"
    );
    failed(&records, "CompleteMultipartUpload", "InvalidPartOrder");
    failed(&records, "CompleteMultipartUpload", "InvalidPart");
    failed(&records, "CompleteMultipartUpload", "EntityTooSmall");
    failed(&records, "ListParts", "NoSuchUpload");
    failed(&records, "AbortMultipartUpload", "NoSuchUpload");

    let virtual_put = of(&records, "PutObject")
        .into_iter()
        .find(|r| r.key.as_deref() == Some("vhost/key.txt"))
        .unwrap();
    assert_eq!(virtual_put.bucket.as_deref(), Some("alice-bucket"));
    assert_eq!(
        virtual_put.host_header.as_deref(),
        Some(format!("alice-bucket.{VIRTUAL_HOST_DOMAIN}").as_str())
    );
    assert_eq!(
        virtual_put.request_parameters["Host"],
        json!(format!("alice-bucket.{VIRTUAL_HOST_DOMAIN}"))
    );

    let info = server.front().bucket_info("alice-bucket").unwrap();
    assert_eq!(
        (info.owner_account_id.as_str(), info.region.as_str()),
        (ALICE_ACCOUNT, "us-east-1")
    );
    assert!(server.front().bucket_info("no-such-bucket").is_none());

    let front = server.front();
    let delivered = front.put_object_internal(
        "alice-bucket",
        "AWSLogs/1.json.gz",
        "{}".into(),
        "application/json",
        &[],
    );
    delivered.await.unwrap();
    let again = front.put_object_internal(
        "alice-bucket",
        "AWSLogs/1.json.gz",
        "{}".into(),
        "application/json",
        &[],
    );
    assert!(
        matches!(again.await, Err(opentrail_s3::S3Error::ObjectExists { .. })),
        "deliveries never overwrite"
    );
    let nowhere = front.put_object_internal("no-such-bucket", "k", "x".into(), "text/plain", &[]);
    assert!(matches!(
        nowhere.await,
        Err(opentrail_s3::S3Error::NoSuchBucket(_))
    ));
}
