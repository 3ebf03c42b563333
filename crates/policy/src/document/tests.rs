//! Parsing and evaluation of whole policies: every S3 refusal, and the policies OpenTrail meets
//! (seed 003's IP restriction, CloudTrail's delivery policy, cross-account grants).

use std::net::IpAddr;

use super::*;
use crate::context::PolicyRequestBuilder;
use crate::principal::RequestPrincipal;
use PolicyOutcome::{Allow, ExplicitDeny, NotApplicable};

const BUCKET: &str = "test-blog-12345";
const OWNER: &str = "111122223333";
const OTHER: &str = "444455556666";
const OFFICE_IP: &str = "203.0.113.7";

fn root() -> RequestPrincipal {
    RequestPrincipal::account_root(OWNER)
}

fn alice() -> RequestPrincipal {
    RequestPrincipal::iam_user(OWNER, "alice", "AIDAALICE")
}

fn other() -> RequestPrincipal {
    RequestPrincipal::iam_user(OTHER, "bob", "AIDABOB")
}

fn cloudtrail() -> RequestPrincipal {
    RequestPrincipal::service("cloudtrail.amazonaws.com")
}

/// A request for `action` on the bucket (`path` "") or an object (`path` "/key"), from the
/// office address over TLS.
fn ask(principal: RequestPrincipal, action: &str, path: &str) -> PolicyRequestBuilder {
    PolicyRequest::builder(principal, action, format!("arn:aws:s3:::{BUCKET}{path}"))
        .source_ip(OFFICE_IP.parse().unwrap())
        .secure_transport(true)
}

fn from_ip(builder: PolicyRequestBuilder, ip: &str) -> PolicyRequest {
    builder.source_ip(ip.parse::<IpAddr>().unwrap()).build()
}

/// `policy` parses for [`BUCKET`] and answers each request as expected.
fn check(policy: &str, cases: Vec<(PolicyRequest, PolicyOutcome)>) {
    let parsed = BucketPolicy::parse(policy, BUCKET)
        .unwrap_or_else(|error| panic!("{policy}: {error} ({})", error.aws_message()));
    for (request, expected) in cases {
        assert_eq!(
            parsed.evaluate(&request),
            expected,
            "{policy}\n{} {} {} {:?}",
            request.action,
            request.resource,
            request
                .context
                .values("aws:SourceIp")
                .map_or("-", |ip| ip[0].as_str()),
            request.principal
        );
    }
}

/// A 2012-10-17 policy with the given statements.
fn policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

#[test]
fn seed_003_denies_puts_from_other_addresses() {
    let seed = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Statement1","Effect":"Deny","Principal":"*",
 "Action":["s3:PutObject"],"Resource":"arn:aws:s3:::test-blog-12345/*",
 "Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.7/32"}}}]}"#;
    check(
        seed,
        vec![
            (
                ask(root(), "s3:PutObject", "/index.html").build(),
                NotApplicable,
            ),
            (
                from_ip(ask(root(), "s3:PutObject", "/index.html"), "198.51.100.9"),
                ExplicitDeny,
            ),
            (
                from_ip(ask(alice(), "s3:PutObject", "/a/b"), "2001:db8::1"),
                ExplicitDeny,
            ),
            (
                from_ip(ask(root(), "s3:GetObject", "/index.html"), "198.51.100.9"),
                NotApplicable,
            ),
            (
                from_ip(ask(root(), "s3:ListBucket", ""), "198.51.100.9"),
                NotApplicable,
            ),
            (
                PolicyRequest::builder(
                    cloudtrail(),
                    "s3:PutObject",
                    format!("arn:aws:s3:::{BUCKET}/x"),
                )
                .build(),
                ExplicitDeny,
            ),
        ],
    );
}

#[test]
fn cloudtrail_delivery_policy() {
    let delivery = format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},
          "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::{BUCKET}",
          "Condition":{{"StringEquals":{{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:{OWNER}:trail/main"}}}}}},
        {{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},
          "Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/AWSLogs/{OWNER}/*",
          "Condition":{{"StringEquals":{{"s3:x-amz-acl":"bucket-owner-full-control",
                                         "aws:SourceArn":"arn:aws:cloudtrail:us-east-1:{OWNER}:trail/main"}}}}}}]}}"#
    );
    let trail = format!("arn:aws:cloudtrail:us-east-1:{OWNER}:trail/main");
    let log = format!("/AWSLogs/{OWNER}/CloudTrail/us-east-1/2024/06/30/x.json.gz");
    let deliver = |acl: &str, source: &str, path: &str| {
        PolicyRequest::builder(
            cloudtrail(),
            "s3:PutObject",
            format!("arn:aws:s3:::{BUCKET}{path}"),
        )
        .acl(acl)
        .key("aws:SourceArn", source)
        .build()
    };
    check(
        &delivery,
        vec![
            (deliver("bucket-owner-full-control", &trail, &log), Allow),
            (deliver("private", &trail, &log), NotApplicable),
            (
                deliver(
                    "bucket-owner-full-control",
                    "arn:aws:cloudtrail:us-east-1:1:trail/x",
                    &log,
                ),
                NotApplicable,
            ),
            (
                deliver(
                    "bucket-owner-full-control",
                    &trail,
                    "/AWSLogs/444455556666/x",
                ),
                NotApplicable,
            ),
            (
                PolicyRequest::builder(
                    cloudtrail(),
                    "s3:GetBucketAcl",
                    format!("arn:aws:s3:::{BUCKET}"),
                )
                .key("aws:SourceArn", &trail)
                .build(),
                Allow,
            ),
            (
                ask(root(), "s3:PutObject", &log)
                    .acl("bucket-owner-full-control")
                    .build(),
                NotApplicable,
            ),
            (
                PolicyRequest::builder(
                    RequestPrincipal::service("config.amazonaws.com"),
                    "s3:PutObject",
                    format!("arn:aws:s3:::{BUCKET}{log}"),
                )
                .acl("bucket-owner-full-control")
                .key("aws:SourceArn", &trail)
                .build(),
                NotApplicable,
            ),
        ],
    );
}

#[test]
fn cross_account_allow_and_deny_wins() {
    let grant = policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}},"Action":["s3:GetObject","s3:ListBucket"],
            "Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"]}},
           {{"Effect":"Deny","Principal":{{"AWS":"{OTHER}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/secret/*"}},
           {{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"],
            "Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#
    ));
    check(
        &grant,
        vec![
            (ask(other(), "s3:GetObject", "/public/a").build(), Allow),
            (ask(other(), "s3:ListBucket", "").build(), Allow),
            (
                ask(other(), "s3:GetObject", "/secret/a").build(),
                ExplicitDeny,
            ),
            (
                ask(other(), "s3:PutObject", "/public/a").build(),
                NotApplicable,
            ),
            (
                ask(other(), "s3:GetObject", "/public/a")
                    .secure_transport(false)
                    .build(),
                ExplicitDeny,
            ),
            (
                ask(root(), "s3:GetObject", "/public/a")
                    .secure_transport(false)
                    .build(),
                ExplicitDeny,
            ),
            (
                ask(root(), "s3:GetObject", "/secret/a").build(),
                NotApplicable,
            ),
            (
                ask(
                    RequestPrincipal::account_root("999999999999"),
                    "s3:GetObject",
                    "/a",
                )
                .build(),
                NotApplicable,
            ),
        ],
    );
}

#[test]
fn wildcards_in_actions_and_resources() {
    let wild = policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{OTHER}"}},"Action":["s3:Get*","S3:LIST?UCKET"],
            "Resource":["arn:aws:s3:::test-blog-*","arn:aws:s3:::{BUCKET}/logs/????/*"]}}"#
    ));
    check(
        &wild,
        vec![
            (ask(other(), "s3:GetObject", "/logs/2024/a").build(), Allow),
            (ask(other(), "S3:GETOBJECT", "/logs/2024/a").build(), Allow),
            (ask(other(), "s3:GetObjectAcl", "/anything").build(), Allow),
            (ask(other(), "s3:GetBucketPolicy", "").build(), Allow),
            (ask(other(), "s3:ListBucket", "").build(), Allow),
            (
                ask(other(), "s3:ListBucketVersions", "").build(),
                NotApplicable,
            ),
            (
                ask(other(), "s3:PutObject", "/logs/2024/a").build(),
                NotApplicable,
            ),
            (
                PolicyRequest::builder(
                    other(),
                    "s3:GetObject",
                    format!("arn:aws:s3:::{BUCKET}/logs/2024/a"),
                )
                .build(),
                Allow,
            ),
        ],
    );
    let case = policy(&format!(
        r#"{{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::{BUCKET}/Logs/*"}}"#
    ));
    check(
        &case,
        vec![
            (ask(other(), "s3:GetObject", "/Logs/a").build(), Allow),
            (
                ask(other(), "s3:GetObject", "/logs/a").build(),
                NotApplicable,
            ),
            (
                ask(RequestPrincipal::Anonymous, "s3:GetObject", "/Logs/a").build(),
                Allow,
            ),
        ],
    );
}

#[test]
fn negated_elements() {
    let not_principal = policy(&format!(
        r#"{{"Effect":"Deny","NotPrincipal":{{"AWS":["arn:aws:iam::{OWNER}:user/alice","{OTHER}"]}},
            "Action":"s3:DeleteObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}"#
    ));
    check(
        &not_principal,
        vec![
            (ask(alice(), "s3:DeleteObject", "/a").build(), NotApplicable),
            (ask(other(), "s3:DeleteObject", "/a").build(), NotApplicable),
            (ask(root(), "s3:DeleteObject", "/a").build(), ExplicitDeny),
            (
                ask(cloudtrail(), "s3:DeleteObject", "/a").build(),
                ExplicitDeny,
            ),
            (ask(root(), "s3:GetObject", "/a").build(), NotApplicable),
        ],
    );
    let not_action = policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"{OTHER}"}},"NotAction":["s3:Delete*","s3:PutBucketPolicy"],
            "Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"]}}"#
    ));
    check(
        &not_action,
        vec![
            (ask(other(), "s3:GetObject", "/a").build(), Allow),
            (ask(other(), "s3:PutBucketCORS", "").build(), Allow),
            (ask(other(), "s3:DeleteObject", "/a").build(), NotApplicable),
            (
                ask(other(), "s3:putbucketpolicy", "").build(),
                NotApplicable,
            ),
        ],
    );
    let not_resource = policy(&format!(
        r#"{{"Effect":"Deny","Principal":{{"AWS":"{OTHER}"}},"Action":"s3:*","NotResource":"arn:aws:s3:::{BUCKET}/shared/*"}},
           {{"Effect":"Allow","Principal":{{"AWS":"{OTHER}"}},"Action":"s3:*","Resource":"arn:aws:s3:::{BUCKET}/*"}}"#
    ));
    check(
        &not_resource,
        vec![
            (ask(other(), "s3:GetObject", "/shared/a").build(), Allow),
            (
                ask(other(), "s3:GetObject", "/private/a").build(),
                ExplicitDeny,
            ),
            (ask(other(), "s3:ListBucket", "").build(), ExplicitDeny),
        ],
    );
}

#[test]
fn policy_variables() {
    let homes = |version: &str| {
        format!(
            r#"{{"Version":"{version}","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{OWNER}"}},
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/home/${{aws:username}}/*"}},
            {{"Effect":"Allow","Principal":{{"AWS":"{OWNER}"}},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::{BUCKET}",
             "Condition":{{"StringLike":{{"s3:prefix":["home/${{aws:username}}/*","team/${{aws:PrincipalAccount}}/*"]}}}}}},
            {{"Effect":"Allow","Principal":{{"AWS":"{OWNER}"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/ids/${{aws:userid}}"}}]}}"#
        )
    };
    check(
        &homes("2012-10-17"),
        vec![
            (ask(alice(), "s3:GetObject", "/home/alice/a").build(), Allow),
            (
                ask(alice(), "s3:GetObject", "/home/bob/a").build(),
                NotApplicable,
            ),
            (
                ask(root(), "s3:GetObject", "/home/alice/a").build(),
                NotApplicable,
            ),
            (
                ask(alice(), "s3:ListBucket", "")
                    .prefix("home/alice/x")
                    .build(),
                Allow,
            ),
            (
                ask(alice(), "s3:ListBucket", "")
                    .prefix(&format!("team/{OWNER}/x"))
                    .build(),
                Allow,
            ),
            (
                ask(alice(), "s3:ListBucket", "")
                    .prefix("home/bob/x")
                    .build(),
                NotApplicable,
            ),
            (
                ask(alice(), "s3:PutObject", "/ids/AIDAALICE").build(),
                Allow,
            ),
            (
                ask(root(), "s3:PutObject", &format!("/ids/{OWNER}")).build(),
                Allow,
            ),
            (
                PolicyRequest::new(
                    alice(),
                    "s3:GetObject",
                    format!("arn:aws:s3:::{BUCKET}/home/alice/a"),
                    Default::default(),
                ),
                NotApplicable,
            ),
        ],
    );
    check(
        &homes("2008-10-17"),
        vec![
            (
                ask(alice(), "s3:GetObject", "/home/alice/a").build(),
                NotApplicable,
            ),
            (
                ask(alice(), "s3:GetObject", "/home/${aws:username}/a").build(),
                Allow,
            ),
        ],
    );
}

#[test]
fn document_shapes() {
    let single = format!(
        r#"{{"Id":"P1","Statement":{{"Sid":"S","Effect":"Allow","Principal":{{"AWS":["{OTHER}"]}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}}}"#
    );
    let parsed = BucketPolicy::parse(&single, BUCKET).unwrap();
    assert_eq!(parsed.version(), PolicyVersion::V2008_10_17);
    assert_eq!(parsed.version().as_str(), "2008-10-17");
    assert_eq!(parsed.id(), Some("P1"));
    assert_eq!(parsed.sids().collect::<Vec<_>>(), [Some("S")]);
    check(
        &single,
        vec![(ask(other(), "s3:GetObject", "/a").build(), Allow)],
    );
    let both = format!(
        r#"{{"Version":"2008-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}},
            {{"Sid":"2","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::{BUCKET}"}}]}}"#
    );
    let parsed = BucketPolicy::parse(&both, BUCKET).unwrap();
    assert_eq!(parsed.sids().collect::<Vec<_>>(), [None, Some("2")]);
    check(
        &both,
        vec![
            (ask(other(), "s3:ListBucket", "").build(), Allow),
            (ask(other(), "s3:ListBucket", "/a").build(), NotApplicable),
        ],
    );
    let resources = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::*","arn:aws:s3:::{BUCKET}*","arn:aws:s3:::${{aws:username}}/x"]}}]}}"#
    );
    check(
        &resources,
        vec![(ask(other(), "s3:PutObject", "/a").build(), Allow)],
    );
}

#[test]
fn refusals() {
    let statement = |body: &str| policy(body);
    let ok_rest = format!(r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*""#);
    let allow = |rest: &str| statement(&format!(r#"{{"Effect":"Allow","Principal":"*",{rest}}}"#));
    let one = format!(r#"{{"Effect":"Allow","Principal":"*",{ok_rest}}}"#);
    let huge = policy(&vec![one; 300].join(","));
    let cases: Vec<(String, &str)> = vec![
        (
            "".into(),
            "Policies must be valid JSON and the first byte must be '{'",
        ),
        (
            " {}".into(),
            "Policies must be valid JSON and the first byte must be '{'",
        ),
        (
            "[1]".into(),
            "Policies must be valid JSON and the first byte must be '{'",
        ),
        ("{\"Version\":".into(), "This policy contains invalid Json"),
        ("{} x".into(), "This policy contains invalid Json"),
        (huge, "Policy exceeds the maximum allowed document size."),
        (
            r#"{"Version":"2012-10-17"}"#.into(),
            "Missing required field Statement",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
            "Could not parse the policy: Statement is empty!",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":"x"}"#.into(),
            "Invalid policy syntax.",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":["x"]}"#.into(),
            "Invalid policy syntax.",
        ),
        (
            r#"{"Version":"2017-06-20","Statement":[]}"#.into(),
            "The policy must contain a valid version string",
        ),
        (
            r#"{"Version":"","Statement":[]}"#.into(),
            "The policy must contain a valid version string",
        ),
        (
            r#"{"Version":20121017,"Statement":[]}"#.into(),
            "The policy must contain a valid version string",
        ),
        (
            r#"{"Id":7,"Statement":[]}"#.into(),
            "Invalid policy syntax.",
        ),
        (
            r#"{"Statement":[],"Condition":{}}"#.into(),
            "Unknown field Condition",
        ),
        (
            statement(&format!(
                r#"{{"Effect":"Allow","Principal":"*",{ok_rest},"condition":{{}}}}"#
            )),
            "Unknown field condition",
        ),
        (
            statement(&format!(
                r#"{{"Sid":1,"Effect":"Allow","Principal":"*",{ok_rest}}}"#
            )),
            "Invalid policy syntax.",
        ),
        (
            statement(&format!(r#"{{"Principal":"*",{ok_rest}}}"#)),
            "Missing required field Effect",
        ),
        (
            statement(&format!(
                r#"{{"Effect":"allow","Principal":"*",{ok_rest}}}"#
            )),
            "Invalid effect: allow",
        ),
        (
            statement(&format!(
                r#"{{"Effect":"hello","Principal":"*",{ok_rest}}}"#
            )),
            "Invalid effect: hello",
        ),
        (
            statement(&format!(r#"{{"Effect":"Allow",{ok_rest}}}"#)),
            "Missing required field Principal",
        ),
        (
            statement(&format!(
                r#"{{"Effect":"Allow","Principal":{{}},{ok_rest}}}"#
            )),
            "Missing required field Principal cannot be empty!",
        ),
        (
            statement(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"user"}},{ok_rest}}}"#
            )),
            "Invalid principal in policy",
        ),
        (
            statement(&format!(
                r#"{{"Effect":"Allow","NotPrincipal":{{"AWS":"{OTHER}"}},{ok_rest}}}"#
            )),
            "Invalid principal in policy",
        ),
        (
            statement(&format!(
                r#"{{"Effect":"Deny","Principal":"*","NotPrincipal":"*",{ok_rest}}}"#
            )),
            "Invalid policy syntax.",
        ),
        (
            allow(&format!(r#""Resource":"arn:aws:s3:::{BUCKET}/*""#)),
            "Missing required field Action",
        ),
        (
            allow(r#""Action":"s3:GetObject""#),
            "Missing required field Resource",
        ),
        (
            allow(&format!(
                r#""Action":"invalid_action","Resource":"arn:aws:s3:::{BUCKET}/*""#
            )),
            "Policy has invalid action",
        ),
        (
            allow(&format!(
                r#""Action":"iam:PassRole","Resource":"arn:aws:s3:::{BUCKET}/*""#
            )),
            "Policy has invalid action",
        ),
        (
            allow(&format!(
                r#""Action":"s3:GetObjects","Resource":"arn:aws:s3:::{BUCKET}/*""#
            )),
            "Policy has invalid action",
        ),
        (
            allow(&format!(
                r#""Action":"s3:","Resource":"arn:aws:s3:::{BUCKET}/*""#
            )),
            "Policy has invalid action",
        ),
        (
            allow(&format!(
                r#""Action":[],"Resource":"arn:aws:s3:::{BUCKET}/*""#
            )),
            "Policy has invalid action",
        ),
        (
            allow(&format!(
                r#""Action":[7],"Resource":"arn:aws:s3:::{BUCKET}/*""#
            )),
            "Policy has invalid action",
        ),
        (
            allow(r#""Action":"s3:GetObject","Resource":"*""#),
            "Policy has invalid resource",
        ),
        (
            allow(r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*""#),
            "Policy has invalid resource",
        ),
        (
            allow(r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::test-blog-1234/*""#),
            "Policy has invalid resource",
        ),
        (
            allow(r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::/x""#),
            "Policy has invalid resource",
        ),
        (
            allow(r#""Action":"s3:GetObject","Resource":"arn:aws:iam::111122223333:root""#),
            "Policy has invalid resource",
        ),
        (
            allow(r#""Action":"s3:GetObject","Resource":[]"#),
            "Policy has invalid resource",
        ),
        (
            allow(r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/x""#)
                .replace("2012-10-17", "2008-10-17"),
            "Policy has invalid resource",
        ),
        (
            allow(&format!(
                r#""Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}""#
            )),
            "Action does not apply to any resource(s) in statement",
        ),
        (
            allow(&format!(
                r#""Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::{BUCKET}/*""#
            )),
            "Action does not apply to any resource(s) in statement",
        ),
        (
            allow(&format!(
                r#""Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::{BUCKET}""#
            )),
            "Action does not apply to any resource(s) in statement",
        ),
        (
            allow(&format!(
                r#""Action":"s3:GetBucket*","Resource":"arn:aws:s3:::{BUCKET}/*""#
            )),
            "Action does not apply to any resource(s) in statement",
        ),
        (
            allow(&format!(
                r#"{ok_rest},"Condition":{{"StringEqualz":{{"aws:username":"a"}}}}"#
            )),
            "Invalid Condition type : StringEqualz",
        ),
        (
            allow(&format!(
                r#"{ok_rest},"Condition":{{"StringEquals":{{"s3:x-acl":"private"}}}}"#
            )),
            "Policy has an invalid condition key",
        ),
        (
            allow(&format!(
                r#"{ok_rest},"Condition":{{"IpAddress":{{"aws:SourceIp":"xx.xx.xx.xx/32"}}}}"#
            )),
            "Invalid IP address in Conditions",
        ),
        (
            allow(&format!(
                r#"{ok_rest},"Condition":{{"NumericLessThan":{{"s3:max-keys":"many"}}}}"#
            )),
            "Condition value many is not valid for operator NumericLessThan",
        ),
        (
            allow(&format!(r#"{ok_rest},"Condition":"x""#)),
            "Invalid policy syntax.",
        ),
    ];
    for (document, expected) in cases {
        let error = BucketPolicy::parse(&document, BUCKET).expect_err(&document);
        assert_eq!(error.aws_message(), expected, "{document}");
        assert_eq!(error.code(), "MalformedPolicy");
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn accepted_shapes_around_the_refusals() {
    let cases = [
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}"}}]}}"#
        ),
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","NotResource":"arn:aws:s3:::{BUCKET}"}}]}}"#
        ),
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::{BUCKET}"}}]}}"#
        ),
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
        ),
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}*"}}]}}"#
        ),
        format!(
            r#"{{"Statement":[{{"Effect":"Deny","NotPrincipal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
        ),
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*","Condition":{{}}}}]}}"#
        ),
    ];
    for document in cases {
        BucketPolicy::parse(&document, BUCKET)
            .unwrap_or_else(|error| panic!("{document}: {error}"));
    }
}
