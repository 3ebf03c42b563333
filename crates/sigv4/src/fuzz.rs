//! Fuzz entry points: pure functions over arbitrary bytes that must never panic.
//!
//! `fuzz_request` reads a tiny HTTP-like text (`METHOD target\n`, `name: value` lines, an
//! empty line, the body), runs it through everything a server would (parse, scope check,
//! payload hash, verify at the request's own time with the AWS example secret, aws-chunked
//! decoding) and formats every error message. `fuzz_aws_chunked` feeds bytes to all three
//! decoder modes in two slices. A cargo-fuzz target is one line around either; the crate's
//! tests run them over mutated known-answer vectors.

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

use crate::{
    AuthError, AuthLocation, AwsChunkedDecoder, CredentialScope, DeclaredPayload, EMPTY_SHA256,
    SigningKey, VerifiedRequest, parse_auth, payload_hash, verify,
};

/// The secret `fuzz_request` verifies with: the AWS documentation's example key.
pub const FUZZ_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// What `fuzz_request` got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FuzzOutcome {
    /// The bytes are not a request (bad method, target or layout).
    NotARequest,
    /// A request without SigV4 authentication.
    NoAuth,
    /// Refused, with the first error.
    Rejected(AuthError),
    /// Signature (and any aws-chunked body) verified; the decoded body length.
    Verified(usize),
}

/// Runs one request text through parsing, verification and body decoding.
pub fn fuzz_request(data: &[u8]) -> FuzzOutcome {
    let Some((method, uri, headers, body)) = split_request(data) else {
        return FuzzOutcome::NotARequest;
    };
    let parsed = match parse_auth(&method, &uri, &headers) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return FuzzOutcome::NoAuth,
        Err(error) => return rejected(error),
    };
    if let Err(error) = parsed.check_scope(&parsed.scope.region, &parsed.scope.service) {
        return rejected(error);
    }
    let declared = match DeclaredPayload::from_request(&parsed, &headers) {
        Ok(declared) => declared,
        Err(error) => return rejected(error),
    };
    let payload_line = match payload_hash(&parsed, &headers, body) {
        Ok(line) => line,
        Err(error) => return rejected(error),
    };
    let verified = verify(
        &parsed,
        &method,
        &uri,
        &headers,
        &payload_line,
        FUZZ_SECRET_ACCESS_KEY,
        parsed.request_time,
    );
    match verified {
        Err(error) => rejected(error),
        Ok(verified) => match AwsChunkedDecoder::for_payload(&declared, &verified) {
            None => FuzzOutcome::Verified(body.len()),
            Some(decoder) => match decoder.decode_all(body) {
                Ok(decoded) => FuzzOutcome::Verified(decoded.data.len()),
                Err(error) => rejected(error),
            },
        },
    }
}

fn rejected(error: AuthError) -> FuzzOutcome {
    // Formatting must not panic either.
    let _ = (
        error.to_string(),
        error.message(),
        error.s3_message(),
        error.message_with_canonical_request(),
    );
    FuzzOutcome::Rejected(error)
}

/// `METHOD target\n` + `name: value\n`* + `\n` + body; `\r` before `\n` is ignored.
fn split_request(data: &[u8]) -> Option<(Method, Uri, HeaderMap, &[u8])> {
    let mut rest = data;
    let request_line = next_line(&mut rest)?;
    let space = request_line.iter().position(|&byte| byte == b' ')?;
    let method = Method::from_bytes(&request_line[..space]).ok()?;
    let uri = Uri::try_from(&request_line[space + 1..]).ok()?;
    let mut headers = HeaderMap::new();
    loop {
        let line = next_line(&mut rest)?;
        if line.is_empty() {
            break;
        }
        let colon = line.iter().position(|&byte| byte == b':')?;
        let name = HeaderName::from_bytes(line[..colon].trim_ascii());
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            headers.append(name, value);
        }
    }
    Some((method, uri, headers, rest))
}

fn next_line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let newline = rest.iter().position(|&byte| byte == b'\n')?;
    let line = &rest[..newline];
    *rest = &rest[newline + 1..];
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

/// Feeds `data` to the signed, signed-trailer and unsigned-trailer decoders, split in two
/// at a point the first byte chooses; returns how many modes decoded it completely.
pub fn fuzz_aws_chunked(data: &[u8]) -> usize {
    let scope = CredentialScope {
        date: "20130524".to_owned(),
        region: "us-east-1".to_owned(),
        service: "s3".to_owned(),
    };
    let verified = VerifiedRequest {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        signing_key: SigningKey::derive(FUZZ_SECRET_ACCESS_KEY, &scope),
        scope,
        request_time: crate::parse_amz_date("20130524T000000Z").unwrap_or_default(),
        location: AuthLocation::Header,
        seed_signature: EMPTY_SHA256.to_owned(),
    };
    let split = data
        .first()
        .map_or(0, |&byte| usize::from(byte) % (data.len() + 1));
    let decoders = [
        AwsChunkedDecoder::signed(&verified),
        AwsChunkedDecoder::signed_with_trailer(&verified),
        AwsChunkedDecoder::unsigned_with_trailer(),
    ];
    decoders
        .into_iter()
        .filter(|decoder| feed_in_two(decoder.clone(), data, split))
        .count()
}

fn feed_in_two(mut decoder: AwsChunkedDecoder, data: &[u8], split: usize) -> bool {
    let mut out = Vec::new();
    let (head, tail) = data.split_at(split);
    let fed = decoder
        .feed(head, &mut out)
        .and_then(|()| decoder.feed(tail, &mut out));
    match fed.and_then(|()| decoder.finish()) {
        Ok(_) => true,
        Err(error) => {
            let _ = (error.message(), error.s3_message());
            false
        }
    }
}
