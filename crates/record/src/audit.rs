//! The record of one API call, as CloudTrail writes it (reference §7).
//!
//! Fields serialise in CloudTrail's own key order (the order of S3-delivered files), "Optional: False"
//! fields are always present (`requestParameters` and `responseElements` may be `null`) and optional
//! ones are omitted when they do not apply. This module decides nothing about *what* a call's
//! parameters are; the server fills them in.

use serde::Serialize;
use serde_json::Value;

use crate::identity::PrincipalIdentity;

/// `tlsDetails` of a call made over TLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsDetails {
    /// e.g. `TLSv1.3`.
    #[serde(rename = "tlsVersion")]
    pub tls_version: String,
    /// e.g. `TLS_AES_128_GCM_SHA256`.
    #[serde(rename = "cipherSuite")]
    pub cipher_suite: String,
    /// The Host header the client sent.
    #[serde(rename = "clientProvidedHostHeader")]
    pub client_provided_host_header: String,
}

/// One API call's record. Build it, then [`ApiCallRecord::to_json_bytes`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCallRecord {
    /// Always [`crate::EVENT_VERSION`] for records OpenTrail writes.
    pub event_version: &'static str,
    /// Absent only when the caller could not be identified at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<PrincipalIdentity>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub event_time: String,
    /// e.g. `cloudtrail.amazonaws.com`.
    pub event_source: String,
    /// The operation name.
    pub event_name: String,
    /// The region the request was sent to.
    pub aws_region: String,
    /// The caller's address.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    /// The caller's User-Agent, at most 1 KB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The error code on failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error message on failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Request members in lower-camel style, secrets removed; `null` when there are none.
    pub request_parameters: Value,
    /// Response members for mutating calls; `null` otherwise.
    pub response_elements: Value,
    /// Extra data some services add.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<Value>,
    /// Equal to the response's request id.
    #[serde(rename = "requestID")]
    pub request_id: String,
    /// Unique id of this record.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// Whether the operation only reads.
    pub read_only: bool,
    /// Resources the call touched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    /// `AwsApiCall` for API calls.
    pub event_type: &'static str,
    /// `true` for management events, `false` for data events.
    pub management_event: bool,
    /// The account that receives this record.
    pub recipient_account_id: String,
    /// Shared by the copies of one cross-account call (the requester's and the resource owner's).
    #[serde(rename = "sharedEventID", skip_serializing_if = "Option::is_none")]
    pub shared_event_id: Option<String>,
    /// `Management` or `Data`.
    pub event_category: &'static str,
    /// Present when the call came over TLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_details: Option<TlsDetails>,
}

impl ApiCallRecord {
    /// Serialises the record as compact JSON.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a record of strings and JSON values always serialises")
    }
}

/// Cuts a string to at most `max` bytes on a character boundary (CloudTrail truncates user agents and
/// error messages at 1 KB).
pub fn truncate_to(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> ApiCallRecord {
        ApiCallRecord {
            event_version: crate::EVENT_VERSION,
            user_identity: Some(PrincipalIdentity::root("123456789012", "AKIA1")),
            event_time: "2026-01-01T00:00:00Z".into(),
            event_source: "cloudtrail.amazonaws.com".into(),
            event_name: "GetTrail".into(),
            aws_region: "us-east-1".into(),
            source_ip_address: "127.0.0.1".into(),
            user_agent: Some("aws-cli/1.46.3".into()),
            error_code: Some("TrailNotFoundException".into()),
            error_message: Some("Unknown trail".into()),
            request_parameters: json!({"name":"t"}),
            response_elements: Value::Null,
            additional_event_data: None,
            request_id: "r".into(),
            event_id: "e".into(),
            read_only: true,
            resources: None,
            event_type: "AwsApiCall",
            management_event: true,
            recipient_account_id: "123456789012".into(),
            shared_event_id: None,
            event_category: "Management",
            tls_details: None,
        }
    }

    #[test]
    fn keys_come_in_cloudtrail_order_with_nulls_kept() {
        let text = String::from_utf8(sample().to_json_bytes()).unwrap();
        let keys: Vec<&str> = [
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "errorCode",
            "errorMessage",
            "requestParameters",
            "responseElements",
            "requestID",
            "eventID",
            "readOnly",
            "eventType",
            "managementEvent",
            "recipientAccountId",
            "eventCategory",
        ]
        .to_vec();
        let positions: Vec<usize> = keys
            .iter()
            .map(|key| text.find(&format!("\"{key}\"")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
        assert!(text.contains("\"responseElements\":null"));
        assert!(!text.contains("tlsDetails"));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_to("abc", 5), "abc");
        assert_eq!(truncate_to("aé", 2), "a");
        assert_eq!(truncate_to("abcdef", 3), "abc");
    }
}
