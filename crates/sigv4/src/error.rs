//! The one error type of this crate, and the texts AWS sends for each case.
//!
//! Every variant is a case the server must answer with a distinct AWS error code, so the
//! variants follow AWS's own split (IncompleteSignature, InvalidSignature, RequestTimeTooSkewed,
//! ...) rather than this crate's internals. `message()` gives the text AWS's JSON and query
//! services send (cloudtrail, logs, sns, monitoring), `s3_message()` the text S3 sends.
//! This module maps nothing to HTTP statuses or error codes: that happens once, in the server.

use chrono::{DateTime, Duration, Utc};

use crate::time::format_amz_date;
use crate::{AuthLocation, MAX_CLOCK_SKEW_MINUTES};

/// The JSON/query services' text for a signature that does not verify.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// S3's text for a signature (request or chunk) that does not verify.
pub const S3_SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

const S3_UNSUPPORTED_MECHANISM: &str =
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";

const INVALID_CONTENT_SHA256_MESSAGE: &str = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.";

/// What a request lacks entirely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingPart {
    /// An `Authorization` header that is not SigV4 at all (SigV2 `AWS key:sig`, `Bearer`, ...).
    /// AWS answers these like an unauthenticated request (MissingAuthenticationToken).
    AuthenticationToken,
    /// S3 header-signed requests must carry `x-amz-content-sha256`.
    ContentSha256Header,
}

impl std::fmt::Display for MissingPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MissingPart::AuthenticationToken => "sigv4 authentication token",
            MissingPart::ContentSha256Header => "x-amz-content-sha256 header",
        })
    }
}

/// AWS's texts for missing or unparseable auth parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteSignature {
    /// Where the broken parameters were (decides S3's error code).
    pub location: AuthLocation,
    /// The JSON/query services' text.
    pub detail: String,
    /// S3's text.
    pub s3_detail: String,
}

/// AWS's texts for a credential scope that does not fit the request or the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeMismatch {
    /// The JSON/query services' text.
    pub detail: String,
    /// S3's text.
    pub s3_detail: String,
}

/// Why a request's SigV4 authentication was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Something required is absent (JSON: MissingAuthenticationTokenException; S3: InvalidRequest).
    #[error("missing {0}")]
    Missing(MissingPart),
    /// Auth parameters are absent or unparseable (JSON: IncompleteSignatureException;
    /// S3: AuthorizationHeaderMalformed for headers, AuthorizationQueryParametersError for URLs).
    #[error("incomplete signature: {}", .0.detail)]
    Incomplete(IncompleteSignature),
    /// The credential scope does not fit the request (JSON: InvalidSignatureException;
    /// S3: AuthorizationHeaderMalformed).
    #[error("malformed credential scope: {}", .0.detail)]
    MalformedScope(ScopeMismatch),
    /// An `AWS4-*` algorithm other than `AWS4-HMAC-SHA256` (e.g. SigV4a), as named by the request.
    #[error("unsupported signing algorithm '{0}'")]
    UnsupportedAlgorithm(String),
    /// Both an `Authorization` header and `X-Amz-*` query authentication.
    #[error("both an authorization header and 'X-Amz-Algorithm' query authentication are present")]
    AmbiguousAuth,
    /// `host` is not among the signed headers (JSON: InvalidSignatureException).
    #[error("'host' is not among the signed headers '{signed_headers}'")]
    HostNotSigned {
        /// The signed header list as sent, `;`-joined.
        signed_headers: String,
    },
    /// The signature does not verify (JSON: InvalidSignatureException; S3: SignatureDoesNotMatch).
    /// Both texts are kept: S3 returns them in the error body, and they make client bugs findable.
    #[error("signature mismatch for string to sign '{string_to_sign}'")]
    SignatureMismatch {
        /// The canonical request the server computed.
        canonical_request: String,
        /// The string to sign the server computed.
        string_to_sign: String,
    },
    /// The request time is more than 15 minutes from the server's clock
    /// (JSON: InvalidSignatureException; S3: RequestTimeTooSkewed).
    #[error("request time '{}' is more than 15 minutes from server time '{}'", format_amz_date(*request_time), format_amz_date(*server_time))]
    TimeSkewed {
        /// The signed request time.
        request_time: DateTime<Utc>,
        /// The server's clock.
        server_time: DateTime<Utc>,
    },
    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires` (S3: AccessDenied).
    #[error("presigned url signed at '{}' expired after {expires_in} seconds", format_amz_date(*request_time))]
    PresignedExpired {
        /// `X-Amz-Date`.
        request_time: DateTime<Utc>,
        /// `X-Amz-Expires`.
        expires_in: u64,
        /// The server's clock.
        server_time: DateTime<Utc>,
    },
    /// `x-amz-content-sha256` is neither a known literal nor a hex SHA-256 (S3: InvalidArgument).
    #[error("invalid x-amz-content-sha256 value '{value}'")]
    InvalidContentSha256 {
        /// The header value.
        value: String,
    },
    /// The body does not hash to the declared `x-amz-content-sha256` (S3: XAmzContentSHA256Mismatch).
    #[error("x-amz-content-sha256 '{claimed}' does not match the body's sha256 '{computed}'")]
    ContentSha256Mismatch {
        /// The header value.
        claimed: String,
        /// The body's actual hash.
        computed: String,
    },
    /// An aws-chunked chunk (or trailer) signature does not verify (S3: SignatureDoesNotMatch).
    #[error("signature mismatch for aws-chunked chunk {chunk_index}")]
    ChunkSignatureMismatch {
        /// Zero-based chunk number; the trailer counts as the chunk after the final one.
        chunk_index: u64,
        /// The string to sign the server computed for that chunk.
        string_to_sign: String,
    },
    /// The body is not valid aws-chunked encoding (S3: IncompleteBody / InvalidRequest).
    #[error("malformed aws-chunked body: {detail}")]
    MalformedChunk {
        /// What was wrong, quoting the offending bytes where short.
        detail: String,
    },
}

impl AuthError {
    /// The text AWS's JSON and query services (cloudtrail, logs, sns, monitoring) send.
    pub fn message(&self) -> String {
        match self {
            AuthError::Missing(MissingPart::AuthenticationToken) => {
                "Request is missing Authentication Token".to_owned()
            }
            AuthError::Missing(MissingPart::ContentSha256Header) => {
                "Missing required header for this request: x-amz-content-sha256".to_owned()
            }
            AuthError::Incomplete(incomplete) => incomplete.detail.clone(),
            AuthError::MalformedScope(mismatch) => mismatch.detail.clone(),
            AuthError::UnsupportedAlgorithm(algorithm) => {
                format!("Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). ")
            }
            AuthError::AmbiguousAuth => "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.".to_owned(),
            AuthError::HostNotSigned { .. } => {
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned()
            }
            AuthError::SignatureMismatch { .. } | AuthError::ChunkSignatureMismatch { .. } => {
                SIGNATURE_MISMATCH_MESSAGE.to_owned()
            }
            AuthError::TimeSkewed { request_time, server_time } => {
                skew_message(*request_time, *server_time)
            }
            AuthError::PresignedExpired { .. } => "Request has expired".to_owned(),
            AuthError::InvalidContentSha256 { .. } => INVALID_CONTENT_SHA256_MESSAGE.to_owned(),
            AuthError::ContentSha256Mismatch { .. } => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned()
            }
            AuthError::MalformedChunk { detail } => {
                format!("The aws-chunked request body is malformed: {detail}")
            }
        }
    }

    /// The JSON/query message with the canonical request and string to sign appended, as
    /// the coral-based services (sns, monitoring) do for signature mismatches.
    pub fn message_with_canonical_request(&self) -> String {
        match self {
            AuthError::SignatureMismatch {
                canonical_request,
                string_to_sign,
            } => format!(
                "{SIGNATURE_MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
            other => other.message(),
        }
    }

    /// The text S3 sends.
    pub fn s3_message(&self) -> String {
        match self {
            AuthError::Missing(MissingPart::AuthenticationToken)
            | AuthError::UnsupportedAlgorithm(_) => S3_UNSUPPORTED_MECHANISM.to_owned(),
            AuthError::Incomplete(incomplete) => incomplete.s3_detail.clone(),
            AuthError::MalformedScope(mismatch) => mismatch.s3_detail.clone(),
            AuthError::AmbiguousAuth => "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".to_owned(),
            AuthError::SignatureMismatch { .. } | AuthError::ChunkSignatureMismatch { .. } => {
                S3_SIGNATURE_MISMATCH_MESSAGE.to_owned()
            }
            AuthError::TimeSkewed { .. } => {
                "The difference between the request time and the current time is too large."
                    .to_owned()
            }
            other => other.message(),
        }
    }
}

/// AWS's "Signature expired" / "Signature not yet current" sentence.
fn skew_message(request_time: DateTime<Utc>, server_time: DateTime<Utc>) -> String {
    let window = Duration::minutes(MAX_CLOCK_SKEW_MINUTES);
    let request = format_amz_date(request_time);
    let server = format_amz_date(server_time);
    if request_time < server_time {
        let bound = format_amz_date(server_time - window);
        format!(
            "Signature expired: {request} is now earlier than {bound} ({server} - {MAX_CLOCK_SKEW_MINUTES} min.)"
        )
    } else {
        let bound = format_amz_date(server_time + window);
        format!(
            "Signature not yet current: {request} is still later than {bound} ({server} + {MAX_CLOCK_SKEW_MINUTES} min.)"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_amz_date;

    fn at(text: &str) -> DateTime<Utc> {
        parse_amz_date(text).expect("test timestamp")
    }

    #[test]
    fn skew_messages_match_aws_wording() {
        let past = AuthError::TimeSkewed {
            request_time: at("20240101T000000Z"),
            server_time: at("20240101T001000Z"),
        };
        assert_eq!(
            past.message(),
            "Signature expired: 20240101T000000Z is now earlier than 20231231T235500Z (20240101T001000Z - 15 min.)"
        );
        let future = AuthError::TimeSkewed {
            request_time: at("20240101T003000Z"),
            server_time: at("20240101T000000Z"),
        };
        assert_eq!(
            future.message(),
            "Signature not yet current: 20240101T003000Z is still later than 20240101T001500Z (20240101T000000Z + 15 min.)"
        );
        assert_eq!(
            future.s3_message(),
            "The difference between the request time and the current time is too large."
        );
    }

    #[test]
    fn mismatch_message_can_carry_the_canonical_request() {
        let error = AuthError::SignatureMismatch {
            canonical_request: "GET\n/".to_owned(),
            string_to_sign: "AWS4-HMAC-SHA256\nX".to_owned(),
        };
        assert_eq!(error.message(), SIGNATURE_MISMATCH_MESSAGE);
        assert!(
            error
                .message_with_canonical_request()
                .ends_with("should have been\n'GET\n/'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\nX'\n")
        );
        assert_eq!(error.s3_message(), S3_SIGNATURE_MISMATCH_MESSAGE);
    }
}
