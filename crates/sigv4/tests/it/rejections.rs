//! One row per way a request is refused: a botocore vector, a change to it, the server time,
//! and the error (with AWS's text where the server sends it verbatim).

use chrono::{DateTime, Duration, Utc};
use opentrail_sigv4::{AuthError, MissingPart, SIGNATURE_MISMATCH_MESSAGE};

use crate::botocore_vectors::{SECRET_ACCESS_KEY, SIGNED_AT};
use crate::{Request, Vector, at, authenticate};

struct Case {
    name: &'static str,
    vector: &'static str,
    change: fn(&mut Request),
    now: DateTime<Utc>,
    expected: fn(&AuthError) -> bool,
    message: Option<&'static str>,
}

fn check(case: &Case) {
    let mut request = Vector::named(case.vector).request();
    (case.change)(&mut request);
    let result = authenticate(&request, "us-east-1", SECRET_ACCESS_KEY, case.now);
    let error = match result {
        Err(error) => error,
        Ok(_) => panic!("{}: accepted", case.name),
    };
    assert!((case.expected)(&error), "{}: got {error:?}", case.name);
    if let Some(message) = case.message {
        assert_eq!(error.message(), message, "{}", case.name);
    }
}

fn replace_header(request: &mut Request, name: &'static str, from: &str, to: &str) {
    let value = request.headers[name]
        .to_str()
        .expect("ascii")
        .replace(from, to);
    request.set_header(name, &value);
}

fn signed() -> DateTime<Utc> {
    at(SIGNED_AT)
}

const JSON: &str = "cloudtrail_lookup_events_json11";
const S3_GET: &str = "s3_get_object_odd_key";
const S3_PUT: &str = "s3_put_object_signed_payload";
const PRESIGNED: &str = "s3_presigned_get_odd_key";
const STREAMING: &str = "s3_put_object_streaming_trailer";

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "sigv2 header",
            vector: JSON,
            change: |request| request.set_header("authorization", "AWS AKIDEXAMPLE:c2lnbmF0dXJl"),
            now: signed(),
            expected: |error| *error == AuthError::Missing(MissingPart::AuthenticationToken),
            message: Some("Request is missing Authentication Token"),
        },
        Case {
            name: "s3 without x-amz-content-sha256",
            vector: S3_GET,
            change: |request| {
                request.headers.remove("x-amz-content-sha256");
            },
            now: signed(),
            expected: |error| *error == AuthError::Missing(MissingPart::ContentSha256Header),
            message: Some("Missing required header for this request: x-amz-content-sha256"),
        },
        Case {
            name: "no signature parameter",
            vector: JSON,
            change: |request| {
                let value = request.headers["authorization"].to_str().expect("ascii");
                let cut = value.find(", Signature=").expect("signature");
                let shortened = value[..cut].to_owned();
                request.set_header("authorization", &shortened);
            },
            now: signed(),
            expected: |error| matches!(error, AuthError::Incomplete(_)),
            message: None,
        },
        Case {
            name: "scope date is not the request date",
            vector: JSON,
            change: |request| request.set_header("x-amz-date", "20240316T000100Z"),
            now: at("20240316T000000Z"),
            expected: |error| matches!(error, AuthError::MalformedScope(_)),
            message: Some(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240315' != '20240316', from '20240316T000100Z'.",
            ),
        },
        Case {
            name: "sigv4a",
            vector: JSON,
            change: |request| {
                replace_header(
                    request,
                    "authorization",
                    "AWS4-HMAC-SHA256",
                    "AWS4-ECDSA-P256-SHA256",
                )
            },
            now: signed(),
            expected: |error| matches!(error, AuthError::UnsupportedAlgorithm(_)),
            message: Some(
                "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
            ),
        },
        Case {
            name: "header and query auth",
            vector: JSON,
            change: |request| {
                request.uri = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256".parse().expect("uri")
            },
            now: signed(),
            expected: |error| *error == AuthError::AmbiguousAuth,
            message: None,
        },
        Case {
            name: "host not signed",
            vector: JSON,
            change: |request| {
                replace_header(
                    request,
                    "authorization",
                    "content-type;host;",
                    "content-type;",
                )
            },
            now: signed(),
            expected: |error| matches!(error, AuthError::HostNotSigned { .. }),
            message: Some(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ),
        },
        Case {
            name: "body changed",
            vector: JSON,
            change: |request| request.body = b"{\"MaxResults\": 6}".to_vec(),
            now: signed(),
            expected: |error| {
                matches!(error, AuthError::SignatureMismatch { canonical_request, string_to_sign }
                    if canonical_request.starts_with("POST\n/\n\ncontent-type:application/x-amz-json-1.1\n")
                        && string_to_sign.starts_with("AWS4-HMAC-SHA256\n20240315T123456Z\n20240315/us-east-1/cloudtrail/aws4_request\n"))
            },
            message: Some(SIGNATURE_MISMATCH_MESSAGE),
        },
        Case {
            name: "signed header changed",
            vector: JSON,
            change: |request| request.set_header("x-amz-target", "CloudTrail_20131101.DeleteTrail"),
            now: signed(),
            expected: |error| matches!(error, AuthError::SignatureMismatch { .. }),
            message: None,
        },
        Case {
            name: "s3 key changed",
            vector: S3_GET,
            change: |request| request.uri = "/trail-bucket/a%20b/c%2Bd~e%26".parse().expect("uri"),
            now: signed(),
            expected: |error| matches!(error, AuthError::SignatureMismatch { .. }),
            message: None,
        },
        Case {
            name: "presigned query changed",
            vector: PRESIGNED,
            change: |request| {
                let target = request
                    .uri
                    .to_string()
                    .replace("X-Amz-Expires=3600", "X-Amz-Expires=7200");
                request.uri = target.parse().expect("uri");
            },
            now: signed(),
            expected: |error| matches!(error, AuthError::SignatureMismatch { .. }),
            message: None,
        },
        Case {
            name: "16 minutes late",
            vector: JSON,
            change: |_| {},
            now: at(SIGNED_AT) + Duration::minutes(16),
            expected: |error| matches!(error, AuthError::TimeSkewed { .. }),
            message: Some(
                "Signature expired: 20240315T123456Z is now earlier than 20240315T123556Z (20240315T125056Z - 15 min.)",
            ),
        },
        Case {
            name: "16 minutes early",
            vector: S3_GET,
            change: |_| {},
            now: at(SIGNED_AT) - Duration::minutes(16),
            expected: |error| matches!(error, AuthError::TimeSkewed { .. }),
            message: Some(
                "Signature not yet current: 20240315T123456Z is still later than 20240315T123356Z (20240315T121856Z + 15 min.)",
            ),
        },
        Case {
            name: "presigned url past its expiry",
            vector: PRESIGNED,
            change: |_| {},
            now: at(SIGNED_AT) + Duration::seconds(3601),
            expected: |error| {
                matches!(
                    error,
                    AuthError::PresignedExpired {
                        expires_in: 3600,
                        ..
                    }
                )
            },
            message: Some("Request has expired"),
        },
        Case {
            name: "presigned url from the future",
            vector: PRESIGNED,
            change: |_| {},
            now: at(SIGNED_AT) - Duration::minutes(16),
            expected: |error| matches!(error, AuthError::TimeSkewed { .. }),
            message: None,
        },
        Case {
            name: "content sha256 not a hash",
            vector: S3_PUT,
            change: |request| request.set_header("x-amz-content-sha256", "STREAMING-PAYLOAD"),
            now: signed(),
            expected: |error| matches!(error, AuthError::InvalidContentSha256 { value } if value == "STREAMING-PAYLOAD"),
            message: None,
        },
        Case {
            name: "body does not match content sha256",
            vector: S3_PUT,
            change: |request| request.body = b"hello world?".to_vec(),
            now: signed(),
            expected: |error| matches!(error, AuthError::ContentSha256Mismatch { .. }),
            message: Some(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ),
        },
        Case {
            name: "streaming body cut short",
            vector: STREAMING,
            change: |request| request.body.truncate(50_000),
            now: signed(),
            expected: |error| matches!(error, AuthError::MalformedChunk { .. }),
            message: None,
        },
        Case {
            name: "streaming body with a bad chunk size",
            vector: STREAMING,
            change: |request| request.body[0] = b'g',
            now: signed(),
            expected: |error| matches!(error, AuthError::MalformedChunk { detail } if detail == "invalid chunk size 'g1170'"),
            message: None,
        },
        Case {
            name: "streaming body shorter than its decoded length",
            vector: STREAMING,
            change: |request| request.set_header("x-amz-decoded-content-length", "70001"),
            now: signed(),
            // The header is signed, so the signature fails before the body is read.
            expected: |error| matches!(error, AuthError::SignatureMismatch { .. }),
            message: None,
        },
    ]
}

#[test]
fn every_refusal_is_reported_with_its_own_error() {
    for case in cases() {
        check(&case);
    }
}

#[test]
fn the_skew_window_is_fifteen_minutes_inclusive() {
    let request = Vector::named(JSON).request();
    let window = Duration::minutes(15);
    for now in [signed() - window, signed() + window] {
        authenticate(&request, "us-east-1", SECRET_ACCESS_KEY, now).expect("inside the window");
    }
    for now in [
        signed() - window - Duration::seconds(1),
        signed() + window + Duration::seconds(1),
    ] {
        let result = authenticate(&request, "us-east-1", SECRET_ACCESS_KEY, now);
        assert!(
            matches!(result, Err(AuthError::TimeSkewed { .. })),
            "{now}: {result:?}"
        );
    }
}

#[test]
fn wrong_secret_or_region_is_refused() {
    let request = Vector::named(JSON).request();
    let wrong_secret = authenticate(&request, "us-east-1", "not-the-secret", signed());
    assert!(
        matches!(wrong_secret, Err(AuthError::SignatureMismatch { .. })),
        "{wrong_secret:?}"
    );
    let wrong_region = authenticate(&request, "eu-west-1", SECRET_ACCESS_KEY, signed());
    match wrong_region {
        Err(error @ AuthError::MalformedScope(_)) => {
            assert_eq!(
                error.message(),
                "Credential should be scoped to a valid region, not 'us-east-1'. "
            );
        }
        other => panic!("{other:?}"),
    }
}
