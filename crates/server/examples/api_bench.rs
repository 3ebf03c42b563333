//! Benchmark: a self-audited API call (CloudTrail GetTrail) with durability on, against the same
//! server's unauthenticated, unaudited `/health` in the same run, so the cost of SigV4 + the call +
//! the fsynced audit record is visible.
//!
//! Run: `cargo run --release -p opentrail-server --example api_bench -- [seconds] [connections...]`
//! The server runs in this process on 127.0.0.1:0 with a temporary data directory; clients are
//! hyper connections in the same process (this machine has 2 cores, so client and server share
//! them). A signed request is valid for 15 minutes and carries no nonce, so each connection replays
//! one signed request.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use opentrail_server::config::ServerConfig;
use opentrail_server::identity::RootCredentials;

const KEY: &str = "AKIABENCHMARK0000001";
const SECRET: &str = "bench-secret";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(5);
    let connections: Vec<usize> = if args.len() > 1 {
        args[1..].iter().filter_map(|s| s.parse().ok()).collect()
    } else {
        vec![1, 16, 64]
    };
    let data = tempfile::tempdir()?;
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse()?,
        data_dir: data.path().to_path_buf(),
        ..ServerConfig::default()
    };
    let root = RootCredentials {
        access_key_id: KEY.into(),
        secret_access_key: SECRET.into(),
        generated: false,
    };
    let server = opentrail_server::run(config, root).await?;
    let address = server.local_addr;
    prepare_trail(address).await?;
    println!("| request | connections | requests/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|");
    for &clients in &connections {
        for kind in [Kind::Health, Kind::GetTrail] {
            let (rate, p50, p99) =
                load(address, kind, clients, Duration::from_secs(seconds)).await?;
            println!(
                "| {} | {clients} | {rate:.0} | {p50:.2} | {p99:.2} |",
                kind.label()
            );
        }
    }
    server.shutdown().await?;
    Ok(())
}

#[derive(Clone, Copy)]
enum Kind {
    Health,
    GetTrail,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Health => "GET /health (no auth, no audit)",
            Kind::GetTrail => "GetTrail (SigV4 + fsynced audit record)",
        }
    }
}

fn signed(
    address: std::net::SocketAddr,
    operation: &str,
    body: &str,
) -> anyhow::Result<http::Request<Full<bytes::Bytes>>> {
    let request = http::Request::post(format!("http://{address}/"))
        .header("host", address.to_string())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("CloudTrail_20131101.{operation}"))
        .body(())?;
    let (mut parts, ()) = request.into_parts();
    let params = opentrail_sigv4::SigningParams {
        access_key_id: KEY,
        secret_access_key: SECRET,
        region: "us-east-1",
        service: "cloudtrail",
        time: chrono::Utc::now(),
    };
    opentrail_sigv4::sign_request(
        &mut parts,
        &opentrail_sigv4::sha256_hex(body.as_bytes()),
        &params,
    )?;
    Ok(http::Request::from_parts(
        parts,
        Full::new(bytes::Bytes::from(body.to_owned())),
    ))
}

fn request(
    address: std::net::SocketAddr,
    kind: Kind,
) -> anyhow::Result<http::Request<Full<bytes::Bytes>>> {
    match kind {
        Kind::Health => Ok(http::Request::get(format!("http://{address}/health"))
            .body(Full::new(bytes::Bytes::new()))?),
        Kind::GetTrail => signed(address, "GetTrail", r#"{"Name":"bench-trail"}"#),
    }
}

async fn prepare_trail(address: std::net::SocketAddr) -> anyhow::Result<()> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    // The trail needs a bucket whose policy lets CloudTrail write; create both through the real APIs.
    let bucket = "bench-trail-logs";
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    for (method, path, query, body) in [
        (http::Method::PUT, format!("/{bucket}"), "", String::new()),
        (http::Method::PUT, format!("/{bucket}"), "?policy", policy),
    ] {
        let uri = format!("http://{address}{path}{query}");
        let request = http::Request::builder()
            .method(method)
            .uri(&uri)
            .header("host", address.to_string())
            .body(())?;
        let (mut parts, ()) = request.into_parts();
        let params = opentrail_sigv4::SigningParams {
            access_key_id: KEY,
            secret_access_key: SECRET,
            region: "us-east-1",
            service: "s3",
            time: chrono::Utc::now(),
        };
        opentrail_sigv4::sign_request(
            &mut parts,
            &opentrail_sigv4::sha256_hex(body.as_bytes()),
            &params,
        )?;
        let response = client
            .request(http::Request::from_parts(
                parts,
                Full::new(bytes::Bytes::from(body)),
            ))
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{uri}: {}",
            response.status()
        );
    }
    let response = client
        .request(signed(
            address,
            "CreateTrail",
            &format!(r#"{{"Name":"bench-trail","S3BucketName":"{bucket}"}}"#),
        )?)
        .await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status.is_success(),
        "CreateTrail: {status} {}",
        String::from_utf8_lossy(&body)
    );
    Ok(())
}

async fn load(
    address: std::net::SocketAddr,
    kind: Kind,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(f64, f64, f64)> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let template = request(address, kind)?;
        tasks.push(tokio::spawn(async move {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .pool_max_idle_per_host(1)
                    .build_http();
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let (parts, body) = clone_request(&template);
                let response = client
                    .request(http::Request::from_parts(parts, body))
                    .await?;
                let status = response.status();
                response.into_body().collect().await?;
                anyhow::ensure!(status.is_success(), "status {status}");
                latencies.push(started.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    all.sort();
    let percentile =
        |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    Ok((
        all.len() as f64 / duration.as_secs_f64(),
        percentile(0.5),
        percentile(0.99),
    ))
}

fn clone_request(
    template: &http::Request<Full<bytes::Bytes>>,
) -> (http::request::Parts, Full<bytes::Bytes>) {
    let mut builder = http::Request::builder()
        .method(template.method().clone())
        .uri(template.uri().clone());
    for (name, value) in template.headers() {
        builder = builder.header(name, value);
    }
    let (parts, ()) = builder
        .body(())
        .expect("a copy of a valid request builds")
        .into_parts();
    (parts, template.body().clone())
}
