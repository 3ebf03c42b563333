//! Which trails log which records, and into which region's files: the routing rules of trail
//! delivery, as pure functions (no IO, no clock).
//!
//! A trail logs a record when, in this order (cheap checks first):
//! 1. the record was accepted while the trail was logging: its envelope's ingest time lies in the
//!    trail's latest logging window `[StartLoggingTime, StopLoggingTime)` (open-ended while it
//!    logs), so a lagging consumer still delivers what arrived before StopLogging;
//! 2. the envelope's owning account is the trail's account;
//! 3. it is a global service event ([`is_global_service_event`]) and the trail includes them, or it
//!    is a regional event whose `awsRegion` is the trail's home region, or the trail is
//!    multi-Region;
//! 4. it is not a CloudTrail delivery write the trail suppresses ([`suppresses_delivery_write`]);
//! 5. the trail's event selectors match it.
//!
//! The file region is the record's `awsRegion` for multi-Region trails and the home region for
//! single-Region trails (which also file the global events they include under their home region).

use chrono::{DateTime, Utc};
use opentrail_control::{TrailConfig, TrailRecord};
use opentrail_selectors::ResourceFact;

use crate::record::RecordSummary;

/// The Region AWS reports global service events in.
pub const GLOBAL_SERVICE_REGION: &str = "us-east-1";

/// Event sources whose events AWS treats as global service events when they are reported in
/// [`GLOBAL_SERVICE_REGION`] (the services the CloudTrail user guide names: IAM, STS, CloudFront,
/// Route 53). STS calls to a regional endpoint carry that region and stay regional events.
pub const GLOBAL_SERVICE_EVENT_SOURCES: &[&str] = &[
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "cloudfront.amazonaws.com",
    "route53.amazonaws.com",
];

/// The service principal CloudTrail delivers as; delivery writes carry it as `invokedBy`.
pub const CLOUDTRAIL_SERVICE_PRINCIPAL: &str = "cloudtrail.amazonaws.com";

/// Whether the record is a global service event: a [`GLOBAL_SERVICE_EVENT_SOURCES`] source
/// reported in `us-east-1` (or with no region at all).
pub fn is_global_service_event(event_source: &str, aws_region: Option<&str>) -> bool {
    GLOBAL_SERVICE_EVENT_SOURCES.contains(&event_source)
        && aws_region.is_none_or(|region| region == GLOBAL_SERVICE_REGION)
}

/// Whether a record accepted at `ingest_time` falls in the trail's latest logging window.
pub fn in_logging_window(trail: &TrailConfig, ingest_time: DateTime<Utc>) -> bool {
    let Some(started) = trail.start_logging_time else {
        return false;
    };
    if ingest_time < started {
        return false;
    }
    match (trail.is_logging, trail.stop_logging_time) {
        (true, _) => true,
        (false, Some(stopped)) => stopped > started && ingest_time < stopped,
        (false, None) => false,
    }
}

/// Steps 2 and 1 of the rules, which need no JSON: the account and the logging window.
pub fn envelope_is_candidate(
    trail: &TrailConfig,
    owner_account_id: &str,
    ingest_time: DateTime<Utc>,
) -> bool {
    owner_account_id == trail.trail.arn.account_id && in_logging_window(trail, ingest_time)
}

/// Steps 3 to 5: the region of the file the trail writes this record into, or `None` when the
/// trail does not log it. Call only for records that passed [`envelope_is_candidate`].
pub fn file_region_for(trail: &TrailRecord, record: &RecordSummary<'_>) -> Option<String> {
    let region = record.aws_region.as_deref().filter(|r| is_region_code(r));
    let source = record.event_source.as_deref().unwrap_or("");
    let home = trail.arn.home_region.as_str();
    let file_region = if is_global_service_event(source, record.aws_region.as_deref()) {
        if !trail.include_global_service_events {
            return None;
        }
        match trail.is_multi_region_trail {
            true => GLOBAL_SERVICE_REGION,
            false => home,
        }
    } else if trail.is_multi_region_trail {
        region.unwrap_or(home)
    } else if region == Some(home) {
        home
    } else {
        return None;
    };
    if let Some((bucket, key)) = delivery_write_target(record)
        && suppresses_delivery_write(trail, &bucket, &key)
    {
        return None;
    }
    let mut resources: Vec<ResourceFact<'_>> = Vec::new();
    trail
        .selectors
        .matches(&record.facts(&mut resources))
        .then(|| file_region.to_owned())
}

/// Whether the record is CloudTrail itself writing an object to S3 (a delivery write), and if so
/// the bucket and key it wrote. Such records look like this (the S3 data-event recorder builds
/// them for the embedded destination's puts): `eventSource` `s3.amazonaws.com`, `userIdentity`
/// `{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}`, and a `resources` entry
/// `{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::<bucket>/<key>"}`.
pub fn delivery_write_target(record: &RecordSummary<'_>) -> Option<(String, String)> {
    let is_delivery = record.event_source.as_deref() == Some("s3.amazonaws.com")
        && record.identity_type.as_deref() == Some("AWSService")
        && record.identity_invoked_by.as_deref() == Some(CLOUDTRAIL_SERVICE_PRINCIPAL);
    if !is_delivery {
        return None;
    }
    record
        .resources
        .iter()
        .filter(|resource| resource.resource_type == "AWS::S3::Object")
        .find_map(|resource| split_object_arn(&resource.arn))
}

/// `arn:<partition>:s3:::<bucket>/<key>` → (bucket, key).
fn split_object_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let path = rest.strip_prefix("s3:::")?;
    let (bucket, key) = path.split_once('/')?;
    Some((bucket.to_owned(), key.to_owned()))
}

/// The loop guard (seed 000: a trail whose bucket's object-level events it logs would otherwise
/// log the PUTs of its own log files forever). Whether `trail` must not log CloudTrail's delivery
/// write of `bucket`/`key`:
/// - never for another bucket than the trail's own destination;
/// - with `RecursiveLogging` false, for every delivery write into its destination bucket (AWS:
///   "CloudTrail suppresses events generated by CloudTrail when it delivers log files to your
///   trail's destinations");
/// - with `RecursiveLogging` true (the default), for delivery writes under the trail's own
///   `[<prefix>/]AWSLogs/<account>/` root, which its own deliveries (log files, digests) use;
///   deliveries of other trails into other paths of the bucket stay logged.
///
/// The S3 data-event recorder may call it to skip recording such writes for a trail altogether.
pub fn suppresses_delivery_write(trail: &TrailRecord, bucket: &str, key: &str) -> bool {
    if bucket != trail.s3_bucket_name {
        return false;
    }
    !trail.recursive_logging || key.starts_with(&trail_delivery_root(trail))
}

/// `[<prefix>/]AWSLogs/<account>/`: where every object a trail delivers lives.
pub fn trail_delivery_root(trail: &TrailRecord) -> String {
    match trail.s3_key_prefix.as_deref().filter(|p| !p.is_empty()) {
        Some(prefix) => format!("{prefix}/AWSLogs/{}/", trail.arn.account_id),
        None => format!("AWSLogs/{}/", trail.arn.account_id),
    }
}

/// Whether `text` can be a region code in an object key (`us-east-1`, `ap-northeast-1`, ...).
pub fn is_region_code(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text.contains('-')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};
    use opentrail_control::{TrailArn, TrailName};
    use opentrail_selectors::{TrailSelectors, parse_put_event_selectors};
    use serde_json::{Value, json};

    use super::*;

    const ACCOUNT: &str = "123456789012";

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 10, minute, 0).unwrap()
    }

    /// A logging trail in Tokyo with CreateTrail's defaults, logging since 10:00.
    fn trail() -> TrailConfig {
        let name = TrailName::parse("trail-1").unwrap();
        TrailConfig {
            trail: TrailRecord::with_defaults(
                TrailArn::new(ACCOUNT, "ap-northeast-1", name),
                "write-only-events",
                at(0),
            ),
            is_logging: true,
            start_logging_time: Some(at(0)),
            stop_logging_time: None,
        }
    }

    fn record(source: &str, name: &str, region: &str) -> Value {
        json!({"eventVersion":"1.11","eventSource":source,"eventName":name,"awsRegion":region,
            "eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management",
            "readOnly":false,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/a"}})
    }

    /// An S3 object-level write (data event) on `bucket`/`key` by `identity`.
    fn data_event(bucket: &str, key: &str, identity: Value) -> Value {
        json!({"eventVersion":"1.11","eventSource":"s3.amazonaws.com","eventName":"PutObject",
            "awsRegion":"ap-northeast-1","eventType":"AwsApiCall","managementEvent":false,
            "eventCategory":"Data","readOnly":false,"userIdentity":identity,
            "resources":[{"type":"AWS::S3::Object","ARN":format!("arn:aws:s3:::{bucket}/{key}")},
                {"type":"AWS::S3::Bucket","ARN":format!("arn:aws:s3:::{bucket}"),"accountId":ACCOUNT}]})
    }

    fn delivery_identity() -> Value {
        json!({"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"})
    }

    fn user_identity() -> Value {
        json!({"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/a"})
    }

    /// Seed 000's selectors: write-only data events on `test-20161130/` and on the trail's own
    /// bucket, no management events.
    fn data_selectors() -> TrailSelectors {
        let selectors = json!([{"ReadWriteType":"WriteOnly","IncludeManagementEvents":false,
            "DataResources":[{"Type":"AWS::S3::Object",
                "Values":["arn:aws:s3:::test-20161130/","arn:aws:s3:::write-only-events/"]}]}]);
        parse_put_event_selectors(Some(&selectors), None).unwrap()
    }

    struct Case {
        name: &'static str,
        trail: fn(&mut TrailConfig),
        account: &'static str,
        ingested: DateTime<Utc>,
        record: Value,
        expected: Option<&'static str>,
    }

    fn check(case: Case) {
        let mut config = trail();
        (case.trail)(&mut config);
        let bytes = serde_json::to_vec(&case.record).unwrap();
        let summary = RecordSummary::parse(&bytes).unwrap();
        let routed = envelope_is_candidate(&config, case.account, case.ingested)
            .then(|| file_region_for(&config.trail, &summary))
            .flatten();
        assert_eq!(routed.as_deref(), case.expected, "case '{}'", case.name);
    }

    #[test]
    fn routing_rules() {
        let tokyo = "ap-northeast-1";
        let keep = |_: &mut TrailConfig| {};
        let multi = |t: &mut TrailConfig| t.trail.is_multi_region_trail = true;
        let no_global = |t: &mut TrailConfig| t.trail.include_global_service_events = false;
        let multi_no_global = |t: &mut TrailConfig| {
            t.trail.is_multi_region_trail = true;
            t.trail.include_global_service_events = false;
        };
        let stopped_at_5 = |t: &mut TrailConfig| {
            t.is_logging = false;
            t.stop_logging_time = Some(at(5));
        };
        let never_started = |t: &mut TrailConfig| {
            t.is_logging = false;
            t.start_logging_time = None;
        };
        let seed_selectors = |t: &mut TrailConfig| t.trail.selectors = data_selectors();
        let seed_no_recursion = |t: &mut TrailConfig| {
            t.trail.selectors = data_selectors();
            t.trail.recursive_logging = false;
        };
        let seed_prefixed = |t: &mut TrailConfig| {
            t.trail.selectors = data_selectors();
            t.trail.s3_key_prefix = Some("mine".into());
        };
        let ec2 = || record("ec2.amazonaws.com", "RunInstances", tokyo);
        let cases = [
            Case {
                name: "home region event",
                trail: keep,
                account: ACCOUNT,
                ingested: at(1),
                record: ec2(),
                expected: Some(tokyo),
            },
            Case {
                name: "other account",
                trail: keep,
                account: "210987654321",
                ingested: at(1),
                record: ec2(),
                expected: None,
            },
            Case {
                name: "before StartLogging",
                trail: keep,
                account: ACCOUNT,
                ingested: at(0) - TimeDelta::seconds(1),
                record: ec2(),
                expected: None,
            },
            Case {
                name: "stopped: before the stop",
                trail: stopped_at_5,
                account: ACCOUNT,
                ingested: at(4),
                record: ec2(),
                expected: Some(tokyo),
            },
            Case {
                name: "stopped: after the stop",
                trail: stopped_at_5,
                account: ACCOUNT,
                ingested: at(5),
                record: ec2(),
                expected: None,
            },
            Case {
                name: "never started",
                trail: never_started,
                account: ACCOUNT,
                ingested: at(1),
                record: ec2(),
                expected: None,
            },
            Case {
                name: "other region, single-region trail",
                trail: keep,
                account: ACCOUNT,
                ingested: at(1),
                record: record("ec2.amazonaws.com", "RunInstances", "us-west-2"),
                expected: None,
            },
            Case {
                name: "other region, multi-region trail",
                trail: multi,
                account: ACCOUNT,
                ingested: at(1),
                record: record("ec2.amazonaws.com", "RunInstances", "us-west-2"),
                expected: Some("us-west-2"),
            },
            Case {
                name: "no region, multi-region trail files at home",
                trail: multi,
                account: ACCOUNT,
                ingested: at(1),
                record: json!({"eventSource":"ec2.amazonaws.com"}),
                expected: Some(tokyo),
            },
            Case {
                name: "unsafe region, multi-region trail files at home",
                trail: multi,
                account: ACCOUNT,
                ingested: at(1),
                record: record("ec2.amazonaws.com", "RunInstances", "../x"),
                expected: Some(tokyo),
            },
            Case {
                name: "global event in single-region trail files at home",
                trail: keep,
                account: ACCOUNT,
                ingested: at(1),
                record: record("iam.amazonaws.com", "CreateUser", "us-east-1"),
                expected: Some(tokyo),
            },
            Case {
                name: "global event in multi-region trail files in us-east-1",
                trail: multi,
                account: ACCOUNT,
                ingested: at(1),
                record: record("iam.amazonaws.com", "CreateUser", "us-east-1"),
                expected: Some("us-east-1"),
            },
            Case {
                name: "global event excluded",
                trail: no_global,
                account: ACCOUNT,
                ingested: at(1),
                record: record("iam.amazonaws.com", "CreateUser", "us-east-1"),
                expected: None,
            },
            Case {
                name: "global event excluded from multi-region trail",
                trail: multi_no_global,
                account: ACCOUNT,
                ingested: at(1),
                record: record(
                    "cloudfront.amazonaws.com",
                    "CreateDistribution",
                    "us-east-1",
                ),
                expected: None,
            },
            Case {
                name: "regional sts is not global",
                trail: no_global,
                account: ACCOUNT,
                ingested: at(1),
                record: record("sts.amazonaws.com", "AssumeRole", tokyo),
                expected: Some(tokyo),
            },
            Case {
                name: "regional us-east-1 event stays regional",
                trail: multi_no_global,
                account: ACCOUNT,
                ingested: at(1),
                record: record("ec2.amazonaws.com", "RunInstances", "us-east-1"),
                expected: Some("us-east-1"),
            },
            Case {
                name: "default selectors skip data events",
                trail: keep,
                account: ACCOUNT,
                ingested: at(1),
                record: data_event("test-20161130", "sample.png", user_identity()),
                expected: None,
            },
            Case {
                name: "seed selectors take the watched bucket",
                trail: seed_selectors,
                account: ACCOUNT,
                ingested: at(1),
                record: data_event("test-20161130", "sample.png", user_identity()),
                expected: Some(tokyo),
            },
            Case {
                name: "seed selectors skip management events",
                trail: seed_selectors,
                account: ACCOUNT,
                ingested: at(1),
                record: ec2(),
                expected: None,
            },
            Case {
                name: "loop guard: own delivery into own bucket",
                trail: seed_selectors,
                account: ACCOUNT,
                ingested: at(1),
                record: data_event(
                    "write-only-events",
                    "AWSLogs/123456789012/CloudTrail/x.json.gz",
                    delivery_identity(),
                ),
                expected: None,
            },
            Case {
                name: "loop guard: a user's put into own bucket is logged",
                trail: seed_selectors,
                account: ACCOUNT,
                ingested: at(1),
                record: data_event(
                    "write-only-events",
                    "AWSLogs/123456789012/CloudTrail/x.json.gz",
                    user_identity(),
                ),
                expected: Some(tokyo),
            },
            Case {
                name: "loop guard: another path of own bucket with RecursiveLogging",
                trail: seed_prefixed,
                account: ACCOUNT,
                ingested: at(1),
                record: data_event(
                    "write-only-events",
                    "other/AWSLogs/123456789012/CloudTrail/x.json.gz",
                    delivery_identity(),
                ),
                expected: Some(tokyo),
            },
            Case {
                name: "loop guard: own prefix",
                trail: seed_prefixed,
                account: ACCOUNT,
                ingested: at(1),
                record: data_event(
                    "write-only-events",
                    "mine/AWSLogs/123456789012/CloudTrail-Digest/x.json.gz",
                    delivery_identity(),
                ),
                expected: None,
            },
            Case {
                name: "loop guard: RecursiveLogging false suppresses every delivery into the bucket",
                trail: seed_no_recursion,
                account: ACCOUNT,
                ingested: at(1),
                record: data_event(
                    "write-only-events",
                    "other/AWSLogs/1/x.json.gz",
                    delivery_identity(),
                ),
                expected: None,
            },
            Case {
                name: "loop guard: deliveries into other buckets are logged",
                trail: seed_no_recursion,
                account: ACCOUNT,
                ingested: at(1),
                record: data_event("test-20161130", "AWSLogs/1/x.json.gz", delivery_identity()),
                expected: Some(tokyo),
            },
        ];
        for case in cases {
            check(case);
        }
    }

    #[test]
    fn global_service_events_are_the_documented_sources_in_us_east_1() {
        let cases = [
            ("iam.amazonaws.com", Some("us-east-1"), true),
            ("iam.amazonaws.com", None, true),
            ("sts.amazonaws.com", Some("eu-west-1"), false),
            ("route53.amazonaws.com", Some("us-east-1"), true),
            ("ec2.amazonaws.com", Some("us-east-1"), false),
        ];
        for (source, region, expected) in cases {
            assert_eq!(
                is_global_service_event(source, region),
                expected,
                "{source} {region:?}"
            );
        }
    }
}
