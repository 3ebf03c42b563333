//! Shared helpers: a service on a temporary database, a caller, parameter building, and a
//! scripted HTTP subscriber on `127.0.0.1:0` that records every request it receives.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentrail_sns::{DeliveryConfig, SnsCaller, SnsResponse, SnsService};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The account of every call.
pub const ACCOUNT: &str = "123456789012";
/// The region of every call.
pub const REGION: &str = "us-east-1";
/// The base URL the service puts in SubscribeURL / UnsubscribeURL.
pub const BASE_URL: &str = "http://127.0.0.1:4580";

/// Fast retries so that tests finish quickly.
pub fn fast_delivery() -> DeliveryConfig {
    DeliveryConfig {
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        request_timeout: Duration::from_secs(5),
        ..DeliveryConfig::default()
    }
}

/// Opens the service on `dir/sns.sqlite`.
pub fn open(dir: &Path) -> SnsService {
    SnsService::open(&dir.join("sns.sqlite"), fast_delivery()).expect("open sns")
}

/// One request as the account above.
pub fn call(service: &SnsService, params: &[(&str, &str)]) -> SnsResponse {
    let caller = SnsCaller {
        account_id: ACCOUNT.to_owned(),
        region: REGION.to_owned(),
        request_id: "req-1".to_owned(),
        endpoint_base_url: BASE_URL.to_owned(),
    };
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    service.handle(&caller, &pairs)
}

/// Like [`call`], panicking unless the answer is 200.
pub fn ok(service: &SnsService, params: &[(&str, &str)]) -> String {
    let response = call(service, params);
    assert_eq!(response.status, 200, "{params:?}: {}", response.body);
    response.body
}

/// The text between `start` and `end` in `text`.
pub fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {text}"))
        + start.len();
    let to = text[from..].find(end).expect("end marker") + from;
    text[from..to].to_owned()
}

/// The delivery loop running in the background until dropped.
pub struct RunningDelivery {
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningDelivery {
    /// Starts `service.run_delivery` on a task.
    pub fn start(service: &SnsService) -> RunningDelivery {
        let cancel = CancellationToken::new();
        let service = service.clone();
        let token = cancel.clone();
        let task = tokio::spawn(async move { service.run_delivery(token).await });
        RunningDelivery {
            cancel,
            task: Some(task),
        }
    }

    /// Cancels the loop and waits for it to return.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("delivery loop stops")
                .expect("delivery loop did not panic");
        }
    }
}

impl Drop for RunningDelivery {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// One request the subscriber received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Path and query.
    pub path: String,
    /// Header name (lowercase) and value pairs.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
    /// The status the subscriber answered.
    pub answered: u16,
}

impl Received {
    /// The value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// An HTTP endpoint that answers the scripted statuses in order (200 once they run out).
pub struct Subscriber {
    /// Where it listens.
    pub addr: SocketAddr,
    received: mpsc::UnboundedReceiver<Received>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Subscriber {
    /// Starts listening on `127.0.0.1:0`.
    pub async fn start() -> Subscriber {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (sender, received) = mpsc::unbounded_channel();
        let statuses = Arc::new(Mutex::new(VecDeque::new()));
        tokio::spawn(accept_loop(listener, sender, statuses.clone()));
        Subscriber {
            addr,
            received,
            statuses,
        }
    }

    /// The URL to subscribe.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The next requests are answered with these statuses.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend(statuses);
    }

    /// The next request, waiting up to ten seconds.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("a delivery within 10 s")
            .expect("subscriber running")
    }

    /// Whether a request arrived (without waiting).
    pub fn try_next(&mut self) -> Option<Received> {
        self.received.try_recv().ok()
    }
}

async fn accept_loop(
    listener: TcpListener,
    sender: mpsc::UnboundedSender<Received>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let sender = sender.clone();
        let statuses = statuses.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let sender = sender.clone();
                let statuses = statuses.clone();
                async move {
                    let path = request.uri().to_string();
                    let headers = request
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    let body = request.into_body().collect().await?.to_bytes();
                    let answered = statuses.lock().unwrap().pop_front().unwrap_or(200);
                    let _ = sender.send(Received {
                        path,
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                        answered,
                    });
                    let response = hyper::Response::builder()
                        .status(answered)
                        .body(Full::new(Bytes::from_static(b"ok")))
                        .expect("response");
                    Ok::<_, hyper::Error>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Polls `condition` until it holds or ten seconds pass.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A script in `tests/it/py`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("it")
        .join("py")
        .join(name)
}

/// The interpreter named by `OT_PYTHON` (a venv with boto3 and the aws CLI).
pub fn python() -> PathBuf {
    match std::env::var_os("OT_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => panic!(
            "OT_PYTHON is not set. These tests drive botocore, boto3 and the aws CLI: create a venv outside \
             the repo (python3 -m venv /work/targets/sns-venv && /work/targets/sns-venv/bin/pip install boto3 awscli) \
             and run OT_PYTHON=/work/targets/sns-venv/bin/python cargo test -p opentrail-sns"
        ),
    }
}
