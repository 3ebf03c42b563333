//! The trail control plane of OpenTrail: CloudTrail API 2013-11-01 trail operations with AWS's
//! validation rules and error codes, persisted in SQLite in the data directory.
//!
//! A tour:
//! - [`ControlPlane::call`] dispatches one operation by name with its JSON input and returns the
//!   JSON output exactly as AWS shapes it, or the [`ApiError`] AWS would answer with.
//! - `ops/` holds one module per group of operations (trails, logging, selectors, tags), plus
//!   `lookup` (how a name or ARN finds a trail, home regions, the 5-trail limit) and `destination`
//!   (bucket and topic existence and policies, decided by `policy`).
//! - `names` and `validate` check the shape of every member; `input` gives typed access to it.
//! - `model` is the stored trail and its wire shapes; `store` is the SQLite schema and queries.
//! - Consumers (trail delivery) read [`ControlPlane::trails_snapshot`], watch
//!   [`ControlPlane::trail_generation`], and report outcomes with
//!   [`ControlPlane::record_delivery_status`], which GetTrailStatus shows.
//!
//! What it deliberately does not do: HTTP, SigV4 and the wire envelope (the server crate), event
//! selection itself (the selectors crate), Lake, channels, dashboards, imports and organizations
//! (answered with `UnsupportedOperationException`). Calls block on SQLite: the async server runs
//! them on a blocking thread.

mod error;
mod input;
mod model;
mod names;
mod operations;
mod ops;
mod policy;
mod store;
mod validate;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use error::{ApiError, ControlError};
pub use model::{DeliveryKind, TrailRecord, TrailStatusRecord};
pub use names::{TrailArn, TrailName};
pub use operations::ALL_OPERATIONS;
pub use validate::Tag;

use input::Input;
use store::Store;

/// Who calls and where: the account and region of the SigV4 credential scope, and the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The caller's 12-digit account id.
    pub account_id: String,
    /// The region of the SigV4 scope; trails created now get it as their home region.
    pub region: String,
    /// The time of the call (StartLoggingTime and friends).
    pub now: DateTime<Utc>,
}

/// What the control plane needs to know about an S3 bucket (implemented by the server over the
/// S3 crate). Implementations must not call back into the [`ControlPlane`].
pub trait BucketDirectory: Send + Sync {
    /// The bucket with this name, or `None` when it does not exist.
    fn bucket(&self, name: &str) -> Option<BucketInfo>;
}

/// One S3 bucket as the control plane sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    /// Account that owns the bucket.
    pub owner_account_id: String,
    /// Region of the bucket.
    pub region: String,
    /// The bucket policy JSON, if one is set.
    pub policy: Option<String>,
    /// The bucket lives on an upstream S3-compatible server the operator configured for
    /// deliveries; its policy is not visible here, so the policy check is skipped.
    pub operator_trusted: bool,
}

/// What the control plane needs to know about SNS topics. Optional: without one
/// ([`ControlPlane::with_topic_directory`] not called) topics are accepted unchecked.
pub trait TopicDirectory: Send + Sync {
    /// The topic with this ARN, or `None` when it does not exist.
    fn topic(&self, topic_arn: &str) -> Option<TopicInfo>;
}

/// What the control plane needs to know about CloudWatch Logs log groups. Optional: without one
/// ([`ControlPlane::with_log_group_directory`] not called) log group ARNs are checked for form only.
pub trait LogGroupDirectory: Send + Sync {
    /// Whether the group `name` exists in `account_id` and `region`.
    fn log_group_exists(&self, account_id: &str, region: &str, name: &str) -> bool;
}

/// One SNS topic as the control plane sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// The topic's access policy JSON, if one is set.
    pub policy: Option<String>,
}

/// One trail as a consumer (trail delivery) needs it: all settings plus the logging state.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailConfig {
    /// Every stored setting, selectors included.
    pub trail: TrailRecord,
    /// Whether the trail is logging (StartLogging called and not stopped).
    pub is_logging: bool,
    /// When logging was last turned on.
    pub start_logging_time: Option<DateTime<Utc>>,
    /// When logging was last turned off.
    pub stop_logging_time: Option<DateTime<Utc>>,
}

/// The trail control plane: owns the SQLite database; `Send + Sync`, one instance per server.
pub struct ControlPlane {
    store: Mutex<Store>,
    buckets: Arc<dyn BucketDirectory>,
    topics: Option<Arc<dyn TopicDirectory>>,
    log_groups: Option<Arc<dyn LogGroupDirectory>>,
    generation: AtomicU64,
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("generation", &self.trail_generation())
            .finish_non_exhaustive()
    }
}

impl ControlPlane {
    /// Opens (or creates) the database at `db_path` and migrates its schema.
    pub fn open(db_path: &Path, buckets: Arc<dyn BucketDirectory>) -> Result<Self, ControlError> {
        let store = Store::open(db_path)?;
        Ok(ControlPlane {
            store: Mutex::new(store),
            buckets,
            topics: None,
            log_groups: None,
            generation: AtomicU64::new(1),
        })
    }

    /// Checks SNS topics (existence, and a policy letting CloudTrail publish) through `topics`.
    pub fn with_topic_directory(mut self, topics: Arc<dyn TopicDirectory>) -> Self {
        self.topics = Some(topics);
        self
    }

    /// Checks that a trail's CloudWatch Logs log group exists, through `log_groups`.
    pub fn with_log_group_directory(mut self, log_groups: Arc<dyn LogGroupDirectory>) -> Self {
        self.log_groups = Some(log_groups);
        self
    }

    /// Runs one CloudTrail operation with its JSON input and returns its JSON output (times as
    /// epoch-second numbers). Operations outside the trail control plane answer
    /// `UnsupportedOperationException`.
    pub fn call(
        &self,
        ctx: &CallContext,
        operation: &str,
        input: &Value,
    ) -> Result<Value, ApiError> {
        let input = Input::new(input)?;
        match operation {
            "CreateTrail" => self.create_trail(ctx, &input),
            "GetTrail" => self.get_trail(ctx, &input),
            "DescribeTrails" => self.describe_trails(ctx, &input),
            "ListTrails" => self.list_trails(ctx, &input),
            "UpdateTrail" => self.update_trail(ctx, &input),
            "DeleteTrail" => self.delete_trail(ctx, &input),
            "StartLogging" => self.start_logging(ctx, &input),
            "StopLogging" => self.stop_logging(ctx, &input),
            "GetTrailStatus" => self.get_trail_status(ctx, &input),
            "PutEventSelectors" => self.put_event_selectors(ctx, &input),
            "GetEventSelectors" => self.get_event_selectors(ctx, &input),
            "PutInsightSelectors" => self.put_insight_selectors(ctx, &input),
            "GetInsightSelectors" => self.get_insight_selectors(ctx, &input),
            "AddTags" => self.add_tags(ctx, &input),
            "RemoveTags" => self.remove_tags(ctx, &input),
            "ListTags" => self.list_tags(ctx, &input),
            other => Err(ApiError::unsupported_operation(format!(
                "The operation {other} is not supported by this OpenTrail server."
            ))),
        }
    }

    /// Whether a CloudTrail operation is read-only (`Get*`/`Describe*`/`List*`/`Lookup*`), for
    /// all 60 operations; `None` for names that are not CloudTrail operations.
    pub fn is_read_only(operation: &str) -> Option<bool> {
        operations::is_read_only(operation)
    }

    /// Every trail of every account with its selectors and logging state. A storage failure is
    /// logged and yields an empty list; use [`ControlPlane::try_trails_snapshot`] to see it.
    pub fn trails_snapshot(&self) -> Vec<TrailConfig> {
        self.try_trails_snapshot().unwrap_or_else(|error| {
            tracing::error!(%error, "reading the trails snapshot failed");
            Vec::new()
        })
    }

    /// [`ControlPlane::trails_snapshot`], with storage failures returned.
    pub fn try_trails_snapshot(&self) -> Result<Vec<TrailConfig>, ControlError> {
        let store = self.lock_store();
        let trails = store.all_trails()?;
        trails
            .into_iter()
            .map(|trail| {
                let status = store.status(&trail.arn)?;
                Ok(TrailConfig {
                    trail,
                    is_logging: status.is_logging,
                    start_logging_time: status.start_logging_time,
                    stop_logging_time: status.stop_logging_time,
                })
            })
            .collect()
    }

    /// A counter that changes whenever any trail's settings, selectors or logging state change,
    /// so consumers can refresh their snapshot only when needed. It restarts at 1 on open.
    pub fn trail_generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Records the outcome of one delivery for GetTrailStatus. A success sets the `Latest*Time`
    /// member and clears the matching error; a failure sets the error. Returns false when the
    /// trail no longer exists.
    pub fn record_delivery_status(
        &self,
        trail_arn: &TrailArn,
        kind: DeliveryKind,
        at: DateTime<Utc>,
        outcome: Result<(), &str>,
    ) -> Result<bool, ControlError> {
        self.lock_store()
            .record_delivery(trail_arn, kind, at, outcome)
    }

    /// The current schema version of the database (the number of migrations applied).
    pub fn schema_version(&self) -> Result<i64, ControlError> {
        self.lock_store().schema_version()
    }

    fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests;
