//! Reading the three S3 XML bodies `validate-logs` meets: GetBucketLocation, ListObjects (v1, with
//! `EncodingType=url` decoding as botocore does it) and the `<Error>` document.
//!
//! A deliberately small element scanner, not an XML parser: these documents are flat, element names
//! are unique where we look, and there are no namespaces prefixes, comments or CDATA in what S3 sends.

use crate::python_compat::unquote_plus;
use crate::source::ObjectListing;

/// The inner texts of every `<name>` (or `<name attributes>`) element, entity-decoded.
fn elements(xml: &str, name: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = xml;
    let open = format!("<{name}");
    let close = format!("</{name}>");
    while let Some(start) = rest.find(&open) {
        let after_name = &rest[start + open.len()..];
        let Some(tag_end) = after_name.find('>') else {
            break;
        };
        let boundary = after_name.as_bytes().first().copied().unwrap_or(b'>');
        if !matches!(boundary, b'>' | b' ' | b'/' | b'\t' | b'\n' | b'\r') {
            rest = after_name;
            continue;
        }
        if after_name[..tag_end].ends_with('/') {
            found.push(String::new());
            rest = &after_name[tag_end + 1..];
            continue;
        }
        let body = &after_name[tag_end + 1..];
        let Some(end) = body.find(&close) else {
            break;
        };
        found.push(decode_entities(&body[..end]));
        rest = &body[end + close.len()..];
    }
    found
}

fn first_element(xml: &str, name: &str) -> Option<String> {
    elements(xml, name).into_iter().next()
}

/// Replaces the five predefined entities and numeric character references.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find('&') {
        out.push_str(&rest[..position]);
        let candidate = &rest[position..];
        let decoded = candidate.find(';').and_then(|end| {
            let entity = &candidate[1..end];
            let character = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| {
                        entity
                            .strip_prefix('#')
                            .and_then(|decimal| decimal.parse().ok())
                    })
                    .and_then(char::from_u32),
            }?;
            Some((character, end + 1))
        });
        match decoded {
            Some((character, length)) => {
                out.push(character);
                rest = &candidate[length..];
            }
            None => {
                out.push('&');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// GetBucketLocation: the `LocationConstraint` text, `None` when empty.
pub fn parse_location(xml: &str) -> Option<String> {
    first_element(xml, "LocationConstraint").filter(|region| !region.is_empty())
}

/// ListObjects v1: keys, truncation and next marker, URL-decoded when the response says
/// `<EncodingType>url</EncodingType>`.
pub fn parse_list_objects(xml: &str) -> ObjectListing {
    let url_encoded = first_element(xml, "EncodingType").as_deref() == Some("url");
    let decode = |text: String| {
        if url_encoded {
            unquote_plus(&text)
        } else {
            text
        }
    };
    let keys = elements(xml, "Contents")
        .iter()
        .filter_map(|contents| first_element(contents, "Key"))
        .map(decode)
        .collect();
    ObjectListing {
        keys,
        is_truncated: first_element(xml, "IsTruncated").as_deref() == Some("true"),
        next_marker: first_element(xml, "NextMarker").map(decode),
    }
}

/// An S3 `<Error>` document: code and message.
pub fn parse_error(xml: &str) -> Option<(String, Option<String>)> {
    let code = first_element(xml, "Code")?;
    Some((code, first_element(xml, "Message")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_list_objects() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p</Prefix>
<Marker></Marker><NextMarker>a%2Bb+c</NextMarker><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>
<IsTruncated>true</IsTruncated><Contents><Key>x%26y+z</Key><Size>3</Size></Contents>
<Contents><Key>plain</Key></Contents></ListBucketResult>"#;
        let listing = parse_list_objects(xml);
        assert_eq!(listing.keys, vec!["x&y z".to_owned(), "plain".to_owned()]);
        assert!(listing.is_truncated);
        assert_eq!(listing.next_marker.as_deref(), Some("a+b c"));
        let raw = "<ListBucketResult><Contents><Key>a&amp;b+c</Key></Contents><IsTruncated>false</IsTruncated></ListBucketResult>";
        let listing = parse_list_objects(raw);
        assert_eq!(listing.keys, vec!["a&b+c".to_owned()]);
        assert!(!listing.is_truncated);
    }

    #[test]
    fn reads_location_and_errors() {
        let table = [
            (
                r#"<LocationConstraint xmlns="x">eu-west-1</LocationConstraint>"#,
                Some("eu-west-1"),
            ),
            (r#"<LocationConstraint xmlns="x"/>"#, None),
            ("<LocationConstraint></LocationConstraint>", None),
        ];
        for (xml, expected) in table {
            assert_eq!(parse_location(xml).as_deref(), expected, "{xml}");
        }
        let error = parse_error(
            "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
        );
        assert_eq!(
            error,
            Some((
                "NoSuchKey".to_owned(),
                Some("The specified key does not exist.".to_owned())
            ))
        );
        assert_eq!(decode_entities("&#65;&#x42;&bogus;&"), "AB&bogus;&");
    }
}
