//! The payload line of the canonical request, and what it promises about the body.
//!
//! botocore puts the `x-amz-content-sha256` header value in the canonical request whenever
//! the request carries that header (S3 always does), and otherwise the hex SHA-256 of the
//! body; S3 presigned URLs use `UNSIGNED-PAYLOAD`. A hex value in the header is a claim the
//! body must still be checked against; the `STREAMING-*` values announce an aws-chunked body
//! that `AwsChunkedDecoder` verifies. This module reads headers and hashes bytes, nothing else.

use http::HeaderMap;

use crate::signing::sha256_hex;
use crate::{AuthError, AuthLocation, MissingPart, ParsedAuth};

/// The payload literal for bodies that are not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// aws-chunked body, every chunk signed.
pub const STREAMING_SIGNED_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// aws-chunked body, every chunk and the trailer signed.
pub const STREAMING_SIGNED_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// aws-chunked body, chunks unsigned, checksum in a trailer (botocore's S3 PutObject over TLS).
pub const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// What a request says about its body's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredPayload {
    /// `UNSIGNED-PAYLOAD` (sent, or implied by an S3 presigned URL): the body is not covered.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: decode with `AwsChunkedDecoder::signed`.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: decode with `AwsChunkedDecoder::signed_with_trailer`.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: decode with `AwsChunkedDecoder::unsigned_with_trailer`.
    StreamingUnsignedTrailer,
    /// A hex SHA-256 from `x-amz-content-sha256`; the body must hash to it.
    Sha256(String),
    /// Nothing declared: the canonical request carries the body's own hash.
    BodyHash,
}

impl DeclaredPayload {
    /// Reads the declaration from the request (see the module documentation for the rules).
    pub fn from_request(
        parsed: &ParsedAuth,
        headers: &HeaderMap,
    ) -> Result<DeclaredPayload, AuthError> {
        let header = headers.get("x-amz-content-sha256");
        let header_counts = match parsed.location {
            AuthLocation::Header => true,
            AuthLocation::QueryString => parsed
                .signed_headers
                .iter()
                .any(|name| name == "x-amz-content-sha256"),
        };
        match header {
            Some(value) if header_counts => classify(&String::from_utf8_lossy(value.as_bytes())),
            _ if !parsed.scope.is_s3() => Ok(DeclaredPayload::BodyHash),
            _ => match parsed.location {
                AuthLocation::QueryString => Ok(DeclaredPayload::Unsigned),
                AuthLocation::Header => Err(AuthError::Missing(MissingPart::ContentSha256Header)),
            },
        }
    }

    /// Whether the body is aws-chunked and must go through `AwsChunkedDecoder`.
    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            DeclaredPayload::StreamingSigned
                | DeclaredPayload::StreamingSignedTrailer
                | DeclaredPayload::StreamingUnsignedTrailer
        )
    }

    /// The payload line for the canonical request when the body is not at hand (`None`
    /// only for `BodyHash`, whose line is the body's hash).
    pub fn canonical_value(&self) -> Option<&str> {
        Some(match self {
            DeclaredPayload::Unsigned => UNSIGNED_PAYLOAD,
            DeclaredPayload::StreamingSigned => STREAMING_SIGNED_PAYLOAD,
            DeclaredPayload::StreamingSignedTrailer => STREAMING_SIGNED_PAYLOAD_TRAILER,
            DeclaredPayload::StreamingUnsignedTrailer => STREAMING_UNSIGNED_PAYLOAD_TRAILER,
            DeclaredPayload::Sha256(hash) => hash,
            DeclaredPayload::BodyHash => return None,
        })
    }
}

fn classify(value: &str) -> Result<DeclaredPayload, AuthError> {
    Ok(match value {
        UNSIGNED_PAYLOAD => DeclaredPayload::Unsigned,
        STREAMING_SIGNED_PAYLOAD => DeclaredPayload::StreamingSigned,
        STREAMING_SIGNED_PAYLOAD_TRAILER => DeclaredPayload::StreamingSignedTrailer,
        STREAMING_UNSIGNED_PAYLOAD_TRAILER => DeclaredPayload::StreamingUnsignedTrailer,
        hash if hash.len() == 64 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()) => {
            DeclaredPayload::Sha256(hash.to_owned())
        }
        other => {
            return Err(AuthError::InvalidContentSha256 {
                value: other.to_owned(),
            });
        }
    })
}

/// The payload line for a request whose whole body is at hand, checking a declared hash
/// against the body. For `STREAMING-*` bodies this returns the literal without looking at
/// the body: the caller must still run it through `AwsChunkedDecoder`.
pub fn payload_hash(
    parsed: &ParsedAuth,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, AuthError> {
    let declared = DeclaredPayload::from_request(parsed, headers)?;
    match &declared {
        DeclaredPayload::BodyHash => Ok(sha256_hex(body)),
        DeclaredPayload::Sha256(claimed) => {
            let computed = sha256_hex(body);
            if computed.eq_ignore_ascii_case(claimed) {
                Ok(claimed.clone())
            } else {
                Err(AuthError::ContentSha256Mismatch {
                    claimed: claimed.clone(),
                    computed,
                })
            }
        }
        other => Ok(other.canonical_value().unwrap_or_default().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CredentialScope;
    use crate::signing::EMPTY_SHA256;

    fn parsed(service: &str, location: AuthLocation, signed: &[&str]) -> ParsedAuth {
        ParsedAuth {
            access_key_id: "AKID".to_owned(),
            scope: CredentialScope {
                date: "20240315".to_owned(),
                region: "us-east-1".to_owned(),
                service: service.to_owned(),
            },
            signed_headers: signed.iter().map(|name| (*name).to_owned()).collect(),
            signature: String::new(),
            request_time: chrono::DateTime::UNIX_EPOCH,
            location,
            expires_in: None,
        }
    }

    fn check(
        service: &str,
        location: AuthLocation,
        header: Option<&str>,
        body: &[u8],
        expected: Result<&str, AuthError>,
    ) {
        let mut headers = HeaderMap::new();
        if let Some(value) = header {
            headers.insert("x-amz-content-sha256", value.parse().expect("value"));
        }
        let signed = ["host", "x-amz-content-sha256"];
        let got = payload_hash(&parsed(service, location, &signed), &headers, body);
        assert_eq!(
            got.as_deref().map_err(Clone::clone),
            expected,
            "{service} {location:?} {header:?}"
        );
    }

    #[test]
    fn picks_the_payload_line_like_botocore() {
        use AuthLocation::{Header, QueryString};
        let hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        check("logs", Header, None, b"", Ok(EMPTY_SHA256));
        check("logs", Header, None, b"hello", Ok(hello));
        check(
            "logs",
            Header,
            Some(UNSIGNED_PAYLOAD),
            b"hello",
            Ok(UNSIGNED_PAYLOAD),
        );
        check("s3", Header, Some(hello), b"hello", Ok(hello));
        check(
            "s3",
            Header,
            Some(STREAMING_SIGNED_PAYLOAD),
            b"ignored",
            Ok(STREAMING_SIGNED_PAYLOAD),
        );
        check(
            "s3",
            Header,
            Some(STREAMING_UNSIGNED_PAYLOAD_TRAILER),
            b"",
            Ok(STREAMING_UNSIGNED_PAYLOAD_TRAILER),
        );
        check("s3", QueryString, None, b"hello", Ok(UNSIGNED_PAYLOAD));
        check("sns", QueryString, None, b"", Ok(EMPTY_SHA256));
        check(
            "s3",
            Header,
            None,
            b"",
            Err(AuthError::Missing(MissingPart::ContentSha256Header)),
        );
        check(
            "s3",
            Header,
            Some("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"),
            b"",
            Err(AuthError::InvalidContentSha256 {
                value: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD".to_owned(),
            }),
        );
        check(
            "s3",
            Header,
            Some(EMPTY_SHA256),
            b"hello",
            Err(AuthError::ContentSha256Mismatch {
                claimed: EMPTY_SHA256.to_owned(),
                computed: hello.to_owned(),
            }),
        );
    }

    #[test]
    fn unsigned_presigned_content_header_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-content-sha256", EMPTY_SHA256.parse().expect("value"));
        let declared = DeclaredPayload::from_request(
            &parsed("s3", AuthLocation::QueryString, &["host"]),
            &headers,
        );
        assert_eq!(declared, Ok(DeclaredPayload::Unsigned));
    }
}
