//! Signing outgoing requests, for OpenTrail's own client subcommands (`opentrail ingest`) and for
//! tests. It builds the canonical request with the same code the verifier uses, so a request signed
//! here verifies there by construction; interoperability with AWS is pinned by the botocore vectors.
//!
//! Only header signing is supported (no presigned URLs, no chunked uploads).

use chrono::{DateTime, Utc};
use http::HeaderValue;

use crate::canonical::{CanonicalParts, canonical_request, canonical_uri_candidates};
use crate::signing::{ALGORITHM, SigningKey, request_string_to_sign};
use crate::{AuthError, CredentialScope, format_amz_date};

/// Who signs, for which scope, at what time.
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The region of the scope.
    pub region: &'a str,
    /// The service of the scope.
    pub service: &'a str,
    /// The signing time.
    pub time: DateTime<Utc>,
}

/// Adds `x-amz-date`, `x-amz-content-sha256` and `Authorization` to a request whose `Host` header is
/// set. Signs `host`, `content-type`, `content-md5` and every `x-amz-*` header present (S3 refuses
/// requests whose `x-amz-*` headers are not all signed).
pub fn sign_request(
    parts: &mut http::request::Parts,
    payload_hash: &str,
    params: &SigningParams<'_>,
) -> Result<(), AuthError> {
    let timestamp = format_amz_date(params.time);
    let header = |text: &str| {
        HeaderValue::from_str(text).map_err(|_| AuthError::UnsupportedAlgorithm(text.to_owned()))
    };
    parts.headers.insert("x-amz-date", header(&timestamp)?);
    parts
        .headers
        .insert("x-amz-content-sha256", header(payload_hash)?);
    let mut signed_headers: Vec<String> = parts
        .headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| {
            matches!(*name, "content-type" | "content-md5" | "host") || name.starts_with("x-amz-")
        })
        .map(str::to_owned)
        .collect();
    signed_headers.sort();
    signed_headers.dedup();
    let is_s3 = params.service == "s3";
    let canonical_uri = canonical_uri_candidates(parts.uri.path(), is_s3)
        .into_iter()
        .next()
        .unwrap_or_else(|| "/".to_owned());
    let canonical = canonical_request(
        &CanonicalParts {
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
            signed_headers: &signed_headers,
            payload_hash,
            exclude_signature_param: false,
        },
        &canonical_uri,
    );
    let scope = CredentialScope {
        date: timestamp[..8].to_owned(),
        region: params.region.to_owned(),
        service: params.service.to_owned(),
    };
    let string_to_sign = request_string_to_sign(&timestamp, &scope, &canonical);
    let signature = SigningKey::derive(params.secret_access_key, &scope).sign_hex(&string_to_sign);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        params.access_key_id,
        signed_headers.join(";")
    );
    parts
        .headers
        .insert(http::header::AUTHORIZATION, header(&authorization)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_auth, sha256_hex, verify};

    fn signed(body: &[u8], secret: &str) -> http::request::Parts {
        let request = http::Request::post("http://127.0.0.1:4580/ingest?x=a%20b")
            .header("host", "127.0.0.1:4580")
            .header("content-type", "application/octet-stream")
            .body(())
            .unwrap();
        let (mut parts, ()) = request.into_parts();
        let params = SigningParams {
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: secret,
            region: "us-east-1",
            service: "opentrail",
            time: "2026-01-02T03:04:05Z".parse().unwrap(),
        };
        sign_request(&mut parts, &sha256_hex(body), &params).unwrap();
        parts
    }

    #[test]
    fn a_signed_request_verifies_and_a_wrong_secret_does_not() {
        let body = b"{\"Records\":[]}";
        let parts = signed(body, "secret");
        let parsed = parse_auth(&parts.method, &parts.uri, &parts.headers)
            .unwrap()
            .unwrap();
        assert_eq!(parsed.scope.service, "opentrail");
        let now = "2026-01-02T03:05:00Z".parse().unwrap();
        verify(
            &parsed,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &sha256_hex(body),
            "secret",
            now,
        )
        .unwrap();
        let other = verify(
            &parsed,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &sha256_hex(body),
            "nope",
            now,
        );
        assert!(matches!(other, Err(AuthError::SignatureMismatch { .. })));
        let tampered = verify(
            &parsed,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &sha256_hex(b"x"),
            "secret",
            now,
        );
        assert!(tampered.is_err());
    }
}
