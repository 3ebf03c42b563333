//! A test server around `S3Front`, a recording audit sink, two accounts, and the Python runner.
//!
//! The server counts every request it hands to the front, so tests can check that the audit sink got
//! exactly one record per request.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use futures::future::BoxFuture;
use opentrail_s3::{
    InMemoryCredentialStore, RequestContext, S3AuditSink, S3CallRecord, S3Config, S3Front,
};

/// Alice's account and keys.
pub const ALICE_ACCOUNT: &str = "111111111111";
pub const ALICE_KEY: &str = "AKIAALICE0000000001";
pub const ALICE_SECRET: &str = "alice-secret-key-0000000000000000000001";
/// Bob's account (another tenant) and keys.
pub const BOB_ACCOUNT: &str = "222222222222";
pub const BOB_KEY: &str = "AKIABOB00000000000002";
pub const BOB_SECRET: &str = "bob-secret-key-000000000000000000000002";
/// The base domain for virtual-hosted-style requests.
pub const VIRTUAL_HOST_DOMAIN: &str = "s3.test.internal";

/// An audit sink that keeps records in memory.
#[derive(Debug, Default)]
pub struct RecordingSink {
    records: Mutex<Vec<(S3CallRecord, RequestContext)>>,
}

impl RecordingSink {
    /// All records so far.
    pub fn records(&self) -> Vec<S3CallRecord> {
        self.records
            .lock()
            .unwrap()
            .iter()
            .map(|(record, _)| record.clone())
            .collect()
    }
}

impl S3AuditSink for RecordingSink {
    fn record(
        &self,
        call: S3CallRecord,
        ctx: &RequestContext,
    ) -> BoxFuture<'_, Result<(), String>> {
        let ctx = ctx.clone();
        Box::pin(async move {
            self.records.lock().unwrap().push((call, ctx));
            Ok(())
        })
    }
}

struct AppState {
    front: S3Front,
    requests: AtomicU64,
}

/// A running server with its data directory.
pub struct TestServer {
    pub endpoint: String,
    pub sink: Arc<RecordingSink>,
    state: Arc<AppState>,
    pub workdir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 with alice and bob as principals.
    pub async fn start() -> Self {
        let workdir = tempfile::tempdir().unwrap();
        let credentials = Arc::new(InMemoryCredentialStore::new());
        credentials.insert(
            InMemoryCredentialStore::root_principal(ALICE_ACCOUNT, ALICE_KEY),
            ALICE_SECRET,
        );
        credentials.insert(
            InMemoryCredentialStore::root_principal(BOB_ACCOUNT, BOB_KEY),
            BOB_SECRET,
        );
        let sink = Arc::new(RecordingSink::default());
        let config = S3Config {
            virtual_host_domains: vec![VIRTUAL_HOST_DOMAIN.to_owned()],
            ..S3Config::default()
        };
        let front = S3Front::open(
            &workdir.path().join("s3"),
            config,
            credentials,
            sink.clone(),
        )
        .unwrap();
        let state = Arc::new(AppState {
            front,
            requests: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        // Without TCP_NODELAY a streamed GET body waits on the client's delayed ACK (~40 ms per GET).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self {
            endpoint: format!("http://{address}"),
            sink,
            state,
            workdir,
        }
    }

    /// How many requests reached the front.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The front, for in-process checks.
    pub fn front(&self) -> &S3Front {
        &self.state.front
    }

    /// Runs `py/<script>` with `OT_PYTHON`, panicking with its output when it fails.
    pub async fn run_python(&self, script: &str) {
        let python = python();
        let script_path = scripts_dir().join(script);
        let scratch = self.workdir.path().join("client");
        std::fs::create_dir_all(&scratch).unwrap();
        let mut command = Command::new(&python);
        command
            .arg(&script_path)
            .env("OT_ENDPOINT", &self.endpoint)
            .env("OT_ALICE_KEY", ALICE_KEY)
            .env("OT_ALICE_SECRET", ALICE_SECRET)
            .env("OT_BOB_KEY", BOB_KEY)
            .env("OT_BOB_SECRET", BOB_SECRET)
            .env("OT_VHOST_DOMAIN", VIRTUAL_HOST_DOMAIN)
            .env("OT_WORKDIR", &scratch)
            .env("PYTHONPATH", scripts_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1");
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .unwrap_or_else(|error| panic!("could not run {python:?} {script_path:?}: {error}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "scenario {script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            output.status
        );
    }

    /// Polls (deadline 10 s) until a record for `key` arrives; for calls whose client went away.
    pub async fn wait_for_record(&self, key: &str) -> S3CallRecord {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(record) = self
                .sink
                .records()
                .into_iter()
                .find(|r| r.key.as_deref() == Some(key))
            {
                return record;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no audit record for {key} within 10 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Checks that every request got exactly one audit record, with distinct request ids.
    pub fn assert_one_record_per_request(&self) -> Vec<S3CallRecord> {
        let records = self.sink.records();
        if std::env::var_os("OT_DUMP_RECORDS").is_some() {
            for record in &records {
                eprintln!("{record:?}");
            }
        }
        assert_eq!(
            records.len() as u64,
            self.requests(),
            "one audit record per request"
        );
        let mut ids: Vec<&str> = records
            .iter()
            .map(|record| record.request_id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), records.len(), "request ids are unique");
        records
    }
}

async fn serve(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Response {
    let count = state.requests.fetch_add(1, Ordering::SeqCst);
    let context = RequestContext {
        request_id: format!("TESTREQ{count:09}"),
        source_ip: peer.ip(),
        user_agent: request
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        tls: None,
        host: request
            .headers()
            .get(http::header::HOST)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
    };
    request.extensions_mut().insert(context);
    state.front.handle(request).await
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("it")
        .join("py")
}

fn python() -> PathBuf {
    match std::env::var_os("OT_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => panic!(
            "OT_PYTHON is not set. These tests drive the real aws CLI and boto3: create a venv outside the repo \
             (python3 -m venv /work/targets/s3-venv && /work/targets/s3-venv/bin/pip install awscli boto3) and run \
             OT_PYTHON=/work/targets/s3-venv/bin/python cargo test -p opentrail-s3"
        ),
    }
}

/// The records of one operation.
pub fn of<'a>(records: &'a [S3CallRecord], operation: &str) -> Vec<&'a S3CallRecord> {
    records
        .iter()
        .filter(|record| record.operation == operation)
        .collect()
}

/// The record with `operation` and `error_code`, panicking with the list when there is none.
pub fn failed<'a>(
    records: &'a [S3CallRecord],
    operation: &str,
    error_code: &str,
) -> &'a S3CallRecord {
    records
        .iter()
        .find(|record| {
            record.operation == operation && record.error_code.as_deref() == Some(error_code)
        })
        .unwrap_or_else(|| {
            let seen: Vec<_> = records
                .iter()
                .map(|r| (r.operation, r.error_code.clone()))
                .collect();
            panic!("no {operation} record with {error_code}; saw {seen:?}")
        })
}
