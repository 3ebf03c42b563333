//! Log-file integrity for OpenTrail trails: what `aws cloudtrail validate-logs` checks.
//!
//! A tour:
//! - [`naming`] builds the S3 object keys of log, Insights and digest files exactly as CloudTrail
//!   does (the CLI reads digest timestamps by character position).
//! - [`keys`] is one RSA-2048 key pair: PKCS#1 DER public key, MD5 fingerprint, SHA256withRSA
//!   signatures in hex.
//! - [`keystore`] keeps each region's keys on disk with rotation and answers `ListPublicKeys`.
//! - [`digest`] is the digest file format and [`sign_digest`]: render once, hash, sign, gzip.
//! - [`gzip`] writes the single-member gzip the CLI insists on.
//!
//! The reference is `shared/reference/cloudtrail.md` §5-§6; ADR 0007 records the key decisions.
//! This crate does no network IO and keeps no clock: callers pass `now`. The delivery consumer decides
//! which files go into which digest and uploads them; the server maps errors to AWS codes.

pub mod digest;
pub mod error;
pub mod gzip;
pub mod keys;
pub mod keystore;
pub mod naming;

pub use digest::{
    DigestFile, DigestLogFile, HASH_ALGORITHM, SignedDigest, sha256_hex, sign_digest,
    string_to_sign,
};
pub use error::IntegrityError;
pub use gzip::gzip_single_member;
pub use keys::{
    KEY_BITS, SIGNATURE_ALGORITHM, SigningKeyPair, public_key_fingerprint, verify_signature_hex,
};
pub use keystore::{DEFAULT_KEY_LIFETIME, KeyStore, PublicKeyInfo};
pub use naming::{
    FILE_SUFFIX_LEN, digest_file_key, digest_key_prefix, format_digest_time, insight_file_key,
    log_file_key, random_file_suffix,
};

/// Shared fixtures for the unit tests: RSA key generation is slow in debug builds, so a small
/// pool of keys serves the whole test binary.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::OnceLock;

    use crate::SigningKeyPair;

    /// Three distinct key pairs, generated once per test binary.
    pub fn test_keys() -> &'static [SigningKeyPair] {
        static KEYS: OnceLock<Vec<SigningKeyPair>> = OnceLock::new();
        KEYS.get_or_init(|| {
            let threads: Vec<_> = (0..3)
                .map(|_| {
                    std::thread::spawn(|| SigningKeyPair::generate().expect("test key generation"))
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("key generation thread"))
                .collect()
        })
    }

    /// The key pair most tests sign with.
    pub fn test_key() -> &'static SigningKeyPair {
        &test_keys()[0]
    }
}
