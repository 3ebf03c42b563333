//! Every request botocore signed (JSON 1.1, rest-json, query, S3 header, S3 presigned, S3
//! aws-chunked with trailer) must verify, and our canonical request must equal botocore's.

use chrono::Duration;
use opentrail_sigv4::{
    AuthLocation, AwsChunkedDecoder, DeclaredPayload, canonical_request_text, parse_auth,
    payload_hash,
};

use crate::botocore_vectors::{ACCESS_KEY_ID, SECRET_ACCESS_KEY, SIGNED_AT, VECTORS};
use crate::{Vector, at, authenticate};

fn check(vector: &Vector) {
    let request = vector.request();
    let now = at(SIGNED_AT) + Duration::minutes(1);
    let parsed = parse_auth(&request.method, &request.uri, &request.headers)
        .unwrap_or_else(|error| panic!("{}: {error}", vector.name))
        .expect("signed");
    assert_eq!(parsed.scope.service, vector.service, "{}", vector.name);
    assert_eq!(parsed.access_key_id, ACCESS_KEY_ID, "{}", vector.name);
    if let Some(expected) = vector.botocore_canonical_request {
        let line = payload_hash(&parsed, &request.headers, &request.body).expect("payload line");
        let ours = canonical_request_text(
            &parsed,
            &request.method,
            &request.uri,
            &request.headers,
            &line,
        );
        assert_eq!(
            ours, expected,
            "{}: canonical request differs from botocore's",
            vector.name
        );
    }
    let (verified, _) = authenticate(&request, "us-east-1", SECRET_ACCESS_KEY, now)
        .unwrap_or_else(|error| panic!("{}: {error:?}", vector.name));
    assert_eq!(verified.request_time, at(SIGNED_AT), "{}", vector.name);
}

#[test]
fn every_botocore_vector_verifies() {
    assert!(VECTORS.len() >= 14);
    for vector in VECTORS {
        check(vector);
    }
}

#[test]
fn presigned_s3_get_is_query_authenticated() {
    let request = Vector::named("s3_presigned_get_odd_key").request();
    let parsed = parse_auth(&request.method, &request.uri, &request.headers)
        .expect("parses")
        .expect("signed");
    assert_eq!(parsed.location, AuthLocation::QueryString);
    assert_eq!(parsed.expires_in, Some(3600));
    assert_eq!(
        DeclaredPayload::from_request(&parsed, &request.headers),
        Ok(DeclaredPayload::Unsigned)
    );
    // Still valid 59 minutes later, long past the header-auth skew window.
    let late = at(SIGNED_AT) + Duration::minutes(59);
    assert!(authenticate(&request, "us-east-1", SECRET_ACCESS_KEY, late).is_ok());
}

#[test]
fn streaming_trailer_upload_decodes_with_its_checksum() {
    let request = Vector::named("s3_put_object_streaming_trailer").request();
    let (verified, data) =
        authenticate(&request, "us-east-1", SECRET_ACCESS_KEY, at(SIGNED_AT)).expect("verifies");
    assert_eq!(data, vec![b'x'; 70_000]);
    let parsed = parse_auth(&request.method, &request.uri, &request.headers)
        .expect("parses")
        .expect("signed");
    let declared = DeclaredPayload::from_request(&parsed, &request.headers).expect("declared");
    assert_eq!(declared, DeclaredPayload::StreamingUnsignedTrailer);
    // Any slicing of the body decodes the same.
    for slice in [1, 7, 4096, 70_007] {
        let mut decoder = AwsChunkedDecoder::for_payload(&declared, &verified).expect("streaming");
        let mut out = Vec::new();
        for piece in request.body.chunks(slice) {
            decoder.feed(piece, &mut out).expect("feeds");
        }
        let trailers = decoder.finish().expect("complete");
        assert_eq!(out.len(), 70_000, "slice {slice}");
        assert_eq!(trailers.len(), 1);
        assert_eq!(
            (trailers[0].name.as_str(), trailers[0].value.as_str()),
            ("x-amz-checksum-crc32", "xWFIKA==")
        );
    }
}

#[test]
fn unsigned_payload_put_does_not_hash_the_body() {
    let mut request = Vector::named("s3_put_object_unsigned_payload").request();
    request.body = b"anything at all".to_vec();
    let (_, data) =
        authenticate(&request, "us-east-1", SECRET_ACCESS_KEY, at(SIGNED_AT)).expect("verifies");
    assert_eq!(data, b"anything at all");
}
