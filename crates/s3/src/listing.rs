//! ListObjects (v1 and v2) paging over an ordered key source: prefixes, delimiters and common
//! prefixes, markers, max-keys, continuation tokens and `EncodingType=url`.
//!
//! The algorithm is generic over a fetch function so it can be tested without a database; in the front
//! the fetch is an index range scan. A common prefix is skipped in one seek (to the byte successor of
//! the prefix), so a directory of a million keys costs one query, not a million rows. Nothing here does IO.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::index::{ObjectRow, Seek};

/// The most keys one page returns, whatever the client asks.
pub(crate) const MAX_KEYS_LIMIT: usize = 1000;

/// Something with a key, in key order.
pub(crate) trait Listed {
    /// The object key.
    fn key(&self) -> &str;
}

impl Listed for ObjectRow {
    fn key(&self) -> &str {
        &self.key
    }
}

/// One page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListQuery<'a> {
    pub(crate) prefix: &'a str,
    /// `None` (or empty, which S3 treats the same) for a flat listing.
    pub(crate) delimiter: Option<&'a str>,
    /// Marker (v1) or StartAfter / decoded ContinuationToken (v2): list strictly after it.
    pub(crate) start_after: Option<&'a str>,
    pub(crate) max_keys: usize,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListPage<T> {
    pub(crate) objects: Vec<T>,
    pub(crate) common_prefixes: Vec<String>,
    pub(crate) is_truncated: bool,
    /// The last key or common prefix returned: NextMarker and the continuation point.
    pub(crate) last_returned: Option<String>,
}

impl<T> ListPage<T> {
    fn len(&self) -> usize {
        self.objects.len() + self.common_prefixes.len()
    }
}

/// Lists one page. `fetch(seek, end, limit)` returns up to `limit` items from `seek` on and below `end`
/// (exclusive, `None` = unbounded), in byte order of their keys.
pub(crate) fn list_page<T: Listed, E>(
    query: &ListQuery<'_>,
    mut fetch: impl FnMut(&Seek, Option<&[u8]>, usize) -> Result<Vec<T>, E>,
) -> Result<ListPage<T>, E> {
    let mut page = ListPage {
        objects: Vec::new(),
        common_prefixes: Vec::new(),
        is_truncated: false,
        last_returned: None,
    };
    if query.max_keys == 0 {
        return Ok(page);
    }
    let delimiter = query.delimiter.filter(|delimiter| !delimiter.is_empty());
    let end = successor(query.prefix.as_bytes());
    let batch_size = (query.max_keys + 1).min(MAX_KEYS_LIMIT + 1);
    let mut seek = initial_seek(query);
    'scan: loop {
        let batch = fetch(&seek, end.as_deref(), batch_size)?;
        let exhausted = batch.len() < batch_size;
        for item in batch {
            let Some(prefix) = common_prefix(item.key(), query.prefix, delimiter) else {
                if page.len() == query.max_keys {
                    page.is_truncated = true;
                    break 'scan;
                }
                seek = Seek::After(item.key().as_bytes().to_vec());
                page.last_returned = Some(item.key().to_owned());
                page.objects.push(item);
                continue;
            };
            let already_passed = query
                .start_after
                .is_some_and(|marker| prefix.as_bytes() <= marker.as_bytes());
            if !already_passed {
                if page.len() == query.max_keys {
                    page.is_truncated = true;
                    break 'scan;
                }
                page.last_returned = Some(prefix.to_owned());
                page.common_prefixes.push(prefix.to_owned());
            }
            match successor(prefix.as_bytes()) {
                Some(next) => {
                    seek = Seek::From(next);
                    continue 'scan;
                }
                None => break 'scan,
            }
        }
        if exhausted {
            break;
        }
    }
    Ok(page)
}

fn initial_seek(query: &ListQuery<'_>) -> Seek {
    match query.start_after {
        Some(marker) if marker.as_bytes() >= query.prefix.as_bytes() => {
            Seek::After(marker.as_bytes().to_vec())
        }
        _ => Seek::From(query.prefix.as_bytes().to_vec()),
    }
}

/// The common prefix `key` rolls up into: the key up to and including the first delimiter after `prefix`.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let delimiter = delimiter?;
    let rest = key.strip_prefix(prefix)?;
    let at = rest.find(delimiter)?;
    Some(&key[..prefix.len() + at + delimiter.len()])
}

/// The smallest byte string greater than every string starting with `bytes`; `None` when unbounded.
pub(crate) fn successor(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut next = bytes.to_vec();
    while let Some(last) = next.pop() {
        if last < u8::MAX {
            next.push(last + 1);
            return Some(next);
        }
    }
    None
}

/// What S3 percent-encodes in `EncodingType=url` answers: everything but unreserved characters and `/`.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes a key, prefix, delimiter or marker for `EncodingType=url`.
pub(crate) fn url_encode(value: &str) -> String {
    utf8_percent_encode(value, URL_ENCODE).to_string()
}

/// The opaque ListObjectsV2 continuation token for "after `last_returned`".
pub(crate) fn continuation_token(last_returned: &str) -> String {
    hex::encode(last_returned.as_bytes())
}

/// The key a continuation token continues after; `None` for a token we did not issue.
pub(crate) fn decode_continuation_token(token: &str) -> Option<String> {
    String::from_utf8(hex::decode(token).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Listed for String {
        fn key(&self) -> &str {
            self
        }
    }

    const KEYS: &[&str] = &[
        "a.txt",
        "dir/a",
        "dir/b",
        "dir/sub/c",
        "dir/sub/d",
        "dir2/x",
        "e f+g",
        "photos/2024/1.jpg",
        "photos/2024/2.jpg",
        "photos/2025/1.jpg",
        "z",
    ];

    /// Runs a listing over `KEYS`, counting fetches.
    fn run(query: ListQuery<'_>) -> (ListPage<String>, usize) {
        let mut sorted: Vec<String> = KEYS.iter().map(|k| (*k).to_owned()).collect();
        sorted.sort();
        let mut fetches = 0;
        let page = list_page::<String, ()>(&query, |seek, end, limit| {
            fetches += 1;
            Ok(sorted
                .iter()
                .filter(|key| match seek {
                    Seek::From(start) => key.as_bytes() >= start.as_slice(),
                    Seek::After(start) => key.as_bytes() > start.as_slice(),
                })
                .filter(|key| end.is_none_or(|end| key.as_bytes() < end))
                .take(limit)
                .cloned()
                .collect())
        })
        .unwrap();
        (page, fetches)
    }

    fn query<'a>(
        prefix: &'a str,
        delimiter: Option<&'a str>,
        start_after: Option<&'a str>,
        max_keys: usize,
    ) -> ListQuery<'a> {
        ListQuery {
            prefix,
            delimiter,
            start_after,
            max_keys,
        }
    }

    fn check(
        query: ListQuery<'_>,
        objects: &[&str],
        prefixes: &[&str],
        truncated: bool,
        last: Option<&str>,
    ) {
        let (page, _) = run(query);
        assert_eq!(page.objects, objects, "objects for {query:?}");
        assert_eq!(page.common_prefixes, prefixes, "prefixes for {query:?}");
        assert_eq!(page.is_truncated, truncated, "truncation for {query:?}");
        assert_eq!(page.last_returned.as_deref(), last, "last for {query:?}");
    }

    #[test]
    fn flat_listing_pages_by_max_keys() {
        check(
            query("", None, None, 3),
            &["a.txt", "dir/a", "dir/b"],
            &[],
            true,
            Some("dir/b"),
        );
        check(
            query("", None, Some("dir/b"), 2),
            &["dir/sub/c", "dir/sub/d"],
            &[],
            true,
            Some("dir/sub/d"),
        );
        check(
            query("", None, Some("photos/2025/1.jpg"), 5),
            &["z"],
            &[],
            false,
            Some("z"),
        );
        check(query("", None, Some("zz"), 5), &[], &[], false, None);
        check(query("", None, None, 0), &[], &[], false, None);
        check(
            query("dir/", None, None, 10),
            &["dir/a", "dir/b", "dir/sub/c", "dir/sub/d"],
            &[],
            false,
            Some("dir/sub/d"),
        );
    }

    #[test]
    fn delimiter_rolls_up_common_prefixes() {
        check(
            query("", Some("/"), None, 100),
            &["a.txt", "e f+g", "z"],
            &["dir/", "dir2/", "photos/"],
            false,
            Some("z"),
        );
        check(
            query("dir/", Some("/"), None, 100),
            &["dir/a", "dir/b"],
            &["dir/sub/"],
            false,
            Some("dir/sub/"),
        );
        check(
            query("photos/", Some("/"), None, 1),
            &[],
            &["photos/2024/"],
            true,
            Some("photos/2024/"),
        );
        check(
            query("photos/", Some("/"), Some("photos/2024/"), 1),
            &[],
            &["photos/2025/"],
            false,
            Some("photos/2025/"),
        );
        check(
            query("", Some("/"), Some("dir/a"), 2),
            &["e f+g"],
            &["dir2/"],
            true,
            Some("e f+g"),
        );
        check(
            query("", Some(""), None, 2),
            &["a.txt", "dir/a"],
            &[],
            true,
            Some("dir/a"),
        );
        check(
            query("photos/20", Some("/"), None, 5),
            &[],
            &["photos/2024/", "photos/2025/"],
            false,
            Some("photos/2025/"),
        );
        check(
            query("", Some("2"), Some("photos/2025/1.jpg"), 5),
            &["z"],
            &[],
            false,
            Some("z"),
        );
    }

    #[test]
    fn a_common_prefix_costs_one_seek() {
        let (page, fetches) = run(query("dir/", Some("/"), None, 1000));
        assert_eq!(page.common_prefixes, ["dir/sub/"]);
        assert_eq!(fetches, 2, "one scan, one seek past dir/sub/");
    }

    #[test]
    fn successor_bounds_prefixes() {
        assert_eq!(successor(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(successor(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(successor(b"\xff\xff"), None);
        assert_eq!(successor(b""), None);
    }

    #[test]
    fn url_encoding_keeps_slashes_and_unreserved() {
        let check = |raw: &str, encoded: &str| assert_eq!(url_encode(raw), encoded, "{raw}");
        check("dir/a b+c", "dir/a%20b%2Bc");
        check("é~._-", "%C3%A9~._-");
        check("\u{1}x", "%01x");
    }

    #[test]
    fn continuation_tokens_round_trip() {
        for key in ["", "dir/sub/", "é x+y"] {
            assert_eq!(
                decode_continuation_token(&continuation_token(key)).as_deref(),
                Some(key)
            );
        }
        assert_eq!(decode_continuation_token("not hex"), None);
    }
}
