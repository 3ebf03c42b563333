//! CloudTrail's naming of request members: AWS APIs take `PascalCase` members (`S3BucketName`), and
//! CloudTrail records them in lower camel case (`s3BucketName`), recursively.
//!
//! Secrets never reach a record: members whose names say they hold one are replaced by
//! `HIDDEN_DUE_TO_SECURITY_REASONS`, as AWS does.

use serde_json::{Map, Value};

/// The value AWS writes in place of a redacted member.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Lower-cases the leading capital run of a member name the way CloudTrail does:
/// `S3BucketName` -> `s3BucketName`, `TrailARN` -> `trailARN`, `KmsKeyId` -> `kmsKeyId`.
pub fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn is_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["secret", "password", "privatekey", "sessiontoken"]
        .iter()
        .any(|marker| lower.contains(marker))
}

/// Converts a request or response body to CloudTrail's lower-camel form, dropping secrets.
pub fn to_record_members(value: &Value) -> Value {
    match value {
        Value::Object(members) => {
            let mut out = Map::with_capacity(members.len());
            for (name, member) in members {
                let converted = if is_secret(name) {
                    Value::String(HIDDEN.to_owned())
                } else {
                    to_record_members(member)
                };
                out.insert(lower_camel(name), converted);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_record_members).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_names_recursively_and_hides_secrets() {
        let input = json!({"Name":"t1","S3BucketName":"b","EventSelectors":[{"ReadWriteType":"All",
            "DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::b/"]}]}],"SecretAccessKey":"x"});
        let expected = json!({"name":"t1","s3BucketName":"b","eventSelectors":[{"readWriteType":"All",
            "dataResources":[{"type":"AWS::S3::Object","values":["arn:aws:s3:::b/"]}]}],"secretAccessKey":HIDDEN});
        assert_eq!(to_record_members(&input), expected);
    }

    #[test]
    fn lower_camel_keeps_inner_capitals() {
        for (input, expected) in [
            ("TrailARN", "trailARN"),
            ("trailNameList", "trailNameList"),
            ("", ""),
        ] {
            assert_eq!(lower_camel(input), expected);
        }
    }
}
