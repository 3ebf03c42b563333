//! Benchmark: S3 proxy mode against direct access to the same upstream, in one run, plus the rate at
//! which the data-event recording path (S3 call, SigV4, fsynced record) sustains small writes.
//!
//! Run: `cargo run --release -p opentrail-server --example proxy_bench -- [rounds]`
//! The upstream is a second OpenTrail server (its embedded S3, durable and audited like any S3 server
//! that fsyncs) in this process; the proxy is an OpenTrail server with `[[upstreams]] proxy = true`;
//! clients are hyper connections in this process. s3s-fs, the upstream of the integration tests, is not
//! used here: it answers every GET after a 40 ms Nagle/delayed-ACK stall (no TCP_NODELAY), which would
//! hide the proxy's cost. Direct and proxied rounds alternate and each figure is the median over the
//! rounds. This machine has 2 cores shared by client, proxy and upstream, so ratios matter more than
//! absolute numbers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentrail_server::config::{ServerConfig, UpstreamConfig};
use opentrail_server::identity::RootCredentials;
use opentrail_sigv4::SigningParams;

const KEY: &str = "AKIABENCHMARK0000001";
const SECRET: &str = "bench-secret";
const UPSTREAM_KEY: &str = "UPSTREAMKEY";
const UPSTREAM_SECRET: &str = "UPSTREAMSECRET";
const MIB: usize = 1024 * 1024;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Where requests go and how they are signed.
#[derive(Clone)]
struct Target {
    label: &'static str,
    address: SocketAddr,
    key: &'static str,
    secret: &'static str,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let upstream_data = tempfile::tempdir()?;
    let upstream_config = ServerConfig {
        listen: "127.0.0.1:0".parse()?,
        data_dir: upstream_data.path().to_path_buf(),
        ..ServerConfig::default()
    };
    let upstream_root = RootCredentials {
        access_key_id: UPSTREAM_KEY.into(),
        secret_access_key: UPSTREAM_SECRET.into(),
        generated: false,
    };
    let upstream = opentrail_server::run(upstream_config, upstream_root).await?;
    let upstream_address = upstream.local_addr;
    let data = tempfile::tempdir()?;
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse()?,
        data_dir: data.path().to_path_buf(),
        upstreams: vec![UpstreamConfig {
            endpoint: format!("http://{upstream_address}"),
            region: "us-east-1".into(),
            access_key_id: UPSTREAM_KEY.into(),
            secret_access_key: UPSTREAM_SECRET.into(),
            buckets: vec!["bench".into()],
            proxy: true,
            account_id: None,
        }],
        ..ServerConfig::default()
    };
    let root = RootCredentials {
        access_key_id: KEY.into(),
        secret_access_key: SECRET.into(),
        generated: false,
    };
    let server = opentrail_server::run(config, root).await?;
    let direct = Target {
        label: "direct",
        address: upstream_address,
        key: UPSTREAM_KEY,
        secret: UPSTREAM_SECRET,
    };
    let proxied = Target {
        label: "proxy",
        address: server.local_addr,
        key: KEY,
        secret: SECRET,
    };
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: HttpClient = Client::builder(TokioExecutor::new()).build(connector);
    create_bucket(&client, &direct, "bench").await?;
    let outcome = run_all(&client, &direct, &proxied, rounds).await;
    server.shutdown().await?;
    upstream.shutdown().await?;
    outcome
}

async fn run_all(
    client: &HttpClient,
    direct: &Target,
    proxied: &Target,
    rounds: usize,
) -> anyhow::Result<()> {
    println!("## Throughput (one connection, MiB/s, median of {rounds} alternating rounds)\n");
    println!(
        "| object | operation | direct | proxy | proxy / direct | CPU ms/MiB direct | CPU ms/MiB proxy |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (size, count) in [(MIB, 64), (64 * MIB, 3)] {
        for operation in ["PUT", "GET"] {
            let mut figures = [Vec::new(), Vec::new()];
            let mut cpu = [Vec::new(), Vec::new()];
            for _ in 0..rounds {
                for (slot, target) in [direct, proxied].into_iter().enumerate() {
                    let (rate, cpu_per_mib) =
                        throughput(client, target, operation, size, count).await?;
                    figures[slot].push(rate);
                    cpu[slot].push(cpu_per_mib);
                }
            }
            let (d, p) = (median(&mut figures[0]), median(&mut figures[1]));
            let (dc, pc) = (median(&mut cpu[0]), median(&mut cpu[1]));
            println!(
                "| {} MiB | {operation} | {d:.0} | {p:.0} | {:.1} % | {dc:.2} | {pc:.2} |",
                size / MIB,
                100.0 * p / d
            );
        }
    }
    println!("\n## Latency of 1 KiB objects (one connection, ms, median over rounds)\n");
    println!("| operation | direct p50 | proxy p50 | added p50 | direct p99 | proxy p99 |");
    println!("|---|---|---|---|---|---|");
    for operation in ["GET", "PUT"] {
        let mut figures = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for (slot, target) in [direct, proxied].into_iter().enumerate() {
                let (p50, p99) = latency(client, target, operation, 1000).await?;
                figures[slot * 2].push(p50);
                figures[slot * 2 + 1].push(p99);
            }
        }
        let [dp50, dp99, pp50, pp99] = figures.map(|mut values| median(&mut values));
        println!(
            "| {operation} | {dp50:.3} | {pp50:.3} | {:.3} | {dp99:.3} | {pp99:.3} |",
            pp50 - dp50
        );
    }
    println!("\n## Data events recorded per second (1 KiB PutObject, 16 connections, 5 s)\n");
    println!("| path | requests = durable data events / s |");
    println!("|---|---|");
    create_bucket(client, proxied, "embedded-bench").await?;
    let embedded = Target {
        label: "embedded bucket",
        ..proxied.clone()
    };
    for (target, bucket) in [(&embedded, "embedded-bench"), (proxied, "bench")] {
        let rate = write_rate(client, target, bucket, 16, Duration::from_secs(5)).await?;
        println!("| {} | {rate:.0} |", target.label);
    }
    Ok(())
}

fn signed(
    target: &Target,
    method: &str,
    path: &str,
    body: Bytes,
) -> anyhow::Result<http::Request<Full<Bytes>>> {
    let request = http::Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", target.address))
        .header("host", target.address.to_string())
        .body(())?;
    let (mut parts, ()) = request.into_parts();
    opentrail_sigv4::sign_request(
        &mut parts,
        opentrail_sigv4::UNSIGNED_PAYLOAD,
        &SigningParams {
            access_key_id: target.key,
            secret_access_key: target.secret,
            region: "us-east-1",
            service: "s3",
            time: chrono::Utc::now(),
        },
    )?;
    Ok(http::Request::from_parts(parts, Full::new(body)))
}

/// Sends one request and reads the whole answer; fails on a non-2xx status.
async fn send(client: &HttpClient, request: http::Request<Full<Bytes>>) -> anyhow::Result<usize> {
    let response = client.request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    anyhow::ensure!(
        status.is_success(),
        "status {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(body.len())
}

async fn create_bucket(client: &HttpClient, target: &Target, bucket: &str) -> anyhow::Result<()> {
    send(
        client,
        signed(target, "PUT", &format!("/{bucket}"), Bytes::new())?,
    )
    .await?;
    Ok(())
}

/// MiB/s of `count` sequential PUTs or GETs of `size`-byte objects, and the process CPU time (client,
/// proxy and upstream together) per MiB moved.
async fn throughput(
    client: &HttpClient,
    target: &Target,
    operation: &str,
    size: usize,
    count: usize,
) -> anyhow::Result<(f64, f64)> {
    let body = Bytes::from(vec![b'x'; size]);
    let key = |n: usize| format!("/bench/{}-{size}-{n}", target.label);
    if operation == "GET" {
        for n in 0..count {
            send(client, signed(target, "PUT", &key(n), body.clone())?).await?;
        }
    }
    let started = Instant::now();
    let cpu_before = process_cpu_ms();
    for n in 0..count {
        let request = if operation == "PUT" {
            signed(target, "PUT", &key(n), body.clone())?
        } else {
            signed(target, "GET", &key(n), Bytes::new())?
        };
        let received = send(client, request).await?;
        anyhow::ensure!(operation == "PUT" || received == size, "short GET");
    }
    let seconds = started.elapsed().as_secs_f64();
    let mebibytes = (size * count) as f64 / MIB as f64;
    Ok((
        mebibytes / seconds,
        (process_cpu_ms() - cpu_before) / mebibytes,
    ))
}

/// p50 and p99 in ms of `count` sequential 1 KiB GETs or PUTs.
async fn latency(
    client: &HttpClient,
    target: &Target,
    operation: &str,
    count: usize,
) -> anyhow::Result<(f64, f64)> {
    let body = Bytes::from(vec![b'y'; 1024]);
    let path = format!("/bench/{}-small", target.label);
    send(client, signed(target, "PUT", &path, body.clone())?).await?;
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let request = if operation == "GET" {
            signed(target, "GET", &path, Bytes::new())?
        } else {
            signed(target, "PUT", &path, body.clone())?
        };
        let started = Instant::now();
        send(client, request).await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    Ok((samples[count / 2], samples[count * 99 / 100]))
}

/// 1 KiB PUTs per second with `connections` concurrent clients.
async fn write_rate(
    client: &HttpClient,
    target: &Target,
    bucket: &str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for connection in 0..connections {
        let client = client.clone();
        let target = target.clone();
        let path = format!("/{bucket}/rate-{connection}");
        tasks.push(tokio::spawn(async move {
            let body = Bytes::from(vec![b'z'; 1024]);
            let mut done = 0u64;
            while Instant::now() < deadline {
                send(&client, signed(&target, "PUT", &path, body.clone())?).await?;
                done += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(total as f64 / duration.as_secs_f64())
}

/// CPU time (user + system, all threads) this process has used, in ms, from `/proc/self/stat`
/// (clock ticks of 10 ms; the runs measured are long enough for that).
fn process_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // fields after the name start at field 3 (state); utime is field 14, stime field 15
    (ticks(11) + ticks(12)) * 10.0
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
