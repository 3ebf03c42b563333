//! Operator metrics in the Prometheus text format (`GET /metrics`).
//!
//! Request counts are kept here; event-log figures (appends, fsync latency, consumer lag) are read from
//! the event log when the page is rendered, so nothing is counted twice.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Counters owned by the HTTP front.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    audit_failures: std::sync::atomic::AtomicU64,
}

impl Metrics {
    /// Counts one finished request of `api` (e.g. `cloudtrail`, `s3`) with its HTTP status.
    pub fn count_request(&self, api: &str, status: u16) {
        let mut requests = self
            .requests
            .lock()
            .expect("metrics lock is never poisoned by a panic-free section");
        *requests.entry((api.to_owned(), status)).or_default() += 1;
    }

    /// Counts a request whose audit record could not be made durable.
    pub fn count_audit_failure(&self) {
        self.audit_failures
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Renders request counters; `extra` lines (event-log figures) are appended as given.
    pub fn render(&self, extra: &str) -> String {
        let mut out = String::new();
        out.push_str("# HELP opentrail_requests_total API requests by API and HTTP status.\n");
        out.push_str("# TYPE opentrail_requests_total counter\n");
        let requests = self
            .requests
            .lock()
            .expect("metrics lock is never poisoned by a panic-free section");
        for ((api, status), count) in requests.iter() {
            let _ = writeln!(
                out,
                "opentrail_requests_total{{api=\"{api}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP opentrail_audit_failures_total Requests refused because their record could not be made durable.\n");
        out.push_str("# TYPE opentrail_audit_failures_total counter\n");
        let failures = self
            .audit_failures
            .load(std::sync::atomic::Ordering::Relaxed);
        let _ = writeln!(out, "opentrail_audit_failures_total {failures}");
        out.push_str(extra);
        out
    }
}

/// Renders the event log's figures: entries appended, fsync latency histogram, consumer lag.
pub fn render_event_log(log: &opentrail_eventlog::EventLog) -> String {
    let stats = log.stats();
    let mut out = String::new();
    out.push_str("# HELP opentrail_events_appended_total Entries made durable in the event log since start.\n");
    out.push_str("# TYPE opentrail_events_appended_total counter\n");
    let _ = writeln!(
        out,
        "opentrail_events_appended_total {}",
        stats.entries_appended
    );
    out.push_str("# HELP opentrail_event_log_bytes_written_total Bytes written to event-log segments since start.\n");
    out.push_str("# TYPE opentrail_event_log_bytes_written_total counter\n");
    let _ = writeln!(
        out,
        "opentrail_event_log_bytes_written_total {}",
        stats.bytes_written
    );
    out.push_str(
        "# HELP opentrail_group_commits_total Group commits (one fsync each) since start.\n",
    );
    out.push_str("# TYPE opentrail_group_commits_total counter\n");
    let _ = writeln!(
        out,
        "opentrail_group_commits_total {}",
        stats.groups_committed
    );
    render_histogram(
        &mut out,
        "opentrail_fsync_seconds",
        "Event-log fsync latency.",
        &stats.fsync_latency_micros,
    );
    out.push_str(
        "# HELP opentrail_consumer_lag_entries Durable entries a consumer has not yet processed.\n",
    );
    out.push_str("# TYPE opentrail_consumer_lag_entries gauge\n");
    for lag in log.consumer_lags() {
        let _ = writeln!(
            out,
            "opentrail_consumer_lag_entries{{consumer=\"{}\"}} {}",
            lag.name, lag.lag
        );
    }
    out
}

fn render_histogram(
    out: &mut String,
    name: &str,
    help: &str,
    histogram: &opentrail_eventlog::Histogram,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    let mut cumulative = 0;
    for (bound, count) in histogram.upper_bounds.iter().zip(&histogram.counts) {
        cumulative += count;
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"{}\"}} {cumulative}",
            *bound as f64 / 1e6
        );
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", histogram.count);
    let _ = writeln!(out, "{name}_sum {}", histogram.sum as f64 / 1e6);
    let _ = writeln!(out, "{name}_count {}", histogram.count);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_by_api_and_status() {
        let metrics = Metrics::default();
        metrics.count_request("cloudtrail", 200);
        metrics.count_request("cloudtrail", 200);
        metrics.count_request("s3", 404);
        let text = metrics.render("opentrail_extra 1\n");
        assert!(text.contains("opentrail_requests_total{api=\"cloudtrail\",status=\"200\"} 2\n"));
        assert!(text.contains("opentrail_requests_total{api=\"s3\",status=\"404\"} 1\n"));
        assert!(text.ends_with("opentrail_extra 1\n"));
    }
}
