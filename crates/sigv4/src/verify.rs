//! Verification: clock, scope date, signed headers, then the signature itself.
//!
//! The caller has already parsed the request (`parse_auth`), picked the secret by access key
//! id, and worked out the payload line (`payload_hash` or `DeclaredPayload`). The checks run
//! in AWS's order: time window, `host` signed, scope date, signature. On success the result
//! carries what an aws-chunked body needs to verify its chunks.

use chrono::{DateTime, Duration, Utc};
use http::{HeaderMap, Method, Uri};

use crate::canonical::{CanonicalParts, canonical_request, canonical_uri_candidates};
use crate::signing::{SigningKey, request_string_to_sign, signatures_equal};
use crate::time::{format_amz_date, scope_date};
use crate::{AuthError, AuthLocation, CredentialScope, ParsedAuth, ScopeMismatch};

/// How far (in minutes) a header-signed request's time may be from the server's clock.
pub const MAX_CLOCK_SKEW_MINUTES: i64 = 15;

/// A request whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// Whose key signed it.
    pub access_key_id: String,
    /// The scope it was signed for.
    pub scope: CredentialScope,
    /// The signed request time.
    pub request_time: DateTime<Utc>,
    /// Header or presigned URL.
    pub location: AuthLocation,
    /// The derived key, for aws-chunked chunk signatures.
    pub signing_key: SigningKey,
    /// The request signature, which seeds the aws-chunked signature chain.
    pub seed_signature: String,
}

impl VerifiedRequest {
    /// The request time as it appears in strings to sign.
    pub fn timestamp(&self) -> String {
        format_amz_date(self.request_time)
    }
}

/// Verifies a parsed request against `secret_access_key` at server time `now`.
/// `payload_hash` is the canonical request's payload line (see `payload_hash`).
pub fn verify(
    parsed: &ParsedAuth,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    payload_hash: &str,
    secret_access_key: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedRequest, AuthError> {
    check_request_time(parsed, now)?;
    check_host_signed(parsed)?;
    check_scope_date(parsed)?;
    let parts = CanonicalParts {
        method,
        uri,
        headers,
        signed_headers: &parsed.signed_headers,
        payload_hash,
        exclude_signature_param: parsed.location == AuthLocation::QueryString,
    };
    let signing_key = SigningKey::derive(secret_access_key, &parsed.scope);
    check_signature(parsed, &parts, &signing_key)?;
    Ok(VerifiedRequest {
        access_key_id: parsed.access_key_id.clone(),
        scope: parsed.scope.clone(),
        request_time: parsed.request_time,
        location: parsed.location,
        signing_key,
        seed_signature: parsed.signature.to_ascii_lowercase(),
    })
}

/// The canonical request the server computes for a parsed request (the spec-form candidate),
/// for debugging clients: it is what `SignatureMismatch` reports.
pub fn canonical_request_text(
    parsed: &ParsedAuth,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    payload_hash: &str,
) -> String {
    let parts = CanonicalParts {
        method,
        uri,
        headers,
        signed_headers: &parsed.signed_headers,
        payload_hash,
        exclude_signature_param: parsed.location == AuthLocation::QueryString,
    };
    let candidates = canonical_uri_candidates(uri.path(), parsed.scope.is_s3());
    String::from_utf8_lossy(&canonical_request(&parts, &candidates[0])).into_owned()
}

/// Header auth: within 15 minutes either way. Presigned: not in the future by more than
/// 15 minutes, and not past `X-Amz-Date + X-Amz-Expires` (no expiry given: 15 minutes).
fn check_request_time(parsed: &ParsedAuth, now: DateTime<Utc>) -> Result<(), AuthError> {
    let window = Duration::minutes(MAX_CLOCK_SKEW_MINUTES);
    let skewed = || AuthError::TimeSkewed {
        request_time: parsed.request_time,
        server_time: now,
    };
    if now
        .checked_add_signed(window)
        .is_some_and(|latest| parsed.request_time > latest)
    {
        return Err(skewed());
    }
    match (parsed.location, parsed.expires_in) {
        (AuthLocation::QueryString, Some(expires_in)) => {
            let expiry = i64::try_from(expires_in)
                .ok()
                .and_then(Duration::try_seconds)
                .and_then(|lifetime| parsed.request_time.checked_add_signed(lifetime));
            if expiry.is_some_and(|expiry| now > expiry) {
                return Err(AuthError::PresignedExpired {
                    request_time: parsed.request_time,
                    expires_in,
                    server_time: now,
                });
            }
            Ok(())
        }
        _ if now
            .checked_sub_signed(window)
            .is_some_and(|earliest| parsed.request_time < earliest) =>
        {
            Err(skewed())
        }
        _ => Ok(()),
    }
}

fn check_host_signed(parsed: &ParsedAuth) -> Result<(), AuthError> {
    if parsed.signed_headers.iter().any(|name| name == "host") {
        Ok(())
    } else {
        Err(AuthError::HostNotSigned {
            signed_headers: parsed.signed_headers.join(";"),
        })
    }
}

fn check_scope_date(parsed: &ParsedAuth) -> Result<(), AuthError> {
    let request_date = scope_date(parsed.request_time);
    if parsed.scope.date == request_date {
        return Ok(());
    }
    let (sent, timestamp) = (&parsed.scope.date, parsed.timestamp());
    Err(AuthError::MalformedScope(ScopeMismatch {
        detail: format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{sent}' != '{request_date}', from '{timestamp}'."
        ),
        s3_detail: format!(
            "The authorization header is malformed; Invalid credential date \"{sent}\". This date is not the same as X-Amz-Date: \"{request_date}\"."
        ),
    }))
}

/// Tries each candidate canonical URI; reports the first (spec-form) one on mismatch.
fn check_signature(
    parsed: &ParsedAuth,
    parts: &CanonicalParts<'_>,
    key: &SigningKey,
) -> Result<(), AuthError> {
    let timestamp = parsed.timestamp();
    let mut first_failure = None;
    for candidate in canonical_uri_candidates(parts.uri.path(), parsed.scope.is_s3()) {
        let canonical = canonical_request(parts, &candidate);
        let string_to_sign = request_string_to_sign(&timestamp, &parsed.scope, &canonical);
        if signatures_equal(
            &key.sign_hex(&string_to_sign),
            &parsed.signature.to_ascii_lowercase(),
        ) {
            return Ok(());
        }
        first_failure.get_or_insert(AuthError::SignatureMismatch {
            canonical_request: String::from_utf8_lossy(&canonical).into_owned(),
            string_to_sign,
        });
    }
    Err(first_failure.expect("there is always at least one candidate"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_amz_date;

    fn parsed(service: &str) -> ParsedAuth {
        ParsedAuth {
            access_key_id: "AKID".to_owned(),
            scope: CredentialScope {
                date: "20240315".to_owned(),
                region: "us-east-1".to_owned(),
                service: service.to_owned(),
            },
            signed_headers: vec!["host".to_owned()],
            signature: String::new(),
            request_time: parse_amz_date("20240315T123456Z").expect("time"),
            location: AuthLocation::Header,
            expires_in: None,
        }
    }

    /// Signs `target` as a client would whose canonical URI is `signed_uri`, then verifies
    /// the request as received with path `target`.
    fn check(service: &str, target: &str, signed_uri: &str, accepted: bool) {
        let mut parsed = parsed(service);
        let (method, uri) = (Method::GET, target.parse::<Uri>().expect("uri"));
        let mut headers = HeaderMap::new();
        headers.insert("host", "localhost".parse().expect("host"));
        let parts = CanonicalParts {
            method: &method,
            uri: &uri,
            headers: &headers,
            signed_headers: &parsed.signed_headers,
            payload_hash: crate::EMPTY_SHA256,
            exclude_signature_param: false,
        };
        let key = SigningKey::derive("secret", &parsed.scope);
        let canonical = canonical_request(&parts, signed_uri);
        parsed.signature = key.sign_hex(&request_string_to_sign(
            &parsed.timestamp(),
            &parsed.scope,
            &canonical,
        ));
        let result = verify(
            &parsed,
            &method,
            &uri,
            &headers,
            crate::EMPTY_SHA256,
            "secret",
            parsed.request_time,
        );
        assert_eq!(
            result.is_ok(),
            accepted,
            "{service} {target} signed as {signed_uri}: {result:?}"
        );
    }

    #[test]
    fn s3_accepts_the_spec_form_and_the_path_as_sent() {
        check("s3", "/bucket/%7Etilde", "/bucket/~tilde", true);
        check("s3", "/bucket/%7Etilde", "/bucket/%7Etilde", true);
        check("s3", "/bucket/a:b", "/bucket/a%3Ab", true);
        check("s3", "/bucket/a:b", "/bucket/a:b", true);
        check("s3", "/bucket/a%20b", "/bucket/a%2520b", false);
        check("logs", "/a%20b", "/a%2520b", true);
        check("logs", "/a%20b", "/a%20b", false);
        check("logs", "/x/../a", "/a", true);
    }
}
