//! The S3-exfiltration example of spec section 9 against crafted S3 data-event records.

use super::check;

const P1: &str =
    r#"{ ($.eventName = "GetObject") && ($.additionalEventData.bytesTransferredOut > 1000 ) }"#;
const P2: &str = "{ ($.vpcEndpointId NOT EXISTS) }";
const P3: &str = r#"{ ($.sourceIPAddress!="123.123.123.123") }"#;
const P4: &str = r#"{ ($.eventName = "GetObject") && ($.additionalEventData.bytesTransferredOut > 1000 ) && ( ($.sourceIPAddress!="123.123.123.123") && ( ($.vpcEndpointId != "vpce-xxxxxxxx" ) || ($.vpcEndpointId NOT EXISTS) ) ) }"#;

/// An S3 data event; `endpoint` adds `vpcEndpointId` when given.
fn s3_event(name: &str, bytes: u64, ip: &str, endpoint: Option<&str>) -> String {
    let endpoint = endpoint.map_or(String::new(), |id| format!(r#","vpcEndpointId":"{id}""#));
    format!(
        r#"{{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"{name}","sourceIPAddress":"{ip}","requestParameters":{{"bucketName":"b","key":"k"}},"additionalEventData":{{"bytesTransferredIn":0,"bytesTransferredOut":{bytes},"x-amz-id-2":"abc"}},"eventCategory":"Data"{endpoint}}}"#
    )
}

#[test]
fn the_four_patterns_on_crafted_records() {
    // (record, P1, P2, P3, P4)
    let rows = [
        (
            s3_event("GetObject", 5000, "198.51.100.7", None),
            [true, true, true, true],
        ),
        (
            s3_event("GetObject", 1001, "198.51.100.7", None),
            [true, true, true, true],
        ),
        (
            s3_event("GetObject", 1000, "198.51.100.7", None),
            [false, true, true, false],
        ),
        (
            s3_event("GetObject", 10, "198.51.100.7", None),
            [false, true, true, false],
        ),
        (
            s3_event("PutObject", 5000, "198.51.100.7", None),
            [false, true, true, false],
        ),
        (
            s3_event("GetObject", 5000, "123.123.123.123", None),
            [true, true, false, false],
        ),
        (
            s3_event("GetObject", 5000, "198.51.100.7", Some("vpce-xxxxxxxx")),
            [true, false, true, false],
        ),
        (
            s3_event("GetObject", 5000, "198.51.100.7", Some("vpce-0123abcd")),
            [true, false, true, true],
        ),
        (
            s3_event("GetObject", 5000, "123.123.123.123", Some("vpce-0123abcd")),
            [true, false, false, false],
        ),
    ];
    for (record, expected) in &rows {
        for (pattern, expected) in [P1, P2, P3, P4].iter().zip(expected) {
            check(pattern, record, *expected);
        }
    }
}

#[test]
fn not_equal_alone_misses_records_without_the_field() {
    let record = s3_event("GetObject", 5000, "198.51.100.7", None);
    check(r#"{ $.vpcEndpointId != "vpce-xxxxxxxx" }"#, &record, false);
}
