//! Authentication of JSON- and query-protocol requests (S3 authenticates inside the S3 front).
//!
//! The outcome is the caller's principal, or the failure AWS returns for that protocol together with
//! the principal when the access key was known (so that the failure is recorded in its account).

use opentrail_sigv4::{AuthError, ParsedAuth};

use crate::api_error::ApiFailure;
use crate::identity::{Principal, PrincipalDirectory};

/// Why a request was not authenticated.
#[derive(Debug)]
pub struct AuthFailure {
    /// The error for the caller.
    pub failure: ApiFailure,
    /// The principal owning the access key, when the key was known.
    pub principal: Option<Box<Principal>>,
}

/// Verifies a JSON- or query-protocol request whose SigV4 header was parsed into `parsed`.
pub fn authenticate(
    directory: &PrincipalDirectory,
    parsed: Result<Option<ParsedAuth>, AuthError>,
    parts: &http::request::Parts,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Principal, ParsedAuth), AuthFailure> {
    let parsed = match parsed {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return Err(unknown_caller(MISSING_TOKEN, MISSING_TOKEN_MESSAGE)),
        Err(error) => return Err(unknown_caller(json_code(&error), &error.message())),
    };
    let Some(principal) = directory.lookup(&parsed.access_key_id) else {
        return Err(unknown_caller(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    };
    let payload_hash = match opentrail_sigv4::payload_hash(&parsed, &parts.headers, body) {
        Ok(hash) => hash,
        Err(error) => return Err(unknown_caller(json_code(&error), &error.message())),
    };
    match opentrail_sigv4::verify(
        &parsed,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &payload_hash,
        &principal.secret_access_key,
        now,
    ) {
        Ok(_) => Ok((principal.clone(), parsed)),
        Err(error) => Err(AuthFailure {
            failure: ApiFailure::new(json_code(&error), error.message()),
            principal: Some(Box::new(principal.clone())),
        }),
    }
}

const MISSING_TOKEN: &str = "MissingAuthenticationTokenException";
const MISSING_TOKEN_MESSAGE: &str = "Request is missing Authentication Token";

fn unknown_caller(code: &str, message: &str) -> AuthFailure {
    AuthFailure {
        failure: ApiFailure::new(code, message),
        principal: None,
    }
}

/// The awsJson error code for a signature that did not verify.
fn json_code(error: &AuthError) -> &'static str {
    match error {
        AuthError::Missing(_) => MISSING_TOKEN,
        AuthError::Incomplete(_)
        | AuthError::MalformedScope(_)
        | AuthError::UnsupportedAlgorithm(_)
        | AuthError::AmbiguousAuth
        | AuthError::HostNotSigned { .. } => "IncompleteSignatureException",
        AuthError::SignatureMismatch { .. }
        | AuthError::TimeSkewed { .. }
        | AuthError::PresignedExpired { .. }
        | AuthError::InvalidContentSha256 { .. }
        | AuthError::ContentSha256Mismatch { .. }
        | AuthError::ChunkSignatureMismatch { .. }
        | AuthError::MalformedChunk { .. } => "InvalidSignatureException",
    }
}

/// Parses and verifies a request's SigV4 signature in one step. Returns the request's region (the
/// credential scope's, else `default_region`) with the outcome.
pub fn authenticate_request(
    directory: &PrincipalDirectory,
    default_region: &str,
    parts: &http::request::Parts,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> (String, Result<Principal, AuthFailure>) {
    let parsed = opentrail_sigv4::parse_auth(&parts.method, &parts.uri, &parts.headers);
    let region = match &parsed {
        Ok(Some(auth)) => auth.scope.region.clone(),
        _ => default_region.to_owned(),
    };
    let outcome = authenticate(directory, parsed, parts, body, now).map(|(principal, _)| principal);
    (region, outcome)
}
