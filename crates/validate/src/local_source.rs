//! [`LocalDirSource`]: validation of a local directory copy of a bucket (for example one made with
//! `aws s3 sync s3://bucket dir`), where object keys are the relative paths under the directory.
//!
//! A plain copy loses S3 user metadata, and a digest's signature lives there. The sidecar convention:
//! `<digest file>.metadata.json` next to the digest holds its metadata, either as a flat JSON object
//! (`{"signature": "...", "signature-algorithm": "SHA256withRSA"}`, names case-insensitive, an
//! `x-amz-meta-` prefix allowed) or as the output of `aws s3api head-object` (its `Metadata` member).
//! Sidecars are not objects: listings skip them. Where a sidecar is missing, the traversal may take
//! the signature from the newer digest that names this one (see the crate docs); this source only
//! says so through [`Source::signatures_may_be_missing`].
//!
//! Public keys come from a file in the JSON shape of `aws cloudtrail list-public-keys` output
//! ([`parse_public_keys_json`]) or from a control-plane source (an endpoint), which also answers
//! DescribeTrails. This source never touches the network itself.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::date::parse_date_text;
use crate::error::ValidateError;
use crate::python_compat::b64decode;
use crate::signature::public_key_fingerprint;
use crate::source::{
    BucketInRegion, ObjectListing, ObjectReader, PublicKeyEntry, Source, SourceError, StoredObject,
    TrailDescription,
};

/// The suffix of a metadata sidecar file.
pub const SIDECAR_SUFFIX: &str = ".metadata.json";

/// A local directory standing in for one S3 bucket.
pub struct LocalDirSource {
    bucket: Option<String>,
    root: PathBuf,
    public_keys: Option<Vec<PublicKeyEntry>>,
    control_plane: Option<Arc<dyn Source>>,
}

impl std::fmt::Debug for LocalDirSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LocalDirSource")
            .field("bucket", &self.bucket)
            .field("root", &self.root)
            .field("public_keys", &self.public_keys.as_ref().map(Vec::len))
            .field("control_plane", &self.control_plane.is_some())
            .finish()
    }
}

impl LocalDirSource {
    /// `root` holds the copy of `bucket` (`None`: of whichever bucket the trail names; every bucket
    /// name is then served from this directory).
    pub fn new(bucket: Option<String>, root: impl Into<PathBuf>) -> Result<Self, ValidateError> {
        let root = root.into();
        if !root.is_dir() {
            return Err(ValidateError::NotADirectory(root.display().to_string()));
        }
        Ok(LocalDirSource {
            bucket,
            root,
            public_keys: None,
            control_plane: None,
        })
    }

    /// Serves ListPublicKeys from these keys (filtered by validity window).
    pub fn with_public_keys(mut self, keys: Vec<PublicKeyEntry>) -> Self {
        self.public_keys = Some(keys);
        self
    }

    /// Sends DescribeTrails, DescribeOrganization and (without a key file) ListPublicKeys here.
    pub fn with_control_plane(mut self, source: Arc<dyn Source>) -> Self {
        self.control_plane = Some(source);
        self
    }

    fn control_plane(&self, operation: &str) -> Result<&dyn Source, SourceError> {
        self.control_plane.as_deref().ok_or_else(|| {
            SourceError::Other(format!(
                "{operation} needs an endpoint; with a local directory pass --s3-bucket (and --public-keys)"
            ))
        })
    }

    fn check_bucket(&self, bucket: &str, operation: &str) -> Result<(), SourceError> {
        if self.bucket.as_deref().is_none_or(|own| own == bucket) {
            return Ok(());
        }
        Err(SourceError::Service {
            operation: operation.to_owned(),
            code: "NoSuchBucket".to_owned(),
            message: "The specified bucket does not exist".to_owned(),
            retries: 0,
        })
    }

    /// The file of an object key, or `None` when the key cannot name a file under the root.
    fn object_path(&self, key: &str) -> Option<PathBuf> {
        let mut path = self.root.clone();
        for segment in key.split('/') {
            if segment.is_empty() || segment == "." || segment == ".." || segment.contains('\0') {
                return None;
            }
            path.push(segment);
        }
        Some(path)
    }

    fn read_metadata(&self, object: &Path) -> Result<BTreeMap<String, String>, SourceError> {
        let mut sidecar = object.as_os_str().to_owned();
        sidecar.push(SIDECAR_SUFFIX);
        let sidecar = PathBuf::from(sidecar);
        match fs::read(&sidecar) {
            Ok(bytes) => parse_sidecar(&bytes).ok_or_else(|| {
                SourceError::Other(format!(
                    "invalid metadata sidecar {}: expected a JSON object of strings",
                    sidecar.display()
                ))
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(error) => Err(SourceError::Other(format!(
                "cannot read {}: {error}",
                sidecar.display()
            ))),
        }
    }
}

/// A sidecar's metadata: a flat object, or `head-object` output with a `Metadata` member.
fn parse_sidecar(bytes: &[u8]) -> Option<BTreeMap<String, String>> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let object = match value.get("Metadata") {
        Some(Value::Object(metadata)) => metadata.clone(),
        _ => value.as_object()?.clone(),
    };
    object
        .into_iter()
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let name = name.strip_prefix("x-amz-meta-").unwrap_or(&name).to_owned();
            value.as_str().map(|text| (name, text.to_owned()))
        })
        .collect()
}

impl Source for LocalDirSource {
    fn describe_trails(&self) -> Result<Vec<TrailDescription>, SourceError> {
        self.control_plane("DescribeTrails")?.describe_trails()
    }

    fn describe_organization_id(&self) -> Result<String, SourceError> {
        self.control_plane("DescribeOrganization")?
            .describe_organization_id()
    }

    fn bucket_location(
        &self,
        bucket: &str,
        _: Option<&str>,
    ) -> Result<Option<String>, SourceError> {
        self.check_bucket(bucket, "GetBucketLocation")
            .map(|()| None)
    }

    fn list_objects(
        &self,
        bucket: BucketInRegion<'_>,
        prefix: &str,
        marker: &str,
    ) -> Result<ObjectListing, SourceError> {
        self.check_bucket(bucket.bucket, "ListObjects")?;
        let folder = prefix.rsplit_once('/').map_or("", |(folder, _)| folder);
        let mut keys = Vec::new();
        if let Some(start) = self
            .object_path(folder)
            .or_else(|| folder.is_empty().then(|| self.root.clone()))
        {
            collect_keys(&start, folder, &mut keys).map_err(|error| {
                SourceError::Other(format!("cannot list {}: {error}", start.display()))
            })?;
        }
        keys.retain(|key| key.starts_with(prefix) && key.as_str() > marker);
        keys.sort_unstable();
        Ok(ObjectListing {
            keys,
            is_truncated: false,
            next_marker: None,
        })
    }

    fn get_object(
        &self,
        bucket: BucketInRegion<'_>,
        key: &str,
    ) -> Result<StoredObject, SourceError> {
        self.check_bucket(bucket.bucket, "GetObject")?;
        let path = self.existing_file(key)?;
        let body = fs::read(&path).map_err(|error| {
            SourceError::Other(format!("cannot read {}: {error}", path.display()))
        })?;
        let metadata = self.read_metadata(&path)?;
        Ok(StoredObject { body, metadata })
    }

    fn open_object(
        &self,
        bucket: BucketInRegion<'_>,
        key: &str,
    ) -> Result<ObjectReader, SourceError> {
        self.check_bucket(bucket.bucket, "GetObject")?;
        let path = self.existing_file(key)?;
        let file = fs::File::open(&path).map_err(|error| {
            SourceError::Other(format!("cannot read {}: {error}", path.display()))
        })?;
        Ok(Box::new(file))
    }

    fn list_public_keys(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<Vec<PublicKeyEntry>>, SourceError> {
        match &self.public_keys {
            Some(keys) => Ok(Some(
                keys.iter()
                    .filter(|key| key.validity_start.is_none_or(|from| from <= end))
                    .filter(|key| key.validity_end.is_none_or(|until| until >= start))
                    .cloned()
                    .collect(),
            )),
            None => self
                .control_plane("ListPublicKeys")?
                .list_public_keys(start, end),
        }
    }

    fn signatures_may_be_missing(&self) -> bool {
        true
    }

    fn sidecar_hint(&self, _bucket: &str, key: &str) -> Option<String> {
        Some(format!("{key}{SIDECAR_SUFFIX}"))
    }
}

impl LocalDirSource {
    fn existing_file(&self, key: &str) -> Result<PathBuf, SourceError> {
        let path = self
            .object_path(key)
            .filter(|path| !key.ends_with(SIDECAR_SUFFIX) && path.is_file());
        path.ok_or_else(SourceError::no_such_key)
    }
}

/// Adds the keys of all files under `folder_path` (whose key is `folder_key`), sidecars excluded.
fn collect_keys(folder_path: &Path, folder_key: &str, keys: &mut Vec<String>) -> io::Result<()> {
    let entries = match fs::read_dir(folder_path) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotADirectory => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let key = if folder_key.is_empty() {
            name.clone()
        } else {
            format!("{folder_key}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_keys(&entry.path(), &key, keys)?;
        } else if !name.ends_with(SIDECAR_SUFFIX) {
            keys.push(key);
        }
    }
    Ok(())
}

/// Reads a public-keys file (see [`parse_public_keys_json`]).
pub fn read_public_keys_file(path: &Path) -> Result<Vec<PublicKeyEntry>, ValidateError> {
    let text = fs::read_to_string(path).map_err(|error| ValidateError::PublicKeysFile {
        path: path.display().to_string(),
        reason: error.to_string(),
    })?;
    parse_public_keys_json(&text).map_err(|reason| ValidateError::PublicKeysFile {
        path: path.display().to_string(),
        reason,
    })
}

/// Parses the JSON printed by `aws cloudtrail list-public-keys` (`{"PublicKeyList": [...]}`, or just
/// the list). `Value` (base64 PKCS#1 DER) is required; a missing `Fingerprint` is computed as the MD5
/// of the DER; validity times may be epoch seconds or date strings, and an absent one is unbounded.
pub fn parse_public_keys_json(text: &str) -> Result<Vec<PublicKeyEntry>, String> {
    let value: Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
    let list = match &value {
        Value::Array(list) => list,
        other => other
            .get("PublicKeyList")
            .and_then(Value::as_array)
            .ok_or("expected a PublicKeyList array")?,
    };
    list.iter().map(parse_public_key_entry).collect()
}

fn parse_public_key_entry(entry: &Value) -> Result<PublicKeyEntry, String> {
    let value = entry
        .get("Value")
        .and_then(Value::as_str)
        .ok_or("a public key without a Value string")?;
    let fingerprint = match entry.get("Fingerprint").and_then(Value::as_str) {
        Some(fingerprint) => fingerprint.to_owned(),
        None => {
            public_key_fingerprint(&b64decode(value).map_err(|error| format!("Value: {error}"))?)
        }
    };
    Ok(PublicKeyEntry {
        fingerprint: Some(fingerprint),
        value: Some(value.to_owned()),
        validity_start: validity_time(entry.get("ValidityStartTime"))?,
        validity_end: validity_time(entry.get("ValidityEndTime"))?,
    })
}

fn validity_time(value: Option<&Value>) -> Result<Option<DateTime<Utc>>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            let seconds = number.as_f64().ok_or("a validity time out of range")?;
            let micros = (seconds * 1_000_000.0).round() as i64;
            Ok(DateTime::from_timestamp_micros(micros))
        }
        Some(Value::String(text)) => parse_date_text(text)
            .map(|date| Some(date.normalized()))
            .map_err(|error| error.to_string()),
        Some(other) => Err(format!("a validity time that is not a date: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region<'a>(bucket: &'a str) -> BucketInRegion<'a> {
        BucketInRegion {
            bucket,
            region: "us-east-1",
        }
    }

    #[test]
    fn lists_gets_and_reads_sidecars() {
        let dir = tempfile::tempdir().unwrap();
        let digest_dir = dir.path().join("AWSLogs/1/CloudTrail-Digest/r/2015");
        fs::create_dir_all(&digest_dir).unwrap();
        fs::write(digest_dir.join("b.json.gz"), b"B").unwrap();
        fs::write(digest_dir.join("a.json.gz"), b"A").unwrap();
        fs::write(
            digest_dir.join("a.json.gz.metadata.json"),
            br#"{"Metadata": {"signature": "ab", "signature-algorithm": "SHA256withRSA"}}"#,
        )
        .unwrap();
        fs::write(
            digest_dir.join("b.json.gz.metadata.json"),
            br#"{"X-Amz-Meta-Signature": "cd"}"#,
        )
        .unwrap();
        fs::write(dir.path().join("AWSLogs/1/CloudTrail-Digest/other"), b"x").unwrap();
        let source = LocalDirSource::new(Some("bucket".to_owned()), dir.path()).unwrap();
        let listing = source
            .list_objects(
                region("bucket"),
                "AWSLogs/1/CloudTrail-Digest/r",
                "AWSLogs/1/CloudTrail-Digest/r/2015/a.json.gz",
            )
            .unwrap();
        assert_eq!(
            listing.keys,
            vec!["AWSLogs/1/CloudTrail-Digest/r/2015/b.json.gz".to_owned()]
        );
        let object = source
            .get_object(
                region("bucket"),
                "AWSLogs/1/CloudTrail-Digest/r/2015/a.json.gz",
            )
            .unwrap();
        assert_eq!(object.body, b"A");
        assert_eq!(object.metadata["signature"], "ab");
        assert_eq!(object.metadata["signature-algorithm"], "SHA256withRSA");
        let other = source
            .get_object(
                region("bucket"),
                "AWSLogs/1/CloudTrail-Digest/r/2015/b.json.gz",
            )
            .unwrap();
        assert_eq!(other.metadata["signature"], "cd");
        for missing in [
            "nope",
            "AWSLogs/../x",
            "AWSLogs/1/CloudTrail-Digest/r/2015/a.json.gz.metadata.json",
            "AWSLogs",
        ] {
            let error = source.get_object(region("bucket"), missing).unwrap_err();
            assert!(error.is_no_such_key(), "{missing}: {error}");
        }
        let error = source.bucket_location("elsewhere", None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "An error occurred (NoSuchBucket) when calling the GetBucketLocation operation: The specified bucket does not exist"
        );
    }

    #[test]
    fn parses_list_public_keys_output() {
        let text = r#"{"PublicKeyList": [
            {"Value": "QUJD", "ValidityStartTime": 1441139757.497, "ValidityEndTime": "2015-10-01T00:00:00Z", "Fingerprint": "f1"},
            {"Value": "QUJD"}
        ]}"#;
        let keys = parse_public_keys_json(text).unwrap();
        assert_eq!(keys[0].fingerprint.as_deref(), Some("f1"));
        assert_eq!(
            keys[0].validity_start.unwrap().to_rfc3339(),
            "2015-09-01T20:35:57.497+00:00"
        );
        assert_eq!(
            keys[1].fingerprint.as_deref(),
            Some(public_key_fingerprint(b"ABC").as_str())
        );
        assert!(parse_public_keys_json(r#"{"PublicKeyList": [{}]}"#).is_err());
        let dir = tempfile::tempdir().unwrap();
        let source = LocalDirSource::new(None, dir.path())
            .unwrap()
            .with_public_keys(keys);
        let early = "2015-01-01T00:00:00Z".parse().unwrap();
        let listed = source.list_public_keys(early, early).unwrap().unwrap();
        assert_eq!(listed.len(), 1, "only the key without a window matches");
    }
}
