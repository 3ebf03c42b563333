//! E-mail delivery through a real SMTP conversation with the sink of `smtp_sink`: the mailed
//! confirmation whose link confirms, notification e-mails with SNS's subjects and footer, the
//! JSON documents of `email-json`, and retries while the SMTP server is down or refuses.

use std::path::Path;

use opentrail_sns::{DeliveryConfig, SmtpConfig, SnsService};

use crate::harness::{
    ACCOUNT, BASE_URL, REGION, RunningDelivery, between, eventually, fast_delivery, ok,
};
use crate::smtp_sink::{Fault, ReceivedMail, SinkEvent, SmtpSink};

const FROM: &str = "alerts@example.com";
const ADDRESS: &str = "ops@example.com";

/// The service on `dir`, mailing through `sink` in plain SMTP.
fn open_with_smtp(dir: &Path, sink: &SmtpSink) -> SnsService {
    open_with_smtp_tls(dir, sink, false)
}

fn open_with_smtp_tls(dir: &Path, sink: &SmtpSink, starttls: bool) -> SnsService {
    let config = DeliveryConfig {
        smtp: Some(SmtpConfig {
            host: sink.addr.ip().to_string(),
            port: sink.addr.port(),
            from: format!("OpenTrail <{FROM}>"),
            username: None,
            password: None,
            starttls,
        }),
        ..fast_delivery()
    };
    SnsService::open(&dir.join("sns.sqlite"), config).expect("open sns")
}

/// Creates topic `name` (with a DisplayName) and subscribes [`ADDRESS`] over `protocol`.
fn subscribe(service: &SnsService, name: &str, protocol: &str) -> String {
    ok(
        service,
        &[
            ("Action", "CreateTopic"),
            ("Name", name),
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", "Ops Alarms"),
        ],
    );
    let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}");
    let body = ok(
        service,
        &[
            ("Action", "Subscribe"),
            ("TopicArn", &topic),
            ("Protocol", protocol),
            ("Endpoint", ADDRESS),
        ],
    );
    assert!(
        body.contains("<SubscriptionArn>pending confirmation</SubscriptionArn>"),
        "{body}"
    );
    topic
}

/// The envelope and headers every e-mail of these tests has.
fn assert_envelope(mail: &ReceivedMail, subject: &str) {
    assert_eq!(mail.envelope_from, FROM);
    assert_eq!(mail.envelope_to, [ADDRESS]);
    assert_eq!(
        mail.header("From").as_deref(),
        Some("\"Ops Alarms\" <alerts@example.com>")
    );
    assert_eq!(mail.header("To").as_deref(), Some(ADDRESS));
    assert_eq!(mail.header("Subject").as_deref(), Some(subject));
}

/// The query parameters of a link.
fn query(link: &str) -> Vec<(String, String)> {
    let (_, query) = link.split_once('?').expect("a query string");
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn param(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| panic!("no {name} in {pairs:?}"))
}

/// Visits a SubscribeURL the way the server's unauthenticated GET route does; returns the
/// subscription ARN.
fn visit_subscribe_url(service: &SnsService, link: &str) -> String {
    let pairs = query(link);
    assert_eq!(param(&pairs, "Action"), "ConfirmSubscription");
    let confirmed = service
        .confirm_by_token_unauthenticated(&param(&pairs, "TopicArn"), &param(&pairs, "Token"));
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    between(&confirmed.body, "<SubscriptionArn>", "</SubscriptionArn>")
}

/// The line of `body` that starts with `prefix`.
fn line_starting(body: &str, prefix: &str) -> String {
    body.lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in {body}"))
        .to_owned()
}

#[tokio::test]
async fn email_confirms_through_the_mailed_link_then_gets_notifications_with_the_footer() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = SmtpSink::start().await;
    let service = open_with_smtp(dir.path(), &sink);
    let delivery = RunningDelivery::start(&service);
    let topic = subscribe(&service, "alarms", "email");

    let confirmation = sink.next_mail().await;
    assert_envelope(
        &confirmation,
        "AWS Notification - Subscription Confirmation",
    );
    let body = confirmation.body();
    let link = line_starting(&body, &format!("{BASE_URL}/?Action=ConfirmSubscription"));
    assert_eq!(
        body,
        format!(
            "You have chosen to subscribe to the topic:\n{topic}\n\n\
             To confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n\
             {link}\n\nPlease do not reply directly to this email.\n"
        )
    );
    let subscription = visit_subscribe_url(&service, &link);
    assert!(
        subscription.starts_with(&format!("{topic}:")),
        "{subscription}"
    );

    let published = ok(
        &service,
        &[
            ("Action", "Publish"),
            ("TopicArn", &topic),
            ("Subject", "ALARM: \"cpu\" in US East"),
            (
                "Message",
                "{\"AlarmName\":\"cpu\",\"NewStateValue\":\"ALARM\"}",
            ),
        ],
    );
    assert!(published.contains("<MessageId>"), "{published}");
    let notification = sink.next_mail().await;
    assert_envelope(&notification, "ALARM: \"cpu\" in US East");
    let unsubscribe = format!("{BASE_URL}/?Action=Unsubscribe&SubscriptionArn={subscription}");
    assert_eq!(
        notification.body(),
        format!(
            "{{\"AlarmName\":\"cpu\",\"NewStateValue\":\"ALARM\"}}\n\n--\n\
             If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n\
             {unsubscribe}\n\n\
             Please do not reply directly to this email. If you have any questions or comments regarding this email, please contact the administrator of this OpenTrail server.\n"
        )
    );

    service
        .publish_internal(&topic, None, "trail delivered")
        .unwrap();
    let untitled = sink.next_mail().await;
    assert_envelope(&untitled, "AWS Notification Message");
    assert!(untitled.body().starts_with("trail delivered\n\n--\n"));
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;

    // The footer's link unsubscribes; nothing is mailed after that.
    let pairs = query(&unsubscribe);
    let gone = service.unsubscribe_unauthenticated(&param(&pairs, "SubscriptionArn"));
    assert_eq!(gone.status, 200, "{}", gone.body);
    service.publish_internal(&topic, None, "after").unwrap();
    assert_eq!(service.pending_deliveries().unwrap(), 0);
    delivery.stop().await;
    assert!(sink.try_next().is_none(), "no e-mail after unsubscribing");
}

#[tokio::test]
async fn email_json_gets_the_sns_json_documents_as_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = SmtpSink::start().await;
    let service = open_with_smtp(dir.path(), &sink);
    let delivery = RunningDelivery::start(&service);
    let topic = subscribe(&service, "alarms-json", "email-json");

    let confirmation = sink.next_mail().await;
    assert_envelope(
        &confirmation,
        "AWS Notification - Subscription Confirmation",
    );
    let document: serde_json::Value = serde_json::from_str(&confirmation.body()).unwrap();
    assert_eq!(document["Type"], "SubscriptionConfirmation");
    assert_eq!(document["TopicArn"], topic.as_str());
    let token = document["Token"].as_str().unwrap();
    let link = document["SubscribeURL"].as_str().unwrap();
    assert_eq!(
        link,
        format!("{BASE_URL}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}")
    );
    let subscription = visit_subscribe_url(&service, link);

    let published = ok(
        &service,
        &[
            ("Action", "Publish"),
            ("TopicArn", &topic),
            ("Subject", "ALARM"),
            ("MessageStructure", "json"),
            (
                "Message",
                "{\"default\":\"plain\",\"email-json\":\"{\\\"AlarmName\\\":\\\"cpu\\\"}\"}",
            ),
        ],
    );
    let message_id = between(&published, "<MessageId>", "</MessageId>");
    let notification = sink.next_mail().await;
    assert_envelope(&notification, "ALARM");
    let document: serde_json::Value = serde_json::from_str(&notification.body()).unwrap();
    assert_eq!(document["Type"], "Notification");
    assert_eq!(document["MessageId"], message_id.as_str());
    assert_eq!(document["TopicArn"], topic.as_str());
    assert_eq!(document["Subject"], "ALARM");
    assert_eq!(document["Message"], "{\"AlarmName\":\"cpu\"}");
    assert_eq!(
        document["UnsubscribeURL"],
        format!("{BASE_URL}/?Action=Unsubscribe&SubscriptionArn={subscription}")
    );
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;
    delivery.stop().await;
}

#[tokio::test]
async fn an_smtp_server_that_is_down_or_refuses_is_retried_until_it_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = SmtpSink::start().await;
    let service = open_with_smtp(dir.path(), &sink);
    let delivery = RunningDelivery::start(&service);
    let topic = subscribe(&service, "alarms", "email");
    let confirmation = sink.next_mail().await;
    let link = line_starting(
        &confirmation.body(),
        &format!("{BASE_URL}/?Action=ConfirmSubscription"),
    );
    visit_subscribe_url(&service, &link);

    let faults = [
        Fault::HangUp,
        Fault::Greeting("421 sink.test not available"),
        Fault::MailFrom("451 try again later"),
        Fault::Data("554 transaction failed"),
    ];
    sink.fail_next(&faults);
    let message_id = service
        .publish_internal(&topic, Some("ALARM: disk"), "disk full")
        .unwrap();
    for fault in faults {
        match sink.next_event().await {
            SinkEvent::Faulted(played) => assert_eq!(played, fault),
            other => panic!("expected {fault:?}, got {other:?}"),
        }
        assert_eq!(
            service.pending_deliveries().unwrap(),
            1,
            "kept after {fault:?}"
        );
    }
    let mail = sink.next_mail().await;
    assert_envelope(&mail, "ALARM: disk");
    assert!(
        mail.body().starts_with("disk full\n\n--\n"),
        "{}",
        mail.body()
    );
    eventually("the outbox drains", || {
        service.pending_deliveries().unwrap() == 0
    })
    .await;
    delivery.stop().await;
    assert!(
        sink.try_next().is_none(),
        "one e-mail for message {message_id}, no more"
    );
}

#[tokio::test]
async fn required_starttls_never_falls_back_to_plain_smtp() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = SmtpSink::start().await;
    let service = open_with_smtp_tls(dir.path(), &sink, true);
    let delivery = RunningDelivery::start(&service);
    subscribe(&service, "alarms", "email");
    for attempt in 0..2 {
        match sink.next_event().await {
            SinkEvent::LeftWithoutMail { asked_starttls } => {
                assert!(asked_starttls, "attempt {attempt} did not ask for STARTTLS");
            }
            other => panic!("attempt {attempt}: {other:?}"),
        }
    }
    assert_eq!(
        service.pending_deliveries().unwrap(),
        1,
        "the confirmation stays queued"
    );
    delivery.stop().await;
}
