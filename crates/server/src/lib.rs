//! The HTTP front of OpenTrail: one listener serving every AWS-compatible API, dispatched by the
//! SigV4 credential scope's service name (and `X-Amz-Target` for JSON services), like a cloud region
//! on one port.
//!
//! A tour:
//! - [`config`] and [`identity`]: what the operator configured, and whose access key is whose.
//! - [`listener`]: TCP/TLS accept loop and graceful drain. [`dispatch`]: which API a request is for.
//! - [`json_api`] (cloudtrail), [`sts_api`], [`ingest_api`], and the S3 front (crate `opentrail-s3`,
//!   glued in [`s3_glue`]): one module per wire protocol, each authenticating, calling the semantics
//!   crate, writing the audit record ([`audit`]) and only then answering.
//! - [`api_error`]: the one place error codes become HTTP statuses.
//! - [`run`]: start-up and the ordered shutdown.
//!
//! This crate owns HTTP and nothing else: trail semantics live in `opentrail-control`, durability in
//! `opentrail-eventlog`, S3 storage in `opentrail-s3`, record shapes in `opentrail-record`.

pub mod alerts_glue;
pub mod api_error;
pub mod audit;
pub mod auth;
pub mod config;
pub mod context;
pub mod delivery_glue;
pub mod dispatch;
pub mod identity;
pub mod ingest_api;
pub mod json_api;
pub mod listener;
pub mod metrics;
pub mod monitoring_api;
pub mod public_keys;
pub mod s3_glue;
pub mod sns_api;
pub mod sts_api;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use http_body_util::BodyExt;
use opentrail_control::{CallContext as ControlContext, ControlPlane};
use opentrail_eventlog::{EventLog, EventLogConfig};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::api_error::ApiFailure;
use crate::audit::Auditor;
use crate::config::ServerConfig;
use crate::identity::{Principal, PrincipalDirectory, RootCredentials};
use crate::metrics::Metrics;

/// Everything a request handler needs, shared by all connections.
#[derive(Debug, Clone)]
pub struct App {
    /// The merged configuration.
    pub config: Arc<ServerConfig>,
    /// Access keys to principals.
    pub principals: Arc<PrincipalDirectory>,
    /// The trail control plane.
    pub control: Arc<ControlPlane>,
    /// The S3 front over the embedded buckets.
    pub s3: Arc<opentrail_s3::S3Front>,
    /// Upstream S3 servers in proxy mode.
    pub s3_proxies: Arc<s3_glue::Proxies>,
    /// Self-audit into the event log.
    pub auditor: Auditor,
    /// The durable event log.
    pub log: EventLog,
    /// Operator metrics.
    pub metrics: Arc<Metrics>,
    /// The regions' digest-signing keys.
    pub keys: Arc<opentrail_integrity::KeyStore>,
    /// SNS topics, subscriptions and the delivery outbox.
    pub sns: opentrail_sns::SnsService,
    /// Event history (LookupEvents).
    pub history: opentrail_history::History,
    /// CloudWatch Logs log groups (trails deliver to them; metric filters run on them).
    pub logs: opentrail_logs::Logs,
    /// CloudWatch metrics and alarms.
    pub monitoring: opentrail_monitoring::Monitoring,
}

impl App {
    /// Calls a CloudTrail operation on the control plane (SQLite work runs off the async threads).
    pub async fn call_control(
        &self,
        principal: &Principal,
        region: &str,
        operation: &str,
        input: Value,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Value, ApiFailure> {
        if operation == "LookupEvents" {
            let history = self.history.clone();
            let (account, region) = (principal.account_id().to_owned(), region.to_owned());
            return match tokio::task::spawn_blocking(move || {
                history.lookup(&account, &region, &input, now)
            })
            .await
            {
                Ok(Ok(output)) => Ok(output),
                Ok(Err(error)) => Err(ApiFailure::new(error.code, error.message)),
                Err(_) => Err(ApiFailure::internal()),
            };
        }
        if operation == "ListPublicKeys" {
            let keys = self.keys.clone();
            let region = region.to_owned();
            return match tokio::task::spawn_blocking(move || {
                public_keys::list_public_keys(&keys, &region, &input, now)
            })
            .await
            {
                Ok(result) => result,
                Err(_) => Err(ApiFailure::internal()),
            };
        }
        let control = self.control.clone();
        let context = ControlContext {
            account_id: principal.account_id().to_owned(),
            region: region.to_owned(),
            now,
        };
        let operation = operation.to_owned();
        match tokio::task::spawn_blocking(move || control.call(&context, &operation, &input)).await
        {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(error)) => Err(ApiFailure::new(error.code, error.message)),
            Err(_) => Err(ApiFailure::internal()),
        }
    }

    /// Whether a CloudTrail operation only reads (unknown operations count as writes).
    pub fn control_read_only(&self, operation: &str) -> bool {
        ControlPlane::is_read_only(operation).unwrap_or(false)
    }
}

/// Reads a whole request body up to a limit.
#[derive(Debug)]
pub struct ReadBody;

impl ReadBody {
    /// Splits the request and collects its body, refusing bodies over `limit` bytes.
    pub async fn read(
        request: http::Request<axum::body::Body>,
        limit: usize,
    ) -> Result<(http::request::Parts, bytes::Bytes), ApiFailure> {
        let (parts, body) = request.into_parts();
        let limited = http_body_util::Limited::new(body, limit);
        match limited.collect().await {
            Ok(collected) => Ok((parts, collected.to_bytes())),
            Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(ApiFailure::new(
                "RequestEntityTooLarge",
                format!("request body exceeds the {limit}-byte limit"),
            )),
            Err(_) => Err(ApiFailure::new(
                "IncompleteBody",
                "the request body ended early",
            )),
        }
    }
}

/// A started server: its address, and the handle that stops it in order.
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address (useful with port 0).
    pub local_addr: std::net::SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    consumers_task: tokio::task::JoinHandle<()>,
    log: EventLog,
}

impl RunningServer {
    /// Stops in order: stop accepting, drain in-flight requests (each waits for its audit fsync),
    /// let consumers finish and checkpoint, then close the event log (its writer thread exits).
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await.context("listener task panicked")?;
        self.consumers_task
            .await
            .context("consumer task panicked")?;
        let log = self.log;
        tokio::task::spawn_blocking(move || drop(log))
            .await
            .context("closing the event log")?;
        Ok(())
    }
}

/// Opens every store under the data directory and starts listening.
pub async fn run(config: ServerConfig, root: RootCredentials) -> anyhow::Result<RunningServer> {
    config.validate()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let metrics = Arc::new(Metrics::default());
    let principals = Arc::new(PrincipalDirectory::build(&config, &root)?);
    let log_dir = config.data_dir.join("eventlog");
    let log = EventLog::open(&log_dir, EventLogConfig::default())
        .with_context(|| format!("opening the event log in {}", log_dir.display()))?;
    tracing::info!(recovery = ?log.recovery_report(), "event log open");
    let auditor = Auditor::new(log.clone(), metrics.clone());
    let s3 = Arc::new(s3_glue::open(&config, principals.clone(), auditor.clone())?);
    let s3_proxies = Arc::new(s3_glue::Proxies::build(
        &config,
        principals.clone(),
        auditor.clone(),
    )?);
    let destinations = Arc::new(delivery_glue::Destinations::new(
        s3.clone(),
        &config.upstreams,
    ));
    let buckets = Arc::new(s3_glue::Buckets {
        front: s3.clone(),
        destinations: destinations.clone(),
    });
    let keys = Arc::new(
        opentrail_integrity::KeyStore::open(&config.data_dir.join("keys"))
            .context("opening the signing key store")?,
    );
    let sns_delivery = opentrail_sns::DeliveryConfig {
        smtp: config.smtp.as_ref().map(|smtp| opentrail_sns::SmtpConfig {
            host: smtp.host.clone(),
            port: smtp.port,
            from: smtp.from.clone(),
            username: smtp.username.clone(),
            password: smtp.password.clone(),
            starttls: smtp.starttls,
        }),
        ..Default::default()
    };
    let sns = opentrail_sns::SnsService::open(&config.data_dir.join("sns.sqlite"), sns_delivery)
        .context("opening the SNS store")?;
    let monitoring = opentrail_monitoring::Monitoring::open(
        &config.data_dir,
        Arc::new(alerts_glue::AlarmsToSns(sns.clone())),
    )
    .context("opening CloudWatch metrics and alarms")?;
    let logs = opentrail_logs::Logs::open(
        &config.data_dir,
        Arc::new(alerts_glue::MetricsFromLogs(monitoring.clone())),
    )
    .context("opening CloudWatch Logs")?;
    let control = Arc::new(
        ControlPlane::open(&config.data_dir.join("control.sqlite"), buckets)?
            .with_log_group_directory(Arc::new(alerts_glue::LogGroups(logs.clone()))),
    );
    let history = opentrail_history::History::open(
        &config.data_dir.join("history.sqlite"),
        opentrail_history::HistoryConfig {
            retention: config.history_retention,
        },
    )
    .context("opening event history")?;
    let history_consumer = history
        .consumer()
        .context("starting the event history consumer")?;
    let logs_consumer = alerts_glue::CloudWatchLogsDelivery {
        control: control.clone(),
        logs: logs.clone(),
    };
    let control_for_delivery = control.clone();
    let keys_for_delivery = keys.clone();
    let app = App {
        logs: logs.clone(),
        monitoring: monitoring.clone(),
        history: history.clone(),
        sns: sns.clone(),
        keys,
        config: Arc::new(config.clone()),
        principals,
        control,
        s3,
        s3_proxies,
        auditor,
        log: log.clone(),
        metrics,
    };
    let tls = match &config.tls {
        Some(files) => Some(listener::tls_acceptor(&files.cert, &files.key)?),
        None => None,
    };
    let tcp = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let local_addr = tcp.local_addr()?;
    let shutdown = CancellationToken::new();
    let router = dispatch::router(app);
    let task = tokio::spawn(listener::serve(
        tcp,
        tls,
        router,
        shutdown.clone(),
        Duration::from_secs(30),
    ));
    let sns_token = shutdown.clone();
    let notifier = Arc::new(delivery_glue::SnsNotifier(sns.clone()));
    tokio::spawn(async move { sns.run_delivery(sns_token).await });
    let delivery_dir = config.data_dir.join("delivery");
    std::fs::create_dir_all(&delivery_dir)
        .with_context(|| format!("creating {}", delivery_dir.display()))?;
    let delivery = opentrail_delivery::TrailDelivery::new(
        log.clone(),
        control_for_delivery,
        keys_for_delivery,
        destinations,
        notifier,
        opentrail_delivery::DeliveryConfig {
            delivery_interval: config.delivery_interval,
            digest_interval: config.digest_interval,
            ..opentrail_delivery::DeliveryConfig::new(delivery_dir)
        },
    )
    .context("starting trail delivery")?;
    let delivery_token = shutdown.clone();
    let history_log = log.clone();
    let history_token = shutdown.clone();
    let logs_log = log.clone();
    let logs_token = shutdown.clone();
    let evaluator = monitoring.start();
    let consumers_task = tokio::spawn(async move {
        let history =
            opentrail_eventlog::run_consumer(history_log, history_consumer, history_token);
        let log_groups = opentrail_eventlog::run_consumer(logs_log, logs_consumer, logs_token);
        let (delivered, indexed, grouped) =
            tokio::join!(delivery.run(delivery_token), history, log_groups);
        if let Err(error) = delivered {
            tracing::error!(%error, "trail delivery stopped");
        }
        if let Err(error) = indexed {
            tracing::error!(%error, "event history stopped");
        }
        if let Err(error) = grouped {
            tracing::error!(%error, "CloudWatch Logs delivery stopped");
        }
        evaluator.shutdown().await;
    });
    tokio::spawn(purge_logs_periodically(logs, shutdown.clone()));
    tokio::spawn(expire_history_periodically(history, shutdown.clone()));
    tokio::spawn(compact_periodically(
        log.clone(),
        config.log_retention,
        shutdown.clone(),
    ));
    tracing::info!(%local_addr, "opentrail listening");
    Ok(RunningServer {
        local_addr,
        shutdown,
        task,
        consumers_task,
        log,
    })
}

/// How often old event-log segments are looked at for removal.
const COMPACTION_PERIOD: Duration = Duration::from_secs(3600);

/// Removes event-log segments that every consumer has passed and that are older than `retention`,
/// once at start and then every [`COMPACTION_PERIOD`], until shutdown.
async fn compact_periodically(log: EventLog, retention: Duration, shutdown: CancellationToken) {
    loop {
        let compacting = log.clone();
        match tokio::task::spawn_blocking(move || compacting.compact(retention)).await {
            Ok(Ok(report)) if !report.removed_segments.is_empty() => {
                tracing::info!(
                    removed_entries = report.removed_entries,
                    "event log compacted"
                )
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "event log compaction failed"),
            Err(error) => tracing::warn!(%error, "event log compaction task failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(COMPACTION_PERIOD) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// Removes log events older than their group's retention, every [`COMPACTION_PERIOD`], until shutdown.
async fn purge_logs_periodically(logs: opentrail_logs::Logs, shutdown: CancellationToken) {
    loop {
        let purging = logs.clone();
        match tokio::task::spawn_blocking(move || {
            purging.purge_expired(std::time::SystemTime::now())
        })
        .await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, "expired log events removed"),
            Ok(Err(error)) => tracing::warn!(%error, "log retention purge failed"),
            Err(error) => tracing::warn!(%error, "log retention task failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(COMPACTION_PERIOD) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// Removes events older than the history retention, at start and then every
/// [`COMPACTION_PERIOD`], until shutdown.
async fn expire_history_periodically(
    history: opentrail_history::History,
    shutdown: CancellationToken,
) {
    loop {
        let expiring = history.clone();
        match tokio::task::spawn_blocking(move || expiring.remove_expired(chrono::Utc::now())).await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, "expired events removed from history"),
            Ok(Err(error)) => tracing::warn!(%error, "history expiry failed"),
            Err(error) => tracing::warn!(%error, "history expiry task failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(COMPACTION_PERIOD) => {}
            () = shutdown.cancelled() => return,
        }
    }
}
