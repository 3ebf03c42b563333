//! The worked examples of the S3 SigV4 documentation (secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY,
//! 20130524T000000Z): header-signed GET, presigned GET, and the aws-chunked PUT of 64 KiB + 1 KiB of 'a'.

use http::HeaderMap;
use opentrail_sigv4::{AuthError, AwsChunkedDecoder, VerifiedRequest};

use crate::{Request, at, authenticate};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SIGNED_AT: &str = "20130524T000000Z";

fn request(method: &str, target: &str, headers: &[(&'static str, &str)], body: Vec<u8>) -> Request {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(*name, value.parse().expect("header value"));
    }
    Request {
        method: method.parse().expect("method"),
        uri: target.parse().expect("uri"),
        headers: map,
        body,
    }
}

#[test]
fn documented_get_object_verifies() {
    let get = request(
        "GET",
        "/test.txt",
        &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            (
                "x-amz-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ("x-amz-date", SIGNED_AT),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            ),
        ],
        Vec::new(),
    );
    authenticate(&get, "us-east-1", SECRET, at(SIGNED_AT)).expect("documented signature verifies");
}

#[test]
fn documented_presigned_get_verifies() {
    let presigned = request(
        "GET",
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        &[("host", "examplebucket.s3.amazonaws.com")],
        Vec::new(),
    );
    authenticate(&presigned, "us-east-1", SECRET, at("20130524T235959Z"))
        .expect("verifies within the day");
    let expired = authenticate(&presigned, "us-east-1", SECRET, at("20130525T000001Z"));
    assert!(
        matches!(
            expired,
            Err(AuthError::PresignedExpired {
                expires_in: 86_400,
                ..
            })
        ),
        "{expired:?}"
    );
}

const CHUNK_1_SIGNATURE: &str = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
const CHUNK_2_SIGNATURE: &str = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
const FINAL_SIGNATURE: &str = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

fn chunked_body(signatures: [&str; 3]) -> Vec<u8> {
    let mut body = format!("10000;chunk-signature={}\r\n", signatures[0]).into_bytes();
    body.extend(std::iter::repeat_n(b'a', 65_536));
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", signatures[1]).as_bytes());
    body.extend(std::iter::repeat_n(b'a', 1024));
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n\r\n", signatures[2]).as_bytes());
    body
}

fn chunked_put(body: Vec<u8>) -> Request {
    request(
        "PUT",
        "/examplebucket/chunkObject.txt",
        &[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", SIGNED_AT),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            ),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
        ],
        body,
    )
}

fn verified_chunked_put() -> VerifiedRequest {
    let put = chunked_put(chunked_body([
        CHUNK_1_SIGNATURE,
        CHUNK_2_SIGNATURE,
        FINAL_SIGNATURE,
    ]));
    let (verified, data) =
        authenticate(&put, "us-east-1", SECRET, at(SIGNED_AT)).expect("documented upload verifies");
    assert_eq!(data, vec![b'a'; 66_560]);
    verified
}

#[test]
fn documented_chunked_upload_verifies_whole() {
    let verified = verified_chunked_put();
    assert_eq!(
        verified.seed_signature,
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    );
    assert_eq!(
        chunked_body([CHUNK_1_SIGNATURE, CHUNK_2_SIGNATURE, FINAL_SIGNATURE]).len(),
        66_824
    );
}

#[test]
fn documented_chunked_upload_verifies_in_any_slicing() {
    let verified = verified_chunked_put();
    let body = chunked_body([CHUNK_1_SIGNATURE, CHUNK_2_SIGNATURE, FINAL_SIGNATURE]);
    for slice in [1, 2, 85, 86, 87, 1000, 65_536, 65_623, 70_000] {
        let mut decoder = AwsChunkedDecoder::signed(&verified).with_decoded_length(66_560);
        let mut out = Vec::new();
        for piece in body.chunks(slice) {
            decoder
                .feed(piece, &mut out)
                .unwrap_or_else(|error| panic!("slice {slice}: {error}"));
        }
        assert!(decoder.is_complete(), "slice {slice}");
        assert_eq!(decoder.finish(), Ok(Vec::new()), "slice {slice}");
        assert_eq!(out.len(), 66_560, "slice {slice}");
    }
}

#[test]
fn documented_chunked_upload_rejects_any_wrong_chunk_signature() {
    let verified = verified_chunked_put();
    let good = [CHUNK_1_SIGNATURE, CHUNK_2_SIGNATURE, FINAL_SIGNATURE];
    for bad_chunk in 0..3 {
        let mut signatures = good;
        signatures[bad_chunk] = "0000000000000000000000000000000000000000000000000000000000000000";
        let result = AwsChunkedDecoder::signed(&verified).decode_all(&chunked_body(signatures));
        match result {
            Err(AuthError::ChunkSignatureMismatch {
                chunk_index,
                string_to_sign,
            }) => {
                assert_eq!(chunk_index, u64::try_from(bad_chunk).expect("small"));
                assert!(string_to_sign.starts_with("AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"));
            }
            other => panic!("chunk {bad_chunk}: {other:?}"),
        }
    }
}

#[test]
fn documented_chunked_upload_rejects_tampered_data() {
    let verified = verified_chunked_put();
    let mut body = chunked_body([CHUNK_1_SIGNATURE, CHUNK_2_SIGNATURE, FINAL_SIGNATURE]);
    body[100] = b'b';
    let result = AwsChunkedDecoder::signed(&verified).decode_all(&body);
    assert!(
        matches!(
            result,
            Err(AuthError::ChunkSignatureMismatch { chunk_index: 0, .. })
        ),
        "{result:?}"
    );
}

/// The trailing-header example (sigv4-streaming-trailers): same 64 KiB + 1 KiB of 'a', then
/// `x-amz-checksum-crc32c:sOO8/Q==` signed with `AWS4-HMAC-SHA256-TRAILER`.
fn trailer_example(trailer_value: &str) -> (VerifiedRequest, Vec<u8>) {
    let mut verified = verified_chunked_put();
    verified.seed_signature =
        "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e".to_owned();
    let mut body = b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'a', 65_536));
    body.extend_from_slice(b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
    body.extend(std::iter::repeat_n(b'a', 1024));
    body.extend_from_slice(b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    body.extend_from_slice(format!("x-amz-checksum-crc32c:{trailer_value}\r\n").as_bytes());
    body.extend_from_slice(b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n");
    (verified, body)
}

#[test]
fn documented_signed_trailer_verifies() {
    let (verified, body) = trailer_example("sOO8/Q==");
    let decoded = AwsChunkedDecoder::signed_with_trailer(&verified)
        .with_decoded_length(66_560)
        .decode_all(&body)
        .expect("documented trailer verifies");
    assert_eq!(decoded.data.len(), 66_560);
    let trailers: Vec<(&str, &str)> = decoded
        .trailers
        .iter()
        .map(|t| (t.name.as_str(), t.value.as_str()))
        .collect();
    assert_eq!(trailers, [("x-amz-checksum-crc32c", "sOO8/Q==")]);
}

#[test]
fn documented_signed_trailer_rejects_a_changed_checksum() {
    let (verified, body) = trailer_example("AAAAAA==");
    let result = AwsChunkedDecoder::signed_with_trailer(&verified).decode_all(&body);
    match result {
        Err(AuthError::ChunkSignatureMismatch {
            chunk_index: 3,
            string_to_sign,
        }) => {
            assert!(
                string_to_sign.starts_with("AWS4-HMAC-SHA256-TRAILER\n"),
                "{string_to_sign}"
            );
        }
        other => panic!("{other:?}"),
    }
}
