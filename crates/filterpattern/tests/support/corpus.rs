//! Loads the real CloudTrail corpus (shared/corpus/real, see its FIELDS.md) as one message per
//! record, the way CloudTrail delivers records to CloudWatch Logs. Shared by the corpus test and
//! the benchmark; it panics when the corpus is missing, so neither can silently run on nothing.
//!
//! Each subfolder's `records.jsonl` is used when present (the records' original compact text);
//! otherwise its `*.json` files (a `{"Records":[…]}` envelope or a bare array) are re-serialised.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// `CORPUS_DIR`, or `../../../shared/corpus/real` relative to this crate's directory.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("CORPUS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real"),
        PathBuf::from,
    )
}

/// Every record of every subfolder, in folder-name order.
pub fn load_records() -> Vec<String> {
    let dir = corpus_dir();
    let mut folders: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| {
            panic!(
                "the corpus is missing at {} ({error}); set CORPUS_DIR",
                dir.display()
            )
        })
        .map(|entry| entry.expect("readable corpus folder").path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    let records: Vec<String> = folders
        .iter()
        .flat_map(|folder| folder_records(folder))
        .collect();
    assert!(
        !records.is_empty(),
        "no records found under {}",
        dir.display()
    );
    records
}

fn folder_records(folder: &Path) -> Vec<String> {
    let lines = folder.join("records.jsonl");
    if lines.is_file() {
        let text = fs::read_to_string(&lines).expect("readable records.jsonl");
        return text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_owned)
            .collect();
    }
    let mut files: Vec<PathBuf> = fs::read_dir(folder)
        .expect("readable corpus folder")
        .map(|entry| entry.expect("readable corpus file").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files.iter().flat_map(|file| file_records(file)).collect()
}

fn file_records(file: &Path) -> Vec<String> {
    let text = fs::read_to_string(file).expect("readable corpus file");
    let value: Value = serde_json::from_str(&text).expect("corpus file is JSON");
    let records = match value {
        Value::Object(mut envelope) => envelope.remove("Records").unwrap_or(Value::Null),
        other => other,
    };
    let Value::Array(records) = records else {
        panic!("{} holds no array of records", file.display());
    };
    records.iter().map(|record| record.to_string()).collect()
}
