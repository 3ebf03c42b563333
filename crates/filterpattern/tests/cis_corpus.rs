//! The 15 CIS CloudTrail metric filters over every record of the real corpus, each outcome
//! compared with an independent reading of the same rule written directly against
//! `serde_json::Value`. The corpus must be present (CORPUS_DIR or shared/corpus/real): the test
//! fails, never skips, without it. New corpus-wide tests go in this file.

#[path = "support/corpus.rs"]
mod corpus;

use opentrail_filterpattern::cis::CIS_CLOUDTRAIL_METRIC_FILTERS;
use opentrail_filterpattern::{FilterPattern, LogEvent};
use serde_json::Value;

fn text<'v>(record: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(record, |value, key| value.get(key))
        .and_then(Value::as_str)
}

fn exists(record: &Value, path: &[&str]) -> bool {
    path.iter()
        .try_fold(record, |value, key| value.get(key))
        .is_some()
}

fn is(record: &Value, path: &[&str], expected: &str) -> bool {
    text(record, path) == Some(expected)
}

/// `!=` as AWS evaluates it: the field must be present (a string here) and different.
fn is_not(record: &Value, path: &[&str], unexpected: &str) -> bool {
    text(record, path).is_some_and(|found| found != unexpected)
}

fn name_in(record: &Value, names: &[&str]) -> bool {
    text(record, &["eventName"]).is_some_and(|name| names.contains(&name))
}

fn source_is(record: &Value, service: &str) -> bool {
    is(record, &["eventSource"], service)
}

/// The independent reading of each control's rule, by control number.
fn expected(control: &str, record: &Value) -> bool {
    match control {
        "4.1" => {
            let code = text(record, &["errorCode"]);
            code.is_some_and(|c| c.ends_with("UnauthorizedOperation"))
                || (code.is_some_and(|c| c.starts_with("AccessDenied"))
                    && is_not(record, &["sourceIPAddress"], "delivery.logs.amazonaws.com")
                    && is_not(record, &["eventName"], "HeadBucket"))
        }
        "4.2" => {
            is(record, &["eventName"], "ConsoleLogin")
                && is_not(record, &["additionalEventData", "MFAUsed"], "Yes")
        }
        "4.3" => {
            is(record, &["userIdentity", "type"], "Root")
                && !exists(record, &["userIdentity", "invokedBy"])
                && is_not(record, &["eventType"], "AwsServiceEvent")
        }
        "4.4" => name_in(
            record,
            &[
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
                "DeleteUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutUserPolicy",
                "CreatePolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "DeletePolicyVersion",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
            ],
        ),
        "4.5" => name_in(
            record,
            &[
                "CreateTrail",
                "UpdateTrail",
                "DeleteTrail",
                "StartLogging",
                "StopLogging",
            ],
        ),
        "4.6" => {
            is(record, &["eventName"], "ConsoleLogin")
                && is(record, &["errorMessage"], "Failed authentication")
        }
        "4.7" => {
            source_is(record, "kms.amazonaws.com")
                && name_in(record, &["DisableKey", "ScheduleKeyDeletion"])
        }
        "4.8" => {
            source_is(record, "s3.amazonaws.com")
                && name_in(
                    record,
                    &[
                        "PutBucketAcl",
                        "PutBucketPolicy",
                        "PutBucketCors",
                        "PutBucketLifecycle",
                        "PutBucketReplication",
                        "DeleteBucketPolicy",
                        "DeleteBucketCors",
                        "DeleteBucketLifecycle",
                        "DeleteBucketReplication",
                    ],
                )
        }
        "4.9" => {
            source_is(record, "config.amazonaws.com")
                && name_in(
                    record,
                    &[
                        "StopConfigurationRecorder",
                        "DeleteDeliveryChannel",
                        "PutDeliveryChannel",
                        "PutConfigurationRecorder",
                    ],
                )
        }
        "4.10" => name_in(
            record,
            &[
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            ],
        ),
        "4.11" => name_in(
            record,
            &[
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            ],
        ),
        "4.12" => name_in(
            record,
            &[
                "CreateCustomerGateway",
                "DeleteCustomerGateway",
                "AttachInternetGateway",
                "CreateInternetGateway",
                "DeleteInternetGateway",
                "DetachInternetGateway",
            ],
        ),
        "4.13" => name_in(
            record,
            &[
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ],
        ),
        "4.14" => name_in(
            record,
            &[
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "AttachClassicLinkVpc",
                "DetachClassicLinkVpc",
                "DisableVpcClassicLink",
                "EnableVpcClassicLink",
            ],
        ),
        "4.15" => {
            source_is(record, "organizations.amazonaws.com")
                && name_in(
                    record,
                    &[
                        "AcceptHandshake",
                        "AttachPolicy",
                        "CreateAccount",
                        "CreateOrganizationalUnit",
                        "CreatePolicy",
                        "DeclineHandshake",
                        "DeleteOrganization",
                        "DeleteOrganizationalUnit",
                        "DeletePolicy",
                        "DetachPolicy",
                        "DisablePolicyType",
                        "EnablePolicyType",
                        "InviteAccountToOrganization",
                        "LeaveOrganization",
                        "MoveAccount",
                        "RemoveAccountFromOrganization",
                        "UpdatePolicy",
                        "UpdateOrganizationalUnit",
                    ],
                )
        }
        other => panic!("no independent rule for control {other}"),
    }
}

/// Runs every filter over `messages`; returns the number of matches per control.
fn run(messages: &[String]) -> Vec<(&'static str, usize)> {
    let filters: Vec<(&str, FilterPattern)> = CIS_CLOUDTRAIL_METRIC_FILTERS
        .iter()
        .map(|filter| {
            (
                filter.control,
                FilterPattern::compile(filter.pattern).expect(filter.control),
            )
        })
        .collect();
    let mut counts: Vec<(&str, usize)> = filters.iter().map(|(control, _)| (*control, 0)).collect();
    for message in messages {
        let record: Value = serde_json::from_str(message).expect("corpus record is JSON");
        let event = LogEvent::new(message);
        for ((control, filter), (_, count)) in filters.iter().zip(counts.iter_mut()) {
            let matched = filter.matches(&event);
            assert_eq!(
                matched,
                expected(control, &record),
                "control {control} on {message}"
            );
            *count += usize::from(matched);
        }
    }
    counts
}

#[test]
fn cis_filters_agree_with_an_independent_reading_on_every_record() {
    let records = corpus::load_records();
    assert!(
        records.len() >= 1000,
        "only {} corpus records",
        records.len()
    );
    let counts = run(&records);
    let matching_controls = counts.iter().filter(|(_, count)| *count > 0).count();
    assert!(
        matching_controls >= 5,
        "too few controls match anything: {counts:?}"
    );
    let total: usize = counts.iter().map(|(_, count)| count).sum();
    assert!(
        total < records.len(),
        "the filters match implausibly much: {counts:?}"
    );
}

#[test]
fn console_sign_in_failures_match_exactly_the_failed_sign_ins() {
    // The corpus has successful ConsoleLogin records only; failed copies of them must match 4.6.
    let records = corpus::load_records();
    let sign_ins: Vec<Value> = records
        .iter()
        .map(|message| serde_json::from_str::<Value>(message).expect("JSON"))
        .filter(|record| record["eventName"] == "ConsoleLogin")
        .collect();
    assert!(
        !sign_ins.is_empty(),
        "the corpus has no ConsoleLogin record"
    );
    let failed: Vec<String> = sign_ins
        .iter()
        .map(|record| {
            let mut record = record.clone();
            record["errorMessage"] = Value::from("Failed authentication");
            record["responseElements"] = serde_json::json!({"ConsoleLogin": "Failure"});
            record.to_string()
        })
        .collect();
    let counts = run(&failed);
    assert!(counts.contains(&("4.6", failed.len())), "{counts:?}");
    let originals = run(&sign_ins.iter().map(Value::to_string).collect::<Vec<_>>());
    assert!(originals.contains(&("4.6", 0)), "{originals:?}");
}
