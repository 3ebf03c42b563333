//! Whether a trail's destinations accept its deliveries: the S3 bucket must exist and its policy
//! must let `cloudtrail.amazonaws.com` put objects under `[<prefix>/]AWSLogs/<account>/`; the SNS
//! topic (when a [`crate::TopicDirectory`] is configured) must exist and let CloudTrail publish.
//!
//! The check simulates the request CloudTrail makes when it delivers, with the request context
//! it carries (`aws:SourceArn` = the trail ARN, `aws:SourceAccount`, `s3:x-amz-acl` =
//! `bucket-owner-full-control`, TLS, and the KMS headers when the trail encrypts), so both the
//! 2015 policy template and the current one with `aws:SourceArn` conditions pass. A bucket with no
//! policy is refused even when the caller owns it, because AWS refuses it too: CloudTrail is a
//! service principal, not the bucket owner. Buckets on an upstream S3 server that the operator
//! configured for deliveries are trusted as they are (their policy is not visible here). The CloudWatch
//! Logs group must exist (when a [`crate::LogGroupDirectory`] is configured); IAM roles and KMS keys
//! are not looked up (OpenTrail has no directory of them).

use crate::error::ApiError;
use crate::model::TrailRecord;
use crate::policy::{PolicyRequest, policy_allows};
use crate::{CallContext, ControlPlane};

/// The service principal CloudTrail delivers as.
const CLOUDTRAIL_PRINCIPAL: &str = "cloudtrail.amazonaws.com";

impl ControlPlane {
    /// `S3BucketDoesNotExistException` / `InsufficientS3BucketPolicyException` unless the trail's
    /// bucket accepts its log files.
    pub(crate) fn check_bucket(
        &self,
        ctx: &CallContext,
        trail: &TrailRecord,
    ) -> Result<(), ApiError> {
        let bucket = &trail.s3_bucket_name;
        let info = self
            .buckets
            .bucket(bucket)
            .ok_or_else(|| ApiError::bucket_does_not_exist(bucket))?;
        if info.operator_trusted {
            return Ok(());
        }
        let policy = info
            .policy
            .ok_or_else(|| ApiError::insufficient_bucket_policy(bucket))?;
        let resource = sample_log_object_arn(ctx, trail);
        let trail_arn = trail.arn.to_string();
        let mut context = vec![
            ("aws:SourceArn", trail_arn.as_str()),
            ("aws:SourceAccount", trail.arn.account_id.as_str()),
            ("aws:SecureTransport", "true"),
            ("s3:x-amz-acl", "bucket-owner-full-control"),
        ];
        if let Some(key) = &trail.kms_key_id {
            context.push(("s3:x-amz-server-side-encryption", "aws:kms"));
            context.push(("s3:x-amz-server-side-encryption-aws-kms-key-id", key));
        }
        let request = PolicyRequest {
            service_principal: CLOUDTRAIL_PRINCIPAL,
            action: "s3:PutObject",
            resource: &resource,
            context: &context,
        };
        match policy_allows(&policy, &request) {
            true => Ok(()),
            false => Err(ApiError::insufficient_bucket_policy(bucket)),
        }
    }

    /// `InvalidCloudWatchLogsLogGroupArnException` unless the trail's log group exists (AWS: "CloudTrail
    /// cannot validate the specified log group ARN"); passes without a directory or a log group.
    pub(crate) fn check_log_group(&self, trail: &TrailRecord) -> Result<(), ApiError> {
        let (Some(log_groups), Some(arn)) =
            (&self.log_groups, &trail.cloudwatch_logs_log_group_arn)
        else {
            return Ok(());
        };
        let fields: Vec<&str> = arn.splitn(7, ':').collect();
        let exists = match fields.as_slice() {
            [_, _, _, region, account, _, name] => {
                let name = name.strip_suffix(":*").unwrap_or(name);
                log_groups.log_group_exists(account, region, name)
            }
            _ => false,
        };
        match exists {
            true => Ok(()),
            false => Err(ApiError::log_group_not_found()),
        }
    }

    /// `InsufficientSnsTopicPolicyException` unless the trail's topic exists and lets CloudTrail
    /// publish; always passes without a topic directory or without a topic.
    pub(crate) fn check_topic(&self, trail: &TrailRecord) -> Result<(), ApiError> {
        let (Some(topics), Some(topic_arn)) = (&self.topics, &trail.sns_topic_arn) else {
            return Ok(());
        };
        let policy = topics
            .topic(topic_arn)
            .and_then(|t| t.policy)
            .ok_or_else(ApiError::insufficient_topic_policy)?;
        let trail_arn = trail.arn.to_string();
        let context = [
            ("aws:SourceArn", trail_arn.as_str()),
            ("aws:SourceAccount", trail.arn.account_id.as_str()),
        ];
        let request = PolicyRequest {
            service_principal: CLOUDTRAIL_PRINCIPAL,
            action: "SNS:Publish",
            resource: topic_arn,
            context: &context,
        };
        match policy_allows(&policy, &request) {
            true => Ok(()),
            false => Err(ApiError::insufficient_topic_policy()),
        }
    }
}

/// The ARN of a log file the trail would deliver now, e.g.
/// `arn:aws:s3:::bucket/prefix/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/<file>.json.gz`.
fn sample_log_object_arn(ctx: &CallContext, trail: &TrailRecord) -> String {
    let account = &trail.arn.account_id;
    let region = &trail.arn.home_region;
    let prefix = trail
        .s3_key_prefix
        .as_deref()
        .map(|p| format!("{p}/"))
        .unwrap_or_default();
    let day = ctx.now.format("%Y/%m/%d");
    let stamp = ctx.now.format("%Y%m%dT%H%MZ");
    format!(
        "arn:{}:s3:::{}/{prefix}AWSLogs/{account}/CloudTrail/{region}/{day}/{account}_CloudTrail_{region}_{stamp}_0000000000000000.json.gz",
        trail.arn.partition(),
        trail.s3_bucket_name,
    )
}
