//! RSA PKCS#1 v1.5 signature verification exactly as python-rsa 4.7 (`rsa.verify`, what the aws CLI
//! uses) performs it, including its quirks: the hash is whichever DigestInfo prefix is found in the
//! decrypted block (MD5, SHA-1, SHA-224/256/384/512), a signature numerically larger than the
//! modulus is simply reduced, and a key too small for the hash found is an `OverflowError`.
//!
//! Also the public-key side: the PKCS#1 `RSAPublicKey` DER that `ListPublicKeys` returns and its MD5
//! fingerprint. Only public-key operations live here; nothing is secret, so plain big integers are fine.

use md5::Md5;
use num_bigint::BigUint;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// An RSA public key: modulus and public exponent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicNumbers {
    /// The modulus `n`.
    pub modulus: BigUint,
    /// The public exponent `e`.
    pub exponent: BigUint,
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFailure {
    /// `rsa.pkcs1.VerificationError`: the CLI reports "signature verification failed".
    Mismatch,
    /// Another exception from python-rsa (an `OverflowError`), by its text.
    Error(String),
}

/// The DigestInfo prefixes python-rsa searches for, in its order.
const HASH_PREFIXES: [(HashMethod, &[u8]); 6] = [
    (
        HashMethod::Md5,
        b"\x30\x20\x30\x0c\x06\x08\x2a\x86\x48\x86\xf7\x0d\x02\x05\x05\x00\x04\x10",
    ),
    (
        HashMethod::Sha1,
        b"\x30\x21\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\x04\x14",
    ),
    (
        HashMethod::Sha224,
        b"\x30\x2d\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x04\x05\x00\x04\x1c",
    ),
    (
        HashMethod::Sha256,
        b"\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20",
    ),
    (
        HashMethod::Sha384,
        b"\x30\x41\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02\x05\x00\x04\x30",
    ),
    (
        HashMethod::Sha512,
        b"\x30\x51\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x03\x05\x00\x04\x40",
    ),
];

/// The SHA-256 DigestInfo prefix (what CloudTrail's `SHA256withRSA` signs).
pub const SHA256_DIGEST_INFO_PREFIX: &[u8] = HASH_PREFIXES[3].1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashMethod {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HashMethod {
    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            HashMethod::Md5 => Md5::digest(message).to_vec(),
            HashMethod::Sha1 => Sha1::digest(message).to_vec(),
            HashMethod::Sha224 => Sha224::digest(message).to_vec(),
            HashMethod::Sha256 => Sha256::digest(message).to_vec(),
            HashMethod::Sha384 => Sha384::digest(message).to_vec(),
            HashMethod::Sha512 => Sha512::digest(message).to_vec(),
        }
    }
}

/// Lower-case hex MD5 of the DER bytes: the `Fingerprint` of a CloudTrail public key.
pub fn public_key_fingerprint(der: &[u8]) -> String {
    hex::encode(Md5::digest(der))
}

/// `rsa.PublicKey.load_pkcs1(der, 'DER')`: `SEQUENCE { INTEGER modulus, INTEGER publicExponent }`.
/// Bytes after the outer SEQUENCE are ignored, as python-rsa ignores them. Returns `None` where
/// pyasn1 raises (the CLI then says "Unable to load PKCS #1 key"); negative or zero integers are
/// also refused.
pub fn load_pkcs1_public_key(der: &[u8]) -> Option<RsaPublicNumbers> {
    let (tag, body, _) = read_tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (modulus_tag, modulus, rest) = read_tlv(body)?;
    let (exponent_tag, exponent, rest) = read_tlv(rest)?;
    if modulus_tag != 0x02 || exponent_tag != 0x02 || !rest.is_empty() {
        return None;
    }
    let modulus = positive_integer(modulus)?;
    let exponent = positive_integer(exponent)?;
    Some(RsaPublicNumbers { modulus, exponent })
}

/// One BER tag-length-value with a definite length: (tag, content, remaining input).
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 8 || rest.len() < count {
            return None;
        }
        let (length_bytes, after) = rest.split_at(count);
        rest = after;
        length_bytes.iter().try_fold(0usize, |length, byte| {
            length.checked_mul(256)?.checked_add(usize::from(*byte))
        })?
    };
    if rest.len() < length {
        return None;
    }
    let (content, remaining) = rest.split_at(length);
    Some((tag, content, remaining))
}

fn positive_integer(content: &[u8]) -> Option<BigUint> {
    if content.first().is_none_or(|byte| byte & 0x80 != 0) {
        return None;
    }
    let value = BigUint::from_bytes_be(content);
    (value != BigUint::ZERO).then_some(value)
}

/// `rsa.verify(message, signature, key)`.
pub fn verify_pkcs1v15(
    message: &[u8],
    signature: &[u8],
    key: &RsaPublicNumbers,
) -> Result<(), SignatureFailure> {
    let key_length = usize::try_from(key.modulus.bits().div_ceil(8)).unwrap_or(usize::MAX);
    let encrypted = BigUint::from_bytes_be(signature);
    let decrypted = encrypted.modpow(&key.exponent, &key.modulus).to_bytes_be();
    let mut clear = vec![0u8; key_length.saturating_sub(decrypted.len())];
    clear.extend_from_slice(&decrypted);
    let Some((method, prefix)) = HASH_PREFIXES
        .iter()
        .find(|(_, prefix)| contains(&clear, prefix))
    else {
        return Err(SignatureFailure::Mismatch);
    };
    let mut cleartext = prefix.to_vec();
    cleartext.extend_from_slice(&method.digest(message));
    let room = key_length as i64 - 11;
    if cleartext.len() as i64 > room {
        return Err(SignatureFailure::Error(format!(
            "{} bytes needed for message, but there is only space for {room}",
            cleartext.len()
        )));
    }
    let mut expected = vec![0x00, 0x01];
    expected.resize(key_length - cleartext.len() - 1, 0xff);
    expected.push(0x00);
    expected.extend_from_slice(&cleartext);
    if signature.len() != key_length || expected != clear {
        return Err(SignatureFailure::Mismatch);
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 512-bit test key (n, e, d) made with python-rsa for these tests only.
    fn small_key() -> (RsaPublicNumbers, BigUint) {
        let n = BigUint::parse_bytes(
            b"7001588737550348826140855745521542669751657545743013982025775293375804127552842587824734269856358061318655014703424500444660478820841859965315886635489473",
            10,
        )
        .unwrap();
        let d = BigUint::parse_bytes(
            b"2165848428770896161746091040617639418097797479665656384296024269078652928205719566044908789446874660102521665806986440862566768758080392326696344569121413",
            10,
        )
        .unwrap();
        let key = RsaPublicNumbers {
            modulus: n,
            exponent: BigUint::from(65537u32),
        };
        (key, d)
    }

    fn sign(
        key: &RsaPublicNumbers,
        private_exponent: &BigUint,
        prefix: &[u8],
        hash: &[u8],
    ) -> Vec<u8> {
        let key_length = key.modulus.bits().div_ceil(8) as usize;
        let mut block = vec![0x00, 0x01];
        block.resize(key_length - prefix.len() - hash.len() - 1, 0xff);
        block.push(0);
        block.extend_from_slice(prefix);
        block.extend_from_slice(hash);
        let value = BigUint::from_bytes_be(&block).modpow(private_exponent, &key.modulus);
        let bytes = value.to_bytes_be();
        let mut out = vec![0u8; key_length - bytes.len()];
        out.extend_from_slice(&bytes);
        out
    }

    #[test]
    fn accepts_any_hash_python_rsa_accepts() {
        let (key, d) = small_key();
        let message = b"hello";
        let by_sha256 = sign(
            &key,
            &d,
            SHA256_DIGEST_INFO_PREFIX,
            &Sha256::digest(message),
        );
        assert_eq!(verify_pkcs1v15(message, &by_sha256, &key), Ok(()));
        let by_sha1 = sign(&key, &d, HASH_PREFIXES[1].1, &Sha1::digest(message));
        assert_eq!(verify_pkcs1v15(message, &by_sha1, &key), Ok(()));
        assert_eq!(
            verify_pkcs1v15(b"other", &by_sha256, &key),
            Err(SignatureFailure::Mismatch)
        );
    }

    #[test]
    fn reports_python_rsa_errors() {
        let (key, d) = small_key();
        let too_big = (&key.modulus + 1u32).to_bytes_be();
        assert_eq!(
            verify_pkcs1v15(b"x", &too_big, &key),
            Err(SignatureFailure::Mismatch)
        );
        assert_eq!(
            verify_pkcs1v15(b"x", b"", &key),
            Err(SignatureFailure::Mismatch)
        );
        // A SHA-512 DigestInfo does not fit a 512-bit key: python-rsa raises OverflowError.
        let sha512_prefix = HASH_PREFIXES[5].1;
        let forged = sign(&key, &d, sha512_prefix, &[0u8; 34]);
        assert_eq!(
            verify_pkcs1v15(b"x", &forged, &key),
            Err(SignatureFailure::Error(
                "83 bytes needed for message, but there is only space for 53".to_owned()
            ))
        );
    }

    #[test]
    fn loads_pkcs1_der_only() {
        let (key, _) = small_key();
        let modulus = key.modulus.to_bytes_be();
        let mut body = vec![0x02, 0x41, 0x00];
        body.extend_from_slice(&modulus);
        body.extend_from_slice(&[0x02, 0x03, 0x01, 0x00, 0x01]);
        let mut der = vec![0x30, body.len() as u8];
        der.extend_from_slice(&body);
        assert_eq!(load_pkcs1_public_key(&der), Some(key.clone()));
        let mut trailing = der.clone();
        trailing.extend_from_slice(b"junk");
        assert_eq!(load_pkcs1_public_key(&trailing), Some(key));
        assert_eq!(load_pkcs1_public_key(&der[..der.len() - 1]), None);
        assert_eq!(load_pkcs1_public_key(b""), None);
        let mut spki_like = vec![0x30, 0x03, 0x30, 0x01, 0x00];
        spki_like.extend_from_slice(&der);
        assert_eq!(load_pkcs1_public_key(&spki_like), None);
    }

    #[test]
    fn fingerprint_is_md5_of_der() {
        assert_eq!(
            public_key_fingerprint(b""),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
    }
}
