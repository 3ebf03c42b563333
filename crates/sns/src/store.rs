//! SQLite persistence of topics, their tags, subscriptions and the delivery outbox, with a
//! versioned schema (the one definition of the SNS storage format).
//!
//! The outbox holds one row per (message, subscriber): its channel (an HTTP POST or an SMTP
//! transaction), the exact body and headers to POST or the exact e-mail to hand over, the
//! attempt count, the next attempt time and a lease taken while a delivery is in flight. A row
//! leaves the outbox only when the delivery loop saw a 2xx, when its subscription is gone (or no
//! longer in the state the message was for), or, for unsubscribe confirmations only, after a few
//! attempts. Leases are cleared on open: one process owns the database at a time. This module
//! knows rows and columns only; no SNS rule is checked here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::error::SnsError;
use crate::names::{Protocol, SubscriptionArn, TopicArn};
use crate::query::Tag;

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`. Append only; never edit a shipped entry.
const MIGRATIONS: &[&str] = &[
    // 1: topics, tags, subscriptions and the outbox.
    "CREATE TABLE topics (
        topic_arn TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        policy TEXT,
        delivery_policy TEXT,
        subscriptions_deleted INTEGER NOT NULL DEFAULT 0,
        created_at_ms INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX topics_by_owner ON topics (account_id, region, name);
    CREATE TABLE topic_tags (
        topic_arn TEXT NOT NULL REFERENCES topics ON DELETE CASCADE,
        tag_key TEXT NOT NULL,
        tag_value TEXT NOT NULL,
        PRIMARY KEY (topic_arn, tag_key)
    );
    CREATE TABLE subscriptions (
        subscription_arn TEXT PRIMARY KEY,
        topic_arn TEXT NOT NULL REFERENCES topics ON DELETE CASCADE,
        owner_account_id TEXT NOT NULL,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        status TEXT NOT NULL,
        token TEXT NOT NULL,
        token_expires_at_ms INTEGER NOT NULL,
        confirmation_was_authenticated INTEGER NOT NULL DEFAULT 0,
        authenticate_on_unsubscribe INTEGER NOT NULL DEFAULT 0,
        raw_message_delivery INTEGER NOT NULL DEFAULT 0,
        delivery_policy TEXT,
        endpoint_base_url TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX subscriptions_by_endpoint ON subscriptions (topic_arn, protocol, endpoint);
    CREATE INDEX subscriptions_by_owner ON subscriptions (owner_account_id, subscription_arn);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        subscription_arn TEXT NOT NULL,
        topic_arn TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        message_id TEXT NOT NULL,
        content_type TEXT NOT NULL,
        raw_delivery INTEGER NOT NULL,
        body TEXT NOT NULL,
        max_attempts INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at_ms INTEGER NOT NULL,
        leased_until_ms INTEGER,
        last_error TEXT,
        created_at_ms INTEGER NOT NULL
    );
    CREATE INDEX outbox_by_due ON outbox (next_attempt_at_ms);
    CREATE INDEX outbox_by_subscription ON outbox (subscription_arn);",
    // 2: e-mail deliveries share the outbox; rows written before are HTTP POSTs.
    "ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'http';",
];

/// One stored topic (tags are read separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRecord {
    /// The topic's ARN (owner, region, name).
    pub arn: TopicArn,
    /// `DisplayName` (empty when never set).
    pub display_name: String,
    /// `Policy` as set; `None` means AWS's default policy for the owner.
    pub policy: Option<String>,
    /// `DeliveryPolicy` as set, if ever.
    pub delivery_policy: Option<String>,
    /// How many subscriptions were removed by Unsubscribe.
    pub subscriptions_deleted: i64,
}

/// Where a subscription is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// Created, waiting for ConfirmSubscription.
    Pending,
    /// Confirmed: receives notifications.
    Confirmed,
    /// Unsubscribed; kept until its token expires so the UnsubscribeConfirmation's SubscribeURL
    /// can restore it.
    Deleted,
}

impl SubscriptionStatus {
    fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Confirmed => "confirmed",
            SubscriptionStatus::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(SubscriptionStatus::Pending),
            "confirmed" => Some(SubscriptionStatus::Confirmed),
            "deleted" => Some(SubscriptionStatus::Deleted),
            _ => None,
        }
    }
}

/// One stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    /// Its ARN (which names the topic).
    pub arn: SubscriptionArn,
    /// The account that subscribed.
    pub owner_account_id: String,
    /// `http`, `https`, `email` or `email-json`.
    pub protocol: Protocol,
    /// The URL or address.
    pub endpoint: String,
    /// Pending, confirmed or deleted.
    pub status: SubscriptionStatus,
    /// The current confirmation token.
    pub token: String,
    /// When the token stops working (ms since the epoch).
    pub token_expires_at_ms: i64,
    /// Whether ConfirmSubscription was called with credentials.
    pub confirmation_was_authenticated: bool,
    /// Whether unsubscribing needs credentials.
    pub authenticate_on_unsubscribe: bool,
    /// `RawMessageDelivery`.
    pub raw_message_delivery: bool,
    /// The subscription's `DeliveryPolicy`, if set.
    pub delivery_policy: Option<String>,
    /// The base URL of this server as the subscriber reached it (for UnsubscribeURL).
    pub endpoint_base_url: String,
}

/// How a queued delivery travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryChannel {
    /// POSTed to the endpoint URL.
    Http,
    /// Handed to the configured SMTP server for the endpoint address; the body is the whole
    /// rendered e-mail.
    Smtp,
}

impl DeliveryChannel {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryChannel::Http => "http",
            DeliveryChannel::Smtp => "smtp",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "http" => Some(DeliveryChannel::Http),
            "smtp" => Some(DeliveryChannel::Smtp),
            _ => None,
        }
    }
}

/// The three messages SNS sends (documents POSTed to HTTP endpoints, or e-mails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A published message.
    Notification,
    /// The handshake after Subscribe.
    SubscriptionConfirmation,
    /// The notice after Unsubscribe.
    UnsubscribeConfirmation,
}

impl MessageKind {
    /// The `Type` / `x-amz-sns-message-type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Notification => "Notification",
            MessageKind::SubscriptionConfirmation => "SubscriptionConfirmation",
            MessageKind::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "Notification" => Some(MessageKind::Notification),
            "SubscriptionConfirmation" => Some(MessageKind::SubscriptionConfirmation),
            "UnsubscribeConfirmation" => Some(MessageKind::UnsubscribeConfirmation),
            _ => None,
        }
    }
}

/// One delivery to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Which message this is.
    pub kind: MessageKind,
    /// POST or e-mail.
    pub channel: DeliveryChannel,
    /// The subscription it is for.
    pub subscription_arn: String,
    /// The topic it came from.
    pub topic_arn: String,
    /// The URL to POST to, or the address to mail.
    pub endpoint: String,
    /// `MessageId` (also the `x-amz-sns-message-id` header).
    pub message_id: String,
    /// The `Content-Type` header.
    pub content_type: String,
    /// Whether the body is the raw message (adds `x-amz-sns-rawdelivery: true`).
    pub raw_delivery: bool,
    /// The exact body to POST, or the exact e-mail (RFC 5322, CRLF line ends).
    pub body: String,
    /// `None`: retry until acknowledged or the subscription is gone.
    pub max_attempts: Option<i64>,
}

/// One queued delivery handed to the delivery loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// Outbox row id.
    pub id: i64,
    /// What to send.
    pub entry: OutboxEntry,
    /// Attempts made before this one.
    pub attempts: i64,
}

const SUBSCRIPTION_COLUMNS: &str =
    "subscription_arn, owner_account_id, protocol, endpoint, status, token,
    token_expires_at_ms, confirmation_was_authenticated, authenticate_on_unsubscribe,
    raw_message_delivery, delivery_policy, endpoint_base_url";

const OUTBOX_COLUMNS: &str =
    "id, kind, subscription_arn, topic_arn, endpoint, message_id, content_type,
    raw_delivery, body, max_attempts, attempts, channel";

/// The SNS database.
#[derive(Debug)]
pub struct Store {
    connection: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, migrates it and clears stale leases.
    pub fn open(path: &Path) -> Result<Store, SnsError> {
        let open_error = |source| SnsError::Open {
            path: path.to_path_buf(),
            source,
        };
        let connection = Connection::open(path).map_err(open_error)?;
        configure(&connection).map_err(open_error)?;
        let mut store = Store { connection };
        store.migrate(path)?;
        store
            .connection
            .execute("UPDATE outbox SET leased_until_ms = NULL", [])?;
        Ok(store)
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<i64, SnsError> {
        let version = self.connection.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        Ok(version)
    }

    fn migrate(&mut self, path: &Path) -> Result<(), SnsError> {
        self.connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL);",
        )?;
        let found = self.schema_version()?;
        let supported = MIGRATIONS.len() as i64;
        if found > supported {
            return Err(SnsError::SchemaTooNew {
                path: PathBuf::from(path),
                found,
                supported,
            });
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let transaction = self.connection.transaction()?;
            transaction.execute_batch(sql)?;
            transaction.execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)",
                params![index as i64 + 1, chrono::Utc::now().timestamp_millis()],
            )?;
            transaction.commit()?;
        }
        Ok(())
    }

    // ---- topics ----

    /// The topic with this ARN.
    pub fn topic(&self, arn: &TopicArn) -> Result<Option<TopicRecord>, SnsError> {
        let topic = self
            .connection
            .query_row(
                "SELECT topic_arn, display_name, policy, delivery_policy, subscriptions_deleted
                 FROM topics WHERE topic_arn = ?1",
                [arn.to_string()],
                topic_from_row,
            )
            .optional()?;
        Ok(topic)
    }

    /// Up to `limit` topics of one account in one region, by name, after `after_name`.
    pub fn topics_page(
        &self,
        account_id: &str,
        region: &str,
        after_name: &str,
        limit: usize,
    ) -> Result<Vec<TopicArn>, SnsError> {
        let mut statement = self.connection.prepare(
            "SELECT topic_arn, display_name, policy, delivery_policy, subscriptions_deleted
             FROM topics WHERE account_id = ?1 AND region = ?2 AND name > ?3 ORDER BY name LIMIT ?4",
        )?;
        let rows = statement.query_map(
            params![account_id, region, after_name, limit as i64],
            topic_from_row,
        )?;
        rows.map(|row| Ok(row?.arn)).collect()
    }

    /// Inserts a new topic with its tags.
    pub fn insert_topic(
        &mut self,
        topic: &TopicRecord,
        tags: &[Tag],
        now_ms: i64,
    ) -> Result<(), SnsError> {
        let transaction = self.connection.transaction()?;
        transaction.execute(
            "INSERT INTO topics (topic_arn, account_id, region, name, display_name, policy, delivery_policy, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                topic.arn.to_string(),
                topic.arn.account_id,
                topic.arn.region,
                topic.arn.name.as_str(),
                topic.display_name,
                topic.policy,
                topic.delivery_policy,
                now_ms
            ],
        )?;
        upsert_tags(&transaction, &topic.arn, tags)?;
        transaction.commit()?;
        Ok(())
    }

    /// Stores the settable attributes of a topic.
    pub fn update_topic(&self, topic: &TopicRecord) -> Result<(), SnsError> {
        self.connection.execute(
            "UPDATE topics SET display_name = ?2, policy = ?3, delivery_policy = ?4 WHERE topic_arn = ?1",
            params![
                topic.arn.to_string(),
                topic.display_name,
                topic.policy,
                topic.delivery_policy
            ],
        )?;
        Ok(())
    }

    /// Deletes a topic, its tags, its subscriptions and every queued delivery for them.
    pub fn delete_topic(&mut self, arn: &TopicArn) -> Result<(), SnsError> {
        let transaction = self.connection.transaction()?;
        transaction.execute("DELETE FROM outbox WHERE topic_arn = ?1", [arn.to_string()])?;
        transaction.execute("DELETE FROM topics WHERE topic_arn = ?1", [arn.to_string()])?;
        transaction.commit()?;
        Ok(())
    }

    /// A topic's tags, by key.
    pub fn topic_tags(&self, arn: &TopicArn) -> Result<Vec<Tag>, SnsError> {
        let mut statement = self.connection.prepare(
            "SELECT tag_key, tag_value FROM topic_tags WHERE topic_arn = ?1 ORDER BY tag_key",
        )?;
        let rows = statement.query_map([arn.to_string()], |row| {
            Ok(Tag {
                key: row.get(0)?,
                value: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds or overwrites tags.
    pub fn upsert_tags(&mut self, arn: &TopicArn, tags: &[Tag]) -> Result<(), SnsError> {
        let transaction = self.connection.transaction()?;
        upsert_tags(&transaction, arn, tags)?;
        transaction.commit()?;
        Ok(())
    }

    /// Removes tags by key (absent keys are ignored).
    pub fn remove_tags(&mut self, arn: &TopicArn, keys: &[String]) -> Result<(), SnsError> {
        let transaction = self.connection.transaction()?;
        for key in keys {
            transaction.execute(
                "DELETE FROM topic_tags WHERE topic_arn = ?1 AND tag_key = ?2",
                params![arn.to_string(), key],
            )?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// `(pending, confirmed)` subscription counts of a topic.
    pub fn subscription_counts(&self, arn: &TopicArn) -> Result<(i64, i64), SnsError> {
        let counts = self.connection.query_row(
            "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'confirmed'), 0)
             FROM subscriptions WHERE topic_arn = ?1",
            [arn.to_string()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(counts)
    }

    // ---- subscriptions ----

    /// The subscription with this ARN (in any status).
    pub fn subscription(
        &self,
        arn: &SubscriptionArn,
    ) -> Result<Option<SubscriptionRecord>, SnsError> {
        let sql =
            format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE subscription_arn = ?1");
        let record = self
            .connection
            .query_row(&sql, [arn.to_string()], subscription_from_row)
            .optional()?;
        Ok(record)
    }

    /// The subscription of `endpoint` over `protocol` to `topic` (in any status).
    pub fn subscription_by_endpoint(
        &self,
        topic: &TopicArn,
        protocol: Protocol,
        endpoint: &str,
    ) -> Result<Option<SubscriptionRecord>, SnsError> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE topic_arn = ?1 AND protocol = ?2 AND endpoint = ?3"
        );
        let record = self
            .connection
            .query_row(
                &sql,
                params![topic.to_string(), protocol.as_str(), endpoint],
                subscription_from_row,
            )
            .optional()?;
        Ok(record)
    }

    /// The subscription of `topic` whose current token is `token` (in any status).
    pub fn subscription_by_token(
        &self,
        topic: &TopicArn,
        token: &str,
    ) -> Result<Option<SubscriptionRecord>, SnsError> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE topic_arn = ?1 AND token = ?2"
        );
        let record = self
            .connection
            .query_row(
                &sql,
                params![topic.to_string(), token],
                subscription_from_row,
            )
            .optional()?;
        Ok(record)
    }

    /// Up to `limit` live (pending or confirmed) subscriptions, by ARN after `after_arn`, either
    /// of one owner account or of one topic.
    pub fn subscriptions_page(
        &self,
        scope: SubscriptionScope<'_>,
        after_arn: &str,
        limit: usize,
    ) -> Result<Vec<SubscriptionRecord>, SnsError> {
        let (filter, key, region) = match scope {
            SubscriptionScope::Owner { account_id, region } => {
                ("owner_account_id = ?1", account_id.to_owned(), region)
            }
            SubscriptionScope::Topic(topic) => {
                ("topic_arn = ?1", topic.to_string(), topic.region.as_str())
            }
        };
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions
             WHERE {filter} AND topic_arn IN (SELECT topic_arn FROM topics WHERE region = ?4)
               AND status != 'deleted' AND subscription_arn > ?2
             ORDER BY subscription_arn LIMIT ?3"
        );
        let mut statement = self.connection.prepare(&sql)?;
        let rows = statement.query_map(
            params![key, after_arn, limit as i64, region],
            subscription_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Confirmed subscriptions of a topic, whatever their protocol.
    pub fn confirmed_subscriptions(
        &self,
        topic: &TopicArn,
    ) -> Result<Vec<SubscriptionRecord>, SnsError> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions
             WHERE topic_arn = ?1 AND status = 'confirmed'
             ORDER BY subscription_arn"
        );
        let mut statement = self.connection.prepare(&sql)?;
        let rows = statement.query_map([topic.to_string()], subscription_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Writes `record` (replacing any row with its ARN, or with its topic, protocol and endpoint)
    /// and queues `deliveries`, in one transaction. When the subscription stops being confirmed
    /// its queued notifications are dropped; once it is no longer pending, or when a new one is
    /// queued, older SubscriptionConfirmations are dropped; `deleted_now` also counts it in the topic's `SubscriptionsDeleted`.
    pub fn save_subscription(
        &mut self,
        record: &SubscriptionRecord,
        deliveries: &[OutboxEntry],
        deleted_now: bool,
        now_ms: i64,
    ) -> Result<(), SnsError> {
        let transaction = self.connection.transaction()?;
        let topic_arn = record.arn.topic.to_string();
        transaction.execute(
            "DELETE FROM subscriptions WHERE subscription_arn = ?1 OR (topic_arn = ?2 AND protocol = ?3 AND endpoint = ?4)",
            params![record.arn.to_string(), topic_arn, record.protocol.as_str(), record.endpoint],
        )?;
        insert_subscription(&transaction, record, now_ms)?;
        if record.status != SubscriptionStatus::Confirmed {
            transaction.execute(
                "DELETE FROM outbox WHERE subscription_arn = ?1 AND kind = 'Notification'",
                [record.arn.to_string()],
            )?;
        }
        let replaces_confirmation = record.status != SubscriptionStatus::Pending
            || deliveries
                .iter()
                .any(|entry| entry.kind == MessageKind::SubscriptionConfirmation);
        if replaces_confirmation {
            transaction.execute(
                "DELETE FROM outbox WHERE subscription_arn = ?1 AND kind = 'SubscriptionConfirmation'",
                [record.arn.to_string()],
            )?;
        }
        if deleted_now {
            transaction.execute(
                "UPDATE topics SET subscriptions_deleted = subscriptions_deleted + 1 WHERE topic_arn = ?1",
                [topic_arn],
            )?;
        }
        enqueue(&transaction, deliveries, now_ms)?;
        transaction.commit()?;
        Ok(())
    }

    /// Forgets unsubscribed subscriptions whose restore token has expired.
    pub fn purge_expired_deleted(&self, now_ms: i64) -> Result<usize, SnsError> {
        let purged = self.connection.execute(
            "DELETE FROM subscriptions WHERE status = 'deleted' AND token_expires_at_ms <= ?1",
            [now_ms],
        )?;
        Ok(purged)
    }

    // ---- outbox ----

    /// Queues deliveries atomically.
    pub fn enqueue(&mut self, deliveries: &[OutboxEntry], now_ms: i64) -> Result<(), SnsError> {
        let transaction = self.connection.transaction()?;
        enqueue(&transaction, deliveries, now_ms)?;
        transaction.commit()?;
        Ok(())
    }

    /// Takes up to `limit` due deliveries and leases them until `lease_until_ms`. Rows whose
    /// subscription no longer wants them are deleted on the way.
    pub fn claim_due(
        &mut self,
        now_ms: i64,
        limit: usize,
        lease_until_ms: i64,
    ) -> Result<Vec<DueDelivery>, SnsError> {
        let transaction = self.connection.transaction()?;
        let candidates = due_rows(&transaction, now_ms, limit)?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for due in candidates {
            if still_wanted(&transaction, &due.entry, now_ms)? {
                transaction.execute(
                    "UPDATE outbox SET leased_until_ms = ?2 WHERE id = ?1",
                    params![due.id, lease_until_ms],
                )?;
                claimed.push(due);
            } else {
                transaction.execute("DELETE FROM outbox WHERE id = ?1", [due.id])?;
            }
        }
        transaction.commit()?;
        Ok(claimed)
    }

    /// When the next unleased delivery falls due (ms), if any is queued.
    pub fn next_due_ms(&self) -> Result<Option<i64>, SnsError> {
        let next = self.connection.query_row(
            "SELECT MIN(MAX(next_attempt_at_ms, COALESCE(leased_until_ms, 0))) FROM outbox",
            [],
            |row| row.get(0),
        )?;
        Ok(next)
    }

    /// An acknowledged delivery leaves the outbox.
    pub fn delivery_succeeded(&self, id: i64) -> Result<(), SnsError> {
        self.connection
            .execute("DELETE FROM outbox WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Records a failed attempt; the row is retried at `next_attempt_at_ms`, or dropped when it
    /// had a bounded number of attempts and used them up. Returns whether it stays queued.
    pub fn delivery_failed(
        &self,
        id: i64,
        next_attempt_at_ms: i64,
        error: &str,
    ) -> Result<bool, SnsError> {
        self.connection.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at_ms = ?2, leased_until_ms = NULL, last_error = ?3
             WHERE id = ?1",
            params![id, next_attempt_at_ms, error],
        )?;
        let dropped = self.connection.execute(
            "DELETE FROM outbox WHERE id = ?1 AND max_attempts IS NOT NULL AND attempts >= max_attempts",
            [id],
        )?;
        Ok(dropped == 0)
    }

    /// How many deliveries are queued (for tests and metrics).
    pub fn outbox_len(&self) -> Result<i64, SnsError> {
        let count = self
            .connection
            .query_row("SELECT COUNT(*) FROM outbox", [], |row| row.get(0))?;
        Ok(count)
    }
}

/// Which subscriptions a page lists.
#[derive(Debug, Clone, Copy)]
pub enum SubscriptionScope<'a> {
    /// Every subscription an account made to topics of one region.
    Owner {
        /// The subscribing account.
        account_id: &'a str,
        /// The region whose topics count.
        region: &'a str,
    },
    /// Every subscription of one topic.
    Topic(&'a TopicArn),
}

fn configure(connection: &Connection) -> Result<(), rusqlite::Error> {
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn upsert_tags(
    transaction: &Transaction<'_>,
    arn: &TopicArn,
    tags: &[Tag],
) -> Result<(), SnsError> {
    for tag in tags {
        transaction.execute(
            "INSERT INTO topic_tags (topic_arn, tag_key, tag_value) VALUES (?1, ?2, ?3)
             ON CONFLICT (topic_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
            params![arn.to_string(), tag.key, tag.value],
        )?;
    }
    Ok(())
}

fn insert_subscription(
    transaction: &Transaction<'_>,
    record: &SubscriptionRecord,
    now_ms: i64,
) -> Result<(), SnsError> {
    let sql = format!(
        "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}, topic_arn, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    );
    transaction.execute(
        &sql,
        params![
            record.arn.to_string(),
            record.owner_account_id,
            record.protocol.as_str(),
            record.endpoint,
            record.status.as_str(),
            record.token,
            record.token_expires_at_ms,
            record.confirmation_was_authenticated,
            record.authenticate_on_unsubscribe,
            record.raw_message_delivery,
            record.delivery_policy,
            record.endpoint_base_url,
            record.arn.topic.to_string(),
            now_ms
        ],
    )?;
    Ok(())
}

fn enqueue(
    transaction: &Transaction<'_>,
    deliveries: &[OutboxEntry],
    now_ms: i64,
) -> Result<(), SnsError> {
    for entry in deliveries {
        transaction.execute(
            "INSERT INTO outbox (kind, subscription_arn, topic_arn, endpoint, message_id, content_type,
                                 raw_delivery, body, max_attempts, next_attempt_at_ms, created_at_ms, channel)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
            params![
                entry.kind.as_str(),
                entry.subscription_arn,
                entry.topic_arn,
                entry.endpoint,
                entry.message_id,
                entry.content_type,
                entry.raw_delivery,
                entry.body,
                entry.max_attempts,
                now_ms,
                entry.channel.as_str()
            ],
        )?;
    }
    Ok(())
}

fn due_rows(
    transaction: &Transaction<'_>,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<DueDelivery>, SnsError> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox
         WHERE next_attempt_at_ms <= ?1 AND (leased_until_ms IS NULL OR leased_until_ms <= ?1)
         ORDER BY next_attempt_at_ms, id LIMIT ?2"
    );
    let mut statement = transaction.prepare(&sql)?;
    let rows = statement.query_map(params![now_ms, limit as i64], due_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the subscription still wants this document: notifications go to confirmed
/// subscriptions, confirmation requests to pending ones with a live token; unsubscribe notices
/// are always sent.
fn still_wanted(
    transaction: &Transaction<'_>,
    entry: &OutboxEntry,
    now_ms: i64,
) -> Result<bool, SnsError> {
    let wanted_status = match entry.kind {
        MessageKind::Notification => "confirmed",
        MessageKind::SubscriptionConfirmation => "pending",
        MessageKind::UnsubscribeConfirmation => return Ok(true),
    };
    let found: Option<i64> = transaction
        .query_row(
            "SELECT token_expires_at_ms FROM subscriptions WHERE subscription_arn = ?1 AND status = ?2",
            params![entry.subscription_arn, wanted_status],
            |row| row.get(0),
        )
        .optional()?;
    Ok(match (entry.kind, found) {
        (_, None) => false,
        (MessageKind::SubscriptionConfirmation, Some(expires)) => expires > now_ms,
        (_, Some(_)) => true,
    })
}

fn topic_from_row(row: &Row<'_>) -> rusqlite::Result<TopicRecord> {
    let arn: String = row.get(0)?;
    Ok(TopicRecord {
        arn: parse_stored(&arn, |text| TopicArn::parse(text, "TopicArn").ok())?,
        display_name: row.get(1)?,
        policy: row.get(2)?,
        delivery_policy: row.get(3)?,
        subscriptions_deleted: row.get(4)?,
    })
}

fn subscription_from_row(row: &Row<'_>) -> rusqlite::Result<SubscriptionRecord> {
    let arn: String = row.get(0)?;
    let protocol: String = row.get(2)?;
    let status: String = row.get(4)?;
    Ok(SubscriptionRecord {
        arn: parse_stored(&arn, |text| SubscriptionArn::parse(text).ok())?,
        owner_account_id: row.get(1)?,
        protocol: parse_stored(&protocol, |text| Protocol::parse(text).ok())?,
        endpoint: row.get(3)?,
        status: parse_stored(&status, SubscriptionStatus::parse)?,
        token: row.get(5)?,
        token_expires_at_ms: row.get(6)?,
        confirmation_was_authenticated: row.get(7)?,
        authenticate_on_unsubscribe: row.get(8)?,
        raw_message_delivery: row.get(9)?,
        delivery_policy: row.get(10)?,
        endpoint_base_url: row.get(11)?,
    })
}

fn due_from_row(row: &Row<'_>) -> rusqlite::Result<DueDelivery> {
    let kind: String = row.get(1)?;
    let channel: String = row.get(11)?;
    Ok(DueDelivery {
        id: row.get(0)?,
        entry: OutboxEntry {
            kind: parse_stored(&kind, MessageKind::parse)?,
            channel: parse_stored(&channel, DeliveryChannel::parse)?,
            subscription_arn: row.get(2)?,
            topic_arn: row.get(3)?,
            endpoint: row.get(4)?,
            message_id: row.get(5)?,
            content_type: row.get(6)?,
            raw_delivery: row.get(7)?,
            body: row.get(8)?,
            max_attempts: row.get(9)?,
        },
        attempts: row.get(10)?,
    })
}

/// Parses a stored enum or identifier, reporting a row that no longer parses as a conversion
/// failure rather than guessing.
fn parse_stored<T>(text: &str, parse: impl FnOnce(&str) -> Option<T>) -> rusqlite::Result<T> {
    parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unreadable stored value {text:?}").into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_outbox_is_migrated_with_its_rows_kept_as_http_posts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sns.sqlite");
        {
            let connection = Connection::open(&path).unwrap();
            connection
                .execute_batch(
                    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL);
                     INSERT INTO schema_migrations VALUES (1, 0);",
                )
                .unwrap();
            connection.execute_batch(MIGRATIONS[0]).unwrap();
            connection
                .execute(
                    "INSERT INTO outbox (kind, subscription_arn, topic_arn, endpoint, message_id, content_type,
                                         raw_delivery, body, next_attempt_at_ms, created_at_ms)
                     VALUES ('UnsubscribeConfirmation', 's', 't', 'http://127.0.0.1:9/', 'm', 'text/plain', 0, '{}', 0, 0)",
                    [],
                )
                .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let due = store.claim_due(1, 10, 2).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].entry.channel, DeliveryChannel::Http);
        assert_eq!(due[0].entry.endpoint, "http://127.0.0.1:9/");
    }
}
