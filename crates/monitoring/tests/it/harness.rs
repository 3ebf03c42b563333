//! Shared helpers: the Python interpreter with the real clients, a recording action sink, and
//! an HTTP front that hands every request to [`Monitoring::handle`] unsigned (SigV4 is the
//! server crate's job).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentrail_monitoring::{AlarmActionSink, Monitoring};
use tokio::net::TcpListener;

/// The account of every request.
pub const ACCOUNT: &str = "123456789012";
/// The region of every request.
pub const REGION: &str = "us-east-1";

/// One action handed to the sink.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The action ARN.
    pub action_arn: String,
    /// The subject.
    pub subject: String,
    /// The message.
    pub message: String,
}

/// Records every action.
#[derive(Debug, Default)]
pub struct RecordingSink {
    /// What was sent, in order.
    pub sent: Mutex<Vec<Sent>>,
}

impl AlarmActionSink for RecordingSink {
    fn alarm_action(
        &self,
        _account: &str,
        _region: &str,
        action_arn: &str,
        subject: &str,
        message: &str,
    ) {
        self.sent.lock().unwrap().push(Sent {
            action_arn: action_arn.into(),
            subject: subject.into(),
            message: message.into(),
        });
    }
}

/// The interpreter of a venv with awscli 1.46.3 and boto3 1.44.5, or a panic that says how to
/// make one.
pub fn python() -> PathBuf {
    let workspace_venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    let python = match std::env::var_os("OT_PYTHON") {
        Some(python) => PathBuf::from(python),
        None if workspace_venv.exists() => workspace_venv,
        None => panic!(
            "no Python with the aws CLI and boto3: set OT_PYTHON to a venv's python \
             (python3 -m venv /tmp/mvenv && /tmp/mvenv/bin/pip install awscli==1.46.3 boto3==1.44.5, \
             then OT_PYTHON=/tmp/mvenv/bin/python cargo test -p opentrail-monitoring), \
             or run scripts/test.sh, which creates ./.venv"
        ),
    };
    let probe = Command::new(&python)
        .args(["-c", "import awscli, boto3"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        probe.status.success(),
        "{} lacks the aws CLI or boto3 (pip install awscli==1.46.3 boto3==1.44.5): {}",
        python.display(),
        String::from_utf8_lossy(&probe.stderr)
    );
    python
}

/// A script of `py/`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/py")
        .join(name)
}

/// What the HTTP front saw.
#[derive(Debug, Default)]
pub struct FrontStats {
    /// Requests with a gzip body.
    pub gzip_requests: AtomicUsize,
}

/// Serves `service` on `127.0.0.1:0` until the test ends.
pub async fn serve(service: Monitoring, stats: Arc<FrontStats>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            let stats = stats.clone();
            tokio::spawn(async move {
                let handler =
                    service_fn(move |request| answer(service.clone(), stats.clone(), request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), handler)
                    .await;
            });
        }
    });
    addr
}

async fn answer(
    service: Monitoring,
    stats: Arc<FrontStats>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = request.into_parts();
    if parts
        .headers
        .get("content-encoding")
        .is_some_and(|v| v == "gzip")
    {
        stats.gzip_requests.fetch_add(1, Ordering::Relaxed);
    }
    let body = body.collect().await?.to_bytes();
    let response = service
        .handle(ACCOUNT, REGION, http::Request::from_parts(parts, body))
        .await;
    Ok(response.map(Full::new))
}
