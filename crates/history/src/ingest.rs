//! The event-history consumer: decodes each event-log entry's envelope, keeps management and
//! Insights records, and writes each batch in one SQLite transaction (event row plus its lookup
//! rows), committing before `apply` returns.
//!
//! Idempotence comes from the unique `(event_id, account_num)` index: a replayed entry or a
//! re-ingested file finds its event already there and adds nothing. Entries whose envelope does
//! not decode and records history does not hold are skipped and counted ([`IngestCounts`]), never
//! retried: retrying cannot change them. This module does not answer lookups.

use std::collections::HashMap;

use opentrail_eventlog::{Consumer, ConsumerError, Entry};
use opentrail_record::Envelope;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Transaction, params};

use crate::History;
use crate::error::HistoryError;
use crate::store::{encode_record, open_connection};
use crate::summary::{Category, RecordSummary, summarize};

/// What [`HistoryConsumer`] did with the entries it was given, since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCounts {
    /// Records newly indexed.
    pub indexed: u64,
    /// Records already indexed for their account (replays, re-ingested files).
    pub duplicates: u64,
    /// Records history does not hold: data events, or no event ID / time / region.
    pub not_indexed: u64,
    /// Entries whose envelope could not be decoded.
    pub undecodable: u64,
}

/// The event-log consumer that feeds event history. Create it with [`History::consumer`].
#[derive(Debug)]
pub struct HistoryConsumer {
    connection: Connection,
    accounts: HashMap<String, i64>,
    partitions: HashMap<(i64, String, Category), i64>,
    counts: IngestCounts,
}

/// The consumer's name, and so its event-log cursor's name.
pub const CONSUMER_NAME: &str = "history";

impl HistoryConsumer {
    pub(crate) fn new(history: &History) -> Result<Self, HistoryError> {
        Ok(HistoryConsumer {
            connection: open_connection(history.path())?,
            accounts: HashMap::new(),
            partitions: HashMap::new(),
            counts: IngestCounts::default(),
        })
    }

    /// What this consumer has done so far.
    pub fn counts(&self) -> IngestCounts {
        self.counts
    }

    /// Indexes a batch of envelopes in one transaction; returns once it is committed.
    pub fn index_envelopes<'a>(
        &mut self,
        envelopes: impl IntoIterator<Item = &'a Envelope>,
    ) -> Result<(), HistoryError> {
        let transaction = self.connection.transaction()?;
        let mut counts = self.counts;
        let mut keys = KeyCache {
            accounts: &mut self.accounts,
            partitions: &mut self.partitions,
        };
        for envelope in envelopes {
            let Some(summary) = summarize(&envelope.record) else {
                counts.not_indexed += 1;
                continue;
            };
            if insert_event(&transaction, &mut keys, envelope, &summary)? {
                counts.indexed += 1;
            } else {
                counts.duplicates += 1;
            }
        }
        match transaction.commit() {
            Ok(()) => {
                self.counts = counts;
                Ok(())
            }
            Err(error) => {
                // Keys cached during the rolled-back transaction may not exist.
                self.accounts.clear();
                self.partitions.clear();
                Err(error.into())
            }
        }
    }

    fn decode_batch(&mut self, batch: &[Entry]) -> Vec<Envelope> {
        let mut envelopes = Vec::with_capacity(batch.len());
        for entry in batch {
            match Envelope::decode(&entry.payload) {
                Ok(envelope) => envelopes.push(envelope),
                Err(_) => self.counts.undecodable += 1,
            }
        }
        envelopes
    }
}

impl Consumer for HistoryConsumer {
    fn name(&self) -> &str {
        CONSUMER_NAME
    }

    fn apply(&mut self, batch: &[Entry]) -> Result<(), ConsumerError> {
        let envelopes = self.decode_batch(batch);
        self.index_envelopes(&envelopes).map_err(|error| {
            let permanent = matches!(
                &error,
                HistoryError::Sqlite(rusqlite::Error::SqliteFailure(failure, _))
                    if matches!(failure.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
            );
            if permanent {
                ConsumerError::permanent(error.to_string())
            } else {
                ConsumerError::transient(error.to_string())
            }
        })
    }
}

struct KeyCache<'a> {
    accounts: &'a mut HashMap<String, i64>,
    partitions: &'a mut HashMap<(i64, String, Category), i64>,
}

impl KeyCache<'_> {
    fn account(&mut self, transaction: &Transaction, account_id: &str) -> rusqlite::Result<i64> {
        if let Some(&num) = self.accounts.get(account_id) {
            return Ok(num);
        }
        transaction
            .prepare_cached("INSERT OR IGNORE INTO accounts(account_id) VALUES (?1)")?
            .execute([account_id])?;
        let num = transaction
            .prepare_cached("SELECT num FROM accounts WHERE account_id = ?1")?
            .query_row([account_id], |row| row.get(0))?;
        self.accounts.insert(account_id.to_owned(), num);
        Ok(num)
    }

    fn partition(
        &mut self,
        transaction: &Transaction,
        account_num: i64,
        region: &str,
        category: Category,
    ) -> rusqlite::Result<i64> {
        let key = (account_num, region.to_owned(), category);
        if let Some(&num) = self.partitions.get(&key) {
            return Ok(num);
        }
        transaction
            .prepare_cached(
                "INSERT OR IGNORE INTO partitions(account_num, region, category) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![account_num, region, category as i64])?;
        let num = transaction
            .prepare_cached(
                "SELECT num FROM partitions WHERE account_num = ?1 AND region = ?2 AND category = ?3",
            )?
            .query_row(params![account_num, region, category as i64], |row| {
                row.get(0)
            })?;
        self.partitions.insert(key, num);
        Ok(num)
    }
}

/// Inserts one event and its lookup rows; `false` when the account already has the event ID.
fn insert_event(
    transaction: &Transaction,
    keys: &mut KeyCache,
    envelope: &Envelope,
    summary: &RecordSummary,
) -> rusqlite::Result<bool> {
    let account_num = keys.account(transaction, &envelope.account_id)?;
    let partition_num =
        keys.partition(transaction, account_num, &summary.region, summary.category)?;
    let id: Option<i64> = transaction
        .prepare_cached(
            "INSERT INTO events(account_num, partition_num, event_time, event_id, record)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(event_id, account_num) DO NOTHING RETURNING id",
        )?
        .query_row(
            params![
                account_num,
                partition_num,
                summary.event_time,
                summary.event_id,
                encode_record(&envelope.record)
            ],
            |row| row.get(0),
        )
        .optional()?;
    let Some(id) = id else {
        return Ok(false);
    };
    let mut insert_lookup = transaction.prepare_cached(
        "INSERT OR IGNORE INTO lookup(partition_num, attr, value, event_time, id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (key, value) in summary.attribute_values() {
        insert_lookup.execute(params![
            partition_num,
            key as i64,
            value,
            summary.event_time,
            id
        ])?;
    }
    Ok(true)
}
