//! Tests of the whole service through [`SnsService::handle`]: exact XML per action, SNS's
//! errors, cross-account isolation, the subscription life cycle, the outbox that Publish fills,
//! and persistence across reopening the database. HTTP delivery itself is tested against a real
//! subscriber in `tests/it/delivery.rs`; new service-level tests go here.

use std::sync::Mutex;

use chrono::TimeZone;
use serde_json::json;

use super::*;
use crate::names::TopicArn;
use crate::store::SubscriptionStatus;

const ACCOUNT: &str = "123456789012";
const OTHER_ACCOUNT: &str = "210987654321";
const REGION: &str = "us-east-1";
const BASE_URL: &str = "http://127.0.0.1:4580";
const XMLNS: &str = "xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"";

#[derive(Debug)]
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    service: SnsService,
    clock: Arc<TestClock>,
    config: DeliveryConfig,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_config(DeliveryConfig::default())
    }

    /// A service that mails through an SMTP server (never reached: nothing runs the loop).
    fn with_smtp() -> Fixture {
        Fixture::with_config(DeliveryConfig {
            smtp: Some(SmtpConfig {
                host: "127.0.0.1".to_owned(),
                port: 9,
                from: "alerts@example.com".to_owned(),
                username: None,
                password: None,
                starttls: false,
            }),
            ..DeliveryConfig::default()
        })
    }

    fn with_config(config: DeliveryConfig) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(TestClock(Mutex::new(
            Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
        )));
        let service = open(&dir, clock.clone(), config.clone());
        Fixture {
            dir,
            service,
            clock,
            config,
        }
    }

    fn reopen(self) -> Fixture {
        let Fixture {
            dir,
            service,
            clock,
            config,
        } = self;
        drop(service);
        let service = open(&dir, clock.clone(), config.clone());
        Fixture {
            dir,
            service,
            clock,
            config,
        }
    }

    fn call_as(&self, account: &str, params: &[(&str, &str)]) -> SnsResponse {
        let caller = SnsCaller {
            account_id: account.to_owned(),
            region: REGION.to_owned(),
            request_id: "req-1".to_owned(),
            endpoint_base_url: BASE_URL.to_owned(),
        };
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.service.handle(&caller, &pairs)
    }

    fn call(&self, params: &[(&str, &str)]) -> SnsResponse {
        self.call_as(ACCOUNT, params)
    }

    /// Calls and expects success, returning the body.
    fn ok(&self, params: &[(&str, &str)]) -> String {
        let response = self.call(params);
        assert_eq!(response.status, 200, "{params:?}: {}", response.body);
        response.body
    }

    fn create_topic(&self, name: &str) -> String {
        self.ok(&[("Action", "CreateTopic"), ("Name", name)]);
        format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}")
    }

    fn subscribe(&self, topic: &str, protocol: &str, endpoint: &str) -> String {
        let body = self.ok(&[
            ("Action", "Subscribe"),
            ("TopicArn", topic),
            ("Protocol", protocol),
            ("Endpoint", endpoint),
            ("ReturnSubscriptionArn", "true"),
        ]);
        between(&body, "<SubscriptionArn>", "</SubscriptionArn>")
    }

    fn subscription(&self, arn: &str) -> store::SubscriptionRecord {
        let arn = SubscriptionArn::parse(arn).unwrap();
        self.service
            .inner
            .lock_store()
            .subscription(&arn)
            .unwrap()
            .unwrap()
    }

    fn confirm(&self, topic: &str, subscription: &str) {
        let token = self.subscription(subscription).token;
        self.ok(&[
            ("Action", "ConfirmSubscription"),
            ("TopicArn", topic),
            ("Token", &token),
        ]);
    }

    fn outbox_len(&self) -> i64 {
        self.service.pending_deliveries().unwrap()
    }

    /// Every queued delivery, leased (as the delivery loop would take them).
    fn take_outbox(&self) -> Vec<store::OutboxEntry> {
        let now = self.clock.now().timestamp_millis();
        let mut store = self.service.inner.lock_store();
        let due = store.claim_due(now, 100, now + 60_000).unwrap();
        due.into_iter().map(|due| due.entry).collect()
    }
}

fn open(dir: &tempfile::TempDir, clock: Arc<TestClock>, config: DeliveryConfig) -> SnsService {
    SnsService::open_with_clock(&dir.path().join("sns.sqlite"), config, clock).unwrap()
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {text}"))
        + start.len();
    let to = text[from..].find(end).unwrap() + from;
    text[from..to].to_owned()
}

fn success(action: &str, result: Option<&str>) -> String {
    match result {
        Some(result) => format!(
            "<{action}Response {XMLNS}><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></{action}Response>\n"
        ),
        None => format!(
            "<{action}Response {XMLNS}><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></{action}Response>\n"
        ),
    }
}

fn failure(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse {XMLNS}><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>\n",
        escaped(message)
    )
}

fn entries(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("<entry><key>{k}</key><value>{v}</value></entry>"))
        .collect()
}

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}

#[test]
fn create_topic_answers_its_arn_and_is_idempotent_by_name() {
    let f = Fixture::new();
    let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:alerts");
    let expected = success("CreateTopic", Some(&format!("<TopicArn>{arn}</TopicArn>")));
    let params = [
        ("Action", "CreateTopic"),
        ("Version", "2010-03-31"),
        ("Name", "alerts"),
        ("Attributes.entry.1.key", "DisplayName"),
        ("Attributes.entry.1.value", "Alerts"),
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "ops"),
    ];
    let first = f.call(&params);
    assert_eq!(
        (first.status, first.body.as_str()),
        (200, expected.as_str())
    );
    assert_eq!(first.response_elements, json!({"topicArn": arn}));
    assert_eq!(
        first.request_parameters,
        json!({"name": "alerts", "attributes": {"DisplayName": "Alerts"}, "tags": [{"key": "team", "value": "ops"}]})
    );
    assert!(!first.read_only && first.management_event);
    assert_eq!(f.call(&params).body, expected);
    assert_eq!(
        f.ok(&[("Action", "CreateTopic"), ("Name", "alerts")]),
        expected
    );
    let different = f.call(&[
        ("Action", "CreateTopic"),
        ("Name", "alerts"),
        ("Attributes.entry.1.key", "DisplayName"),
        ("Attributes.entry.1.value", "Other"),
    ]);
    assert_eq!(
        (different.status, different.body),
        (
            400,
            failure(
                "InvalidParameter",
                "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
            )
        )
    );
    let other_tags = f.call(&[
        ("Action", "CreateTopic"),
        ("Name", "alerts"),
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "dev"),
    ]);
    assert_eq!(
        other_tags.error_message.as_deref(),
        Some("Invalid parameter: Tags Reason: Topic already exists with different tags")
    );
}

#[test]
fn get_topic_attributes_renders_every_attribute() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let policy = topics::default_topic_policy(&TopicArn::parse(&arn, "TopicArn").unwrap());
    let expected = success(
        "GetTopicAttributes",
        Some(&format!(
            "<Attributes>{}</Attributes>",
            entries(&[
                ("Policy", &escaped(&policy)),
                ("Owner", ACCOUNT),
                ("SubscriptionsPending", "0"),
                ("TopicArn", &arn),
                (
                    "EffectiveDeliveryPolicy",
                    &escaped(topics::DEFAULT_EFFECTIVE_DELIVERY_POLICY)
                ),
                ("SubscriptionsConfirmed", "0"),
                ("DisplayName", ""),
                ("SubscriptionsDeleted", "0"),
            ])
        )),
    );
    let response = f.call(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]);
    assert_eq!(response.body, expected);
    assert!(response.read_only);
    assert_eq!(response.response_elements, Value::Null);
    assert_eq!(f.service.topic_policy(&arn), Some(policy));
    assert!(f.service.topic_exists(&arn));
    assert!(!f.service.topic_exists(&format!("{arn}x")));
}

#[test]
fn set_topic_attributes_changes_what_get_returns() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"SNS:Publish","Resource":"*"}]}"#;
    let delivery = r#"{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}"#;
    for (name, value) in [
        ("DisplayName", "Ops"),
        ("Policy", policy),
        ("DeliveryPolicy", delivery),
    ] {
        let body = f.ok(&[
            ("Action", "SetTopicAttributes"),
            ("TopicArn", &arn),
            ("AttributeName", name),
            ("AttributeValue", value),
        ]);
        assert_eq!(body, success("SetTopicAttributes", None));
    }
    let body = f.ok(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]);
    assert!(
        body.contains(&entries(&[("Policy", &escaped(policy))])),
        "{body}"
    );
    assert!(body.contains(&entries(&[("DisplayName", "Ops")])), "{body}");
    assert!(
        body.contains(&entries(&[("DeliveryPolicy", &escaped(delivery))])),
        "{body}"
    );
    assert!(body.contains("application/json&quot;}"), "{body}");
    assert_eq!(f.service.topic_policy(&arn).as_deref(), Some(policy));
    let check = |name: &str, value: &str, message: &str| {
        let response = f.call(&[
            ("Action", "SetTopicAttributes"),
            ("TopicArn", &arn),
            ("AttributeName", name),
            ("AttributeValue", value),
        ]);
        assert_eq!(
            response.body,
            failure("InvalidParameter", message),
            "{name}"
        );
    };
    check("Colour", "blue", "Invalid parameter: AttributeName");
    check(
        "KmsMasterKeyId",
        "alias/aws/sns",
        "Invalid parameter: AttributeName Reason: KmsMasterKeyId is not supported by OpenTrail",
    );
    check(
        "Policy",
        "{\"Version\":\"2012-10-17\"}",
        "Invalid parameter: Policy Error: the policy has no Statement",
    );
}

#[test]
fn list_topics_pages_by_one_hundred() {
    let f = Fixture::new();
    assert_eq!(
        f.ok(&[("Action", "ListTopics")]),
        success("ListTopics", Some("<Topics></Topics>"))
    );
    let a = f.create_topic("a");
    let b = f.create_topic("b");
    assert_eq!(
        f.ok(&[("Action", "ListTopics")]),
        success(
            "ListTopics",
            Some(&format!(
                "<Topics><member><TopicArn>{a}</TopicArn></member><member><TopicArn>{b}</TopicArn></member></Topics>"
            ))
        )
    );
    for i in 0..100 {
        f.create_topic(&format!("t{i:03}"));
    }
    let first = f.ok(&[("Action", "ListTopics")]);
    assert_eq!(first.matches("<member>").count(), 100);
    let token = between(&first, "<NextToken>", "</NextToken>");
    let second = f.ok(&[("Action", "ListTopics"), ("NextToken", &token)]);
    assert_eq!(second.matches("<member>").count(), 2);
    assert!(
        second.contains("t099") && !second.contains("<NextToken>"),
        "{second}"
    );
    let bad = f.call(&[("Action", "ListTopics"), ("NextToken", "zz")]);
    assert_eq!(
        bad.body,
        failure("InvalidParameter", "Invalid parameter: NextToken")
    );
}

#[test]
fn delete_topic_is_idempotent_and_removes_subscriptions() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    f.subscribe(&arn, "http", "http://127.0.0.1:9/hook");
    assert_eq!(f.outbox_len(), 1);
    let delete = [("Action", "DeleteTopic"), ("TopicArn", arn.as_str())];
    assert_eq!(f.ok(&delete), success("DeleteTopic", None));
    assert_eq!(f.ok(&delete), success("DeleteTopic", None));
    assert_eq!(f.outbox_len(), 0);
    let gone = f.call(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]);
    assert_eq!(
        (gone.status, gone.body),
        (404, failure("NotFound", "Topic does not exist"))
    );
    assert_eq!(
        f.ok(&[("Action", "ListSubscriptions")]),
        success("ListSubscriptions", Some("<Subscriptions></Subscriptions>"))
    );
}

#[test]
fn errors_have_sns_codes_statuses_and_messages() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let missing = format!("arn:aws:sns:{REGION}:{ACCOUNT}:missing");
    let other_region = format!("arn:aws:sns:eu-west-1:{ACCOUNT}:alerts");
    let check = |params: &[(&str, &str)], status: u16, code: &str, message: &str| {
        let response = f.call(params);
        assert_eq!(
            (response.status, response.body.as_str()),
            (status, failure(code, message).as_str()),
            "{params:?}"
        );
        assert_eq!(response.error_code.as_deref(), Some(code));
        assert_eq!(response.error_message.as_deref(), Some(message));
    };
    check(
        &[],
        400,
        "MissingAction",
        "The request must contain the parameter Action.",
    );
    check(
        &[("Action", "DescribeTopics")],
        400,
        "InvalidAction",
        "Could not find operation DescribeTopics for version 2010-03-31",
    );
    check(
        &[("Action", "CreatePlatformApplication")],
        400,
        "InvalidAction",
        "The action CreatePlatformApplication is not supported by this OpenTrail server.",
    );
    check(
        &[("Action", "CreateTopic")],
        400,
        "InvalidParameter",
        "Invalid parameter: Name",
    );
    check(
        &[("Action", "CreateTopic"), ("Name", "bad name")],
        400,
        "InvalidParameter",
        "Invalid parameter: Topic Name",
    );
    check(
        &[
            ("Action", "CreateTopic"),
            ("Name", "x"),
            ("Attributes.entry.1.key", "Colour"),
            ("Attributes.entry.1.value", "blue"),
        ],
        400,
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Unknown attribute Colour",
    );
    check(
        &[
            ("Action", "GetTopicAttributes"),
            ("TopicArn", "arn:aws:sns:nope"),
        ],
        400,
        "InvalidParameter",
        "Invalid parameter: TopicArn",
    );
    check(
        &[
            ("Action", "GetTopicAttributes"),
            ("TopicArn", &other_region),
        ],
        400,
        "InvalidParameter",
        "Invalid parameter: TopicArn",
    );
    check(
        &[("Action", "GetTopicAttributes"), ("TopicArn", &missing)],
        404,
        "NotFound",
        "Topic does not exist",
    );
    check(
        &[
            ("Action", "Publish"),
            ("TopicArn", &missing),
            ("Message", "m"),
        ],
        404,
        "NotFound",
        "Topic does not exist",
    );
    check(
        &[("Action", "Publish"), ("TopicArn", &arn), ("Message", "")],
        400,
        "InvalidParameter",
        "Invalid parameter: Empty message",
    );
    check(
        &[("Action", "Publish"), ("Message", "m")],
        400,
        "InvalidParameter",
        "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
    );
    check(
        &[
            ("Action", "Publish"),
            ("TopicArn", &arn),
            ("Message", "m"),
            ("MessageAttributes.entry.1.Name", "n"),
            ("MessageAttributes.entry.1.Value.DataType", "Number"),
            ("MessageAttributes.entry.1.Value.StringValue", "x"),
        ],
        400,
        "ParameterValueInvalid",
        "Could not cast message attribute 'n' value to number.",
    );
    check(
        &[
            ("Action", "Subscribe"),
            ("TopicArn", &arn),
            ("Protocol", "sqs"),
            ("Endpoint", "arn:aws:sqs:us-east-1:123456789012:q"),
        ],
        400,
        "InvalidParameter",
        "Invalid parameter: Protocol Reason: sqs subscriptions are not supported by OpenTrail",
    );
    check(
        &[
            ("Action", "Subscribe"),
            ("TopicArn", &arn),
            ("Protocol", "email"),
            ("Endpoint", "not-an-address"),
        ],
        400,
        "InvalidParameter",
        "Invalid parameter: Email address",
    );
    check(
        &[
            ("Action", "ConfirmSubscription"),
            ("TopicArn", &arn),
            ("Token", "0000"),
        ],
        400,
        "InvalidParameter",
        "Invalid parameter: Token",
    );
    check(
        &[
            ("Action", "Unsubscribe"),
            (
                "SubscriptionArn",
                &format!("{arn}:00000000-0000-4000-8000-000000000000"),
            ),
        ],
        404,
        "NotFound",
        "Subscription does not exist",
    );
    check(
        &[("Action", "ListTagsForResource"), ("ResourceArn", &missing)],
        404,
        "ResourceNotFound",
        "Resource does not exist",
    );
}

#[test]
fn accounts_never_see_each_others_topics() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let subscription = f.subscribe(&arn, "email", "ops@example.com");
    let denied = |action: &str, resource: &str, params: &[(&str, &str)]| {
        let mut all = vec![("Action", action)];
        all.extend_from_slice(params);
        let response = f.call_as(OTHER_ACCOUNT, &all);
        let message = format!(
            "User: {OTHER_ACCOUNT} is not authorized to perform: SNS:{action} on resource: {resource}"
        );
        assert_eq!(
            (response.status, response.body),
            (403, failure("AuthorizationError", &message)),
            "{action}"
        );
    };
    let topic = [("TopicArn", arn.as_str())];
    denied("GetTopicAttributes", &arn, &topic);
    denied("DeleteTopic", &arn, &topic);
    denied("ListSubscriptionsByTopic", &arn, &topic);
    denied("Publish", &arn, &[("TopicArn", &arn), ("Message", "m")]);
    denied(
        "Subscribe",
        &arn,
        &[
            ("TopicArn", &arn),
            ("Protocol", "email"),
            ("Endpoint", "x@example.com"),
        ],
    );
    denied(
        "SetTopicAttributes",
        &arn,
        &[
            ("TopicArn", &arn),
            ("AttributeName", "DisplayName"),
            ("AttributeValue", "x"),
        ],
    );
    denied(
        "ConfirmSubscription",
        &arn,
        &[("TopicArn", &arn), ("Token", "t")],
    );
    denied("ListTagsForResource", &arn, &[("ResourceArn", &arn)]);
    denied(
        "Unsubscribe",
        &subscription,
        &[("SubscriptionArn", &subscription)],
    );
    denied(
        "GetSubscriptionAttributes",
        &subscription,
        &[("SubscriptionArn", &subscription)],
    );
    // A topic of the other account that does not exist is refused the same way: nothing leaks.
    let invented = format!("arn:aws:sns:{REGION}:{ACCOUNT}:invented");
    denied("GetTopicAttributes", &invented, &[("TopicArn", &invented)]);
    let list = |action: &str, empty: &str| {
        let response = f.call_as(OTHER_ACCOUNT, &[("Action", action)]);
        assert_eq!(response.body, success(action, Some(empty)));
    };
    list("ListTopics", "<Topics></Topics>");
    list("ListSubscriptions", "<Subscriptions></Subscriptions>");
    // The same name in the other account is another topic.
    let theirs = f.call_as(
        OTHER_ACCOUNT,
        &[("Action", "CreateTopic"), ("Name", "alerts")],
    );
    assert!(
        theirs.body.contains(&format!(":{OTHER_ACCOUNT}:alerts<")),
        "{}",
        theirs.body
    );
    let ours = f.ok(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]);
    assert!(
        ours.contains(&entries(&[("SubscriptionsPending", "1")])),
        "{ours}"
    );
}

#[test]
fn subscribe_lists_and_confirms_through_the_token() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let pending = f.call(&[
        ("Action", "Subscribe"),
        ("TopicArn", &arn),
        ("Protocol", "email"),
        ("Endpoint", "ops@example.com"),
    ]);
    assert_eq!(
        pending.body,
        success(
            "Subscribe",
            Some("<SubscriptionArn>pending confirmation</SubscriptionArn>")
        )
    );
    assert_eq!(
        pending.response_elements,
        json!({"subscriptionArn": "pending confirmation"})
    );
    assert_eq!(f.outbox_len(), 0, "without SMTP nothing is mailed");
    let email = f.subscribe(&arn, "email", "ops@example.com");
    let http = f.subscribe(&arn, "http", "http://127.0.0.1:9/hook");
    assert_eq!(f.outbox_len(), 1, "one SubscriptionConfirmation queued");
    assert_ne!(email, http);
    let members = |http_arn: &str| {
        let mut members = [
            (
                email.as_str(),
                "email",
                "ops@example.com",
                "PendingConfirmation",
            ),
            (http.as_str(), "http", "http://127.0.0.1:9/hook", http_arn),
        ];
        members.sort_by_key(|m| m.0);
        members
            .iter()
            .map(|(_, protocol, endpoint, shown)| {
                format!(
                    "<member><TopicArn>{arn}</TopicArn><Protocol>{protocol}</Protocol><SubscriptionArn>{shown}</SubscriptionArn><Owner>{ACCOUNT}</Owner><Endpoint>{endpoint}</Endpoint></member>"
                )
            })
            .collect::<String>()
    };
    let by_topic = [
        ("Action", "ListSubscriptionsByTopic"),
        ("TopicArn", arn.as_str()),
    ];
    assert_eq!(
        f.ok(&by_topic),
        success(
            "ListSubscriptionsByTopic",
            Some(&format!(
                "<Subscriptions>{}</Subscriptions>",
                members("PendingConfirmation")
            ))
        )
    );
    let token = f.subscription(&http).token;
    let confirm = f.call(&[
        ("Action", "ConfirmSubscription"),
        ("TopicArn", &arn),
        ("Token", &token),
        ("AuthenticateOnUnsubscribe", "true"),
    ]);
    assert_eq!(
        confirm.body,
        success(
            "ConfirmSubscription",
            Some(&format!("<SubscriptionArn>{http}</SubscriptionArn>"))
        )
    );
    assert_eq!(
        confirm.request_parameters,
        json!({"topicArn": arn, "token": audit::HIDDEN, "authenticateOnUnsubscribe": "true"})
    );
    assert_eq!(
        f.ok(&[("Action", "ListSubscriptions")]),
        success(
            "ListSubscriptions",
            Some(&format!(
                "<Subscriptions>{}</Subscriptions>",
                members(&http)
            ))
        )
    );
    let attributes = f.ok(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]);
    assert!(attributes.contains(&entries(&[("SubscriptionsPending", "1")])));
    assert!(attributes.contains(&entries(&[("SubscriptionsConfirmed", "1")])));
    // Confirming twice answers the same ARN; unauthenticated unsubscribe is refused as asked.
    assert_eq!(
        f.service
            .confirm_by_token_unauthenticated(&arn, &token)
            .status,
        200
    );
    let refused = f.service.unsubscribe_unauthenticated(&http);
    assert_eq!(
        (refused.status, refused.error_code.as_deref()),
        (403, Some("AuthorizationError"))
    );
}

#[test]
fn get_subscription_attributes_renders_the_subscription() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let http = f.subscribe(&arn, "http", "http://127.0.0.1:9/hook");
    let expected = success(
        "GetSubscriptionAttributes",
        Some(&format!(
            "<Attributes>{}</Attributes>",
            entries(&[
                ("Owner", ACCOUNT),
                ("RawMessageDelivery", "false"),
                ("TopicArn", &arn),
                ("Endpoint", "http://127.0.0.1:9/hook"),
                ("Protocol", "http"),
                ("PendingConfirmation", "true"),
                ("ConfirmationWasAuthenticated", "false"),
                ("SubscriptionArn", &http),
                (
                    "EffectiveDeliveryPolicy",
                    &escaped(topics::DEFAULT_EFFECTIVE_DELIVERY_POLICY)
                ),
            ])
        )),
    );
    let get = [
        ("Action", "GetSubscriptionAttributes"),
        ("SubscriptionArn", http.as_str()),
    ];
    assert_eq!(f.ok(&get), expected);
    f.ok(&[
        ("Action", "SetSubscriptionAttributes"),
        ("SubscriptionArn", &http),
        ("AttributeName", "RawMessageDelivery"),
        ("AttributeValue", "true"),
    ]);
    assert!(
        f.ok(&get)
            .contains(&entries(&[("RawMessageDelivery", "true")]))
    );
    let refused = f.call(&[
        ("Action", "SetSubscriptionAttributes"),
        ("SubscriptionArn", &http),
        ("AttributeName", "FilterPolicy"),
        ("AttributeValue", "{}"),
    ]);
    assert_eq!(
        refused.error_message.as_deref(),
        Some("Invalid parameter: AttributeName Reason: FilterPolicy is not supported by OpenTrail")
    );
}

#[test]
fn unsubscribe_counts_notifies_and_can_be_undone_by_the_token() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let http = f.subscribe(&arn, "http", "http://127.0.0.1:9/hook");
    f.confirm(&arn, &http);
    assert_eq!(
        f.outbox_len(),
        0,
        "the confirmation request is dropped once confirmed"
    );
    f.ok(&[("Action", "Publish"), ("TopicArn", &arn), ("Message", "m")]);
    assert_eq!(f.outbox_len(), 1);
    let body = f.ok(&[("Action", "Unsubscribe"), ("SubscriptionArn", &http)]);
    assert_eq!(body, success("Unsubscribe", None));
    assert_eq!(
        f.outbox_len(),
        1,
        "the notification is dropped, the notice queued"
    );
    let record = f.subscription(&http);
    assert_eq!(record.status, SubscriptionStatus::Deleted);
    let attributes = f.ok(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]);
    assert!(attributes.contains(&entries(&[("SubscriptionsDeleted", "1")])));
    assert!(attributes.contains(&entries(&[("SubscriptionsConfirmed", "0")])));
    let again = f.call(&[("Action", "Unsubscribe"), ("SubscriptionArn", &http)]);
    assert_eq!(again.status, 404);
    let restored = f
        .service
        .confirm_by_token_unauthenticated(&arn, &record.token);
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(f.subscription(&http).status, SubscriptionStatus::Confirmed);
    assert!(!f.subscription(&http).confirmation_was_authenticated);
    let gone = f.service.unsubscribe_unauthenticated(&http);
    assert_eq!(
        gone.body.matches("UnsubscribeResponse").count(),
        2,
        "{}",
        gone.body
    );
}

#[test]
fn tokens_expire() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let http = f.subscribe(&arn, "http", "http://127.0.0.1:9/hook");
    let token = f.subscription(&http).token;
    f.clock
        .advance(chrono::Duration::days(3) + chrono::Duration::seconds(1));
    let late = f.service.confirm_by_token_unauthenticated(&arn, &token);
    assert_eq!(
        late.error_message.as_deref(),
        Some("Invalid parameter: Token")
    );
    // Subscribing again renews the token's life and sends the confirmation again.
    f.subscribe(&arn, "http", "http://127.0.0.1:9/hook");
    assert_eq!(f.outbox_len(), 1);
    assert_eq!(
        f.service
            .confirm_by_token_unauthenticated(&arn, &token)
            .status,
        200
    );
}

#[test]
fn publish_queues_one_notification_per_confirmed_http_subscription() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let confirmed = f.subscribe(&arn, "http", "http://127.0.0.1:9/a");
    f.confirm(&arn, &confirmed);
    f.subscribe(&arn, "http", "http://127.0.0.1:9/pending");
    f.subscribe(&arn, "email", "ops@example.com");
    let before = f.outbox_len();
    let response = f.call(&[
        ("Action", "Publish"),
        ("TopicArn", &arn),
        ("Subject", "Alarm"),
        ("Message", "secret"),
        ("MessageAttributes.entry.1.Name", "color"),
        ("MessageAttributes.entry.1.Value.DataType", "String"),
        ("MessageAttributes.entry.1.Value.StringValue", "blue"),
    ]);
    let message_id = between(&response.body, "<MessageId>", "</MessageId>");
    assert!(uuid::Uuid::parse_str(&message_id).is_ok());
    assert_eq!(
        response.body,
        success(
            "Publish",
            Some(&format!("<MessageId>{message_id}</MessageId>"))
        )
    );
    assert_eq!(response.response_elements, json!({"messageId": message_id}));
    assert!(!response.management_event && !response.read_only);
    assert_eq!(
        response.request_parameters,
        json!({"topicArn": arn, "subject": audit::HIDDEN, "message": audit::HIDDEN, "messageAttributes": audit::HIDDEN})
    );
    assert_eq!(f.outbox_len(), before + 1);
    let internal = f
        .service
        .publish_internal(&arn, Some("CloudTrail"), "{}")
        .unwrap();
    assert_ne!(internal, message_id);
    assert_eq!(f.outbox_len(), before + 2);
    let missing = format!("arn:aws:sns:{REGION}:{ACCOUNT}:missing");
    assert!(matches!(
        f.service.publish_internal(&missing, None, "m"),
        Err(SnsError::TopicNotFound(_))
    ));
    assert!(matches!(
        f.service.publish_internal(&arn, None, ""),
        Err(SnsError::InvalidMessage(_))
    ));
}

#[test]
fn tags_are_listed_added_and_removed() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    let tag = [
        ("Action", "TagResource"),
        ("ResourceArn", arn.as_str()),
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "ops"),
        ("Tags.member.2.Key", "env"),
        ("Tags.member.2.Value", "prod"),
    ];
    assert_eq!(f.ok(&tag), success("TagResource", Some("")));
    let list = [
        ("Action", "ListTagsForResource"),
        ("ResourceArn", arn.as_str()),
    ];
    assert_eq!(
        f.ok(&list),
        success(
            "ListTagsForResource",
            Some(
                "<Tags><member><Key>env</Key><Value>prod</Value></member><member><Key>team</Key><Value>ops</Value></member></Tags>"
            )
        )
    );
    let untag = [
        ("Action", "UntagResource"),
        ("ResourceArn", arn.as_str()),
        ("TagKeys.member.1", "env"),
    ];
    assert_eq!(f.ok(&untag), success("UntagResource", Some("")));
    assert_eq!(
        f.ok(&list),
        success(
            "ListTagsForResource",
            Some("<Tags><member><Key>team</Key><Value>ops</Value></member></Tags>")
        )
    );
}

#[test]
fn everything_survives_reopening_the_database() {
    let f = Fixture::new();
    let arn = f.create_topic("alerts");
    f.ok(&[
        ("Action", "SetTopicAttributes"),
        ("TopicArn", &arn),
        ("AttributeName", "DisplayName"),
        ("AttributeValue", "Ops"),
    ]);
    f.ok(&[
        ("Action", "TagResource"),
        ("ResourceArn", &arn),
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "ops"),
    ]);
    let http = f.subscribe(&arn, "http", "http://127.0.0.1:9/a");
    f.confirm(&arn, &http);
    f.service.publish_internal(&arn, None, "queued").unwrap();
    let attributes = f.ok(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]);
    let subscriptions = f.ok(&[("Action", "ListSubscriptions")]);
    let tags = f.ok(&[("Action", "ListTagsForResource"), ("ResourceArn", &arn)]);
    let f = f.reopen();
    assert_eq!(
        f.ok(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]),
        attributes
    );
    assert_eq!(f.ok(&[("Action", "ListSubscriptions")]), subscriptions);
    assert_eq!(
        f.ok(&[("Action", "ListTagsForResource"), ("ResourceArn", &arn)]),
        tags
    );
    assert_eq!(f.outbox_len(), 1);
    assert_eq!(f.service.inner.lock_store().schema_version().unwrap(), 2);
}

#[test]
fn read_only_actions_record_no_response_elements() {
    let f = Fixture::new();
    f.create_topic("alerts");
    let response = f.call(&[("Action", "ListTopics")]);
    assert!(response.read_only && response.management_event);
    assert_eq!(response.request_parameters, Value::Null);
    assert_eq!(response.response_elements, Value::Null);
    assert_eq!(response.action, "ListTopics");
    assert_eq!(SnsService::is_read_only("ListTopics"), Some(true));
    assert_eq!(SnsService::is_read_only("Publish"), Some(false));
    assert_eq!(SnsService::is_read_only("Nope"), None);
}

#[test]
fn email_subscriptions_are_mailed_only_when_smtp_is_configured() {
    let off = Fixture::new();
    let arn = off.create_topic("alarms");
    for protocol in ["email", "email-json"] {
        let subscription = off.subscribe(&arn, protocol, "ops@example.com");
        off.confirm(&arn, &subscription);
    }
    off.ok(&[("Action", "Publish"), ("TopicArn", &arn), ("Message", "m")]);
    assert_eq!(off.outbox_len(), 0, "without SMTP nothing is mailed");

    let f = Fixture::with_smtp();
    let arn = f.create_topic("alarms");
    let mut subscriptions = Vec::new();
    for (protocol, endpoint) in [
        ("email", "ops@example.com"),
        ("email-json", "robot@example.com"),
        ("http", "http://127.0.0.1:9/hook"),
    ] {
        let subscription = f.subscribe(&arn, protocol, endpoint);
        let confirmation = f.take_outbox();
        assert_eq!(confirmation.len(), 1, "{protocol}");
        let entry = &confirmation[0];
        assert_eq!(entry.kind, store::MessageKind::SubscriptionConfirmation);
        assert_eq!(entry.endpoint, endpoint);
        if protocol != "http" {
            assert_eq!(entry.channel, store::DeliveryChannel::Smtp);
            assert_eq!(entry.content_type, "message/rfc822");
            assert!(
                entry
                    .body
                    .contains("\r\nSubject: AWS Notification - Subscription Confirmation\r\n")
            );
            assert!(entry.body.contains(&format!("\r\nTo: {endpoint}\r\n")));
        }
        f.confirm(&arn, &subscription);
        subscriptions.push(subscription);
    }
    assert_eq!(
        f.outbox_len(),
        0,
        "confirming drops the queued confirmations"
    );

    f.ok(&[
        ("Action", "Publish"),
        ("TopicArn", &arn),
        ("MessageStructure", "json"),
        ("Message", r#"{"default":"d","email":"e","email-json":"j"}"#),
    ]);
    let mut queued: Vec<(String, store::DeliveryChannel, bool)> = f
        .take_outbox()
        .into_iter()
        .map(|entry| {
            let untitled = entry
                .body
                .contains("\r\nSubject: AWS Notification Message\r\n");
            (entry.endpoint, entry.channel, untitled)
        })
        .collect();
    queued.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        queued,
        [
            (
                "http://127.0.0.1:9/hook".to_owned(),
                store::DeliveryChannel::Http,
                false
            ),
            (
                "ops@example.com".to_owned(),
                store::DeliveryChannel::Smtp,
                true
            ),
            (
                "robot@example.com".to_owned(),
                store::DeliveryChannel::Smtp,
                true
            ),
        ]
    );

    // Unsubscribing drops the queued e-mail and, as on SNS, mails no notice; raw delivery
    // stays an http-only attribute.
    assert_eq!(f.outbox_len(), 3);
    f.ok(&[
        ("Action", "Unsubscribe"),
        ("SubscriptionArn", &subscriptions[0]),
    ]);
    assert_eq!(f.outbox_len(), 2);
    let raw = f.call(&[
        ("Action", "SetSubscriptionAttributes"),
        ("SubscriptionArn", &subscriptions[1]),
        ("AttributeName", "RawMessageDelivery"),
        ("AttributeValue", "true"),
    ]);
    assert_eq!(
        raw.error_message.as_deref(),
        Some(
            "Invalid parameter: Attributes Reason: Delivery protocol [email-json] does not support raw message delivery."
        )
    );
}

#[test]
fn smtp_settings_that_cannot_work_stop_the_service_from_opening() {
    let dir = tempfile::tempdir().unwrap();
    let config = DeliveryConfig {
        smtp: Some(SmtpConfig {
            host: "smtp.example.com".to_owned(),
            port: 587,
            from: "not an address".to_owned(),
            username: None,
            password: None,
            starttls: true,
        }),
        ..DeliveryConfig::default()
    };
    let error = SnsService::open(&dir.path().join("sns.sqlite"), config).unwrap_err();
    assert!(
        matches!(
            error,
            SnsError::SmtpConfig {
                setting: "from",
                ..
            }
        ),
        "{error}"
    );
}
