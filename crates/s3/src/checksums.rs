//! Flexible checksums (`x-amz-checksum-*`): PutObject and UploadPart bodies are checked against the
//! checksum the client sent, whether as a header or as an aws-chunked trailer.
//!
//! Computed while the body streams to disk and compared before the index row is committed, so a
//! corrupted upload never becomes an object. Checksums are not stored or returned (no
//! `x-amz-checksum-mode` support).

use std::sync::Mutex;

use http::HeaderMap;
use s3s::TrailingHeaders;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::{Checksum as _, Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};

use crate::aws_errors;

/// The algorithms S3 accepts, by the suffix of their header name.
const ALGORITHMS: [&str; 5] = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"];

/// Where the client put its checksum value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    Header(String),
    Trailer,
}

/// Computes the checksums a request announced and compares them once the body has been read.
pub(crate) struct ChecksumVerifier {
    hasher: Mutex<Option<ChecksumHasher>>,
    sent: Vec<(&'static str, Sent)>,
    trailers: Option<TrailingHeaders>,
}

impl std::fmt::Debug for ChecksumVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChecksumVerifier")
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl ChecksumVerifier {
    /// A verifier for the checksums `headers` carry or announce as trailers; `None` when there are none.
    pub(crate) fn for_request(
        headers: &HeaderMap,
        trailers: Option<TrailingHeaders>,
    ) -> Option<Self> {
        let announced: Vec<String> = headers
            .get("x-amz-trailer")
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(',')
                    .map(|name| name.trim().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let sent: Vec<(&'static str, Sent)> = ALGORITHMS
            .iter()
            .filter_map(|algorithm| {
                let name = format!("x-amz-checksum-{algorithm}");
                match headers.get(&name).and_then(|value| value.to_str().ok()) {
                    Some(value) => Some((*algorithm, Sent::Header(value.trim().to_owned()))),
                    None => announced
                        .contains(&name)
                        .then_some((*algorithm, Sent::Trailer)),
                }
            })
            .collect();
        if sent.is_empty() {
            return None;
        }
        let wants = |algorithm: &str| sent.iter().any(|(sent, _)| *sent == algorithm);
        let hasher = ChecksumHasher {
            crc32: wants("crc32").then(Crc32::new),
            crc32c: wants("crc32c").then(Crc32c::new),
            sha1: wants("sha1").then(Sha1::new),
            sha256: wants("sha256").then(Sha256::new),
            crc64nvme: wants("crc64nvme").then(Crc64Nvme::new),
        };
        Some(Self {
            hasher: Mutex::new(Some(hasher)),
            sent,
            trailers,
        })
    }

    /// Feeds body bytes.
    pub(crate) fn observe(&self, data: &[u8]) {
        let mut hasher = self
            .hasher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(hasher) = hasher.as_mut() {
            hasher.update(data);
        }
    }

    /// Compares the computed checksums with the ones sent: `BadDigest` on a mismatch.
    pub(crate) fn verify(&self) -> s3s::S3Result<()> {
        let hasher = self
            .hasher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let computed = hasher.unwrap_or_default().finalize();
        for (algorithm, sent) in &self.sent {
            let expected = match sent {
                Sent::Header(value) => Some(value.clone()),
                Sent::Trailer => self.trailer(algorithm),
            };
            let Some(expected) = expected else {
                return Err(aws_errors::missing_trailer(algorithm));
            };
            let actual = match *algorithm {
                "crc32" => computed.checksum_crc32.as_deref(),
                "crc32c" => computed.checksum_crc32c.as_deref(),
                "crc64nvme" => computed.checksum_crc64nvme.as_deref(),
                "sha1" => computed.checksum_sha1.as_deref(),
                _ => computed.checksum_sha256.as_deref(),
            };
            if actual != Some(expected.as_str()) {
                return Err(aws_errors::bad_checksum(algorithm));
            }
        }
        Ok(())
    }

    fn trailer(&self, algorithm: &str) -> Option<String> {
        let name = format!("x-amz-checksum-{algorithm}");
        self.trailers
            .as_ref()?
            .read(|headers| {
                headers
                    .get(&name)
                    .and_then(|value| value.to_str().ok())
                    .map(|value| value.trim().to_owned())
            })
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(headers: &[(&str, &str)]) -> Option<ChecksumVerifier> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        ChecksumVerifier::for_request(&map, None)
    }

    #[test]
    fn header_checksums_are_verified() {
        // CRC32 of "hello" is 0x3610a686; SHA-256 of "hello" is 2cf24dba...
        let check = |headers: &[(&str, &str)], expected: Result<(), &str>| {
            let verifier = verifier(headers).unwrap();
            verifier.observe(b"hel");
            verifier.observe(b"lo");
            let outcome = verifier
                .verify()
                .map_err(|error| error.code().as_str().to_owned());
            assert_eq!(outcome, expected.map_err(str::to_owned), "{headers:?}");
        };
        check(&[("x-amz-checksum-crc32", "NhCmhg==")], Ok(()));
        check(&[("x-amz-checksum-crc32", "AAAAAA==")], Err("BadDigest"));
        check(
            &[(
                "x-amz-checksum-sha256",
                "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
            )],
            Ok(()),
        );
        check(
            &[("x-amz-trailer", "x-amz-checksum-crc32")],
            Err("InvalidRequest"),
        );
        assert!(verifier(&[("content-md5", "x")]).is_none());
    }
}
