//! Conversions between s3s DTOs and the stored shapes: object attributes from request headers,
//! response headers from stored attributes, owners, timestamps, ETags, Content-MD5.
//!
//! Nothing here touches storage; the handlers call these to keep themselves short.

use std::collections::BTreeMap;

use s3s::dto::{ETag, Metadata, Owner, Timestamp, TimestampFormat};
use sha2::{Digest, Sha256};

use crate::aws_errors;
use crate::index::ObjectAttributes;
use crate::store::system_time;

/// The standard headers an upload may set, as s3s parsed them.
#[derive(Debug, Default)]
pub(crate) struct UploadHeaders {
    pub(crate) content_type: Option<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) content_disposition: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) content_language: Option<String>,
    pub(crate) expires: Option<Timestamp>,
    pub(crate) website_redirect_location: Option<String>,
    pub(crate) metadata: Option<Metadata>,
}

impl UploadHeaders {
    /// The attributes to store.
    pub(crate) fn into_attributes(self) -> ObjectAttributes {
        let mut headers = BTreeMap::new();
        let mut keep = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                headers.insert(name.to_owned(), value);
            }
        };
        keep("cache-control", self.cache_control);
        keep("content-disposition", self.content_disposition);
        keep("content-encoding", self.content_encoding);
        keep("content-language", self.content_language);
        keep("expires", self.expires.as_ref().and_then(http_date));
        keep(
            "x-amz-website-redirect-location",
            self.website_redirect_location,
        );
        ObjectAttributes {
            content_type: self.content_type.filter(|value| !value.is_empty()),
            headers,
            metadata: self.metadata.unwrap_or_default().into_iter().collect(),
        }
    }
}

/// Builds [`UploadHeaders`] from any s3s input that has the standard upload fields.
macro_rules! upload_headers {
    ($input:expr) => {
        $crate::convert::UploadHeaders {
            content_type: $input.content_type.take(),
            cache_control: $input.cache_control.take(),
            content_disposition: $input.content_disposition.take(),
            content_encoding: $input.content_encoding.take(),
            content_language: $input.content_language.take(),
            expires: $input.expires.take(),
            website_redirect_location: $input.website_redirect_location.take(),
            metadata: $input.metadata.take(),
        }
    };
}
pub(crate) use upload_headers;

/// Fills the object headers of a GetObject or HeadObject output from a stored row.
macro_rules! fill_object_headers {
    ($output:expr, $row:expr) => {{
        let row = $row;
        let view = $crate::convert::ObjectView::of(&row.attributes);
        $output.content_type = Some(view.content_type);
        $output.cache_control = view.cache_control;
        $output.content_disposition = view.content_disposition;
        $output.content_encoding = view.content_encoding;
        $output.content_language = view.content_language;
        $output.expires = view.expires;
        $output.website_redirect_location = view.website_redirect_location;
        $output.metadata = view.metadata;
        $output.e_tag = Some($crate::convert::etag(&row.etag));
        $output.last_modified = Some($crate::convert::timestamp(row.last_modified_ms));
        $output.accept_ranges = Some("bytes".to_owned());
    }};
}
pub(crate) use fill_object_headers;

/// The response headers of a stored object.
#[derive(Debug, Default)]
pub(crate) struct ObjectView {
    pub(crate) content_type: String,
    pub(crate) cache_control: Option<String>,
    pub(crate) content_disposition: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) content_language: Option<String>,
    pub(crate) expires: Option<Timestamp>,
    pub(crate) website_redirect_location: Option<String>,
    pub(crate) metadata: Option<Metadata>,
}

impl ObjectView {
    /// The view of `attributes`; Content-Type defaults to S3's `binary/octet-stream`.
    pub(crate) fn of(attributes: &ObjectAttributes) -> Self {
        let header = |name: &str| attributes.headers.get(name).cloned();
        Self {
            content_type: attributes
                .content_type
                .clone()
                .unwrap_or_else(|| "binary/octet-stream".to_owned()),
            cache_control: header("cache-control"),
            content_disposition: header("content-disposition"),
            content_encoding: header("content-encoding"),
            content_language: header("content-language"),
            expires: header("expires")
                .and_then(|value| Timestamp::parse(TimestampFormat::HttpDate, &value).ok()),
            website_redirect_location: header("x-amz-website-redirect-location"),
            metadata: (!attributes.metadata.is_empty()).then(|| {
                attributes
                    .metadata
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
        }
    }
}

fn http_date(timestamp: &Timestamp) -> Option<String> {
    let mut text = Vec::new();
    timestamp
        .format(TimestampFormat::HttpDate, &mut text)
        .ok()?;
    String::from_utf8(text).ok()
}

/// A stored millisecond time as an s3s timestamp.
pub(crate) fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from(system_time(ms))
}

/// A stored (unquoted) ETag as an s3s ETag.
pub(crate) fn etag(value: &str) -> ETag {
    ETag::Strong(value.to_owned())
}

/// The canonical user id S3 shows for an account: 64 hex digits, stable per account.
pub(crate) fn canonical_user_id(account_id: &str) -> String {
    hex::encode(Sha256::digest(
        format!("opentrail-canonical-user:{account_id}").as_bytes(),
    ))
}

/// The `<Owner>` of an account.
pub(crate) fn owner(account_id: &str) -> Owner {
    Owner {
        display_name: Some(account_id.to_owned()),
        id: Some(canonical_user_id(account_id)),
    }
}

/// Decodes a Content-MD5 header: base64 of 16 bytes, else `InvalidDigest`.
pub(crate) fn content_md5(header: Option<&str>) -> s3s::S3Result<Option<[u8; 16]>> {
    let Some(header) = header else {
        return Ok(None);
    };
    let bytes = base64_simd::STANDARD
        .decode_to_vec(header.trim())
        .map_err(|_| aws_errors::invalid_digest())?;
    let digest: [u8; 16] = bytes.try_into().map_err(|_| aws_errors::invalid_digest())?;
    Ok(Some(digest))
}

/// Percent-encodes `value` when the client asked for `EncodingType=url`.
pub(crate) fn encoded(url_encoding: bool, value: &str) -> String {
    if url_encoding {
        crate::listing::url_encode(value)
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip_through_headers() {
        let expires =
            Timestamp::parse(TimestampFormat::HttpDate, "Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        let attributes = UploadHeaders {
            content_type: Some("text/plain".into()),
            cache_control: Some("no-cache".into()),
            expires: Some(expires.clone()),
            metadata: Some(Metadata::from_iter([(
                "color".to_owned(),
                "blue".to_owned(),
            )])),
            ..UploadHeaders::default()
        }
        .into_attributes();
        let view = ObjectView::of(&attributes);
        assert_eq!(view.content_type, "text/plain");
        assert_eq!(view.cache_control.as_deref(), Some("no-cache"));
        assert_eq!(view.expires, Some(expires));
        assert_eq!(view.metadata.unwrap()["color"], "blue");
        assert_eq!(
            ObjectView::of(&ObjectAttributes::default()).content_type,
            "binary/octet-stream"
        );
    }

    #[test]
    fn content_md5_must_be_sixteen_base64_bytes() {
        let check = |header: Option<&str>, expected: Result<Option<&str>, &str>| {
            let outcome = content_md5(header)
                .map(|digest| digest.map(hex::encode))
                .map_err(|error| error.code().as_str().to_owned());
            assert_eq!(
                outcome,
                expected
                    .map(|d| d.map(str::to_owned))
                    .map_err(str::to_owned),
                "{header:?}"
            );
        };
        check(None, Ok(None));
        check(
            Some("XUFAKrxLKna5cZ2REBfFkg=="),
            Ok(Some("5d41402abc4b2a76b9719d911017c592")),
        );
        check(Some("not base64!"), Err("InvalidDigest"));
        check(Some("aGVsbG8="), Err("InvalidDigest"));
    }

    #[test]
    fn canonical_ids_are_stable_hex() {
        let id = canonical_user_id("123456789012");
        assert_eq!(id.len(), 64);
        assert_eq!(id, canonical_user_id("123456789012"));
        assert_ne!(id, canonical_user_id("210987654321"));
    }
}
