//! The SMTP side of delivery: the check of [`SmtpConfig`] made when the service opens, and the
//! client the delivery loop hands one rendered e-mail from the outbox to (envelope sender = the
//! configured address, one recipient = the subscription's address), over STARTTLS when
//! configured and with AUTH when credentials are set.
//!
//! Every failure (no connection, TLS, a 4xx or 5xx reply, a timeout) is reported as text for
//! the loop to retry with its backoff; nothing here decides to give up. It deliberately opens a
//! connection per e-mail (no pool: alarm mail is rare), speaks no implicit TLS (port 465), and
//! does no MX lookup: the configured server relays.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{CertificateStore, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::SmtpConfig;
use crate::error::SnsError;

/// Checks what can be checked without a network: a host, a `From` that parses, and AUTH
/// credentials given as a pair. Returns the sender mailbox.
pub fn check_config(config: &SmtpConfig) -> Result<Mailbox, SnsError> {
    let bad = |setting: &'static str, problem: String| SnsError::SmtpConfig { setting, problem };
    if config.host.trim().is_empty() {
        return Err(bad("host", "no smtp host is set".to_owned()));
    }
    let from: Mailbox = config.from.parse().map_err(|error| {
        bad(
            "from",
            format!("{:?} is not an e-mail address: {error}", config.from),
        )
    })?;
    match (&config.username, &config.password) {
        (Some(_), None) => Err(bad("password", "a username is set without one".to_owned())),
        (None, Some(_)) => Err(bad("username", "a password is set without one".to_owned())),
        (Some(_), Some(_)) if !config.starttls => {
            tracing::warn!(
                host = %config.host,
                "sns smtp credentials will be sent without TLS (starttls = false)"
            );
            Ok(from)
        }
        _ => Ok(from),
    }
}

/// The client that hands e-mails to the configured server.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    envelope_sender: Address,
    timeout: Duration,
}

impl SmtpSender {
    /// Builds the client (loading TLS roots when STARTTLS is on); `timeout` bounds one whole
    /// transaction and each of its replies.
    pub fn new(config: &SmtpConfig, timeout: Duration) -> Result<Self, SnsError> {
        let envelope_sender = check_config(config)?.email;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(timeout));
        if config.starttls {
            builder = builder.tls(Tls::Required(tls_parameters(&config.host)?));
        }
        if let (Some(username), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            envelope_sender,
            timeout,
        })
    }

    /// One SMTP transaction: `Ok` once the server accepted the e-mail after `DATA`.
    pub async fn send(&self, recipient: &str, rendered_mail: &str) -> Result<(), String> {
        let recipient: Address = recipient
            .parse()
            .map_err(|error| format!("cannot mail {recipient:?}: {error}"))?;
        let envelope =
            lettre::address::Envelope::new(Some(self.envelope_sender.clone()), vec![recipient])
                .map_err(|error| format!("cannot build the envelope: {error}"))?;
        let sending = self.transport.send_raw(&envelope, rendered_mail.as_bytes());
        match tokio::time::timeout(self.timeout, sending).await {
            Err(_) => Err(format!("no smtp answer within {:?}", self.timeout)),
            Ok(Err(error)) => Err(format!("smtp delivery failed: {error}")),
            Ok(Ok(_)) => Ok(()),
        }
    }
}

/// STARTTLS with the system's roots, or Mozilla's when the system has none (as the HTTPS
/// client does).
fn tls_parameters(host: &str) -> Result<TlsParameters, SnsError> {
    let store = if rustls_native_certs::load_native_certs().certs.is_empty() {
        tracing::info!("no system TLS roots; sns smtp STARTTLS uses Mozilla's roots");
        CertificateStore::WebpkiRoots
    } else {
        CertificateStore::Default
    };
    TlsParameters::builder(host.to_owned())
        .certificate_store(store)
        .build_rustls()
        .map_err(|error| SnsError::SmtpSetup {
            host: host.to_owned(),
            problem: error.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SmtpConfig {
        SmtpConfig {
            host: "smtp.example.com".to_owned(),
            port: 587,
            from: "OpenTrail <alerts@example.com>".to_owned(),
            username: Some("user".to_owned()),
            password: Some("secret".to_owned()),
            starttls: true,
        }
    }

    #[test]
    fn settings_are_checked_before_anything_is_queued() {
        let check = |change: fn(&mut SmtpConfig), expected: Result<&str, &str>| {
            let mut config = config();
            change(&mut config);
            match (check_config(&config), expected) {
                (Ok(from), Ok(address)) => assert_eq!(from.email.to_string(), address),
                (Err(error), Err(message)) => assert_eq!(error.to_string(), message),
                (actual, expected) => panic!("{actual:?} but expected {expected:?}"),
            }
        };
        check(|_| {}, Ok("alerts@example.com"));
        check(
            |c| c.from = "alerts@example.com".to_owned(),
            Ok("alerts@example.com"),
        );
        check(
            |c| (c.username, c.password, c.starttls) = (None, None, false),
            Ok("alerts@example.com"),
        );
        check(
            |c| c.host = " ".to_owned(),
            Err("invalid sns smtp setting host: no smtp host is set"),
        );
        check(
            |c| c.from = "OpenTrail".to_owned(),
            Err(
                "invalid sns smtp setting from: \"OpenTrail\" is not an e-mail address: Invalid input",
            ),
        );
        check(
            |c| c.password = None,
            Err("invalid sns smtp setting password: a username is set without one"),
        );
        check(
            |c| c.username = None,
            Err("invalid sns smtp setting username: a password is set without one"),
        );
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let shown = format!("{:?}", config());
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
