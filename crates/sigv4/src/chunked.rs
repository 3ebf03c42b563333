//! Decoding `Content-Encoding: aws-chunked` bodies, verifying chunk signatures on the way.
//!
//! The body (after any HTTP chunked transfer-coding is removed) is a series of
//! `hex-size[;chunk-signature=sig]\r\n data \r\n`, a final zero-size chunk, optional trailer
//! lines `name:value\r\n`, and an empty line. In the signed modes each chunk signature is
//! `HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD\n" ts "\n" scope "\n" previous "\n" sha256("") "\n"
//! sha256(data))`, chained from the request signature (the seed); a signed trailer uses
//! `AWS4-HMAC-SHA256-TRAILER` over the `name:value\n` lines.
//!
//! The decoder is incremental: `feed` any slicing of the body, get decoded bytes appended to
//! an output buffer as they arrive, then `finish`. Decoded bytes are released before their
//! chunk's signature is checked (the check happens when the chunk ends), so nothing decoded
//! is authentic until `finish` returns `Ok`: callers must discard the output on any error.
//! Memory use is bounded by the longest header or trailer line (`MAX_LINE_BYTES`), never by
//! the chunk size. Trailer checksums (`x-amz-checksum-crc32` ...) are returned, not checked.

use sha2::{Digest, Sha256};

use crate::signing::{EMPTY_SHA256, SigningKey, sha256_hex, signatures_equal};
use crate::{AuthError, DeclaredPayload, VerifiedRequest};

/// The longest chunk header or trailer line accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 4096;
/// The most trailer lines accepted.
pub const MAX_TRAILERS: usize = 32;

/// One trailing header of an aws-chunked body, e.g. `x-amz-checksum-crc32: rwg7LQ==`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// Lower-case name.
    pub name: String,
    /// Value without surrounding whitespace.
    pub value: String,
}

/// A whole decoded body (see `AwsChunkedDecoder::decode_all`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBody {
    /// The payload bytes.
    pub data: Vec<u8>,
    /// The trailing headers, in order, without `x-amz-trailer-signature`.
    pub trailers: Vec<Trailer>,
}

/// Signs chunk strings: what the signed modes carry from the verified request.
#[derive(Debug, Clone)]
struct ChunkSigner {
    key: SigningKey,
    timestamp: String,
    scope: String,
    previous_signature: String,
}

impl ChunkSigner {
    fn new(verified: &VerifiedRequest) -> ChunkSigner {
        ChunkSigner {
            key: verified.signing_key.clone(),
            timestamp: verified.timestamp(),
            scope: verified.scope.to_string(),
            previous_signature: verified.seed_signature.clone(),
        }
    }

    /// Checks `claimed` against the string to sign built from `kind` and `tail`, and
    /// advances the chain.
    fn check(
        &mut self,
        kind: &str,
        tail: &str,
        claimed: &str,
        chunk_index: u64,
    ) -> Result<(), AuthError> {
        let string_to_sign = format!(
            "{kind}\n{}\n{}\n{}\n{tail}",
            self.timestamp, self.scope, self.previous_signature
        );
        let claimed = claimed.to_ascii_lowercase();
        if !signatures_equal(&self.key.sign_hex(&string_to_sign), &claimed) {
            return Err(AuthError::ChunkSignatureMismatch {
                chunk_index,
                string_to_sign,
            });
        }
        self.previous_signature = claimed;
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Mode {
    Signed(ChunkSigner),
    SignedWithTrailer(ChunkSigner),
    UnsignedWithTrailer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ChunkHeader,
    ChunkData,
    ChunkDataEnd,
    Trailers,
    Done,
}

/// Incremental decoder and verifier for one aws-chunked body.
#[derive(Debug, Clone)]
pub struct AwsChunkedDecoder {
    mode: Mode,
    state: State,
    line: Vec<u8>,
    chunk_remaining: u64,
    chunk_hasher: Sha256,
    chunk_signature: String,
    chunk_index: u64,
    decoded_length: u64,
    expected_length: Option<u64>,
    trailers: Vec<Trailer>,
    trailer_signature: Option<String>,
    failure: Option<AuthError>,
}

impl AwsChunkedDecoder {
    fn new(mode: Mode) -> AwsChunkedDecoder {
        AwsChunkedDecoder {
            mode,
            state: State::ChunkHeader,
            line: Vec::new(),
            chunk_remaining: 0,
            chunk_hasher: Sha256::new(),
            chunk_signature: String::new(),
            chunk_index: 0,
            decoded_length: 0,
            expected_length: None,
            trailers: Vec::new(),
            trailer_signature: None,
            failure: None,
        }
    }

    /// For `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed, no trailer.
    pub fn signed(verified: &VerifiedRequest) -> AwsChunkedDecoder {
        AwsChunkedDecoder::new(Mode::Signed(ChunkSigner::new(verified)))
    }

    /// For `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: chunks and trailer signed.
    pub fn signed_with_trailer(verified: &VerifiedRequest) -> AwsChunkedDecoder {
        AwsChunkedDecoder::new(Mode::SignedWithTrailer(ChunkSigner::new(verified)))
    }

    /// For `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks, then trailers.
    pub fn unsigned_with_trailer() -> AwsChunkedDecoder {
        AwsChunkedDecoder::new(Mode::UnsignedWithTrailer)
    }

    /// The decoder a declared payload needs; `None` when the body is not aws-chunked.
    pub fn for_payload(
        declared: &DeclaredPayload,
        verified: &VerifiedRequest,
    ) -> Option<AwsChunkedDecoder> {
        match declared {
            DeclaredPayload::StreamingSigned => Some(AwsChunkedDecoder::signed(verified)),
            DeclaredPayload::StreamingSignedTrailer => {
                Some(AwsChunkedDecoder::signed_with_trailer(verified))
            }
            DeclaredPayload::StreamingUnsignedTrailer => {
                Some(AwsChunkedDecoder::unsigned_with_trailer())
            }
            _ => None,
        }
    }

    /// Requires the decoded payload to be exactly `length` bytes (`x-amz-decoded-content-length`).
    pub fn with_decoded_length(mut self, length: u64) -> AwsChunkedDecoder {
        self.expected_length = Some(length);
        self
    }

    /// Decoded payload bytes so far.
    pub fn decoded_length(&self) -> u64 {
        self.decoded_length
    }

    /// Whether the final chunk and the trailer section have been read.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done && self.failure.is_none()
    }

    /// Trailers read so far, without `x-amz-trailer-signature`.
    pub fn trailers(&self) -> &[Trailer] {
        &self.trailers
    }

    /// Decodes the next slice of the body, appending payload bytes to `out`. After an error
    /// every later call returns the same error.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), AuthError> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        let result = self.feed_unchecked(input, out);
        if let Err(error) = &result {
            self.failure = Some(error.clone());
        }
        result
    }

    /// Ends the body: `Ok` with the trailers only if the body was complete and verified.
    /// A body that stops right after the final chunk line (no closing empty line) is
    /// accepted unless the trailer is signed.
    pub fn finish(&mut self) -> Result<Vec<Trailer>, AuthError> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        let ended_after_final_chunk = self.state == State::Trailers
            && self.line.is_empty()
            && self.trailers.is_empty()
            && !matches!(self.mode, Mode::SignedWithTrailer(_));
        if self.state != State::Done && !ended_after_final_chunk {
            return Err(malformed(
                "the body ended before the final chunk and trailer section",
            ));
        }
        self.check_total_length()?;
        self.state = State::Done;
        Ok(self.trailers.clone())
    }

    /// Decodes a whole body in one call.
    pub fn decode_all(mut self, body: &[u8]) -> Result<DecodedBody, AuthError> {
        let mut data = Vec::with_capacity(body.len());
        self.feed(body, &mut data)?;
        let trailers = self.finish()?;
        Ok(DecodedBody { data, trailers })
    }

    fn feed_unchecked(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), AuthError> {
        while !input.is_empty() {
            input = match self.state {
                State::ChunkData => self.take_data(input, out)?,
                State::Done => return Err(malformed("data after the end of the aws-chunked body")),
                State::ChunkHeader | State::ChunkDataEnd | State::Trailers => {
                    let (line, rest) = self.take_line(input)?;
                    if let Some(line) = line {
                        self.on_line(&line)?;
                    }
                    rest
                }
            };
        }
        Ok(())
    }

    /// Collects bytes up to the next `\n`; returns the line without `\r\n` once complete.
    fn take_line<'a>(&mut self, input: &'a [u8]) -> Result<(Option<Vec<u8>>, &'a [u8]), AuthError> {
        let newline = input.iter().position(|&byte| byte == b'\n');
        let taken = newline.map_or(input.len(), |index| index + 1);
        if self.line.len() + taken > MAX_LINE_BYTES {
            return Err(malformed(&format!(
                "a chunk header or trailer line is longer than {MAX_LINE_BYTES} bytes"
            )));
        }
        self.line.extend_from_slice(&input[..taken]);
        if newline.is_none() {
            return Ok((None, &[]));
        }
        let mut line = std::mem::take(&mut self.line);
        line.pop();
        if line.last() != Some(&b'\r') {
            return Err(malformed(&format!(
                "line '{}' does not end with CRLF",
                String::from_utf8_lossy(&line)
            )));
        }
        line.pop();
        Ok((Some(line), &input[taken..]))
    }

    fn on_line(&mut self, line: &[u8]) -> Result<(), AuthError> {
        match self.state {
            State::ChunkHeader => self.on_chunk_header(line),
            State::ChunkDataEnd if line.is_empty() => {
                self.state = State::ChunkHeader;
                Ok(())
            }
            State::ChunkDataEnd => Err(malformed(&format!(
                "chunk {} is longer than its declared size",
                self.chunk_index.saturating_sub(1)
            ))),
            State::Trailers if line.is_empty() => self.on_trailers_end(),
            State::Trailers => self.on_trailer(line),
            State::ChunkData | State::Done => {
                unreachable!("no lines are read in state {:?}", self.state)
            }
        }
    }

    fn on_chunk_header(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let text = String::from_utf8_lossy(line);
        let mut parts = text.split(';');
        let size_text = parts.next().unwrap_or("").trim();
        let size = parse_chunk_size(size_text)?;
        let signature =
            parts.find_map(|extension| extension.trim().strip_prefix("chunk-signature="));
        match (&self.mode, signature) {
            (Mode::UnsignedWithTrailer, _) => {}
            (_, Some(signature)) => self.chunk_signature = signature.to_owned(),
            (_, None) => {
                return Err(malformed(&format!(
                    "chunk header '{text}' has no chunk-signature"
                )));
            }
        }
        self.chunk_hasher = Sha256::new();
        if size == 0 {
            self.check_chunk_signature(EMPTY_SHA256)?;
            self.state = State::Trailers;
        } else {
            self.chunk_remaining = size;
            self.state = State::ChunkData;
        }
        Ok(())
    }

    fn take_data<'a>(&mut self, input: &'a [u8], out: &mut Vec<u8>) -> Result<&'a [u8], AuthError> {
        let available = u64::try_from(input.len()).unwrap_or(u64::MAX);
        let take = usize::try_from(self.chunk_remaining.min(available)).unwrap_or(input.len());
        let (data, rest) = input.split_at(take);
        self.decoded_length += u64::try_from(data.len()).unwrap_or(u64::MAX);
        if self
            .expected_length
            .is_some_and(|expected| self.decoded_length > expected)
        {
            return Err(malformed(
                "the body is longer than x-amz-decoded-content-length",
            ));
        }
        if !matches!(self.mode, Mode::UnsignedWithTrailer) {
            self.chunk_hasher.update(data);
        }
        out.extend_from_slice(data);
        self.chunk_remaining -= u64::try_from(take).unwrap_or(0);
        if self.chunk_remaining == 0 {
            let hash = hex::encode(std::mem::take(&mut self.chunk_hasher).finalize());
            self.check_chunk_signature(&hash)?;
            self.state = State::ChunkDataEnd;
        }
        Ok(rest)
    }

    fn check_chunk_signature(&mut self, data_hash: &str) -> Result<(), AuthError> {
        let index = self.chunk_index;
        self.chunk_index += 1;
        let claimed = std::mem::take(&mut self.chunk_signature);
        match &mut self.mode {
            Mode::UnsignedWithTrailer => Ok(()),
            Mode::Signed(signer) | Mode::SignedWithTrailer(signer) => {
                let tail = format!("{EMPTY_SHA256}\n{data_hash}");
                signer.check("AWS4-HMAC-SHA256-PAYLOAD", &tail, &claimed, index)
            }
        }
    }

    fn on_trailer(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let text = String::from_utf8_lossy(line);
        let Some((name, value)) = text.split_once(':') else {
            return Err(malformed(&format!("trailer line '{text}' has no ':'")));
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
        match &self.mode {
            Mode::Signed(_) => Err(malformed(&format!(
                "unexpected trailer '{name}' in a body without trailers"
            ))),
            Mode::SignedWithTrailer(_) if name == "x-amz-trailer-signature" => {
                self.trailer_signature = Some(value);
                Ok(())
            }
            _ if self.trailers.len() >= MAX_TRAILERS => {
                Err(malformed(&format!("more than {MAX_TRAILERS} trailers")))
            }
            _ => {
                self.trailers.push(Trailer { name, value });
                Ok(())
            }
        }
    }

    fn on_trailers_end(&mut self) -> Result<(), AuthError> {
        let index = self.chunk_index;
        if let Mode::SignedWithTrailer(signer) = &mut self.mode {
            let Some(claimed) = self.trailer_signature.take() else {
                return Err(malformed(
                    "the signed trailer has no x-amz-trailer-signature",
                ));
            };
            let canonical: String = self
                .trailers
                .iter()
                .map(|trailer| format!("{}:{}\n", trailer.name, trailer.value))
                .collect();
            signer.check(
                "AWS4-HMAC-SHA256-TRAILER",
                &sha256_hex(canonical.as_bytes()),
                &claimed,
                index,
            )?;
        }
        self.check_total_length()?;
        self.state = State::Done;
        Ok(())
    }

    fn check_total_length(&self) -> Result<(), AuthError> {
        match self.expected_length {
            Some(expected) if expected != self.decoded_length => Err(malformed(&format!(
                "decoded {} bytes but x-amz-decoded-content-length is {expected}",
                self.decoded_length
            ))),
            _ => Ok(()),
        }
    }
}

fn parse_chunk_size(text: &str) -> Result<u64, AuthError> {
    let valid =
        !text.is_empty() && text.len() <= 16 && text.bytes().all(|byte| byte.is_ascii_hexdigit());
    let size = if valid {
        u64::from_str_radix(text, 16).ok()
    } else {
        None
    };
    size.ok_or_else(|| malformed(&format!("invalid chunk size '{text}'")))
}

fn malformed(detail: &str) -> AuthError {
    AuthError::MalformedChunk {
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthLocation, CredentialScope, parse_amz_date};

    fn verified() -> VerifiedRequest {
        let scope = CredentialScope {
            date: "20130524".to_owned(),
            region: "us-east-1".to_owned(),
            service: "s3".to_owned(),
        };
        VerifiedRequest {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            signing_key: SigningKey::derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &scope),
            scope,
            request_time: parse_amz_date("20130524T000000Z").expect("time"),
            location: AuthLocation::Header,
            seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
                .to_owned(),
        }
    }

    /// Encodes `chunks` signed from the seed, the way an SDK would.
    fn signed_body(chunks: &[&[u8]], trailers: Option<&str>) -> Vec<u8> {
        let request = verified();
        let mut signer = ChunkSigner::new(&request);
        let mut body = Vec::new();
        for (index, data) in chunks.iter().chain([&&b""[..]]).enumerate() {
            let tail = format!("{EMPTY_SHA256}\n{}", sha256_hex(data));
            let string_to_sign = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{tail}",
                signer.timestamp, signer.scope, signer.previous_signature
            );
            let signature = signer.key.sign_hex(&string_to_sign);
            signer
                .check("AWS4-HMAC-SHA256-PAYLOAD", &tail, &signature, index as u64)
                .expect("own signature");
            body.extend_from_slice(
                format!("{:x};chunk-signature={signature}\r\n", data.len()).as_bytes(),
            );
            if !data.is_empty() {
                body.extend_from_slice(data);
                body.extend_from_slice(b"\r\n");
            }
        }
        body.extend_from_slice(trailers.unwrap_or("\r\n").as_bytes());
        body
    }

    /// The decoded payload, or the `MalformedChunk` detail.
    type Expected = Result<&'static [u8], &'static str>;

    fn check(decoder: AwsChunkedDecoder, body: &[u8], expected: Expected) {
        let got = decoder.decode_all(body);
        match (got, expected) {
            (Ok(decoded), Ok(data)) => assert_eq!(
                decoded.data,
                data,
                "body {:?}",
                String::from_utf8_lossy(body)
            ),
            (Err(AuthError::MalformedChunk { detail }), Err(want)) => {
                assert_eq!(detail, want, "body {:?}", String::from_utf8_lossy(body));
            }
            (got, want) => panic!(
                "body {:?}: got {got:?}, want {want:?}",
                String::from_utf8_lossy(body)
            ),
        }
    }

    #[test]
    fn unsigned_framing() {
        let unsigned = AwsChunkedDecoder::unsigned_with_trailer;
        let cases: [(&[u8], Expected); 12] = [
            (b"0\r\n\r\n", Ok(b"")),
            (b"3\r\nabc\r\n0\r\n\r\n", Ok(b"abc")),
            (b"4\r\na\r\nb\r\n0\r\n\r\n", Ok(b"a\r\nb")),
            (
                b"A\r\n0123456789\r\n0\r\nx-amz-checksum-crc32: AAAAAA== \r\n\r\n",
                Ok(b"0123456789"),
            ),
            (b"3\r\nabc\r\n0\r\n", Ok(b"abc")),
            (
                b"3\r\nabc\r\n",
                Err("the body ended before the final chunk and trailer section"),
            ),
            (
                b"",
                Err("the body ended before the final chunk and trailer section"),
            ),
            (b"zz\r\n", Err("invalid chunk size 'zz'")),
            (
                b"10000000000000000\r\n",
                Err("invalid chunk size '10000000000000000'"),
            ),
            (
                b"3\nabc\r\n0\r\n\r\n",
                Err("line '3' does not end with CRLF"),
            ),
            (
                b"3\r\nabcd\r\n0\r\n\r\n",
                Err("chunk 0 is longer than its declared size"),
            ),
            (
                b"0\r\n\r\nextra",
                Err("data after the end of the aws-chunked body"),
            ),
        ];
        for (body, expected) in cases {
            check(unsigned(), body, expected);
        }
        let long_line = [vec![b'1'; MAX_LINE_BYTES], b"\r\n".to_vec()].concat();
        check(
            unsigned(),
            &long_line,
            Err("a chunk header or trailer line is longer than 4096 bytes"),
        );
        check(
            unsigned(),
            b"0\r\nbroken trailer\r\n\r\n",
            Err("trailer line 'broken trailer' has no ':'"),
        );
        let many: String = (0..=MAX_TRAILERS)
            .map(|index| format!("x-t{index}:v\r\n"))
            .collect();
        check(
            unsigned(),
            format!("0\r\n{many}\r\n").as_bytes(),
            Err("more than 32 trailers"),
        );
    }

    #[test]
    fn unsigned_trailers_are_returned() {
        let decoded = AwsChunkedDecoder::unsigned_with_trailer()
            .decode_all(
                b"3\r\nabc\r\n0\r\nX-Amz-Checksum-CRC32:NSRBwg==\r\nx-amz-meta-a: 1\r\n\r\n",
            )
            .expect("decodes");
        let trailers: Vec<(&str, &str)> = decoded
            .trailers
            .iter()
            .map(|t| (t.name.as_str(), t.value.as_str()))
            .collect();
        assert_eq!(
            trailers,
            [("x-amz-checksum-crc32", "NSRBwg=="), ("x-amz-meta-a", "1")]
        );
    }

    #[test]
    fn signed_framing() {
        let request = verified();
        let signed = || AwsChunkedDecoder::signed(&request);
        check(
            signed(),
            &signed_body(&[b"hello", b" world"], None),
            Ok(b"hello world"),
        );
        let mut no_final_crlf = signed_body(&[b"hello"], None);
        no_final_crlf.truncate(no_final_crlf.len() - 2);
        check(signed(), &no_final_crlf, Ok(b"hello"));
        check(
            signed(),
            b"5\r\nhello\r\n",
            Err("chunk header '5' has no chunk-signature"),
        );
        let with_trailer = signed_body(&[b"hello"], Some("x-amz-checksum-crc32:AAAAAA==\r\n\r\n"));
        check(
            signed(),
            &with_trailer,
            Err("unexpected trailer 'x-amz-checksum-crc32' in a body without trailers"),
        );
        let body = signed_body(&[b"hello"], None);
        check(
            signed().with_decoded_length(4),
            &body,
            Err("the body is longer than x-amz-decoded-content-length"),
        );
        check(
            signed().with_decoded_length(6),
            &body,
            Err("decoded 5 bytes but x-amz-decoded-content-length is 6"),
        );
        check(signed().with_decoded_length(5), &body, Ok(b"hello"));
    }

    #[test]
    fn signed_chunks_must_chain_in_order() {
        let request = verified();
        let body = String::from_utf8(signed_body(&[b"one", b"two"], None)).expect("ascii");
        let lines: Vec<&str> = body.split("\r\n").collect();
        let swapped = [lines[2], lines[3], lines[0], lines[1], lines[4], "", ""].join("\r\n");
        let error = AwsChunkedDecoder::signed(&request)
            .decode_all(swapped.as_bytes())
            .expect_err("out of order");
        assert!(
            matches!(
                error,
                AuthError::ChunkSignatureMismatch { chunk_index: 0, .. }
            ),
            "{error:?}"
        );
        let dropped = [lines[2], lines[3], lines[4], "", ""].join("\r\n");
        let error = AwsChunkedDecoder::signed(&request)
            .decode_all(dropped.as_bytes())
            .expect_err("chunk dropped");
        assert!(
            matches!(
                error,
                AuthError::ChunkSignatureMismatch { chunk_index: 0, .. }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn failures_are_sticky() {
        let mut decoder = AwsChunkedDecoder::unsigned_with_trailer();
        let mut out = Vec::new();
        let first = decoder.feed(b"zz\r\n", &mut out).expect_err("bad size");
        assert_eq!(decoder.feed(b"0\r\n\r\n", &mut out), Err(first.clone()));
        assert_eq!(decoder.finish(), Err(first));
        assert!(!decoder.is_complete());
    }

    #[test]
    fn signed_trailer_requires_its_signature() {
        let request = verified();
        let mut body = signed_body(&[b"hello"], Some("x-amz-checksum-crc32:AAAAAA==\r\n\r\n"));
        check(
            AwsChunkedDecoder::signed_with_trailer(&request),
            &body,
            Err("the signed trailer has no x-amz-trailer-signature"),
        );
        body.truncate(body.len() - "x-amz-checksum-crc32:AAAAAA==\r\n\r\n".len());
        check(
            AwsChunkedDecoder::signed_with_trailer(&request),
            &body,
            Err("the body ended before the final chunk and trailer section"),
        );
    }
}
