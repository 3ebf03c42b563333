//! Multipart-upload rules: checking a CompleteMultipartUpload part list, the multipart ETag, and
//! paging ListMultipartUploads.
//!
//! Pure functions over index rows; storing parts and assembling the object is [`crate::store`]'s job.

use md5::{Digest, Md5};

use crate::aws_errors;
use crate::index::{PartRow, UploadRow};

/// AWS's minimum size of every part but the last.
pub(crate) const MIN_PART_SIZE: u64 = 5 << 20;

/// The largest part number S3 accepts.
pub(crate) const MAX_PART_NUMBER: i32 = 10_000;

/// One `<Part>` of a CompleteMultipartUpload body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestedPart {
    pub(crate) part_number: i32,
    /// The ETag the client saw for the part, without quotes.
    pub(crate) etag: String,
}

/// Checks the requested part list against the uploaded parts and returns the parts to assemble, in
/// order. Errors: `MalformedXML` (no parts), `InvalidPartOrder`, `InvalidPart`, `EntityTooSmall`.
pub(crate) fn check_completion<'a>(
    requested: &[RequestedPart],
    uploaded: &'a [PartRow],
    min_part_size: u64,
) -> Result<Vec<&'a PartRow>, s3s::S3Error> {
    if requested.is_empty() {
        return Err(aws_errors::malformed_xml());
    }
    if requested
        .windows(2)
        .any(|pair| pair[0].part_number >= pair[1].part_number)
    {
        return Err(aws_errors::invalid_part_order());
    }
    let mut chosen = Vec::with_capacity(requested.len());
    for wanted in requested {
        let part = uploaded
            .iter()
            .find(|part| {
                part.part_number == wanted.part_number
                    && part
                        .etag
                        .eq_ignore_ascii_case(wanted.etag.trim_matches('"'))
            })
            .ok_or_else(aws_errors::invalid_part)?;
        chosen.push(part);
    }
    if let Some((_last, leading)) = chosen.split_last()
        && leading.iter().any(|part| part.size < min_part_size)
    {
        return Err(aws_errors::entity_too_small());
    }
    Ok(chosen)
}

/// The ETag of a multipart object: the MD5 of the concatenated binary part MD5s, then `-<parts>`.
pub(crate) fn multipart_etag<'a>(part_etags: impl ExactSizeIterator<Item = &'a str>) -> String {
    let count = part_etags.len();
    let mut md5 = Md5::new();
    for etag in part_etags {
        let digest = hex::decode(etag).unwrap_or_default();
        md5.update(&digest);
    }
    let digest: [u8; 16] = md5.finalize().into();
    format!("{}-{count}", hex::encode(digest))
}

/// One page of ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UploadsPage {
    pub(crate) uploads: Vec<UploadRow>,
    pub(crate) common_prefixes: Vec<String>,
    pub(crate) is_truncated: bool,
    pub(crate) next_key_marker: Option<String>,
    pub(crate) next_upload_id_marker: Option<String>,
}

/// What ListMultipartUploads asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UploadsQuery<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) delimiter: Option<&'a str>,
    pub(crate) key_marker: Option<&'a str>,
    pub(crate) upload_id_marker: Option<&'a str>,
    pub(crate) max_uploads: usize,
}

/// Pages uploads sorted by (key, upload id); upload ids are time-ordered, so that is initiation order.
pub(crate) fn page_uploads(mut uploads: Vec<UploadRow>, query: &UploadsQuery<'_>) -> UploadsPage {
    uploads.sort_by(|a, b| (a.key.as_bytes(), &a.upload_id).cmp(&(b.key.as_bytes(), &b.upload_id)));
    let mut page = UploadsPage {
        uploads: Vec::new(),
        common_prefixes: Vec::new(),
        is_truncated: false,
        next_key_marker: None,
        next_upload_id_marker: None,
    };
    let delimiter = query.delimiter.filter(|delimiter| !delimiter.is_empty());
    for upload in uploads
        .into_iter()
        .filter(|upload| upload.key.starts_with(query.prefix) && after_marker(upload, query))
    {
        let rolled_up = delimiter.and_then(|delimiter| {
            let rest = &upload.key[query.prefix.len()..];
            rest.find(delimiter)
                .map(|at| upload.key[..query.prefix.len() + at + delimiter.len()].to_owned())
        });
        if rolled_up
            .as_ref()
            .is_some_and(|prefix| page.common_prefixes.last() == Some(prefix))
        {
            continue;
        }
        if page.uploads.len() + page.common_prefixes.len() == query.max_uploads {
            page.is_truncated = true;
            break;
        }
        match rolled_up {
            Some(prefix) => {
                page.next_key_marker = Some(prefix.clone());
                page.next_upload_id_marker = None;
                page.common_prefixes.push(prefix);
            }
            None => {
                page.next_key_marker = Some(upload.key.clone());
                page.next_upload_id_marker = Some(upload.upload_id.clone());
                page.uploads.push(upload);
            }
        }
    }
    page
}

fn after_marker(upload: &UploadRow, query: &UploadsQuery<'_>) -> bool {
    let Some(key_marker) = query.key_marker.filter(|marker| !marker.is_empty()) else {
        return true;
    };
    match (
        upload.key.as_bytes().cmp(key_marker.as_bytes()),
        query.upload_id_marker,
    ) {
        (std::cmp::Ordering::Greater, _) => true,
        (std::cmp::Ordering::Equal, Some(id_marker)) => upload.upload_id.as_str() > id_marker,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::ObjectAttributes;

    fn part(part_number: i32, size: u64, etag: &str) -> PartRow {
        PartRow {
            upload_id: "u".into(),
            part_number,
            size,
            etag: etag.into(),
            last_modified_ms: 0,
            blob: String::new(),
        }
    }

    fn wanted(part_number: i32, etag: &str) -> RequestedPart {
        RequestedPart {
            part_number,
            etag: etag.into(),
        }
    }

    #[test]
    fn completion_rules() {
        let uploaded = [part(1, 10, "aa"), part(2, 10, "bb"), part(3, 4, "cc")];
        let check = |requested: &[RequestedPart], expected: Result<Vec<i32>, &str>| {
            let outcome = check_completion(requested, &uploaded, 10)
                .map(|parts| {
                    parts
                        .iter()
                        .map(|part| part.part_number)
                        .collect::<Vec<_>>()
                })
                .map_err(|error| error.code().as_str().to_owned());
            assert_eq!(outcome, expected.map_err(str::to_owned), "{requested:?}");
        };
        check(
            &[wanted(1, "\"aa\""), wanted(2, "BB"), wanted(3, "cc")],
            Ok(vec![1, 2, 3]),
        );
        check(&[wanted(1, "aa"), wanted(3, "cc")], Ok(vec![1, 3]));
        check(&[wanted(3, "cc")], Ok(vec![3]));
        check(&[], Err("MalformedXML"));
        check(&[wanted(2, "bb"), wanted(1, "aa")], Err("InvalidPartOrder"));
        check(&[wanted(1, "aa"), wanted(1, "aa")], Err("InvalidPartOrder"));
        check(&[wanted(1, "aa"), wanted(4, "dd")], Err("InvalidPart"));
        check(&[wanted(1, "zz")], Err("InvalidPart"));
        check(&[wanted(3, "cc"), wanted(4, "dd")], Err("InvalidPart"));
        let small_first = [part(1, 4, "aa"), part(2, 10, "bb")];
        let outcome = check_completion(&[wanted(1, "aa"), wanted(2, "bb")], &small_first, 10);
        assert_eq!(outcome.unwrap_err().code().as_str(), "EntityTooSmall");
    }

    #[test]
    fn multipart_etag_is_md5_of_part_md5s() {
        // Two parts "hello" and "world": md5s 5d41402a... and 7d793037...; known S3 answer.
        let etag = multipart_etag(
            [
                "5d41402abc4b2a76b9719d911017c592",
                "7d793037a0760186574b0282f2f435e7",
            ]
            .into_iter(),
        );
        let mut concatenated = hex::decode("5d41402abc4b2a76b9719d911017c592").unwrap();
        concatenated.extend(hex::decode("7d793037a0760186574b0282f2f435e7").unwrap());
        let expected: [u8; 16] = Md5::digest(&concatenated).into();
        assert_eq!(etag, format!("{}-2", hex::encode(expected)));
        assert!(multipart_etag(["5d41402abc4b2a76b9719d911017c592"].into_iter()).ends_with("-1"));
    }

    fn upload(key: &str, id: &str) -> UploadRow {
        UploadRow {
            upload_id: id.into(),
            bucket: "b".into(),
            key: key.into(),
            initiated_ms: 0,
            initiator_account_id: "1".into(),
            attributes: ObjectAttributes::default(),
        }
    }

    #[test]
    fn uploads_page_with_markers_and_prefixes() {
        let all = vec![
            upload("a/1", "u2"),
            upload("a/1", "u1"),
            upload("a/2", "u3"),
            upload("b", "u4"),
        ];
        let query = |key_marker, upload_id_marker, delimiter, max_uploads| UploadsQuery {
            prefix: "",
            delimiter,
            key_marker,
            upload_id_marker,
            max_uploads,
        };
        let ids = |page: &UploadsPage| {
            page.uploads
                .iter()
                .map(|u| u.upload_id.clone())
                .collect::<Vec<_>>()
        };
        let page = page_uploads(all.clone(), &query(None, None, None, 2));
        assert_eq!(
            (ids(&page), page.is_truncated),
            (vec!["u1".to_owned(), "u2".to_owned()], true)
        );
        assert_eq!(page.next_upload_id_marker.as_deref(), Some("u2"));
        let page = page_uploads(all.clone(), &query(Some("a/1"), Some("u1"), None, 10));
        assert_eq!(ids(&page), ["u2", "u3", "u4"]);
        let page = page_uploads(all.clone(), &query(Some("a/1"), None, None, 10));
        assert_eq!(ids(&page), ["u3", "u4"]);
        let page = page_uploads(all, &query(None, None, Some("/"), 10));
        assert_eq!(
            (ids(&page), page.common_prefixes.clone()),
            (vec!["u4".to_owned()], vec!["a/".to_owned()])
        );
    }
}
