//! The XML of every implemented action, as rendered by the service, parsed by botocore's own
//! `QueryParser` against the operation's output shape (the same code path boto3 and the aws CLI
//! use), including SNS error responses. Needs `OT_PYTHON` (a venv with boto3).

use std::process::Command;

use serde_json::{Value, json};

use crate::harness::{ACCOUNT, REGION, between, call, ok, open, python, script};

struct Cases(Vec<Value>);

impl Cases {
    /// Runs `params` and records the expected parsed members of its response.
    fn check(
        &mut self,
        service: &opentrail_sns::SnsService,
        name: &str,
        params: &[(&str, &str)],
        expect: Value,
    ) -> String {
        let response = call(service, params);
        let operation = params
            .iter()
            .find(|(k, _)| *k == "Action")
            .map(|(_, v)| *v)
            .expect("Action");
        self.0.push(json!({
            "name": name,
            "operation": operation,
            "status": response.status,
            "body": response.body,
            "expect": expect,
        }));
        response.body
    }
}

#[test]
fn botocore_parses_every_rendered_response() {
    let dir = tempfile::tempdir().unwrap();
    let service = open(dir.path());
    let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:alerts");
    let mut cases = Cases(Vec::new());
    let meta = json!({"ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200}});
    cases.check(
        &service,
        "create",
        &[
            ("Action", "CreateTopic"),
            ("Name", "alerts"),
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", "Ops & <alerts>"),
        ],
        json!({"TopicArn": topic, "ResponseMetadata": meta["ResponseMetadata"]}),
    );
    cases.check(
        &service,
        "list topics",
        &[("Action", "ListTopics")],
        json!({"Topics": [{"TopicArn": topic}]}),
    );
    cases.check(
        &service,
        "set attributes",
        &[
            ("Action", "SetTopicAttributes"),
            ("TopicArn", &topic),
            ("AttributeName", "DeliveryPolicy"),
            ("AttributeValue", "{\"http\":{}}"),
        ],
        meta.clone(),
    );
    let http = between(
        &ok(
            &service,
            &[
                ("Action", "Subscribe"),
                ("TopicArn", &topic),
                ("Protocol", "http"),
                ("Endpoint", "http://127.0.0.1:9/hook"),
                ("ReturnSubscriptionArn", "true"),
            ],
        ),
        "<SubscriptionArn>",
        "</SubscriptionArn>",
    );
    cases.check(
        &service,
        "get attributes",
        &[("Action", "GetTopicAttributes"), ("TopicArn", &topic)],
        json!({"Attributes": {
            "TopicArn": topic, "Owner": ACCOUNT, "DisplayName": "Ops & <alerts>",
            "SubscriptionsPending": "1", "SubscriptionsConfirmed": "0", "SubscriptionsDeleted": "0",
            "DeliveryPolicy": "{\"http\":{}}",
        }}),
    );
    cases.check(
        &service,
        "subscribe pending",
        &[
            ("Action", "Subscribe"),
            ("TopicArn", &topic),
            ("Protocol", "email"),
            ("Endpoint", "ops@example.com"),
        ],
        json!({"SubscriptionArn": "pending confirmation"}),
    );
    // Both subscriptions are pending (their ARNs are hidden), in ARN order.
    let pending =
        json!({"TopicArn": topic, "SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT});
    cases.check(
        &service,
        "list subscriptions by topic",
        &[("Action", "ListSubscriptionsByTopic"), ("TopicArn", &topic)],
        json!({"Subscriptions": [pending, pending]}),
    );
    cases.check(
        &service,
        "list subscriptions",
        &[("Action", "ListSubscriptions")],
        json!({"Subscriptions": [pending, pending]}),
    );
    cases.check(
        &service,
        "subscription attributes",
        &[("Action", "GetSubscriptionAttributes"), ("SubscriptionArn", &http)],
        json!({"Attributes": {"SubscriptionArn": http, "Protocol": "http", "PendingConfirmation": "true"}}),
    );
    let published = cases.check(
        &service,
        "publish",
        &[
            ("Action", "Publish"),
            ("TopicArn", &topic),
            ("Message", "m"),
        ],
        json!({}),
    );
    let message_id = between(&published, "<MessageId>", "</MessageId>");
    cases.0.last_mut().unwrap()["expect"] = json!({"MessageId": message_id});
    cases.check(
        &service,
        "tag",
        &[
            ("Action", "TagResource"),
            ("ResourceArn", &topic),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "ops"),
        ],
        meta.clone(),
    );
    cases.check(
        &service,
        "list tags",
        &[("Action", "ListTagsForResource"), ("ResourceArn", &topic)],
        json!({"Tags": [{"Key": "team", "Value": "ops"}]}),
    );
    cases.check(
        &service,
        "untag",
        &[
            ("Action", "UntagResource"),
            ("ResourceArn", &topic),
            ("TagKeys.member.1", "team"),
        ],
        meta.clone(),
    );
    cases.check(
        &service,
        "unsubscribe",
        &[("Action", "Unsubscribe"), ("SubscriptionArn", &http)],
        meta.clone(),
    );
    let missing = format!("arn:aws:sns:{REGION}:{ACCOUNT}:missing");
    cases.check(
        &service,
        "not found",
        &[("Action", "GetTopicAttributes"), ("TopicArn", &missing)],
        json!({"Error": {"Type": "Sender", "Code": "NotFound", "Message": "Topic does not exist"},
               "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 404}}),
    );
    cases.check(
        &service,
        "bad token",
        &[
            ("Action", "ConfirmSubscription"),
            ("TopicArn", &topic),
            ("Token", "nope"),
        ],
        json!({"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: Token"}}),
    );
    cases.check(
        &service,
        "delete",
        &[("Action", "DeleteTopic"), ("TopicArn", &topic)],
        meta,
    );
    run_python(&cases.0);
}

fn run_python(cases: &[Value]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.json");
    std::fs::write(&path, serde_json::to_vec(cases).unwrap()).unwrap();
    let output = Command::new(python())
        .arg(script("check_shapes.py"))
        .arg(&path)
        .output()
        .expect("run OT_PYTHON");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "botocore disagreed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("{} passed, 0 failed", cases.len())),
        "{stdout}"
    );
}
