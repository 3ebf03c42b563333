//! One region's RSA-2048 signing key pair and the SHA256withRSA scheme digests are signed with.
//!
//! The public half is kept as DER of a PKCS#1 `RSAPublicKey` (not SubjectPublicKeyInfo) because the
//! CLI loads it with `rsa.PublicKey.load_pkcs1(der, 'DER')`; the fingerprint is the lower-case hex MD5
//! of those bytes (reference §6.4). Persistence and rotation live in [`crate::keystore`].

use std::fmt;

use md5::{Digest as _, Md5};
use rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::{Signer, Verifier};
use rsa::{PrivateKey, PublicKey};

use crate::IntegrityError;

/// Modulus size of every signing key, as CloudTrail's (`MIIBCgKCAQEA…` public keys).
pub const KEY_BITS: usize = 2048;

/// The value of `digestSignatureAlgorithm` and of the `signature-algorithm` object metadata.
pub const SIGNATURE_ALGORITHM: &str = "SHA256withRSA";

/// One region's signing key pair (RSA 2048, PKCS#1 v1.5 with SHA-256 = "SHA256withRSA").
#[derive(Clone)]
pub struct SigningKeyPair {
    signing_key: SigningKey<Sha256>,
    public_key_der: Vec<u8>,
    fingerprint: String,
}

impl fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyPair")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl SigningKeyPair {
    /// Generates a fresh 2048-bit key from the system RNG (slow in debug builds: ~1 s).
    pub fn generate() -> Result<Self, IntegrityError> {
        let private_key = PrivateKey::new(&mut getrandom::SysRng, KEY_BITS)
            .map_err(|e| IntegrityError::KeyGeneration(e.to_string()))?;
        Self::from_private_key(private_key)
    }

    /// Rebuilds a key pair from the DER of a PKCS#1 `RSAPrivateKey` (what the key store persists).
    pub fn from_private_key_pkcs1_der(der: &[u8]) -> Result<Self, IntegrityError> {
        let private_key = PrivateKey::from_pkcs1_der(der)
            .map_err(|e| IntegrityError::KeyEncoding(e.to_string()))?;
        Self::from_private_key(private_key)
    }

    fn from_private_key(private_key: PrivateKey) -> Result<Self, IntegrityError> {
        let public_key_der = private_key
            .to_public_key()
            .to_pkcs1_der()
            .map_err(|e| IntegrityError::KeyEncoding(e.to_string()))?
            .into_vec();
        let fingerprint = public_key_fingerprint(&public_key_der);
        Ok(SigningKeyPair {
            signing_key: SigningKey::new(private_key),
            public_key_der,
            fingerprint,
        })
    }

    /// DER of the PKCS#1 private key, for the key store only (wiped from memory when dropped).
    pub(crate) fn private_key_pkcs1_der(
        &self,
    ) -> Result<rsa::pkcs1::der::SecretDocument, IntegrityError> {
        let private_key: &PrivateKey = self.signing_key.as_ref();
        private_key
            .to_pkcs1_der()
            .map_err(|e| IntegrityError::KeyEncoding(e.to_string()))
    }

    /// DER of the PKCS#1 `RSAPublicKey` (`SEQUENCE { modulus, publicExponent }`): the `Value` of
    /// `ListPublicKeys`.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    /// Lower-case hex MD5 of [`Self::public_key_der`]: the `digestPublicKeyFingerprint`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// SHA256withRSA signature of `message`, lower-case hex (512 characters for a 2048-bit key).
    pub fn sign_hex(&self, message: &[u8]) -> String {
        // PKCS#1 v1.5 with SHA-256 cannot fail for a valid 2048-bit key: the encoded digest (51
        // bytes) always fits the 256-byte modulus. A failure would be a broken invariant, not input.
        let signature: Signature = self.signing_key.sign(message);
        format!("{signature:x}")
    }
}

/// Lower-case hex MD5 of a public key's PKCS#1 DER: how CloudTrail fingerprints keys.
pub fn public_key_fingerprint(public_key_der: &[u8]) -> String {
    hex::encode(Md5::digest(public_key_der))
}

/// Verifies a hex SHA256withRSA `signature_hex` over `message` with a PKCS#1 DER public key, the
/// same check `validate-logs` makes.
pub fn verify_signature_hex(
    public_key_der: &[u8],
    message: &[u8],
    signature_hex: &str,
) -> Result<(), IntegrityError> {
    let mismatch = || IntegrityError::SignatureMismatch(signature_hex.to_string());
    let public_key = PublicKey::from_pkcs1_der(public_key_der)
        .map_err(|e| IntegrityError::KeyEncoding(e.to_string()))?;
    let bytes = hex::decode(signature_hex).map_err(|_| mismatch())?;
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| mismatch())?;
    VerifyingKey::<Sha256>::new(public_key)
        .verify(message, &signature)
        .map_err(|_| mismatch())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::test_key;

    /// The public key of the AWS CLI's `list-public-keys` example (awscli/examples/cloudtrail),
    /// published with fingerprint 7f3f401420072e50a65a141430817ab3.
    const AWS_SAMPLE_PUBLIC_KEY_DER_HEX: [&str; 6] = [
        "3082010a02820101009524b7725f761c3c9caff3138f49a83a16acf2169b8ebada5f0f8ace5585d1ac52236b5c17ede2",
        "27d04a4005522b11b0c70bb79b4c06dc9fa4525d716e811c10f1d8a0860c6e07d2c3b2869ee0cac242f3b105a1509d1c",
        "21b387012a31d6fbffe5f35792b1e119b0c21de5579bcd3873cde7bc75041584e1af53dfc8fffc1f0ac2b51dc55f9380",
        "36d4023fad42d6726d492902f0949050eac83f80aec098dcfb85860e4f81187e66f62ba200a922a441d699497cfcfed7",
        "a5fa5642e93887c837a5764eacd5ebd3c95b878777f6cbe3ed4a9d86f397a01212a7db7f11762e78f184b4176b283f43",
        "cfe547c3250fb4142f62bf419e417cf2a06768f3614b8e2bcf0203010001",
    ];

    fn aws_sample_public_key_der() -> Vec<u8> {
        hex::decode(AWS_SAMPLE_PUBLIC_KEY_DER_HEX.concat()).unwrap()
    }

    fn is_lower_hex(text: &str) -> bool {
        text.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[test]
    fn fingerprint_is_md5_of_der_as_for_the_aws_sample_key() {
        let der = aws_sample_public_key_der();
        assert_eq!(
            public_key_fingerprint(&der),
            "7f3f401420072e50a65a141430817ab3"
        );
        // Our keys have the same shape as AWS's: 270-byte PKCS#1 DER of a 2048-bit key.
        assert_eq!(der.len(), test_key().public_key_der().len());
        assert_eq!(der[..9], test_key().public_key_der()[..9]);
    }

    #[test]
    fn public_key_is_pkcs1_der_not_spki() {
        let der = test_key().public_key_der();
        // SEQUENCE (0x30 0x82 0x01 0x0a) { INTEGER (0x02 0x82 0x01 0x01) 0x00 modulus, ... }:
        // base64 "MIIBCgKCAQEA", the prefix the user guide's keys share.
        assert_eq!(
            der[..9],
            [0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00]
        );
        assert!(PublicKey::from_pkcs1_der(der).is_ok());
        let key = test_key();
        assert_eq!(key.fingerprint(), public_key_fingerprint(der));
        assert_eq!(key.fingerprint().len(), 32);
        assert!(is_lower_hex(key.fingerprint()), "{}", key.fingerprint());
    }

    #[test]
    fn signatures_verify_only_for_their_message_and_key() {
        let key = test_key();
        let message = b"2015-08-17T15:01:31Z\nbucket/key\nabc\nnull";
        let signature = key.sign_hex(message);
        assert_eq!(signature.len(), 512);
        assert!(is_lower_hex(&signature), "{signature}");
        assert!(verify_signature_hex(key.public_key_der(), message, &signature).is_ok());

        let mut flipped = signature.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        let sample = aws_sample_public_key_der();
        let rejected: [(&[u8], &[u8], &str); 4] = [
            (key.public_key_der(), b"another message", &signature),
            (key.public_key_der(), message, &flipped),
            (key.public_key_der(), message, "not hex"),
            (&sample, message, &signature),
        ];
        for (der, message, signature) in rejected {
            let result = verify_signature_hex(der, message, signature);
            assert!(
                matches!(result, Err(IntegrityError::SignatureMismatch(_))),
                "{result:?}"
            );
        }
    }

    #[test]
    fn private_key_der_round_trips_to_the_same_key() {
        let key = test_key();
        let der = key.private_key_pkcs1_der().unwrap();
        let again = SigningKeyPair::from_private_key_pkcs1_der(der.as_bytes()).unwrap();
        assert_eq!(again.fingerprint(), key.fingerprint());
        // PKCS#1 v1.5 is deterministic: the same key signs the same message identically.
        assert_eq!(again.sign_hex(b"m"), key.sign_hex(b"m"));
        let garbage = SigningKeyPair::from_private_key_pkcs1_der(b"\x30\x03\x02\x01\x00");
        assert!(
            matches!(garbage, Err(IntegrityError::KeyEncoding(_))),
            "{garbage:?}"
        );
    }

    #[test]
    fn debug_output_shows_the_fingerprint_only() {
        let key = test_key();
        let debug = format!("{key:?}");
        assert!(debug.contains(key.fingerprint()), "{debug}");
        assert!(debug.len() < 120, "{debug}");
    }
}
