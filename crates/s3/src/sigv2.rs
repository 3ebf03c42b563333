//! AWS Signature Version 2 for S3 (`Authorization: AWS <key>:<signature>` and presigned URLs with
//! `AWSAccessKeyId`, `Signature`, `Expires`), verified for proxy mode.
//!
//! SigV2 is deprecated, but boto3 and the aws CLI still presign S3 URLs with it by default in
//! us-east-1, so a proxy that refused it would break the commonest presigned download. Embedded
//! buckets get SigV2 from s3s; the proxy verifies it here. Only verification: OpenTrail never signs
//! with SigV2 (requests to the upstream are re-signed with SigV4).

use base64_simd::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use percent_encoding::percent_decode_str;
use sha1::Sha1;

/// The query parameters that are S3 sub-resources and so part of the signed resource.
const SUBRESOURCES: &[&str] = &[
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// A SigV2 claim read off a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SigV2Claim {
    /// The access key id.
    pub(crate) access_key_id: String,
    /// The base64 signature.
    signature: String,
    /// `Expires` (epoch seconds) of a presigned URL; `None` for header auth.
    expires: Option<i64>,
}

/// Why a SigV2 request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SigV2Error {
    /// The signature does not verify.
    Mismatch,
    /// The presigned URL's `Expires` has passed.
    Expired,
}

/// The SigV2 claim of a request, if it makes one.
pub(crate) fn claim(headers: &HeaderMap, query: &[(String, String)]) -> Option<SigV2Claim> {
    if let Some(authorization) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    {
        let (key, signature) = authorization.strip_prefix("AWS ")?.split_once(':')?;
        return Some(SigV2Claim {
            access_key_id: key.to_owned(),
            signature: signature.to_owned(),
            expires: None,
        });
    }
    let value = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    Some(SigV2Claim {
        access_key_id: value("AWSAccessKeyId")?,
        signature: value("Signature")?,
        expires: Some(value("Expires")?.parse().ok()?),
    })
}

/// Verifies `claim` with `secret` for a request whose signed resource is `resource_path` (the
/// percent-encoded `/bucket/key` path, path-style) and whose query is `query` (decoded pairs).
pub(crate) fn verify(
    claim: &SigV2Claim,
    method: &http::Method,
    headers: &HeaderMap,
    resource_path: &str,
    query: &[(String, String)],
    secret: &str,
    now_epoch_seconds: i64,
) -> Result<(), SigV2Error> {
    if let Some(expires) = claim.expires
        && expires < now_epoch_seconds
    {
        return Err(SigV2Error::Expired);
    }
    let text = string_to_sign(method, headers, resource_path, query, claim.expires);
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).map_err(|_| SigV2Error::Mismatch)?;
    mac.update(text.as_bytes());
    let expected = BASE64.encode_to_string(mac.finalize().into_bytes());
    let given = percent_decode_str(&claim.signature).decode_utf8_lossy();
    if constant_time_eq(expected.as_bytes(), given.as_bytes())
        || constant_time_eq(expected.as_bytes(), claim.signature.as_bytes())
    {
        Ok(())
    } else {
        Err(SigV2Error::Mismatch)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `METHOD\nContent-MD5\nContent-Type\nDate-or-Expires\n<x-amz headers><resource>`.
fn string_to_sign(
    method: &http::Method,
    headers: &HeaderMap,
    resource_path: &str,
    query: &[(String, String)],
    expires: Option<i64>,
) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let date = match expires {
        Some(expires) => expires.to_string(),
        None if headers.contains_key("x-amz-date") => String::new(),
        None => header("date"),
    };
    let mut amz: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let name = name.as_str();
        if !name.starts_with("x-amz-") {
            continue;
        }
        let value = value.to_str().unwrap_or("").trim().to_owned();
        match amz.iter_mut().find(|(existing, _)| existing == name) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            None => amz.push((name.to_owned(), value)),
        }
    }
    amz.sort();
    let mut text = format!(
        "{method}\n{}\n{}\n{date}\n",
        header("content-md5"),
        header("content-type")
    );
    for (name, value) in amz {
        text.push_str(&format!("{name}:{value}\n"));
    }
    text.push_str(resource_path);
    let mut subresources: Vec<&(String, String)> = query
        .iter()
        .filter(|(name, _)| SUBRESOURCES.contains(&name.as_str()))
        .collect();
    subresources.sort();
    for (index, (name, value)) in subresources.into_iter().enumerate() {
        text.push(if index == 0 { '?' } else { '&' });
        text.push_str(name);
        if !value.is_empty() {
            text.push('=');
            text.push_str(value);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of AWS's S3 REST authentication guide (GET /photos/puppy.jpg, SigV2).
    #[test]
    fn aws_documented_example_verifies() {
        let mut headers = HeaderMap::new();
        headers.insert("date", "Tue, 27 Mar 2007 19:36:42 +0000".parse().unwrap());
        headers.insert(
            http::header::AUTHORIZATION,
            "AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g="
                .parse()
                .unwrap(),
        );
        let claim = claim(&headers, &[]).unwrap();
        assert_eq!(claim.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let check = |path: &str, expected: Result<(), SigV2Error>| {
            assert_eq!(
                verify(&claim, &http::Method::GET, &headers, path, &[], secret, 0),
                expected,
                "{path}"
            );
        };
        check("/awsexamplebucket1/photos/puppy.jpg", Ok(()));
        check(
            "/awsexamplebucket1/photos/kitten.jpg",
            Err(SigV2Error::Mismatch),
        );
    }

    #[test]
    fn presigned_claims_expire_and_sign_subresources() {
        let query = vec![
            ("AWSAccessKeyId".to_owned(), "AK".to_owned()),
            ("Expires".to_owned(), "100".to_owned()),
            ("Signature".to_owned(), "x".to_owned()),
            ("uploadId".to_owned(), "U1".to_owned()),
            ("prefix".to_owned(), "ignored".to_owned()),
        ];
        let headers = HeaderMap::new();
        let claim = claim(&headers, &query).unwrap();
        assert_eq!(
            verify(
                &claim,
                &http::Method::GET,
                &headers,
                "/b/k",
                &query,
                "s",
                101
            ),
            Err(SigV2Error::Expired)
        );
        assert_eq!(
            string_to_sign(&http::Method::GET, &headers, "/b/k", &query, Some(100)),
            "GET\n\n\n100\n/b/k?uploadId=U1"
        );
        assert_eq!(claim_of_nothing(), None);
    }

    fn claim_of_nothing() -> Option<SigV2Claim> {
        claim(&HeaderMap::new(), &[])
    }
}
