//! The test front and the CLI runner.
//!
//! The front speaks just enough awsJson1.1 for botocore: `POST /` with `X-Amz-Target:
//! Logs_20140328.<Operation>`, a JSON body, and answers `200` with the JSON result or `400`
//! (`503` for service faults) with `{"__type", "message"}`. It checks no signature (that is the
//! server crate's job); the CLI signs with dummy credentials.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentrail_logs::{Logs, MetricPoint, MetricSink};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::runtime::Runtime;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "ap-northeast-1";

/// Records every datapoint the service emits.
#[derive(Debug, Default)]
pub struct RecordingSink {
    points: Mutex<Vec<MetricPoint>>,
}

impl RecordingSink {
    pub fn take(&self) -> Vec<MetricPoint> {
        std::mem::take(&mut *self.points.lock().unwrap())
    }
}

impl MetricSink for RecordingSink {
    fn put(&self, account_id: &str, region: &str, points: Vec<MetricPoint>) {
        assert_eq!((account_id, region), (ACCOUNT, REGION));
        self.points.lock().unwrap().extend(points);
    }
}

/// A running front with its service, data directory and runtime.
pub struct Front {
    pub endpoint: String,
    pub sink: Arc<RecordingSink>,
    pub dir: TempDir,
    _runtime: Runtime,
}

impl Front {
    /// Opens a service in a temp dir and serves it on a free loopback port.
    pub fn start() -> Front {
        let dir = tempfile::tempdir().unwrap();
        let sink = Arc::new(RecordingSink::default());
        let logs = Logs::open(dir.path(), sink.clone()).unwrap();
        let runtime = Runtime::new().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let app = Router::new().route("/", post(handle)).with_state(logs);
        runtime.spawn(async move { axum::serve(listener, app).await });
        Front {
            endpoint: format!("http://{address}"),
            sink,
            dir,
            _runtime: runtime,
        }
    }
}

async fn handle(State(logs): State<Logs>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let Some(operation) = target.strip_prefix("Logs_20140328.").map(str::to_owned) else {
        return error_response(
            "UnknownOperationException",
            &format!("Unknown target {target}"),
            false,
        );
    };
    let input: Value = match body.is_empty() {
        true => json!({}),
        false => match serde_json::from_slice(&body) {
            Ok(input) => input,
            Err(error) => {
                return error_response("SerializationException", &error.to_string(), false);
            }
        },
    };
    let answer =
        tokio::task::spawn_blocking(move || logs.call(ACCOUNT, REGION, &operation, &input))
            .await
            .unwrap();
    match answer {
        Ok(output) => json_response(StatusCode::OK, &output),
        Err(error) => error_response(error.code, &error.message, error.is_server_fault()),
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}

fn error_response(code: &str, message: &str, fault: bool) -> Response {
    let status = if fault {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::BAD_REQUEST
    };
    json_response(status, &json!({"__type": code, "message": message}))
}

/// Runs `python -m awscli` from the venv named by `OT_PYTHON` against a front.
pub struct Cli {
    python: PathBuf,
    endpoint: String,
    home: TempDir,
}

impl Cli {
    /// Fails the test with instructions when `OT_PYTHON` is unset or has no aws CLI.
    pub fn new(endpoint: &str) -> Cli {
        let python = std::env::var_os("OT_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
            panic!(
                "OT_PYTHON is not set. This test drives the real aws CLI: create a venv outside the repo \
                 (python3 -m venv /tmp/lvenv && /tmp/lvenv/bin/pip install awscli==1.46.3 boto3==1.44.5) \
                 and run OT_PYTHON=/tmp/lvenv/bin/python cargo test -p opentrail-logs"
            )
        });
        let cli = Cli {
            python,
            endpoint: endpoint.to_owned(),
            home: tempfile::tempdir().unwrap(),
        };
        let version = cli.command(&["--version"]).output();
        match version {
            Ok(output) if output.status.success() => cli,
            Ok(output) => panic!(
                "OT_PYTHON={} has no working aws CLI (python -m awscli --version failed): {}",
                cli.python.display(),
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => panic!("OT_PYTHON={} cannot be run: {error}", cli.python.display()),
        }
    }

    /// A file in the CLI's scratch directory, for `file://` arguments.
    pub fn write_file(&self, name: &str, contents: &str) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, contents).unwrap();
        format!("file://{}", path.display())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.python);
        command
            .args(["-m", "awscli"])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AWS_ACCESS_KEY_ID", "AKIDOPENTRAILTEST")
            .env("AWS_SECRET_ACCESS_KEY", "opentrail-test-secret")
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_CONFIG_FILE", self.home.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home.path().join("credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("PYTHONIOENCODING", "utf-8");
        command
    }

    /// Runs `aws logs <args>` against the front.
    pub fn logs(&self, args: &[&str]) -> Output {
        let mut full = vec![
            "--endpoint-url",
            self.endpoint.as_str(),
            "--output",
            "json",
            "logs",
        ];
        full.extend_from_slice(args);
        self.command(&full).output().expect("run the aws CLI")
    }

    /// The JSON output of a command that must succeed (`{}` when it prints nothing).
    pub fn ok(&self, args: &[&str]) -> Value {
        let output = self.logs(args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "aws logs {args:?} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        match stdout.trim() {
            "" => json!({}),
            text => serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("aws logs {args:?} printed non-JSON ({e}): {text}")),
        }
    }

    /// Asserts a command fails and its error names `code`; returns stderr.
    pub fn fails(&self, args: &[&str], code: &str) -> String {
        let output = self.logs(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !output.status.success(),
            "aws logs {args:?} should fail with {code}"
        );
        assert!(
            stderr.contains(&format!("({code})")),
            "aws logs {args:?}: expected {code}, got {stderr}"
        );
        stderr
    }
}
