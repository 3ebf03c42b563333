//! AWS Signature Version 4 verification for OpenTrail's AWS-compatible APIs.
//!
//! A tour, in the order a server uses it:
//! 1. [`parse_auth`] reads the `Authorization` header or the presigned-URL query parameters
//!    into a [`ParsedAuth`]: access key id, [`CredentialScope`] (the server dispatches on its
//!    `service`), signed headers, signature, request time. No secret is needed yet.
//! 2. [`payload_hash`] (whole body at hand) or [`DeclaredPayload`] (streaming) gives the
//!    canonical request's payload line, following botocore's rules for each service.
//! 3. [`verify`] checks the clock window, the scope date and the signature against the secret
//!    and returns a [`VerifiedRequest`].
//! 4. For `STREAMING-*` S3 uploads, an [`AwsChunkedDecoder`] built from the verified request
//!    decodes the aws-chunked body and verifies every chunk signature (or, for
//!    `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, just decodes and returns the trailing checksums).
//!
//! Every failure is an [`AuthError`] whose `message()` / `s3_message()` is AWS's own text.
//! The rules (canonical URI, query, headers, payload) are those botocore implements, checked
//! by known-answer tests generated with botocore itself (`tests/gen_vectors.py`).
//!
//! This crate does no IO, reads no clock (callers pass "now"), knows no HTTP framework beyond
//! the `http` crate's types, holds no secrets, and maps no error to an HTTP status.

mod canonical;
mod chunked;
mod error;
mod fuzz;
mod parse;
mod payload;
mod scope;
mod sign;
mod signing;
mod time;
mod verify;

pub use canonical::{canonical_query, canonical_uri_candidates, percent_decode, uri_encode};
pub use chunked::{AwsChunkedDecoder, DecodedBody, MAX_LINE_BYTES, MAX_TRAILERS, Trailer};
pub use error::{
    AuthError, IncompleteSignature, MissingPart, S3_SIGNATURE_MISMATCH_MESSAGE,
    SIGNATURE_MISMATCH_MESSAGE, ScopeMismatch,
};
pub use fuzz::{FUZZ_SECRET_ACCESS_KEY, FuzzOutcome, fuzz_aws_chunked, fuzz_request};
pub use parse::{AuthLocation, MAX_PRESIGNED_EXPIRES_SECONDS, ParsedAuth, parse_auth};
pub use payload::{
    DeclaredPayload, STREAMING_SIGNED_PAYLOAD, STREAMING_SIGNED_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD, payload_hash,
};
pub use scope::{CredentialScope, SCOPE_TERMINATOR};
pub use sign::{SigningParams, sign_request};
pub use signing::{ALGORITHM, EMPTY_SHA256, SigningKey, sha256_hex};
pub use time::{format_amz_date, parse_amz_date};
pub use verify::{MAX_CLOCK_SKEW_MINUTES, VerifiedRequest, canonical_request_text, verify};
