//! The canonical request: the exact bytes both sides hash before signing.
//!
//! The rules follow what botocore (the aws CLI and boto3) and the AWS documentation do:
//! - URI, non-S3 services: the path as received (already percent-encoded once) has its dot
//!   segments and empty segments removed and is then URI-encoded again, so `%20` becomes
//!   `%2520` ("encode twice"). An empty path is `/`; `/` stays `/`.
//! - URI, S3: no normalisation and no second encoding: each segment is encoded once. The
//!   received path is decoded and re-encoded so that any client's escaping gives the spec form;
//!   the path exactly as received is tried too (`canonical_uri_candidates`).
//! - Query: every parameter decoded and re-encoded with the strict RFC 3986 set, sorted by key
//!   then value; `X-Amz-Signature` is left out for presigned URLs; `flag` becomes `flag=`.
//! - Headers: the signed names in the order given, values trimmed with inner whitespace runs
//!   collapsed to one space, repeated headers joined with `,`.
//!
//! Everything here is pure string work; nothing hashes or signs.

use http::{HeaderMap, Method, Uri};

/// Appends `bytes` URI-encoded the SigV4 way: unreserved characters (`A-Z a-z 0-9 - _ . ~`)
/// stay, everything else becomes `%XX` (upper-case), `/` stays only if `keep_slash`.
pub fn uri_encode_into(bytes: &[u8], keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in bytes {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// URI-encodes `bytes` the SigV4 way: unreserved characters (`A-Z a-z 0-9 - _ . ~`) stay,
/// everything else becomes `%XX` (upper-case); `/` stays only if `keep_slash`.
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    uri_encode_into(bytes, keep_slash, &mut out);
    out
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as is.
/// `+` is not a space here: SDKs encode spaces as `%20` in paths and queries.
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = bytes.get(index + 1..index + 3).and_then(hex_pair);
        match (bytes[index], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    out
}

fn hex_pair(pair: &[u8]) -> Option<u8> {
    let digit = |byte: u8| char::from(byte).to_digit(16);
    let high = digit(pair[0])?;
    let low = digit(pair[1])?;
    u8::try_from(high * 16 + low).ok()
}

/// The canonical URIs to try, best first: one for non-S3 services, one or two for S3
/// (the spec form, then the path exactly as received when that differs).
pub fn canonical_uri_candidates(raw_path: &str, is_s3: bool) -> Vec<String> {
    if !is_s3 {
        return vec![uri_encode(remove_dot_segments(raw_path).as_bytes(), true)];
    }
    let raw = if raw_path.is_empty() { "/" } else { raw_path };
    let spec_form = uri_encode(&percent_decode(raw), true);
    if spec_form == raw {
        vec![spec_form]
    } else {
        vec![spec_form, raw.to_owned()]
    }
}

/// RFC 3986 dot-segment removal plus collapsing of empty segments, as botocore does for
/// every service but S3. Works on the still-encoded path, so `%2E%2E` is not a dot segment.
pub fn remove_dot_segments(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    let mut normalised = String::with_capacity(path.len() + 1);
    if path.starts_with('/') || path.is_empty() {
        normalised.push('/');
    }
    normalised.push_str(&kept.join("/"));
    if path.ends_with('/') && !kept.is_empty() {
        normalised.push('/');
    }
    normalised
}

/// The canonical query string; `exclude_signature` drops `X-Amz-Signature` (presigned URLs).
pub fn canonical_query(raw_query: Option<&str>, exclude_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for piece in raw_query
        .unwrap_or("")
        .split('&')
        .filter(|piece| !piece.is_empty())
    {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        let key = percent_decode(key);
        if exclude_signature && key == b"X-Amz-Signature" {
            continue;
        }
        pairs.push((
            uri_encode(&key, false),
            uri_encode(&percent_decode(value), false),
        ));
    }
    pairs.sort();
    let joined: Vec<String> = pairs
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    joined.join("&")
}

/// Appends the canonical headers block (`name:value\n` per signed header) to `out`.
/// A signed `host` missing from the headers (HTTP/2) is taken from the URI authority.
pub fn canonical_headers_into(
    signed_headers: &[String],
    headers: &HeaderMap,
    uri: &Uri,
    out: &mut Vec<u8>,
) {
    for name in signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut values = headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() && name == "host" {
            let authority = uri
                .authority()
                .map(|authority| authority.as_str())
                .unwrap_or("");
            out.extend_from_slice(authority.as_bytes());
        }
        let mut first = true;
        for value in values {
            if !first {
                out.push(b',');
            }
            first = false;
            push_trimmed(value.as_bytes(), out);
        }
        out.push(b'\n');
    }
}

/// Appends `value` without leading/trailing whitespace and with each inner run of
/// whitespace collapsed to one space (Python's `' '.join(value.split())`, as botocore does).
fn push_trimmed(value: &[u8], out: &mut Vec<u8>) {
    let mut words = value
        .split(|byte| matches!(byte, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\r' | b'\n'))
        .filter(|word| !word.is_empty());
    if let Some(word) = words.next() {
        out.extend_from_slice(word);
    }
    for word in words {
        out.push(b' ');
        out.extend_from_slice(word);
    }
}

/// The parts of a request that enter the canonical request, minus the URI.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalParts<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// The request target (path and query).
    pub uri: &'a Uri,
    /// All request headers; only the signed ones are read.
    pub headers: &'a HeaderMap,
    /// Lower-case signed header names, in the order the client listed them.
    pub signed_headers: &'a [String],
    /// The payload line: a hex SHA-256 or a literal such as `UNSIGNED-PAYLOAD`.
    pub payload_hash: &'a str,
    /// Whether `X-Amz-Signature` is dropped from the query (presigned URLs).
    pub exclude_signature_param: bool,
}

/// Builds the canonical request bytes for one candidate canonical URI.
pub fn canonical_request(parts: &CanonicalParts<'_>, canonical_uri: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(parts.method.as_str().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri.as_bytes());
    out.push(b'\n');
    let query = canonical_query(parts.uri.query(), parts.exclude_signature_param);
    out.extend_from_slice(query.as_bytes());
    out.push(b'\n');
    canonical_headers_into(parts.signed_headers, parts.headers, parts.uri, &mut out);
    out.push(b'\n');
    out.extend_from_slice(parts.signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(parts.payload_hash.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_s3_paths_are_normalised_then_encoded_again() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/PutAuditEvents", "/PutAuditEvents"),
            ("/a/b/", "/a/b/"),
            ("/a/./b/../c", "/a/c"),
            ("/../..", "/"),
            ("/foo//bar/./baz/../q%20r%2Fs~t", "/foo/bar/q%2520r%252Fs~t"),
            ("/%2E%2E/x", "/%252E%252E/x"),
            ("/a:b@c!d", "/a%3Ab%40c%21d"),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                canonical_uri_candidates(raw, false),
                vec![expected.to_owned()],
                "path {raw:?}"
            );
        }
    }

    #[test]
    fn s3_paths_are_encoded_once_and_not_normalised() {
        let cases: [(&str, &[&str]); 6] = [
            ("", &["/"]),
            ("/bucket/a%20b/c%2Bd~e%25", &["/bucket/a%20b/c%2Bd~e%25"]),
            ("/bucket//x/./y/../z", &["/bucket//x/./y/../z"]),
            ("/bucket/%7Etilde", &["/bucket/~tilde", "/bucket/%7Etilde"]),
            ("/bucket/a:b", &["/bucket/a%3Ab", "/bucket/a:b"]),
            ("/bucket/100%", &["/bucket/100%25", "/bucket/100%"]),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                canonical_uri_candidates(raw, true),
                expected,
                "path {raw:?}"
            );
        }
    }

    #[test]
    fn queries_are_decoded_reencoded_and_sorted() {
        let cases = [
            (None, false, ""),
            (Some(""), false, ""),
            (
                Some("b=2&a=1&a=0&empty=&flag"),
                false,
                "a=0&a=1&b=2&empty=&flag=",
            ),
            (
                Some("prefix=a%20b%2fc+d&x=%7e"),
                false,
                "prefix=a%20b%2Fc%2Bd&x=~",
            ),
            (Some("a=1&&b=2"), false, "a=1&b=2"),
            (
                Some("X-Amz-Signature=abc&X-Amz-Date=1"),
                true,
                "X-Amz-Date=1",
            ),
            (
                Some("X-Amz-Signature=abc&X-Amz-Date=1"),
                false,
                "X-Amz-Date=1&X-Amz-Signature=abc",
            ),
            (Some("k=%zz%4"), false, "k=%25zz%254"),
            (Some("B=1&a=2&_=3"), false, "B=1&_=3&a=2"),
        ];
        for (raw, exclude, expected) in cases {
            assert_eq!(canonical_query(raw, exclude), expected, "query {raw:?}");
        }
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let mut headers = HeaderMap::new();
        headers.insert("x-spaced", "  a   b \t c  ".parse().expect("value"));
        headers.append("x-multi", "first".parse().expect("value"));
        headers.append("x-multi", "second  value".parse().expect("value"));
        headers.insert("x-empty", "".parse().expect("value"));
        let uri: Uri = "http://example.com:8080/path".parse().expect("uri");
        let signed: Vec<String> = ["host", "x-empty", "x-missing", "x-multi", "x-spaced"]
            .map(str::to_owned)
            .to_vec();
        let mut out = Vec::new();
        canonical_headers_into(&signed, &headers, &uri, &mut out);
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "host:example.com:8080\nx-empty:\nx-missing:\nx-multi:first,second value\nx-spaced:a b c\n"
        );
    }

    #[test]
    fn decoding_keeps_broken_escapes() {
        assert_eq!(percent_decode("a%20b%2"), b"a b%2");
        assert_eq!(percent_decode("%e2%82%ac+"), "€+".as_bytes());
        assert_eq!(uri_encode("€ /".as_bytes(), false), "%E2%82%AC%20%2F");
    }
}
