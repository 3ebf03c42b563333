//! The crate's two error types: [`ControlError`] for storage failures (the one `thiserror` enum of
//! the crate) and [`ApiError`], the AWS exception a CloudTrail call answers with.
//!
//! Every AWS exception name used by the control plane is spelled once, in the constructors below,
//! so that a typo cannot produce an unknown code. HTTP statuses are not decided here: the server
//! crate maps codes to statuses (`InternalFailure` is its 500, everything else here is a 400).

use std::path::PathBuf;

/// A failure of the control plane's own storage, not of the caller's request.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The database file could not be opened or prepared.
    #[error("cannot open control-plane database {path:?}: {source}")]
    Open {
        /// The database path given to [`crate::ControlPlane::open`].
        path: PathBuf,
        /// What SQLite reported.
        source: rusqlite::Error,
    },
    /// The database was written by a newer OpenTrail with a schema this binary does not know.
    #[error(
        "control-plane database {path:?} has schema version {found}, newer than the {supported} this binary knows"
    )]
    SchemaTooNew {
        /// The database path.
        path: PathBuf,
        /// Highest migration recorded in the database.
        found: i64,
        /// Highest migration this binary carries.
        supported: i64,
    },
    /// A statement failed after the database was open.
    #[error("control-plane database statement failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row could not be read back (for example selectors JSON that no longer parses).
    #[error("stored trail {arn:?} is unreadable: {detail}")]
    CorruptRow {
        /// ARN of the trail whose row is bad.
        arn: String,
        /// What was wrong with it.
        detail: String,
    },
}

/// The AWS exception a CloudTrail operation failed with: the exception name and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The full AWS exception name, e.g. `TrailNotFoundException` (the wire `__type`).
    pub code: &'static str,
    /// Human-readable text, worded as AWS words it where that is known.
    pub message: String,
}

impl ApiError {
    /// An error with this exact code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// `InvalidParameterException`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    /// `InvalidParameterCombinationException`.
    pub fn invalid_parameter_combination(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterCombinationException", message)
    }

    /// `InvalidTrailNameException`.
    pub fn invalid_trail_name(message: impl Into<String>) -> Self {
        Self::new("InvalidTrailNameException", message)
    }

    /// `CloudTrailARNInvalidException` for a string that is not a well-formed trail ARN.
    pub fn trail_arn_invalid(arn: &str) -> Self {
        Self::new(
            "CloudTrailARNInvalidException",
            format!(
                "Invalid trail ARN: {arn}. A trail ARN has the form arn:aws:cloudtrail:<region>:<account-id>:trail/<trail-name>."
            ),
        )
    }

    /// `CloudTrailARNInvalidException` for a resource ARN the caller cannot reach (the tag operations).
    pub fn arn_not_accessible() -> Self {
        Self::new(
            "CloudTrailARNInvalidException",
            "You must specify an ARN that the caller account can access.",
        )
    }

    /// `TrailNotFoundException`, worded as AWS words it.
    pub fn trail_not_found(trail_arn: &str, account_id: &str) -> Self {
        Self::new(
            "TrailNotFoundException",
            format!("Unknown trail: {trail_arn} for the user: {account_id}"),
        )
    }

    /// `TrailAlreadyExistsException`, worded as AWS words it.
    pub fn trail_already_exists(name: &str, account_id: &str) -> Self {
        Self::new(
            "TrailAlreadyExistsException",
            format!("Trail {name} already exists for customer: {account_id}"),
        )
    }

    /// `MaximumNumberOfTrailsExceededException`, worded as AWS words it.
    pub fn too_many_trails(account_id: &str, region: &str, limit: usize) -> Self {
        Self::new(
            "MaximumNumberOfTrailsExceededException",
            format!("User: {account_id} already has {limit} trails in {region}."),
        )
    }

    /// `InvalidHomeRegionException`.
    pub fn invalid_home_region(trail_arn: &str, home_region: &str, region: &str) -> Self {
        Self::new(
            "InvalidHomeRegionException",
            format!(
                "Trail {trail_arn} can only be changed in its home region {home_region}; this request was made in {region}."
            ),
        )
    }

    /// `S3BucketDoesNotExistException`, worded as AWS words it.
    pub fn bucket_does_not_exist(bucket: &str) -> Self {
        Self::new(
            "S3BucketDoesNotExistException",
            format!("S3 bucket {bucket} does not exist!"),
        )
    }

    /// `InsufficientS3BucketPolicyException`, worded as AWS words it.
    pub fn insufficient_bucket_policy(bucket: &str) -> Self {
        Self::new(
            "InsufficientS3BucketPolicyException",
            format!("Incorrect S3 bucket policy is detected for bucket: {bucket}"),
        )
    }

    /// `InsufficientSnsTopicPolicyException`, worded as AWS words it.
    pub fn insufficient_topic_policy() -> Self {
        Self::new(
            "InsufficientSnsTopicPolicyException",
            "SNS Topic does not exist or the topic policy is incorrect!",
        )
    }

    /// `InvalidS3BucketNameException`.
    pub fn invalid_bucket_name(bucket: &str) -> Self {
        Self::new(
            "InvalidS3BucketNameException",
            format!("Invalid S3 bucket name: {bucket}"),
        )
    }

    /// `InvalidS3PrefixException`.
    pub fn invalid_prefix(message: impl Into<String>) -> Self {
        Self::new("InvalidS3PrefixException", message)
    }

    /// `InvalidSnsTopicNameException`.
    pub fn invalid_topic_name(topic: &str) -> Self {
        Self::new(
            "InvalidSnsTopicNameException",
            format!("Invalid SNS topic name or ARN: {topic}"),
        )
    }

    /// `InvalidCloudWatchLogsLogGroupArnException` for a well-formed ARN of a group that does not exist.
    pub fn log_group_not_found() -> Self {
        Self::new(
            "InvalidCloudWatchLogsLogGroupArnException",
            "CloudTrail cannot validate the specified log group ARN.",
        )
    }

    /// `InvalidCloudWatchLogsLogGroupArnException`.
    pub fn invalid_log_group_arn(arn: &str) -> Self {
        Self::new(
            "InvalidCloudWatchLogsLogGroupArnException",
            format!(
                "Check the log group ARN: CloudTrail can't validate it. Expected arn:aws:logs:<region>:<account-id>:log-group:<name>:*, got {arn}"
            ),
        )
    }

    /// `InvalidCloudWatchLogsRoleArnException` for a malformed role ARN.
    pub fn invalid_role_arn(arn: &str) -> Self {
        Self::new(
            "InvalidCloudWatchLogsRoleArnException",
            format!(
                "Invalid role ARN: {arn}. Expected arn:aws:iam::<account-id>:role/<role-name>."
            ),
        )
    }

    /// `InvalidCloudWatchLogsRoleArnException` for a log group given without a role, worded as AWS words it.
    pub fn role_required_with_log_group() -> Self {
        Self::new(
            "InvalidCloudWatchLogsRoleArnException",
            "You must specify a role ARN as well as a log group.",
        )
    }

    /// `InvalidKmsKeyIdException`.
    pub fn invalid_kms_key_id(key: &str) -> Self {
        Self::new(
            "InvalidKmsKeyIdException",
            format!("Invalid KMS key ID: {key}"),
        )
    }

    /// `InvalidTagParameterException`.
    pub fn invalid_tag(message: impl Into<String>) -> Self {
        Self::new("InvalidTagParameterException", message)
    }

    /// `TagsLimitExceededException`.
    pub fn tags_limit_exceeded(resource: &str, limit: usize) -> Self {
        Self::new(
            "TagsLimitExceededException",
            format!("The number of tags on resource {resource} would exceed the limit of {limit}."),
        )
    }

    /// `OrganizationsNotInUseException`: OpenTrail accounts never belong to an organization.
    pub fn organizations_not_in_use(account_id: &str) -> Self {
        Self::new(
            "OrganizationsNotInUseException",
            format!(
                "Account {account_id} is not a member of an organization, so it cannot create or update an organization trail."
            ),
        )
    }

    /// `InsightNotEnabledException`.
    pub fn insight_not_enabled(trail_arn: &str) -> Self {
        Self::new(
            "InsightNotEnabledException",
            format!("Trail {trail_arn} does not have Insights enabled."),
        )
    }

    /// `InvalidNextTokenException`.
    pub fn invalid_next_token() -> Self {
        Self::new("InvalidNextTokenException", "Invalid NextToken.")
    }

    /// `UnsupportedOperationException`.
    pub fn unsupported_operation(message: impl Into<String>) -> Self {
        Self::new("UnsupportedOperationException", message)
    }

    /// `InternalFailure`: the storage failed; the detail is for the server log, not the caller.
    pub fn internal() -> Self {
        Self::new(
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }
}

impl From<ControlError> for ApiError {
    fn from(error: ControlError) -> Self {
        tracing::error!(%error, "control-plane storage failed");
        ApiError::internal()
    }
}
