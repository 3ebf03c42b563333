//! Client subcommands that talk to a running server: they sign with the usual `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` (and `AWS_DEFAULT_REGION`/`AWS_REGION`) and find it at `--endpoint`, else
//! `AWS_ENDPOINT_URL`, else `http://127.0.0.1:4580`.
//!
//! Only plain-HTTP endpoints are supported by these clients today (the server itself can serve TLS).

use std::path::PathBuf;

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};

/// The default endpoint of a local server.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4580";

/// Credentials and endpoint taken from the environment and flags.
struct ClientSettings {
    endpoint: http::Uri,
    access_key_id: String,
    secret_access_key: String,
    region: String,
}

impl ClientSettings {
    fn from_env(endpoint: Option<String>) -> anyhow::Result<Self> {
        let endpoint = endpoint
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let endpoint: http::Uri = endpoint
            .parse()
            .with_context(|| format!("invalid endpoint {endpoint}"))?;
        if endpoint.scheme_str() != Some("http") {
            bail!("only http:// endpoints are supported by `opentrail ingest` (got {endpoint})");
        }
        let env = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
        Ok(Self {
            endpoint,
            access_key_id: env("AWS_ACCESS_KEY_ID")?,
            secret_access_key: env("AWS_SECRET_ACCESS_KEY")?,
            region: std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".to_owned()),
        })
    }
}

/// `opentrail ingest FILE...`: sends each file, prints what was accepted and every rejection, and
/// fails if any record was rejected.
pub fn ingest(files: &[PathBuf], endpoint: Option<String>) -> anyhow::Result<()> {
    let settings = ClientSettings::from_env(endpoint)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rejected_total = 0;
    let mut accepted_total = 0;
    for file in files {
        let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let summary = runtime.block_on(post_ingest(&settings, body))?;
        let accepted = summary["accepted"].as_u64().unwrap_or(0);
        let rejections = summary["rejected"].as_array().cloned().unwrap_or_default();
        accepted_total += accepted;
        rejected_total += rejections.len();
        println!(
            "{}: {accepted} accepted, {} rejected",
            file.display(),
            rejections.len()
        );
        for rejection in rejections {
            let id = rejection["eventId"]
                .as_str()
                .map(|id| format!(" (eventID {id})"))
                .unwrap_or_default();
            println!(
                "  record {}{id}: {}",
                rejection["index"],
                rejection["reason"].as_str().unwrap_or("")
            );
        }
    }
    println!("total: {accepted_total} accepted, {rejected_total} rejected");
    if rejected_total > 0 {
        bail!("{rejected_total} records were rejected");
    }
    Ok(())
}

async fn post_ingest(
    settings: &ClientSettings,
    body: Vec<u8>,
) -> anyhow::Result<serde_json::Value> {
    let uri: http::Uri = format!("{}ingest", with_trailing_slash(&settings.endpoint)).parse()?;
    let mut request = http::Request::post(uri.clone())
        .body(())
        .expect("a POST with no headers builds");
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    request
        .headers_mut()
        .insert(http::header::HOST, host.parse()?);
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/octet-stream"),
    );
    let signing = opentrail_sigv4::SigningParams {
        access_key_id: &settings.access_key_id,
        secret_access_key: &settings.secret_access_key,
        region: &settings.region,
        service: "opentrail",
        time: chrono::Utc::now(),
    };
    let (mut parts, ()) = request.into_parts();
    opentrail_sigv4::sign_request(&mut parts, &opentrail_sigv4::sha256_hex(&body), &signing)?;
    let request = http::Request::from_parts(parts, Full::new(bytes::Bytes::from(body)));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let response = client
        .request(request)
        .await
        .with_context(|| format!("sending to {uri}"))?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    let value: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "server answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    if !status.is_success() {
        bail!(
            "server answered {status}: {} {}",
            value["__type"],
            value["message"]
        );
    }
    Ok(value)
}

fn with_trailing_slash(endpoint: &http::Uri) -> String {
    let text = endpoint.to_string();
    if text.ends_with('/') {
        text
    } else {
        format!("{text}/")
    }
}
