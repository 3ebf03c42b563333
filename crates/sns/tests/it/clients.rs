//! The real clients end to end: boto3 and the aws CLI (from `OT_PYTHON`'s venv) talk to a small
//! HTTP front that hands decoded form parameters to [`SnsService::handle`] (no SigV4: that is
//! the server crate's job) and routes the SubscribeURL GET to
//! [`SnsService::confirm_by_token_unauthenticated`], while the delivery loop POSTs to a Python
//! subscriber. `py/clients.py` drives the scenario and prints `N passed, N failed`.

use std::net::SocketAddr;
use std::process::Command;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentrail_sns::{SnsCaller, SnsResponse, SnsService};
use tokio::net::TcpListener;

use crate::harness::{ACCOUNT, REGION, RunningDelivery, open, python, script};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_and_the_aws_cli_work_unmodified() {
    let dir = tempfile::tempdir().unwrap();
    let service = open(dir.path());
    let delivery = RunningDelivery::start(&service);
    let addr = serve(service.clone()).await;
    let endpoint = format!("http://{addr}");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(script("clients.py"))
            .arg(&endpoint)
            .output()
            .expect("run OT_PYTHON")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(" passed, 0 failed"),
        "clients failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    delivery.stop().await;
}

/// Serves the service on `127.0.0.1:0` until the test ends.
async fn serve(service: SnsService) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let handler = service_fn(move |request| answer(service.clone(), addr, request));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), handler)
                    .await;
            });
        }
    });
    addr
}

async fn answer(
    service: SnsService,
    addr: SocketAddr,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let is_get = request.method() == hyper::Method::GET;
    let body = request.into_body().collect().await?.to_bytes();
    let params: Vec<(String, String)> =
        form_urlencoded::parse(if is_get { query.as_bytes() } else { &body })
            .into_owned()
            .collect();
    let response = tokio::task::spawn_blocking(move || {
        if is_get {
            unauthenticated(&service, &params)
        } else {
            let caller = SnsCaller {
                account_id: ACCOUNT.to_owned(),
                region: REGION.to_owned(),
                request_id: uuid::Uuid::new_v4().to_string(),
                endpoint_base_url: format!("http://{addr}"),
            };
            service.handle(&caller, &params)
        }
    })
    .await
    .expect("handler");
    Ok(hyper::Response::builder()
        .status(response.status)
        .header("content-type", "text/xml")
        .header("x-amzn-requestid", response.request_id)
        .body(Full::new(Bytes::from(response.body)))
        .expect("response"))
}

/// The GET routes of SubscribeURL and UnsubscribeURL.
fn unauthenticated(service: &SnsService, params: &[(String, String)]) -> SnsResponse {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    match get("Action") {
        "Unsubscribe" => service.unsubscribe_unauthenticated(get("SubscriptionArn")),
        _ => service.confirm_by_token_unauthenticated(get("TopicArn"), get("Token")),
    }
}
