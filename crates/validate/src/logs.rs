//! Log files of a valid digest: which entries the CLI would try (with Python's reaction to malformed
//! `logFiles` values), and the check of one file (`_download_log`): fetch, inflate a single gzip
//! member, SHA-256, compare with `hashValue`. Checks are independent, so the run loop executes them in
//! parallel; this module only defines one check and its outcome.

use serde_json::{Map, Value};

use crate::failure::{Failure, FatalError};
use crate::inflate::{StreamOutcome, hash_gzip_stream};
use crate::python_compat::{key_error, py_str, subscript_error, type_name};
use crate::regions::BucketRegions;
use crate::source::{BucketInRegion, Source};

/// One `logFiles[]` entry the CLI would fetch.
#[derive(Debug, Clone)]
pub struct LogTarget {
    /// `s3Bucket` (any JSON value; only strings can be fetched).
    pub bucket: Value,
    /// `s3Object`, absent when missing.
    pub key: Option<Value>,
    /// `hashValue`, absent when missing.
    pub hash_value: Option<Value>,
}

impl LogTarget {
    /// `s3://<bucket>/<key>` as the CLI prints it (`None` if the key is missing, which is fatal).
    pub fn location(&self) -> Option<String> {
        let key = self.key.as_ref()?;
        Some(format!("s3://{}/{}", py_str(&self.bucket), py_str(key)))
    }
}

/// What the CLI does with one `logFiles` entry.
#[derive(Debug, Clone)]
pub enum PlannedLog {
    /// Fetch and check it.
    Check(LogTarget),
    /// Python raises while looking at it: the command ends.
    Fatal(FatalError),
}

/// The entries of `digest['logFiles']` in order; a fatal entry ends the list.
pub fn plan_log_files(digest: &Map<String, Value>) -> Vec<PlannedLog> {
    let fatal = |text: String| vec![PlannedLog::Fatal(FatalError::exception(text))];
    let Some(log_files) = digest.get("logFiles") else {
        return fatal(key_error("logFiles"));
    };
    if !is_truthy(log_files) {
        return Vec::new();
    }
    match log_files {
        Value::Array(entries) => {
            let mut planned = Vec::with_capacity(entries.len());
            for entry in entries {
                let item = plan_entry(entry);
                let stop = matches!(item, PlannedLog::Fatal(_));
                planned.push(item);
                if stop {
                    break;
                }
            }
            planned
        }
        // Iterating a dict or a string yields strings, and `'text'['s3Bucket']` raises.
        Value::Object(_) | Value::String(_) => {
            fatal(subscript_error(&Value::String(String::new())))
        }
        other => fatal(format!("'{}' object is not iterable", type_name(other))),
    }
}

fn plan_entry(entry: &Value) -> PlannedLog {
    let Value::Object(fields) = entry else {
        return PlannedLog::Fatal(FatalError::exception(subscript_error(entry)));
    };
    match fields.get("s3Bucket") {
        None => PlannedLog::Fatal(FatalError::exception(key_error("s3Bucket"))),
        Some(bucket) => PlannedLog::Check(LogTarget {
            bucket: bucket.clone(),
            key: fields.get("s3Object").cloned(),
            hash_value: fields.get("hashValue").cloned(),
        }),
    }
}

/// Python truthiness of a JSON value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|float| float != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// The result of checking one log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogOutcome {
    /// The hash matched.
    Valid,
    /// `hash value doesn't match`.
    HashMismatch,
    /// `not found` (S3 `NoSuchKey`).
    NotFound,
    /// `invalid format` (not gzip, unreadable, any non-S3 error).
    InvalidFormat,
    /// `unexpected data after end of compressed stream`.
    TrailingData,
    /// An S3 error other than `NoSuchKey`, or a Python error while reporting: the command ends.
    Fatal(FatalError),
    /// Not checked because the command is already ending.
    Skipped,
}

/// `_download_log` for one entry.
pub fn check_log_file(
    source: &dyn Source,
    regions: &BucketRegions,
    target: &LogTarget,
) -> LogOutcome {
    let Some(bucket) = target
        .bucket
        .as_str()
        .filter(|bucket| is_valid_bucket_name(bucket))
    else {
        return LogOutcome::InvalidFormat;
    };
    let region = match regions.region_of(source, bucket) {
        Ok(region) => region,
        Err(error) => return source_failure(Failure::Source(error)),
    };
    let key = match &target.key {
        None => return LogOutcome::Fatal(FatalError::exception(key_error("s3Object"))),
        Some(Value::String(key)) if !key.is_empty() => key,
        Some(_) => return LogOutcome::InvalidFormat,
    };
    let location = BucketInRegion {
        bucket,
        region: &region,
    };
    let mut reader = match source.open_object(location, key) {
        Ok(reader) => reader,
        Err(error) => return source_failure(Failure::Source(error)),
    };
    match hash_gzip_stream(&mut reader) {
        Ok(StreamOutcome::Hashed(hash)) => match &target.hash_value {
            None => LogOutcome::InvalidFormat,
            Some(Value::String(expected)) if *expected == hash => LogOutcome::Valid,
            Some(_) => LogOutcome::HashMismatch,
        },
        Ok(StreamOutcome::TrailingData) => LogOutcome::TrailingData,
        Ok(StreamOutcome::Corrupt) | Err(_) => LogOutcome::InvalidFormat,
    }
}

/// `except ClientError: if code != 'NoSuchKey': raise` / `except Exception: invalid format`.
fn source_failure(failure: Failure) -> LogOutcome {
    if failure.is_no_such_key() {
        LogOutcome::NotFound
    } else if failure.is_client_error() {
        LogOutcome::Fatal(failure.into_fatal())
    } else {
        LogOutcome::InvalidFormat
    }
}

/// botocore's bucket-name check (`^[a-zA-Z0-9.\-_]{1,255}$`); names failing it never reach S3.
pub fn is_valid_bucket_name(bucket: &str) -> bool {
    (1..=255).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(log_files: Option<Value>, expected: &[&str]) {
        let mut digest = Map::new();
        if let Some(value) = log_files {
            digest.insert("logFiles".to_owned(), value);
        }
        let rendered: Vec<String> = plan_log_files(&digest)
            .into_iter()
            .map(|planned| match planned {
                PlannedLog::Check(target) => {
                    target.location().unwrap_or_else(|| "no key".to_owned())
                }
                PlannedLog::Fatal(error) => format!("fatal {}", error.text),
            })
            .collect();
        assert_eq!(rendered, expected);
    }

    #[test]
    fn plans_like_python_iterates() {
        check(None, &["fatal 'logFiles'"]);
        check(Some(json!([])), &[]);
        check(Some(json!(null)), &[]);
        check(Some(json!(0)), &[]);
        check(Some(json!(3)), &["fatal 'int' object is not iterable"]);
        check(
            Some(json!("ab")),
            &["fatal string indices must be integers, not 'str'"],
        );
        check(
            Some(json!([{"s3Bucket": "b", "s3Object": "k"}, {"s3Object": "k"}, {"s3Bucket": "c"}])),
            &["s3://b/k", "fatal 's3Bucket'"],
        );
        check(Some(json!([{"s3Bucket": "b"}])), &["no key"]);
        check(
            Some(json!([7])),
            &["fatal 'int' object is not subscriptable"],
        );
    }

    #[test]
    fn bucket_names_follow_botocore() {
        for (name, valid) in [
            ("my-bucket.1_a", true),
            ("", false),
            ("a/b", false),
            ("a b", false),
        ] {
            assert_eq!(is_valid_bucket_name(name), valid, "{name}");
        }
    }
}
