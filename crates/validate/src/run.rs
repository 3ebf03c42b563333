//! One validation: argument checks and trail lookup (the CLI's `create_digest_traverser`), then a
//! three-stage pipeline — the digest walk on one thread, log-file checks on a bounded pool of worker
//! threads, and the report on the calling thread, which consumes events strictly in the CLI's order
//! (waiting for each log file's result in turn) — then the summary and exit code.
//!
//! Parallelism never changes the output: results are printed in walk order, and the first fatal
//! event in that order ends the run exactly where the CLI would have stopped.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::failure::{Failure, FatalError};
use crate::logs::{LogOutcome, LogTarget, PlannedLog, check_log_file, plan_log_files};
use crate::naming::{DigestNaming, is_valid_trail_arn, trail_arn_parts};
use crate::regions::BucketRegions;
use crate::report::{Report, ReportError};
use crate::source::Source;
use crate::traverse::{ChainEvent, DigestWalker, WalkPlan, WalkStop};

/// The arguments of `validate-logs`, already parsed (dates normalized to UTC like the CLI does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateArgs {
    /// `--trail-arn`.
    pub trail_arn: String,
    /// `--start-time`.
    pub start_time: DateTime<Utc>,
    /// `--end-time` (`None` = now).
    pub end_time: Option<DateTime<Utc>>,
    /// `--s3-bucket` (skips DescribeTrails).
    pub s3_bucket: Option<String>,
    /// `--s3-prefix` (used only with `--s3-bucket`, as in the CLI).
    pub s3_prefix: Option<String>,
    /// `--account-id`.
    pub account_id: Option<String>,
    /// `--verbose`.
    pub verbose: bool,
    /// The global `--region` (the source Region; `None` = the trail's home Region).
    pub region: Option<String>,
}

/// Tuning that does not change the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Log files checked at the same time.
    pub workers: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        RunOptions {
            workers: (cores * 2).clamp(2, 32),
        }
    }
}

/// Runs `validate-logs` against `source`, writing what the aws CLI writes; returns its exit code
/// (0 all valid, 1 something invalid, 255 fatal error).
pub fn run(
    args: &ValidateArgs,
    source: &dyn Source,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    run_with_options(args, source, &RunOptions::default(), out, err)
}

/// [`run`] with explicit tuning.
pub fn run_with_options(
    args: &ValidateArgs,
    source: &dyn Source,
    options: &RunOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    // No buffering here: the caller's writers decide (std's stdout is line-buffered, so a long run
    // shows its lines as they come, as the CLI does on a terminal).
    let code = match validate(args, source, options, out, err) {
        Ok(code) => code,
        Err(fatal) => {
            let _ = err.write_all(fatal.render().as_bytes());
            255
        }
    };
    let flushed = out.flush().and_then(|()| err.flush());
    if flushed.is_err() { 255 } else { code }
}

fn validate(
    args: &ValidateArgs,
    source: &dyn Source,
    options: &RunOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, FatalError> {
    let end = args.end_time.unwrap_or_else(Utc::now);
    if args.start_time > end {
        return Err(FatalError::exception(
            "Invalid time range specified: start-time must occur before end-time",
        ));
    }
    let plan = plan_walk(args, source, end)?;
    let mut report = Report::new(out, err, args.verbose, args.start_time, end);
    report.startup(&args.trail_arn).map_err(io_fatal)?;
    let regions = BucketRegions::new(args.region.clone().filter(|region| !region.is_empty()));
    run_pipeline(source, &regions, plan, options, &mut report)?;
    report.summary().map_err(io_fatal)?;
    Ok(report.exit_code())
}

fn io_fatal(error: std::io::Error) -> FatalError {
    FatalError::exception(error.to_string())
}

/// `create_digest_traverser`: ARN check, trail lookup, organization id, names.
fn plan_walk(
    args: &ValidateArgs,
    source: &dyn Source,
    end: DateTime<Utc>,
) -> Result<WalkPlan, FatalError> {
    if !is_valid_trail_arn(&args.trail_arn) {
        return Err(FatalError::exception(format!(
            "Invalid trail ARN provided: {}",
            args.trail_arn
        )));
    }
    let account_given = args
        .account_id
        .clone()
        .filter(|account| !account.is_empty());
    let (bucket, key_prefix, organization_id) = match &args.s3_bucket {
        Some(bucket) => (bucket.clone(), args.s3_prefix.clone(), None),
        None => trail_location(args, source, account_given.is_some())?,
    };
    let parts = trail_arn_parts(&args.trail_arn);
    let source_region = args
        .region
        .clone()
        .filter(|region| !region.is_empty())
        .unwrap_or_else(|| parts.home_region.clone());
    Ok(WalkPlan {
        naming: DigestNaming {
            account_id: account_given.unwrap_or(parts.account_id),
            trail_name: parts.trail_name,
            home_region: parts.home_region,
            source_region,
            organization_id,
        },
        bucket,
        key_prefix,
        start: args.start_time,
        end,
    })
}

/// DescribeTrails (and DescribeOrganization for organization trails).
fn trail_location(
    args: &ValidateArgs,
    source: &dyn Source,
    account_given: bool,
) -> Result<(String, Option<String>, Option<String>), FatalError> {
    let trails = source
        .describe_trails()
        .map_err(|error| Failure::Source(error).into_fatal())?;
    let trail = trails
        .into_iter()
        .find(|trail| trail.trail_arn.as_deref() == Some(args.trail_arn.as_str()))
        .ok_or_else(|| {
            FatalError::exception(format!("A trail could not be found for {}", args.trail_arn))
        })?;
    let bucket = trail
        .s3_bucket_name
        .ok_or_else(|| FatalError::exception("'S3BucketName'"))?;
    let mut organization_id = None;
    if trail.is_organization_trail {
        if !account_given {
            return Err(FatalError::exception(
                "Missing required parameter for organization trail: '--account-id'",
            ));
        }
        let id = source
            .describe_organization_id()
            .map_err(|error| Failure::Source(error).into_fatal())?;
        organization_id = Some(id);
    }
    Ok((bucket, trail.s3_key_prefix, organization_id))
}

/// What the report thread receives, in order.
enum PipelineEvent {
    Chain(ChainEvent),
    Valid {
        digest: Map<String, Value>,
        is_backfill: bool,
        logs: Vec<PendingLog>,
    },
    Fatal(FatalError),
}

/// A log file whose outcome is known or being computed.
struct PendingLog {
    target: Option<LogTarget>,
    outcome: PendingOutcome,
}

enum PendingOutcome {
    Ready(LogOutcome),
    Waiting(Receiver<LogOutcome>),
}

impl PendingLog {
    fn outcome(self) -> LogOutcome {
        match self.outcome {
            PendingOutcome::Ready(outcome) => outcome,
            PendingOutcome::Waiting(receiver) => receiver.recv().unwrap_or(LogOutcome::Skipped),
        }
    }
}

struct LogJob {
    target: LogTarget,
    reply: SyncSender<LogOutcome>,
}

fn run_pipeline(
    source: &dyn Source,
    regions: &BucketRegions,
    plan: WalkPlan,
    options: &RunOptions,
    report: &mut Report<'_>,
) -> Result<(), FatalError> {
    let workers = options.workers.max(1);
    let cancelled = AtomicBool::new(false);
    let (job_sender, job_receiver) = sync_channel::<LogJob>(workers * 4);
    let job_receiver = Arc::new(Mutex::new(job_receiver));
    let (event_sender, event_receiver) = sync_channel::<PipelineEvent>(256);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let jobs = Arc::clone(&job_receiver);
            let cancelled = &cancelled;
            scope.spawn(move || work_on_logs(&jobs, source, regions, cancelled));
        }
        scope.spawn(move || walk_digests(source, regions, plan, &job_sender, &event_sender));
        let result = print_events(event_receiver, report);
        cancelled.store(true, Ordering::Relaxed);
        result
    })
}

fn work_on_logs(
    jobs: &Mutex<Receiver<LogJob>>,
    source: &dyn Source,
    regions: &BucketRegions,
    cancelled: &AtomicBool,
) {
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return;
        };
        let outcome = if cancelled.load(Ordering::Relaxed) {
            LogOutcome::Skipped
        } else {
            check_log_file(source, regions, &job.target)
        };
        let _ = job.reply.send(outcome);
    }
}

/// The walk thread: turns chain events into pipeline events, queueing log checks as it goes.
fn walk_digests(
    source: &dyn Source,
    regions: &BucketRegions,
    plan: WalkPlan,
    jobs: &SyncSender<LogJob>,
    events: &SyncSender<PipelineEvent>,
) {
    let mut walker = DigestWalker::new(source, regions, plan);
    let mut emit = |event: ChainEvent| -> bool {
        let event = match event {
            ChainEvent::ValidDigest {
                digest,
                is_backfill,
            } => {
                let Some(logs) = queue_log_checks(&digest, jobs) else {
                    return false;
                };
                PipelineEvent::Valid {
                    digest,
                    is_backfill,
                    logs,
                }
            }
            other => PipelineEvent::Chain(other),
        };
        events.send(event).is_ok()
    };
    if let Err(WalkStop::Fatal(error)) = walker.walk_all(&mut emit) {
        let _ = events.send(PipelineEvent::Fatal(error));
    }
}

/// Queues the digest's log files; `None` when the workers are gone.
fn queue_log_checks(
    digest: &Map<String, Value>,
    jobs: &SyncSender<LogJob>,
) -> Option<Vec<PendingLog>> {
    let mut pending = Vec::new();
    for planned in plan_log_files(digest) {
        match planned {
            PlannedLog::Fatal(error) => pending.push(PendingLog {
                target: None,
                outcome: PendingOutcome::Ready(LogOutcome::Fatal(error)),
            }),
            PlannedLog::Check(target) => {
                let (reply, receiver) = sync_channel(1);
                jobs.send(LogJob {
                    target: target.clone(),
                    reply,
                })
                .ok()?;
                pending.push(PendingLog {
                    target: Some(target),
                    outcome: PendingOutcome::Waiting(receiver),
                });
            }
        }
    }
    Some(pending)
}

/// The report thread: prints every event in order, stopping at the first fatal one.
fn print_events(
    events: Receiver<PipelineEvent>,
    report: &mut Report<'_>,
) -> Result<(), FatalError> {
    for event in events {
        match event {
            PipelineEvent::Chain(event) => print_chain_event(event, report).map_err(io_fatal)?,
            PipelineEvent::Valid {
                digest,
                is_backfill,
                logs,
            } => print_valid_digest(&digest, is_backfill, logs, report)?,
            PipelineEvent::Fatal(error) => return Err(error),
        }
    }
    Ok(())
}

fn print_chain_event(event: ChainEvent, report: &mut Report<'_>) -> std::io::Result<()> {
    match event {
        ChainEvent::InvalidDigest { line, is_backfill } => {
            report.invalid_digest(&line, is_backfill)
        }
        ChainEvent::MissingDigest {
            bucket,
            key,
            is_backfill,
        } => report.missing_digest(&bucket, &key, is_backfill),
        ChainEvent::Gap {
            next_end,
            last_start,
            is_backfill,
        } => report.gap(next_end, last_start, is_backfill),
        ChainEvent::ValidDigest { .. } => Ok(()),
    }
}

fn print_valid_digest(
    digest: &Map<String, Value>,
    is_backfill: bool,
    logs: Vec<PendingLog>,
    report: &mut Report<'_>,
) -> Result<(), FatalError> {
    match report.valid_digest(digest, is_backfill) {
        Ok(()) => {}
        Err(ReportError::Io(error)) => return Err(io_fatal(error)),
        Err(ReportError::Failed(failure)) => return Err(failure.into_fatal()),
    }
    for pending in logs {
        let target = pending.target.clone();
        match pending.outcome() {
            LogOutcome::Fatal(error) => return Err(error),
            LogOutcome::Skipped => return Err(FatalError::exception("log file check cancelled")),
            outcome => {
                if let Some(target) = &target {
                    report.log_file(target, &outcome).map_err(io_fatal)?;
                }
            }
        }
    }
    Ok(())
}
