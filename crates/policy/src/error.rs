//! The one error enum of the policy crate: why S3's PutBucketPolicy would refuse a document.
//!
//! Every variant is S3's `MalformedPolicy` (HTTP 400). `Display` follows house style (lower case,
//! quoting the offending value) for logs; [`PolicyError::aws_message`] is the text S3 puts in the
//! error body. Where S3's wording is known it is reproduced exactly; the sources are public bug
//! reports against AWS (aws-cli #2779, terraform #28688, versitygw #645-#650, #1536, noobaa #10058,
//! pageflow #902) and S3 emulators that copied AWS (Scality, Seagate CORTX, versitygw). Wording
//! not seen anywhere is marked "chosen" on its variant. HTTP mapping lives with the S3 front.

/// Why a bucket policy document was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The document's first byte is not `{` (AWS: aws-cli #2779).
    #[error("policy does not start with '{{'")]
    NotAnObject,
    /// The document starts with `{` but is not JSON (AWS wording per versitygw #1156).
    #[error("policy is not valid json: {0}")]
    InvalidJson(String),
    /// The document is larger than S3's 20 KB limit, measured without insignificant whitespace.
    /// The limit is documented; the message is chosen.
    #[error("policy of {0} bytes exceeds {MAX_POLICY_BYTES} bytes")]
    TooLarge(usize),
    /// An element has the wrong JSON type (e.g. `"Statement": 3`). Chosen message, after the
    /// "invalid policy syntax" users report from the S3 console.
    #[error("invalid policy syntax: {0}")]
    Syntax(String),
    /// A member that is no policy element (AWS: "Unknown field condition", lower-case `condition`).
    #[error("unknown field \"{0}\"")]
    UnknownField(String),
    /// `Version` is neither `2012-10-17` nor `2008-10-17` (AWS wording per versitygw #1536,
    /// minio #16178, pageflow #902).
    #[error("invalid version \"{0}\"")]
    InvalidVersion(String),
    /// No `Statement` member.
    #[error("missing Statement")]
    MissingStatement,
    /// `"Statement": []` (versitygw #646).
    #[error("Statement is empty")]
    EmptyStatement,
    /// A statement lacks `Effect`, `Principal`, `Action` or `Resource` (or their `Not` forms);
    /// the field is named as S3 names it (AWS: terraform #28688 for Principal).
    #[error("statement misses {0}")]
    MissingField(&'static str),
    /// `Effect` is neither `Allow` nor `Deny` (versitygw #647).
    #[error("invalid effect \"{0}\"")]
    InvalidEffect(String),
    /// `Principal: {}` or an empty list (AWS text seen in cn-terraform/terraform-aws-s3-static-website #38).
    #[error("empty principal")]
    EmptyPrincipal,
    /// A principal S3 does not accept (AWS: repost.aws "Invalid principal in policy").
    #[error("invalid principal \"{0}\"")]
    InvalidPrincipal(String),
    /// An action that is neither `*` nor an S3 action (versitygw #650).
    #[error("invalid action \"{0}\"")]
    InvalidAction(String),
    /// A resource that is not this bucket or its objects (AWS: aws-serverless-appsync-app #4,
    /// noobaa #10058 for `*`).
    #[error("invalid resource \"{0}\"")]
    InvalidResource(String),
    /// An action none of whose resource types is named by the statement's resources
    /// (AWS: modernisation-platform #10762).
    #[error("action \"{0}\" applies to none of the statement's resources")]
    ActionNotApplicable(String),
    /// An unknown condition operator (wording from Seagate CORTX's AWS-compatible validator).
    #[error("invalid condition operator \"{0}\"")]
    InvalidConditionType(String),
    /// A condition key that is neither a global `aws:` key nor an S3 key (AWS wording; Scality
    /// notes S3 accepts any `aws:` key).
    #[error("invalid condition key \"{0}\"")]
    InvalidConditionKey(String),
    /// An `IpAddress`/`NotIpAddress` value that is no address or CIDR (wording from Scality).
    #[error("invalid IP address \"{0}\" in condition")]
    InvalidIpAddress(String),
    /// A numeric, date or `Null` value that does not parse. Chosen message.
    #[error("invalid value \"{value}\" for condition operator {operator}")]
    InvalidConditionValue {
        /// The operator as written.
        operator: String,
        /// The offending value.
        value: String,
    },
}

/// S3's size limit for a bucket policy.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

impl PolicyError {
    /// The S3 error code: always `MalformedPolicy`.
    pub fn code(&self) -> &'static str {
        "MalformedPolicy"
    }

    /// The message S3 puts in the error body.
    pub fn aws_message(&self) -> String {
        match self {
            PolicyError::NotAnObject => {
                "Policies must be valid JSON and the first byte must be '{'".to_owned()
            }
            PolicyError::InvalidJson(_) => "This policy contains invalid Json".to_owned(),
            PolicyError::TooLarge(_) => {
                "Policy exceeds the maximum allowed document size.".to_owned()
            }
            PolicyError::Syntax(_) => "Invalid policy syntax.".to_owned(),
            PolicyError::UnknownField(name) => format!("Unknown field {name}"),
            PolicyError::InvalidVersion(_) => {
                "The policy must contain a valid version string".to_owned()
            }
            PolicyError::MissingStatement => "Missing required field Statement".to_owned(),
            PolicyError::EmptyStatement => {
                "Could not parse the policy: Statement is empty!".to_owned()
            }
            PolicyError::MissingField(field) => format!("Missing required field {field}"),
            PolicyError::InvalidEffect(effect) => format!("Invalid effect: {effect}"),
            PolicyError::EmptyPrincipal => {
                "Missing required field Principal cannot be empty!".to_owned()
            }
            PolicyError::InvalidPrincipal(_) => "Invalid principal in policy".to_owned(),
            PolicyError::InvalidAction(_) => "Policy has invalid action".to_owned(),
            PolicyError::InvalidResource(_) => "Policy has invalid resource".to_owned(),
            PolicyError::ActionNotApplicable(_) => {
                "Action does not apply to any resource(s) in statement".to_owned()
            }
            PolicyError::InvalidConditionType(operator) => {
                format!("Invalid Condition type : {operator}")
            }
            PolicyError::InvalidConditionKey(_) => "Policy has an invalid condition key".to_owned(),
            PolicyError::InvalidIpAddress(_) => "Invalid IP address in Conditions".to_owned(),
            PolicyError::InvalidConditionValue { operator, value } => {
                format!("Condition value {value} is not valid for operator {operator}")
            }
        }
    }
}
