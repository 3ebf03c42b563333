//! The e-mails SNS sends to `email` and `email-json` subscriptions: the subscription
//! confirmation and the notification, worded as SNS words them, and their rendering to the exact
//! RFC 5322 text (UTF-8 plain text, quoted-printable where lines are long) that the outbox stores
//! and the SMTP client hands over unchanged, so a retried e-mail is byte for byte the first one.
//!
//! Nothing here does IO. Deliberate differences from SNS: e-mails are plain text where SNS sends
//! the confirmation as HTML, links point at this OpenTrail server (the SubscribeURL and
//! UnsubscribeURL of the JSON documents, so visiting them confirms or unsubscribes), and the
//! footers name the server's administrator instead of AWS Support and SNS's opt-out address.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;

use crate::names::TopicArn;

/// The subject of every subscription confirmation e-mail (SNS's wording).
pub const CONFIRMATION_SUBJECT: &str = "AWS Notification - Subscription Confirmation";

/// The subject of a notification e-mail when the publisher gave no `Subject` (SNS's wording).
pub const DEFAULT_NOTIFICATION_SUBJECT: &str = "AWS Notification Message";

/// The `Content-Type` recorded on e-mail outbox rows (the body is a whole e-mail).
pub const MAIL_CONTENT_TYPE: &str = "message/rfc822";

/// The body of the confirmation e-mail to an `email` subscription. Bodies do not end with a
/// line break: SMTP's end-of-data sequence supplies the last one.
pub fn confirmation_text(topic: &TopicArn, subscribe_url: &str) -> String {
    format!(
        "You have chosen to subscribe to the topic:\n{topic}\n\n\
         To confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n\
         {subscribe_url}\n\n\
         Please do not reply directly to this email."
    )
}

/// The body of a notification e-mail to an `email` subscription: the message, then SNS's
/// footer with the unsubscribe link.
pub fn notification_text(message: &str, unsubscribe_url: &str) -> String {
    format!(
        "{message}\n\n--\n\
         If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n\
         {unsubscribe_url}\n\n\
         Please do not reply directly to this email. If you have any questions or comments regarding this email, please contact the administrator of this OpenTrail server."
    )
}

/// The subject of a notification e-mail.
pub fn notification_subject(subject: Option<&str>) -> &str {
    subject.unwrap_or(DEFAULT_NOTIFICATION_SUBJECT)
}

/// One e-mail to render.
#[derive(Debug, Clone)]
pub struct Mail<'a> {
    /// The configured sender.
    pub from: &'a Mailbox,
    /// The topic's `DisplayName`; when not empty it is the sender's name, as on SNS.
    pub display_name: &'a str,
    /// The subscription's address.
    pub to: &'a str,
    /// The `Subject` header.
    pub subject: &'a str,
    /// The plain-text body.
    pub body: String,
    /// The `Date` header (when the message was published or the subscription requested).
    pub date: DateTime<Utc>,
}

/// The whole e-mail as text with CRLF line ends, or why it cannot be built (an address that no
/// longer parses).
pub fn render(mail: Mail<'_>) -> Result<String, String> {
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|error| format!("cannot mail {:?}: {error}", mail.to))?;
    let from = sender(mail.from, mail.display_name);
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain());
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject)
        .date(SystemTime::from(mail.date))
        .message_id(Some(message_id))
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body)
        .map_err(|error| format!("cannot build the e-mail to {:?}: {error}", mail.to))?;
    Ok(String::from_utf8_lossy(&message.formatted()).into_owned())
}

fn sender(configured: &Mailbox, display_name: &str) -> Mailbox {
    if display_name.is_empty() {
        return configured.clone();
    }
    Mailbox::new(Some(display_name.to_owned()), configured.email.clone())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn topic() -> TopicArn {
        TopicArn::parse("arn:aws:sns:us-east-1:123456789012:alarms", "TopicArn").unwrap()
    }

    /// The header lines and the decoded body of a rendered e-mail.
    fn parts(rendered: &str) -> (Vec<String>, String) {
        let (head, body) = rendered
            .split_once("\r\n\r\n")
            .expect("header/body separator");
        let headers = head.split("\r\n").map(str::to_owned).collect::<Vec<_>>();
        let quoted = headers
            .iter()
            .any(|h| h == "Content-Transfer-Encoding: quoted-printable");
        let body = if quoted {
            decode_quoted_printable(body)
        } else {
            body.to_owned()
        };
        (headers, body.replace("\r\n", "\n"))
    }

    fn decode_quoted_printable(text: &str) -> String {
        let joined = text.replace("=\r\n", "");
        let mut bytes = Vec::new();
        let mut rest = joined.as_bytes();
        while let Some((&first, tail)) = rest.split_first() {
            if first == b'=' && tail.len() >= 2 {
                let hex = std::str::from_utf8(&tail[..2]).unwrap();
                bytes.push(u8::from_str_radix(hex, 16).unwrap());
                rest = &tail[2..];
            } else {
                bytes.push(first);
                rest = tail;
            }
        }
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn texts_follow_sns_wording() {
        let check = |actual: String, expected: &str| assert_eq!(actual, expected);
        check(
            confirmation_text(&topic(), "http://h/?Action=ConfirmSubscription&Token=t"),
            "You have chosen to subscribe to the topic:\narn:aws:sns:us-east-1:123456789012:alarms\n\n\
             To confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n\
             http://h/?Action=ConfirmSubscription&Token=t\n\n\
             Please do not reply directly to this email.",
        );
        check(
            notification_text("{\"AlarmName\":\"cpu\"}", "http://h/?Action=Unsubscribe"),
            "{\"AlarmName\":\"cpu\"}\n\n--\n\
             If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n\
             http://h/?Action=Unsubscribe\n\n\
             Please do not reply directly to this email. If you have any questions or comments regarding this email, please contact the administrator of this OpenTrail server.",
        );
        assert_eq!(notification_subject(None), "AWS Notification Message");
        assert_eq!(notification_subject(Some("ALARM: cpu")), "ALARM: cpu");
    }

    #[test]
    fn rendered_mail_carries_headers_and_the_exact_body() {
        let from: Mailbox = "OpenTrail <alerts@example.com>".parse().unwrap();
        let date = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let body = format!("{}\n\nnon-ASCII: caf\u{e9} \u{2713}\n", "x".repeat(120));
        let check = |display_name: &str, expected_from: &str| {
            let rendered = render(Mail {
                from: &from,
                display_name,
                to: "ops@example.com",
                subject: "ALARM: \"cpu\" in us-east-1",
                body: body.clone(),
                date,
            })
            .unwrap();
            assert!(rendered.lines().all(|l| l.len() <= 78), "{rendered}");
            assert!(rendered.is_ascii(), "{rendered}");
            let (headers, decoded) = parts(&rendered);
            let header = |name: &str| {
                headers
                    .iter()
                    .find_map(|h| h.strip_prefix(&format!("{name}: ")))
                    .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
                    .to_owned()
            };
            assert_eq!(header("From"), expected_from);
            assert_eq!(header("To"), "ops@example.com");
            assert_eq!(header("Subject"), "ALARM: \"cpu\" in us-east-1");
            assert_eq!(header("Date"), "Wed, 25 Nov 2026 12:00:00 +0000");
            assert_eq!(header("Content-Type"), "text/plain; charset=utf-8");
            assert!(header("Message-ID").ends_with("@example.com>"));
            assert_eq!(decoded, body);
        };
        check("", "OpenTrail <alerts@example.com>");
        check("Ops Alarms", "\"Ops Alarms\" <alerts@example.com>");
    }

    #[test]
    fn an_address_that_does_not_parse_is_reported() {
        let from: Mailbox = "alerts@example.com".parse().unwrap();
        let error = render(Mail {
            from: &from,
            display_name: "",
            to: "not an address",
            subject: "s",
            body: "b".to_owned(),
            date: Utc::now(),
        })
        .unwrap_err();
        assert!(
            error.starts_with("cannot mail \"not an address\""),
            "{error}"
        );
    }
}
