//! The CIS CloudTrail metric filters (spec section 8) on crafted records showing the documented
//! consequences. The run over the real corpus is in tests/cis_corpus.rs.

use super::{check, compile};
use crate::cis::{
    CIS_CLOUDTRAIL_METRIC_FILTERS, CIS_CONSOLE_SIGN_IN_WITHOUT_MFA_IAM_USERS,
    CIS_V5_SECURITY_GROUP_CHANGES,
};

fn pattern(control: &str) -> &'static str {
    CIS_CLOUDTRAIL_METRIC_FILTERS
        .iter()
        .find(|filter| filter.control == control)
        .map(|filter| filter.pattern)
        .expect(control)
}

#[test]
fn every_cis_filter_compiles_as_json() {
    for filter in CIS_CLOUDTRAIL_METRIC_FILTERS {
        assert_eq!(
            compile(filter.pattern).kind(),
            crate::PatternKind::Json,
            "{}",
            filter.control
        );
    }
    compile(CIS_CONSOLE_SIGN_IN_WITHOUT_MFA_IAM_USERS);
    compile(CIS_V5_SECURITY_GROUP_CHANGES);
}

#[test]
fn unauthorized_calls_parse_as_a_or_b_and_c_and_d() {
    let call = |code: &str, ip: &str, name: &str| {
        format!(r#"{{"errorCode":"{code}","sourceIPAddress":"{ip}","eventName":"{name}"}}"#)
    };
    let rows = [
        (
            call("Client.UnauthorizedOperation", "10.0.0.1", "HeadBucket"),
            true,
        ),
        (
            call(
                "Client.UnauthorizedOperation",
                "delivery.logs.amazonaws.com",
                "X",
            ),
            true,
        ),
        (call("AccessDenied", "10.0.0.1", "GetObject"), true),
        (call("AccessDeniedException", "10.0.0.1", "GetObject"), true),
        (call("AccessDenied", "10.0.0.1", "HeadBucket"), false),
        (
            call("AccessDenied", "delivery.logs.amazonaws.com", "GetObject"),
            false,
        ),
        (call("ThrottlingException", "10.0.0.1", "GetObject"), false),
        (
            r#"{"errorCode":"AccessDenied","eventName":"GetObject"}"#.to_owned(),
            false,
        ),
    ];
    for (record, expected) in &rows {
        check(pattern("4.1"), record, *expected);
    }
    // v1.3.0's variant joined everything with ||, so any record with a sourceIPAddress matches.
    let v13 = r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }"#;
    check(v13, &call("None", "10.0.0.1", "ListBuckets"), true);
}

#[test]
fn sign_in_root_and_policy_consequences() {
    let federated = r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"FederatedUser"},"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"}}"#;
    let iam_user = r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"}}"#;
    let with_mfa = r#"{"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser"},"additionalEventData":{"MFAUsed":"Yes"},"responseElements":{"ConsoleLogin":"Success"}}"#;
    check(pattern("4.2"), federated, true);
    check(CIS_CONSOLE_SIGN_IN_WITHOUT_MFA_IAM_USERS, federated, false);
    check(CIS_CONSOLE_SIGN_IN_WITHOUT_MFA_IAM_USERS, iam_user, true);
    check(pattern("4.2"), with_mfa, false);

    let root = r#"{"userIdentity":{"type":"Root"},"eventType":"AwsApiCall"}"#;
    let root_by_service = r#"{"userIdentity":{"type":"Root","invokedBy":"s3.amazonaws.com"},"eventType":"AwsApiCall"}"#;
    let root_service_event = r#"{"userIdentity":{"type":"Root"},"eventType":"AwsServiceEvent"}"#;
    check(pattern("4.3"), root, true);
    check(pattern("4.3"), root_by_service, false);
    check(pattern("4.3"), root_service_event, false);

    check(
        pattern("4.4"),
        r#"{"eventSource":"organizations.amazonaws.com","eventName":"CreatePolicy"}"#,
        true,
    );
    check(
        pattern("4.7"),
        r#"{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion"}"#,
        true,
    );
    check(
        pattern("4.7"),
        r#"{"eventSource":"kms.amazonaws.com","eventName":"EnableKey"}"#,
        false,
    );
    check(
        pattern("4.15"),
        r#"{"eventSource":"organizations.amazonaws.com","eventName":"LeaveOrganization"}"#,
        true,
    );
    check(
        CIS_V5_SECURITY_GROUP_CHANGES,
        r#"{"eventName":"ModifySecurityGroupRules"}"#,
        true,
    );
    check(
        pattern("4.10"),
        r#"{"eventName":"ModifySecurityGroupRules"}"#,
        false,
    );
}
