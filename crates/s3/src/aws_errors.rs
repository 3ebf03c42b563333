//! Every S3 error answer this crate produces, with AWS's own codes and messages, in one place.
//!
//! s3s maps each `S3ErrorCode` to its HTTP status; this module only chooses codes and wording. It does
//! not decide *when* an error applies; the handlers do. [`default_message`] fills in AWS's wording for
//! errors s3s raised without one (signature failures, for example), so that clients and the audit
//! record see the same text.

use std::fmt::Display;

use s3s::{S3Error, S3ErrorCode};

fn error(code: S3ErrorCode, message: &'static str) -> S3Error {
    S3Error::with_message(code, message)
}

/// The access key id is not known.
pub(crate) fn invalid_access_key_id() -> S3Error {
    error(
        S3ErrorCode::InvalidAccessKeyId,
        "The AWS Access Key Id you provided does not exist in our records.",
    )
}

/// The caller may not perform the operation.
pub(crate) fn access_denied() -> S3Error {
    error(S3ErrorCode::AccessDenied, "Access Denied")
}

/// The bucket does not exist.
pub(crate) fn no_such_bucket() -> S3Error {
    error(
        S3ErrorCode::NoSuchBucket,
        "The specified bucket does not exist",
    )
}

/// The key does not exist.
pub(crate) fn no_such_key() -> S3Error {
    error(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
}

/// CreateBucket for a bucket the caller's account already owns.
pub(crate) fn bucket_already_owned_by_you() -> S3Error {
    error(
        S3ErrorCode::BucketAlreadyOwnedByYou,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
}

/// CreateBucket for a name another account owns.
pub(crate) fn bucket_already_exists() -> S3Error {
    error(
        S3ErrorCode::BucketAlreadyExists,
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
    )
}

/// The bucket name breaks the naming rules.
pub(crate) fn invalid_bucket_name() -> S3Error {
    error(
        S3ErrorCode::InvalidBucketName,
        "The specified bucket is not valid.",
    )
}

/// DeleteBucket on a bucket that still holds objects.
pub(crate) fn bucket_not_empty() -> S3Error {
    error(
        S3ErrorCode::BucketNotEmpty,
        "The bucket you tried to delete is not empty",
    )
}

/// GetBucketPolicy on a bucket without a policy.
pub(crate) fn no_such_bucket_policy() -> S3Error {
    error(
        S3ErrorCode::NoSuchBucketPolicy,
        "The bucket policy does not exist",
    )
}

/// PutBucketPolicy with a document that is not a policy.
pub(crate) fn malformed_policy(reason: &'static str) -> S3Error {
    error(S3ErrorCode::MalformedPolicy, reason)
}

/// PutBucketPolicy with a document the policy language refuses, with S3's reason.
pub(crate) fn malformed_policy_text(reason: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::MalformedPolicy, reason)
}

/// A Range outside the object.
pub(crate) fn invalid_range() -> S3Error {
    error(
        S3ErrorCode::InvalidRange,
        "The requested range is not satisfiable",
    )
}

/// The body does not match its Content-MD5.
pub(crate) fn bad_digest() -> S3Error {
    error(
        S3ErrorCode::BadDigest,
        "The Content-MD5 you specified did not match what we received.",
    )
}

/// The Content-MD5 header is not a base64 MD5.
pub(crate) fn invalid_digest() -> S3Error {
    error(
        S3ErrorCode::InvalidDigest,
        "The Content-MD5 you specified is not valid.",
    )
}

/// The multipart upload id is unknown.
pub(crate) fn no_such_upload() -> S3Error {
    error(
        S3ErrorCode::NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

/// A completed part was never uploaded or its ETag differs.
pub(crate) fn invalid_part() -> S3Error {
    error(
        S3ErrorCode::InvalidPart,
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

/// Completed parts are not in ascending part-number order.
pub(crate) fn invalid_part_order() -> S3Error {
    error(
        S3ErrorCode::InvalidPartOrder,
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
    )
}

/// A non-last part is smaller than the minimum part size.
pub(crate) fn entity_too_small() -> S3Error {
    error(
        S3ErrorCode::EntityTooSmall,
        "Your proposed upload is smaller than the minimum allowed object size.",
    )
}

/// A request body that should be XML is missing or wrong.
pub(crate) fn malformed_xml() -> S3Error {
    error(
        S3ErrorCode::MalformedXML,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// A conditional write found its condition false.
pub(crate) fn precondition_failed() -> S3Error {
    error(
        S3ErrorCode::PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold",
    )
}

/// CopyObject onto itself with nothing changed.
pub(crate) fn copy_onto_itself() -> S3Error {
    error(
        S3ErrorCode::InvalidRequest,
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    )
}

/// A request argument is out of range or unreadable.
pub(crate) fn invalid_argument(message: &'static str) -> S3Error {
    error(S3ErrorCode::InvalidArgument, message)
}

/// A feature this front does not offer.
pub(crate) fn not_implemented(message: &'static str) -> S3Error {
    error(S3ErrorCode::NotImplemented, message)
}

/// A server-side failure; the detail goes to the log, never to the client.
pub(crate) fn internal(detail: impl Display) -> S3Error {
    tracing::error!(%detail, "s3 request failed inside the server");
    error(
        S3ErrorCode::InternalError,
        "We encountered an internal error. Please try again.",
    )
}

/// AWS's wording for codes that s3s (or a bare status) produced without a message.
pub(crate) fn default_message(code: &str) -> Option<&'static str> {
    let message = match code {
        "SignatureDoesNotMatch" => {
            "The request signature we calculated does not match the signature you provided. Check your key and signing method."
        }
        "InvalidAccessKeyId" => "The AWS Access Key Id you provided does not exist in our records.",
        "AccessDenied" => "Access Denied",
        "NoSuchBucket" => "The specified bucket does not exist",
        "NoSuchKey" => "The specified key does not exist.",
        "InvalidBucketName" => "The specified bucket is not valid.",
        "InvalidRange" => "The requested range is not satisfiable",
        "NotImplemented" => "A header you provided implies functionality that is not implemented",
        "MethodNotAllowed" => "The specified method is not allowed against this resource.",
        "InternalError" => "We encountered an internal error. Please try again.",
        "RequestTimeTooSkewed" => {
            "The difference between the request time and the current time is too large."
        }
        _ => return None,
    };
    Some(message)
}

/// The error code a HEAD answer implies when it carries no body to read one from.
pub(crate) fn code_for_bare_status(status: http::StatusCode, is_object: bool) -> &'static str {
    match status.as_u16() {
        301 => "PermanentRedirect",
        304 => "NotModified",
        400 => "BadRequest",
        403 => "AccessDenied",
        404 if is_object => "NoSuchKey",
        404 => "NoSuchBucket",
        412 => "PreconditionFailed",
        416 => "InvalidRange",
        501 => "NotImplemented",
        503 => "ServiceUnavailable",
        _ => "InternalError",
    }
}

impl From<crate::error::S3Error> for S3Error {
    fn from(error: crate::error::S3Error) -> Self {
        match error {
            crate::error::S3Error::NoSuchBucket(_) => no_such_bucket(),
            crate::error::S3Error::ObjectExists { .. } => precondition_failed(),
            other => internal(other),
        }
    }
}

/// CreateBucket with a LocationConstraint that is not a region name.
pub(crate) fn invalid_location_constraint() -> S3Error {
    error(
        S3ErrorCode::InvalidLocationConstraint,
        "The specified location-constraint is not valid",
    )
}

/// A flexible checksum (`x-amz-checksum-<algorithm>`) that does not match the body.
pub(crate) fn bad_checksum(algorithm: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::BadDigest,
        format!(
            "The {} you specified did not match the calculated checksum.",
            algorithm.to_ascii_uppercase()
        ),
    )
}

/// An announced checksum trailer that never arrived.
pub(crate) fn missing_trailer(algorithm: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        format!(
            "The x-amz-checksum-{algorithm} trailer announced in x-amz-trailer was not received."
        ),
    )
}
