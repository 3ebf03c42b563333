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
    send_signed(
        settings,
        "opentrail",
        uri,
        &[("content-type", "application/octet-stream")],
        body,
    )
    .await
}

/// Signs a POST with SigV4 for `service`, sends it, and returns the JSON answer, or the AWS error
/// (`__type` and `message`) as an error.
async fn send_signed(
    settings: &ClientSettings,
    service: &str,
    uri: http::Uri,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> anyhow::Result<serde_json::Value> {
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let mut builder = http::Request::post(uri.clone()).header(http::header::HOST, host);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let (mut parts, ()) = builder.body(())?.into_parts();
    let signing = opentrail_sigv4::SigningParams {
        access_key_id: &settings.access_key_id,
        secret_access_key: &settings.secret_access_key,
        region: &settings.region,
        service,
        time: chrono::Utc::now(),
    };
    opentrail_sigv4::sign_request(&mut parts, &opentrail_sigv4::sha256_hex(&body), &signing)?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let response = client
        .request(http::Request::from_parts(
            parts,
            Full::new(bytes::Bytes::from(body)),
        ))
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
            "{}: {}",
            value["__type"].as_str().unwrap_or("error"),
            value["message"].as_str().unwrap_or("")
        );
    }
    Ok(value)
}

/// `opentrail lookup`: LookupEvents through a running server, following NextToken, printed as a
/// table (or JSON lines of the raw `Event` objects with `--json`).
pub fn lookup(options: &LookupOptions) -> anyhow::Result<()> {
    let settings = ClientSettings::from_env(options.endpoint.clone())?;
    let mut input = serde_json::Map::new();
    if let Some((key, value)) = &options.attribute {
        input.insert(
            "LookupAttributes".into(),
            serde_json::json!([{"AttributeKey": key, "AttributeValue": value}]),
        );
    }
    if let Some(start) = options.start {
        input.insert("StartTime".into(), serde_json::json!(start.timestamp()));
    }
    if let Some(end) = options.end {
        input.insert("EndTime".into(), serde_json::json!(end.timestamp()));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut printed = 0usize;
    if !options.json {
        println!(
            "{:<20}  {:<32}  {:<20}  {:<28}  {:<5}  EventId",
            "EventTime", "EventName", "Username", "EventSource", "RO"
        );
    }
    loop {
        let page = runtime.block_on(call_json(
            &settings,
            "cloudtrail",
            "CloudTrail_20131101.LookupEvents",
            &serde_json::Value::Object(input.clone()),
        ))?;
        for event in page["Events"].as_array().into_iter().flatten() {
            if printed == options.max_events {
                return Ok(());
            }
            print_event(event, options.json);
            printed += 1;
        }
        match page["NextToken"].as_str() {
            Some(token) => {
                input.insert("NextToken".into(), serde_json::json!(token));
            }
            None => return Ok(()),
        }
    }
}

fn print_event(event: &serde_json::Value, json: bool) {
    if json {
        println!("{event}");
        return;
    }
    let time = event["EventTime"]
        .as_f64()
        .and_then(|seconds| chrono::DateTime::from_timestamp(seconds as i64, 0))
        .map(|time| time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let text = |name: &str| event[name].as_str().unwrap_or("-").to_owned();
    println!(
        "{time:<20}  {:<32}  {:<20}  {:<28}  {:<5}  {}",
        text("EventName"),
        text("Username"),
        text("EventSource"),
        text("ReadOnly"),
        text("EventId")
    );
}

/// What `opentrail lookup` asks for.
#[derive(Debug, Clone)]
pub struct LookupOptions {
    /// Server URL override.
    pub endpoint: Option<String>,
    /// One `AttributeKey=AttributeValue` filter.
    pub attribute: Option<(String, String)>,
    /// Inclusive start.
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// Inclusive end.
    pub end: Option<chrono::DateTime<chrono::Utc>>,
    /// Stop after this many events.
    pub max_events: usize,
    /// Print raw events as JSON lines.
    pub json: bool,
}

/// One signed awsJson1.1 call; returns the parsed body or the AWS error as an error.
async fn call_json(
    settings: &ClientSettings,
    service: &str,
    target: &str,
    input: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let uri: http::Uri = with_trailing_slash(&settings.endpoint).parse()?;
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target),
    ];
    send_signed(settings, service, uri, &headers, serde_json::to_vec(input)?).await
}

/// Parses `--since` values such as `30m`, `2h`, `7d`.
pub fn parse_since(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let duration = opentrail_server::config::parse_duration(text)?;
    Ok(now - chrono::Duration::from_std(duration)?)
}

fn with_trailing_slash(endpoint: &http::Uri) -> String {
    let text = endpoint.to_string();
    if text.ends_with('/') {
        text
    } else {
        format!("{text}/")
    }
}
