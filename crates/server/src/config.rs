//! The server's configuration: the TOML file format, its defaults, and the durations the flags take.
//!
//! Every field has an embedded default so `opentrail serve` runs with no file at all. The binary
//! overlays command-line flags on top of the file; this module only parses and validates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// The default listen address (a fixed contract).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4580";
/// The default account (a fixed contract).
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// The default region (a fixed contract).
pub const DEFAULT_REGION: &str = "us-east-1";
/// The default data directory (a fixed contract).
pub const DEFAULT_DATA_DIR: &str = "./opentrail-data";

/// Everything `serve` needs, after defaults, file and flags are merged.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where the listener binds.
    pub listen: SocketAddr,
    /// Where all state lives.
    pub data_dir: PathBuf,
    /// The default account: its root credentials come from the environment or are generated.
    pub account_id: String,
    /// The default region (requests may be signed for any region; see docs/adr/0006).
    pub region: String,
    /// How long a trail's log file stays open.
    pub delivery_interval: Duration,
    /// The digest period.
    pub digest_interval: Duration,
    /// PEM certificate chain and key for TLS; plain HTTP when absent.
    pub tls: Option<TlsFiles>,
    /// Accounts and principals from the config file.
    pub accounts: Vec<AccountConfig>,
    /// How long event-log segments that every consumer has passed are kept.
    pub log_retention: Duration,
    /// Largest accepted ingest request body, in bytes.
    pub max_ingest_bytes: usize,
    /// S3-compatible servers that hold some trail buckets.
    pub upstreams: Vec<UpstreamConfig>,
    /// How long management events stay in event history (LookupEvents).
    pub history_retention: Duration,
    /// The SMTP server SNS e-mail subscriptions are sent through; without one they stay pending.
    pub smtp: Option<SmtpSettings>,
}

/// `[smtp]`: where SNS e-mail goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// e.g. `smtp.example.com`.
    pub host: String,
    /// Default 25.
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// The sender address, e.g. `"OpenTrail <alerts@example.com>"`.
    pub from: String,
    /// For SMTP AUTH (with `password`).
    pub username: Option<String>,
    /// For SMTP AUTH (with `username`).
    pub password: Option<String>,
    /// Require STARTTLS.
    #[serde(default)]
    pub starttls: bool,
}

fn default_smtp_port() -> u16 {
    25
}

/// An S3-compatible server that holds trail buckets (delivery writes there instead of to the
/// embedded buckets).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// e.g. `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// Signing region.
    #[serde(default = "default_upstream_region")]
    pub region: String,
    /// Access key for the upstream.
    pub access_key_id: String,
    /// Secret for the upstream.
    pub secret_access_key: String,
    /// Bucket names held there; `"*"` means every bucket that is not an embedded one.
    pub buckets: Vec<String>,
    /// Proxy mode: S3 requests for these buckets (and, with `"*"`, ListBuckets and every bucket that
    /// is not embedded) are forwarded to the upstream and recorded as CloudTrail events.
    #[serde(default)]
    pub proxy: bool,
    /// The account that owns the upstream's buckets (only its principals may use them through the
    /// proxy); default: the server's `--account-id`.
    #[serde(default)]
    pub account_id: Option<String>,
}

fn default_upstream_region() -> String {
    DEFAULT_REGION.to_owned()
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address parses"),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            account_id: DEFAULT_ACCOUNT_ID.into(),
            region: DEFAULT_REGION.into(),
            delivery_interval: Duration::from_secs(5),
            digest_interval: Duration::from_secs(3600),
            tls: None,
            accounts: Vec::new(),
            log_retention: Duration::from_secs(7 * 24 * 3600),
            max_ingest_bytes: 256 << 20,
            upstreams: Vec::new(),
            history_retention: Duration::from_secs(90 * 24 * 3600),
            smtp: None,
        }
    }
}

/// A certificate chain and private key in PEM files.
#[derive(Debug, Clone, Deserialize)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// One account and its principals, as written in the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Twelve digits.
    pub id: String,
    /// The account root's access key, if the root may sign requests.
    pub root_access_key_id: Option<String>,
    /// The account root's secret.
    pub root_secret_access_key: Option<String>,
    /// IAM-user-like principals.
    #[serde(default)]
    pub users: Vec<UserConfig>,
}

/// An IAM-user-like principal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The user name (the `userName` in records).
    pub name: String,
    /// Its access key id.
    pub access_key_id: String,
    /// Its secret access key.
    pub secret_access_key: String,
}

/// The config file. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Overrides [`ServerConfig::listen`].
    pub listen: Option<String>,
    /// Overrides [`ServerConfig::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// Overrides [`ServerConfig::account_id`].
    pub account_id: Option<String>,
    /// Overrides [`ServerConfig::region`].
    pub region: Option<String>,
    /// e.g. `"5s"`.
    pub delivery_interval: Option<String>,
    /// e.g. `"1h"`.
    pub digest_interval: Option<String>,
    /// e.g. `"7d"`.
    pub log_retention: Option<String>,
    /// e.g. `"90d"`.
    pub history_retention: Option<String>,
    /// TLS files.
    pub tls: Option<TlsFiles>,
    /// Accounts and principals.
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    /// Upstream S3-compatible servers for trail buckets.
    #[serde(default)]
    pub upstreams: Vec<UpstreamConfig>,
    /// The SMTP server for SNS e-mail.
    pub smtp: Option<SmtpSettings>,
}

/// Errors in configuration values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A duration that is not `<number><unit>`.
    #[error("invalid duration \"{0}\": use a number and a unit (ms, s, m, h, d), e.g. 500ms or 5s")]
    Duration(String),
    /// An address that does not parse.
    #[error("invalid listen address \"{0}\"")]
    Listen(String),
    /// An account id that is not twelve digits.
    #[error("invalid account id \"{0}\": it must be 12 digits")]
    AccountId(String),
    /// The file could not be read or parsed.
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl FileConfig {
    /// Reads and parses a TOML config file.
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let file_error = |message: String| ConfigError::File {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|error| file_error(error.to_string()))?;
        toml::from_str(&text).map_err(|error| file_error(error.to_string()))
    }

    /// Applies this file's values over `config`.
    pub fn apply(self, config: &mut ServerConfig) -> Result<(), ConfigError> {
        if let Some(listen) = self.listen {
            config.listen = parse_listen(&listen)?;
        }
        if let Some(dir) = self.data_dir {
            config.data_dir = dir;
        }
        if let Some(account) = self.account_id {
            config.account_id = account;
        }
        if let Some(region) = self.region {
            config.region = region;
        }
        for (value, target) in [
            (self.delivery_interval, &mut config.delivery_interval),
            (self.digest_interval, &mut config.digest_interval),
            (self.log_retention, &mut config.log_retention),
            (self.history_retention, &mut config.history_retention),
        ] {
            if let Some(text) = value {
                *target = parse_duration(&text)?;
            }
        }
        if self.tls.is_some() {
            config.tls = self.tls;
        }
        config.accounts = self.accounts;
        config.upstreams = self.upstreams;
        if self.smtp.is_some() {
            config.smtp = self.smtp;
        }
        Ok(())
    }
}

impl ServerConfig {
    /// Checks values no parser could: account ids.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for id in
            std::iter::once(&self.account_id).chain(self.accounts.iter().map(|account| &account.id))
        {
            if id.len() != 12 || !id.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(ConfigError::AccountId(id.clone()));
            }
        }
        Ok(())
    }
}

/// Parses a listen address such as `127.0.0.1:4580`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, ConfigError> {
    text.parse()
        .map_err(|_| ConfigError::Listen(text.to_owned()))
}

/// Parses durations such as `500ms`, `5s`, `2m`, `1h`, `90d`.
pub fn parse_duration(text: &str) -> Result<Duration, ConfigError> {
    let error = || ConfigError::Duration(text.to_owned());
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(error)?;
    let (number, unit) = trimmed.split_at(split);
    let number: u64 = number.parse().map_err(|_| error())?;
    let millis = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(error()),
    };
    number
        .checked_mul(millis)
        .map(Duration::from_millis)
        .ok_or_else(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        for (text, millis) in [
            ("500ms", 500),
            ("5s", 5_000),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("90d", 7_776_000_000),
        ] {
            assert_eq!(
                parse_duration(text).unwrap(),
                Duration::from_millis(millis),
                "{text}"
            );
        }
        for bad in ["", "5", "s", "5 sec", "-1s", "1.5s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_values_override_defaults() {
        let file: FileConfig = toml::from_str(
            r#"
            listen = "127.0.0.1:9000"
            region = "ap-northeast-1"
            delivery_interval = "200ms"
            [[accounts]]
            id = "111122223333"
            root_access_key_id = "AKIAOTHERROOT"
            root_secret_access_key = "secret"
            [[accounts.users]]
            name = "alice"
            access_key_id = "AKIAALICE"
            secret_access_key = "alice-secret"
            "#,
        )
        .unwrap();
        let mut config = ServerConfig::default();
        file.apply(&mut config).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.region, "ap-northeast-1");
        assert_eq!(config.delivery_interval, Duration::from_millis(200));
        assert_eq!(config.accounts[0].users[0].name, "alice");
        config.validate().unwrap();
    }

    #[test]
    fn bad_account_ids_and_unknown_keys_are_refused() {
        let config = ServerConfig {
            account_id: "12".into(),
            ..ServerConfig::default()
        };
        assert!(matches!(config.validate(), Err(ConfigError::AccountId(id)) if id == "12"));
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    }
}
