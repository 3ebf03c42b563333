//! Taking CloudTrail records in from outside: log files (`{"Records":[...]}`, gzipped or not), bare
//! JSON arrays (as some tools export them) and JSON lines.
//!
//! Every record keeps its original bytes (the real corpus has numbers such as `1.688560107857E9` that a
//! parse-and-reserialise would change, and digests hash stored bytes). Each record is checked on its
//! own: a bad record is reported with its position and reason, and the good ones are kept.
//! This module does not decide which account a record belongs to; the caller does.

use std::io::Read;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::MAX_RECORD_BYTES;

/// Errors that reject a whole input rather than one record.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The input starts like gzip but does not decompress.
    #[error("input is not valid gzip: {0}")]
    Gzip(#[from] std::io::Error),
    /// The input is larger than the caller allows once decompressed.
    #[error("decompressed input exceeds {0} bytes")]
    TooLarge(usize),
}

/// A record that passed the checks, with its original bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestedRecord {
    /// The record's JSON exactly as received.
    pub bytes: Bytes,
    /// Its `eventID`.
    pub event_id: String,
    /// Its `eventTime`, parsed.
    pub event_time: chrono::DateTime<chrono::Utc>,
}

/// Why one record was not taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordRejection {
    /// 0-based position of the record in its input.
    pub index: usize,
    /// The record's `eventID` when it could be read.
    #[serde(rename = "eventId", skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// What was wrong, in words.
    pub reason: String,
}

/// The outcome of splitting and checking one input.
#[derive(Debug, Default)]
pub struct SplitOutcome {
    /// Records that passed, in input order.
    pub accepted: Vec<IngestedRecord>,
    /// Records that did not, in input order.
    pub rejected: Vec<RecordRejection>,
}

#[derive(Deserialize)]
struct LogFileEnvelope<'a> {
    #[serde(borrow, rename = "Records")]
    records: Option<Vec<&'a RawValue>>,
}

/// Decompresses (if gzipped), splits and checks one input. `max_bytes` bounds the decompressed size.
pub fn split_records(input: &[u8], max_bytes: usize) -> Result<SplitOutcome, IngestError> {
    let text = decompress(input, max_bytes)?;
    let mut outcome = SplitOutcome::default();
    let mut index = 0;
    match split_documents(&text) {
        Some(records) => {
            for record in records {
                check_into(&text, record, index, &mut outcome);
                index += 1;
            }
        }
        None => split_lines(&text, &mut outcome),
    }
    Ok(outcome)
}

fn decompress(input: &[u8], max_bytes: usize) -> Result<Bytes, IngestError> {
    if !input.starts_with(&[0x1f, 0x8b]) {
        if input.len() > max_bytes {
            return Err(IngestError::TooLarge(max_bytes));
        }
        return Ok(Bytes::copy_from_slice(input));
    }
    let mut out = Vec::new();
    let limit = max_bytes as u64 + 1;
    flate2::read::MultiGzDecoder::new(input)
        .take(limit)
        .read_to_end(&mut out)?;
    if out.len() > max_bytes {
        return Err(IngestError::TooLarge(max_bytes));
    }
    Ok(Bytes::from(out))
}

/// Splits a well-formed input (one or more JSON documents) into record slices; `None` when the input
/// is not a sequence of valid JSON documents (then it is treated line by line).
fn split_documents(text: &[u8]) -> Option<Vec<&str>> {
    let mut records = Vec::new();
    for document in serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>() {
        let document = document.ok()?.get();
        match document.trim_start().as_bytes().first() {
            Some(b'[') => records.extend(
                serde_json::from_str::<Vec<&RawValue>>(document)
                    .ok()?
                    .iter()
                    .map(|r| r.get()),
            ),
            Some(b'{') => match serde_json::from_str::<LogFileEnvelope>(document) {
                Ok(LogFileEnvelope {
                    records: Some(inner),
                }) => records.extend(inner.iter().map(|r| r.get())),
                _ => records.push(document),
            },
            _ => records.push(document),
        }
    }
    Some(records)
}

fn split_lines(text: &Bytes, outcome: &mut SplitOutcome) {
    let mut index = 0;
    for line in text.split(|byte| *byte == b'\n') {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        match std::str::from_utf8(trimmed) {
            Ok(record) => check_into(text, record, index, outcome),
            Err(_) => outcome.rejected.push(RecordRejection {
                index,
                event_id: None,
                reason: "record is not valid UTF-8".into(),
            }),
        }
        index += 1;
    }
}

fn check_into(text: &Bytes, record: &str, index: usize, outcome: &mut SplitOutcome) {
    match validate_record(record) {
        Ok((event_id, event_time)) => outcome.accepted.push(IngestedRecord {
            bytes: text.slice_ref(record.as_bytes()),
            event_id,
            event_time,
        }),
        Err((event_id, reason)) => outcome.rejected.push(RecordRejection {
            index,
            event_id,
            reason,
        }),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequiredFields<'a> {
    #[serde(borrow)]
    event_version: Option<&'a RawValue>,
    #[serde(borrow, rename = "eventID")]
    event_id: Option<&'a RawValue>,
    #[serde(borrow)]
    event_time: Option<&'a RawValue>,
    #[serde(borrow)]
    event_type: Option<&'a RawValue>,
    #[serde(borrow)]
    event_source: Option<&'a RawValue>,
    #[serde(borrow)]
    event_name: Option<&'a RawValue>,
    #[serde(borrow)]
    aws_region: Option<&'a RawValue>,
}

type Rejection = (Option<String>, String);

/// Checks one record: a JSON object of at most 256 KB with string `eventVersion`, `eventID`,
/// `eventTime` (ISO 8601 UTC), `eventType`, `awsRegion`, and `eventSource`/`eventName` unless it is an
/// Insights record. Returns its event id and time, or the event id (if readable) and a reason.
pub fn validate_record(record: &str) -> Result<(String, chrono::DateTime<chrono::Utc>), Rejection> {
    if !record.trim_start().starts_with('{') {
        return Err((None, "record is not a JSON object".into()));
    }
    let fields: RequiredFields = serde_json::from_str(record)
        .map_err(|error| (None, format!("record is not valid JSON: {error}")))?;
    let event_id = string_field(fields.event_id, "eventID").map_err(|reason| (None, reason))?;
    let known_id = Some(event_id.clone());
    if record.len() > MAX_RECORD_BYTES {
        return Err((
            known_id,
            format!(
                "record is {} bytes, over the 262144-byte limit",
                record.len()
            ),
        ));
    }
    let check =
        |value, name| string_field(value, name).map_err(|reason| (known_id.clone(), reason));
    check(fields.event_version, "eventVersion")?;
    check(fields.aws_region, "awsRegion")?;
    let event_type = check(fields.event_type, "eventType")?;
    if event_type != "AwsCloudTrailInsight" {
        check(fields.event_source, "eventSource")?;
        check(fields.event_name, "eventName")?;
    }
    let time_text = check(fields.event_time, "eventTime")?;
    let event_time = chrono::DateTime::parse_from_rfc3339(&time_text)
        .map_err(|_| {
            (
                known_id.clone(),
                format!("eventTime \"{time_text}\" is not an ISO 8601 UTC time"),
            )
        })?
        .with_timezone(&chrono::Utc);
    Ok((event_id, event_time))
}

fn string_field(value: Option<&RawValue>, name: &str) -> Result<String, String> {
    let value = value.ok_or_else(|| format!("required field {name} is missing"))?;
    match serde_json::from_str::<String>(value.get()) {
        Ok(text) if !text.is_empty() => Ok(text),
        Ok(_) => Err(format!("required field {name} is empty")),
        Err(_) => Err(format!(
            "field {name} must be a string, got {}",
            value.get()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const GOOD: &str = r#"{"eventVersion":"1.08","eventTime":"2023-07-10T11:40:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"e1","eventType":"AwsApiCall","requestParameters":{"FromTime":1.688560107857E9}}"#;

    fn with(field: &str, value: &str) -> String {
        let parsed: serde_json::Value = serde_json::from_str(GOOD).unwrap();
        let mut object = parsed.as_object().unwrap().clone();
        if value.is_empty() {
            object.remove(field);
        } else {
            object.insert(field.into(), serde_json::from_str(value).unwrap());
        }
        serde_json::to_string(&object).unwrap()
    }

    fn check(input: &[u8], accepted: usize, reasons: &[&str]) {
        let outcome = split_records(input, 1 << 20).unwrap();
        assert_eq!(outcome.accepted.len(), accepted, "{:?}", outcome.rejected);
        let got: Vec<&str> = outcome.rejected.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(got, reasons);
    }

    #[test]
    fn keeps_original_bytes_of_every_envelope_kind() {
        let file = format!("{{\"Records\":[{GOOD},{GOOD}]}}\n");
        for input in [
            file.clone(),
            format!("[\n  {GOOD}\n, {GOOD}]"),
            format!("{GOOD}\n{GOOD}\n"),
        ] {
            let outcome = split_records(input.as_bytes(), 1 << 20).unwrap();
            assert_eq!(outcome.accepted.len(), 2, "{input}");
            assert_eq!(outcome.accepted[0].bytes, GOOD.as_bytes());
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(file.as_bytes()).unwrap();
        let outcome = split_records(&gz.finish().unwrap(), 1 << 20).unwrap();
        assert_eq!(outcome.accepted[1].bytes, GOOD.as_bytes());
        assert!(
            std::str::from_utf8(&outcome.accepted[1].bytes)
                .unwrap()
                .contains("1.688560107857E9")
        );
    }

    #[test]
    fn rejects_bad_records_one_by_one() {
        let input = [
            GOOD.to_owned(),
            with("eventTime", ""),
            with("eventTime", "\"yesterday\""),
            with("eventID", "5"),
            "{not json".to_owned(),
            with("eventName", ""),
            GOOD.to_owned(),
        ]
        .join("\n");
        check(
            input.as_bytes(),
            2,
            &[
                "required field eventTime is missing",
                "eventTime \"yesterday\" is not an ISO 8601 UTC time",
                "field eventID must be a string, got 5",
                "record is not valid JSON: key must be a string at line 1 column 2",
                "required field eventName is missing",
            ],
        );
    }

    #[test]
    fn insight_records_need_no_event_name_and_big_records_are_refused() {
        let insight = with("eventType", "\"AwsCloudTrailInsight\"");
        let insight = with_text(&insight, "eventName", "");
        check(insight.as_bytes(), 1, &[]);
        let padding = "x".repeat(MAX_RECORD_BYTES);
        let big = with("userAgent", &format!("\"{padding}\""));
        let outcome = split_records(big.as_bytes(), 1 << 20).unwrap();
        assert_eq!(outcome.rejected[0].event_id.as_deref(), Some("e1"));
        assert!(
            outcome.rejected[0]
                .reason
                .contains("over the 262144-byte limit")
        );
    }

    fn with_text(record: &str, field: &str, value: &str) -> String {
        let parsed: serde_json::Value = serde_json::from_str(record).unwrap();
        let mut object = parsed.as_object().unwrap().clone();
        if value.is_empty() {
            object.remove(field);
        }
        serde_json::to_string(&object).unwrap()
    }

    #[test]
    fn every_real_corpus_record_goes_in() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real");
        let mut total = 0;
        for folder in std::fs::read_dir(&root).expect("the real corpus is beside the checkout") {
            let folder = folder.unwrap().path();
            if !folder.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&folder).unwrap() {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|ext| ext == "json") {
                    let outcome = split_records(&std::fs::read(&path).unwrap(), 64 << 20).unwrap();
                    assert!(
                        outcome.rejected.is_empty(),
                        "{}: {:?}",
                        path.display(),
                        outcome.rejected
                    );
                    total += outcome.accepted.len();
                }
            }
        }
        assert_eq!(total, 2900 + 310);
    }
}
