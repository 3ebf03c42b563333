//! The SigV4 primitives: the signing-key derivation, strings to sign, HMAC and comparison.
//!
//! `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
//! The key is per (secret, date, region, service); deriving it costs four HMACs, so it is
//! derived per request and not cached here.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::CredentialScope;
use crate::scope::SCOPE_TERMINATOR;

/// The algorithm name in headers, query strings and strings to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A derived SigV4 signing key. Its `Debug` output never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// Derives the key for `scope` from a secret access key.
    pub fn derive(secret_access_key: &str, scope: &CredentialScope) -> SigningKey {
        let date_key = hmac_sha256(
            format!("AWS4{secret_access_key}").as_bytes(),
            scope.date.as_bytes(),
        );
        let region_key = hmac_sha256(&date_key, scope.region.as_bytes());
        let service_key = hmac_sha256(&region_key, scope.service.as_bytes());
        SigningKey(hmac_sha256(&service_key, SCOPE_TERMINATOR.as_bytes()))
    }

    /// The lower-case hex signature of `string_to_sign`.
    pub fn sign_hex(&self, string_to_sign: &str) -> String {
        hex::encode(hmac_sha256(&self.0, string_to_sign.as_bytes()))
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("hmac accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The request string to sign.
pub fn request_string_to_sign(
    timestamp: &str,
    scope: &CredentialScope,
    canonical_request: &[u8],
) -> String {
    let hash = sha256_hex(canonical_request);
    format!("{ALGORITHM}\n{timestamp}\n{scope}\n{hash}")
}

/// Compares two signatures in time independent of where they differ.
pub fn signatures_equal(expected: &str, provided: &str) -> bool {
    let (expected, provided) = (expected.as_bytes(), provided.as_bytes());
    if expected.len() != provided.len() {
        return false;
    }
    expected
        .iter()
        .zip(provided)
        .fold(0u8, |difference, (left, right)| difference | (left ^ right))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_signing_key() {
        // The AWS General Reference example: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
        // 20120215/us-east-1/iam.
        let scope = CredentialScope {
            date: "20120215".to_owned(),
            region: "us-east-1".to_owned(),
            service: "iam".to_owned(),
        };
        let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &scope);
        assert_eq!(
            hex::encode(key.0),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    }

    #[test]
    fn compares_signatures() {
        assert!(signatures_equal("abc", "abc"));
        assert!(!signatures_equal("abc", "abd"));
        assert!(!signatures_equal("abc", "ab"));
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }
}
