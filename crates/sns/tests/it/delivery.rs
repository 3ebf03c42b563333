//! Delivery to real HTTP subscribers on loopback: the SubscriptionConfirmation handshake, the
//! exact Notification document and headers, retries after failures, UnsubscribeConfirmation,
//! delivery of a message queued before a restart, and TLS for https endpoints.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use crate::harness::{
    ACCOUNT, BASE_URL, REGION, RunningDelivery, Subscriber, between, eventually, ok, open,
};

const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";

/// Creates a topic and subscribes `subscriber`; returns the topic ARN.
fn topic_with_subscription(service: &opentrail_sns::SnsService, subscriber: &Subscriber) -> String {
    ok(service, &[("Action", "CreateTopic"), ("Name", "alerts")]);
    let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:alerts");
    let body = ok(
        service,
        &[
            ("Action", "Subscribe"),
            ("TopicArn", &topic),
            ("Protocol", "http"),
            ("Endpoint", &subscriber.url()),
        ],
    );
    assert!(
        body.contains("<SubscriptionArn>pending confirmation</SubscriptionArn>"),
        "{body}"
    );
    topic
}

/// Receives the SubscriptionConfirmation, checks it, and confirms through its SubscribeURL's
/// token the way the server's unauthenticated GET route does. Returns the subscription ARN.
async fn confirm_handshake(
    service: &opentrail_sns::SnsService,
    subscriber: &mut Subscriber,
    topic: &str,
) -> String {
    let request = subscriber.next().await;
    assert_eq!(request.path, "/hook");
    assert_eq!(
        request.header("x-amz-sns-message-type"),
        Some("SubscriptionConfirmation")
    );
    assert_eq!(request.header("x-amz-sns-topic-arn"), Some(topic));
    assert_eq!(request.header("x-amz-sns-subscription-arn"), None);
    assert_eq!(request.header("content-type"), Some(TEXT_PLAIN));
    assert_eq!(
        request.header("user-agent"),
        Some("Amazon Simple Notification Service Agent")
    );
    let document = request.json();
    let mut keys: Vec<&str> = document
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected_keys = vec![
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ];
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys);
    assert!(
        request
            .body
            .starts_with(r#"{"Type":"SubscriptionConfirmation","MessageId":""#)
    );
    assert_eq!(
        document["MessageId"],
        request.header("x-amz-sns-message-id").unwrap()
    );
    assert_eq!(document["TopicArn"], topic);
    let token = document["Token"].as_str().unwrap();
    assert_eq!(
        document["SubscribeURL"],
        format!("{BASE_URL}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}")
    );
    assert_eq!(
        document["Message"],
        format!(
            "You have chosen to subscribe to the topic {topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message."
        )
    );
    assert_timestamp(document["Timestamp"].as_str().unwrap());
    let confirmed = service.confirm_by_token_unauthenticated(topic, token);
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    between(&confirmed.body, "<SubscriptionArn>", "</SubscriptionArn>")
}

fn assert_timestamp(text: &str) {
    let parsed = chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339 timestamp");
    assert!(
        text.ends_with('Z') && text.len() == "2012-05-02T00:54:06.655Z".len(),
        "{text}"
    );
    let age = chrono::Utc::now().signed_duration_since(parsed);
    assert!(age.num_seconds().abs() < 60, "{text}");
}

#[tokio::test]
async fn handshake_then_notification_with_sns_fields_then_unsubscribe() {
    let dir = tempfile::tempdir().unwrap();
    let service = open(dir.path());
    let delivery = RunningDelivery::start(&service);
    let mut subscriber = Subscriber::start().await;
    let topic = topic_with_subscription(&service, &subscriber);
    let subscription = confirm_handshake(&service, &mut subscriber, &topic).await;
    assert!(
        subscription.starts_with(&format!("{topic}:")),
        "{subscription}"
    );

    let published = ok(
        &service,
        &[
            ("Action", "Publish"),
            ("TopicArn", &topic),
            ("Subject", "Alarm: high CPU"),
            ("Message", "{\"AlarmName\":\"cpu\"}"),
            ("MessageAttributes.entry.1.Name", "severity"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "high"),
        ],
    );
    let message_id = between(&published, "<MessageId>", "</MessageId>");
    let request = subscriber.next().await;
    assert_eq!(
        request.header("x-amz-sns-message-type"),
        Some("Notification")
    );
    assert_eq!(
        request.header("x-amz-sns-message-id"),
        Some(message_id.as_str())
    );
    assert_eq!(request.header("x-amz-sns-topic-arn"), Some(topic.as_str()));
    assert_eq!(
        request.header("x-amz-sns-subscription-arn"),
        Some(subscription.as_str())
    );
    assert_eq!(request.header("content-type"), Some(TEXT_PLAIN));
    let document = request.json();
    assert!(
        request
            .body
            .starts_with(r#"{"Type":"Notification","MessageId":""#),
        "{}",
        request.body
    );
    let mut keys: Vec<&str> = document
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "Message",
            "MessageAttributes",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
            "UnsubscribeURL"
        ]
    );
    assert_eq!(document["MessageId"], message_id);
    assert_eq!(document["TopicArn"], topic);
    assert_eq!(document["Subject"], "Alarm: high CPU");
    assert_eq!(document["Message"], "{\"AlarmName\":\"cpu\"}");
    assert_eq!(
        document["UnsubscribeURL"],
        format!("{BASE_URL}/?Action=Unsubscribe&SubscriptionArn={subscription}")
    );
    assert_eq!(
        document["MessageAttributes"],
        serde_json::json!({"severity": {"Type": "String", "Value": "high"}})
    );
    assert_timestamp(document["Timestamp"].as_str().unwrap());
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;

    ok(
        &service,
        &[
            ("Action", "Unsubscribe"),
            ("SubscriptionArn", &subscription),
        ],
    );
    let notice = subscriber.next().await;
    assert_eq!(
        notice.header("x-amz-sns-message-type"),
        Some("UnsubscribeConfirmation")
    );
    assert_eq!(
        notice.header("x-amz-sns-subscription-arn"),
        Some(subscription.as_str())
    );
    let document = notice.json();
    assert_eq!(document["Type"], "UnsubscribeConfirmation");
    let token = document["Token"].as_str().unwrap();
    assert_eq!(
        document["SubscribeURL"],
        format!("{BASE_URL}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}")
    );
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;
    ok(
        &service,
        &[
            ("Action", "Publish"),
            ("TopicArn", &topic),
            ("Message", "after"),
        ],
    );
    assert_eq!(
        service.pending_deliveries().unwrap(),
        0,
        "nothing queued for a deleted subscription"
    );
    delivery.stop().await;
    assert!(subscriber.try_next().is_none());
}

#[tokio::test]
async fn failed_deliveries_are_retried_until_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let service = open(dir.path());
    let delivery = RunningDelivery::start(&service);
    let mut subscriber = Subscriber::start().await;
    let topic = topic_with_subscription(&service, &subscriber);
    confirm_handshake(&service, &mut subscriber, &topic).await;

    subscriber.answer_next(&[500, 503, 404]);
    let message_id = service
        .publish_internal(&topic, Some("CloudTrail"), "{\"s3Bucket\":\"trail\"}")
        .unwrap();
    let mut answers = Vec::new();
    for _ in 0..4 {
        let request = subscriber.next().await;
        assert_eq!(
            request.header("x-amz-sns-message-id"),
            Some(message_id.as_str())
        );
        assert_eq!(request.json()["MessageId"], message_id);
        answers.push(request.answered);
    }
    assert_eq!(answers, [500, 503, 404, 200]);
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;
    delivery.stop().await;
    assert!(
        subscriber.try_next().is_none(),
        "no delivery after the acknowledgement"
    );
}

#[tokio::test]
async fn a_message_queued_before_a_restart_is_delivered_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut subscriber = Subscriber::start().await;
    let (topic, message_id) = {
        let service = open(dir.path());
        let delivery = RunningDelivery::start(&service);
        let topic = topic_with_subscription(&service, &subscriber);
        confirm_handshake(&service, &mut subscriber, &topic).await;
        delivery.stop().await;
        let message_id = service
            .publish_internal(&topic, None, "while down")
            .unwrap();
        assert_eq!(service.pending_deliveries().unwrap(), 1);
        (topic, message_id)
    };
    let service = open(dir.path());
    assert_eq!(service.pending_deliveries().unwrap(), 1);
    let delivery = RunningDelivery::start(&service);
    let request = subscriber.next().await;
    let document = request.json();
    assert_eq!(document["MessageId"], message_id);
    assert_eq!(document["TopicArn"], topic);
    assert_eq!(document["Message"], "while down");
    assert!(document.get("Subject").is_none());
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;
    delivery.stop().await;
}

#[tokio::test]
async fn a_delivery_cut_off_by_shutdown_is_sent_again_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut subscriber = Subscriber::start().await;
    let topic = {
        let service = open(dir.path());
        let delivery = RunningDelivery::start(&service);
        let topic = topic_with_subscription(&service, &subscriber);
        confirm_handshake(&service, &mut subscriber, &topic).await;
        // The first attempt fails and is rescheduled; shutting down now leaves it queued.
        subscriber.answer_next(&[500]);
        service.publish_internal(&topic, None, "retry me").unwrap();
        assert_eq!(subscriber.next().await.answered, 500);
        delivery.stop().await;
        topic
    };
    let service = open(dir.path());
    let delivery = RunningDelivery::start(&service);
    let request = subscriber.next().await;
    assert_eq!(request.json()["Message"], "retry me");
    assert_eq!(request.json()["TopicArn"], topic);
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;
    delivery.stop().await;
}

#[tokio::test]
async fn https_endpoints_are_reached_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let service = open(dir.path());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("https://{}/hook", listener.local_addr().unwrap());
    ok(&service, &[("Action", "CreateTopic"), ("Name", "secure")]);
    let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:secure");
    ok(
        &service,
        &[
            ("Action", "Subscribe"),
            ("TopicArn", &topic),
            ("Protocol", "https"),
            ("Endpoint", &endpoint),
        ],
    );
    let delivery = RunningDelivery::start(&service);
    let (mut stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("a connection within 10 s")
        .unwrap();
    let mut first = [0u8; 3];
    stream.read_exact(&mut first).await.unwrap();
    // A TLS record of type handshake (22), version 3.x: a ClientHello, not plain HTTP.
    assert_eq!((first[0], first[1]), (0x16, 0x03), "{first:?}");
    drop(stream);
    // The failed handshake is retried: the confirmation stays queued.
    let (_again, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("a retry within 10 s")
        .unwrap();
    assert_eq!(service.pending_deliveries().unwrap(), 1);
    delivery.stop().await;
}

#[tokio::test]
async fn the_loop_stops_promptly_when_cancelled_while_idle() {
    let dir = tempfile::tempdir().unwrap();
    let service = open(dir.path());
    let delivery = RunningDelivery::start(&service);
    tokio::task::yield_now().await;
    delivery.stop().await;
}

#[tokio::test]
async fn one_delivery_at_a_time_still_drains_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let config = opentrail_sns::DeliveryConfig {
        max_in_flight: 1,
        ..crate::harness::fast_delivery()
    };
    let service = opentrail_sns::SnsService::open(&dir.path().join("sns.sqlite"), config).unwrap();
    let delivery = RunningDelivery::start(&service);
    let mut subscriber = Subscriber::start().await;
    let topic = topic_with_subscription(&service, &subscriber);
    confirm_handshake(&service, &mut subscriber, &topic).await;
    subscriber.answer_next(&[500]);
    let sent: Vec<String> = (0..5)
        .map(|i| {
            service
                .publish_internal(&topic, None, &format!("m{i}"))
                .unwrap()
        })
        .collect();
    let mut seen = Vec::new();
    for _ in 0..6 {
        let request = subscriber.next().await;
        if request.answered == 200 {
            seen.push(request.json()["MessageId"].as_str().unwrap().to_owned());
        }
    }
    seen.sort();
    let mut expected = sent.clone();
    expected.sort();
    assert_eq!(seen, expected);
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;
    delivery.stop().await;
}
