//! Benchmark of `opentrail validate-logs`: generates about N MB of gzipped CloudTrail log files
//! (real records from the corpus, cycled) with an hourly signed digest chain in a local directory,
//! then times `run()` on it — with `LocalDirSource`, and over HTTP (`HttpSource` against a loopback
//! S3/CloudTrail stand-in). When `OT_PYTHON` names a Python with awscli 1.46.3, the real
//! `aws cloudtrail validate-logs` is timed on the same endpoint and its output compared with ours.
//!
//! ```text
//! cargo run --release -p opentrail-validate --example validate_bench -- [--mb 1024] [--dir DIR] [--workers N] [--skip-cli]
//! ```
//! Environment: `OT_CORPUS` (default `/work/shared/corpus/real`), `OT_PYTHON`.
//! It measures; it does not assert speed.

#[path = "../tests/it/fake_aws.rs"]
mod fake_aws;
#[path = "../tests/it/fixture.rs"]
mod fixture;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use fake_aws::{FakeAws, FakeConfig};
use fixture::{BucketWriter, TestKey, TrailSpec, gzip, synthetic_records};
use opentrail_validate::{
    LocalDirSource, RunOptions, ValidateArgs, cli_main, read_public_keys_file, run_with_options,
};

/// Uncompressed size of one log file; with real records it gzips to roughly a tenth.
const LOG_BYTES: usize = 8 * 1024 * 1024;
/// Distinct log bodies (files repeat them under different keys, which validation cannot tell).
const DISTINCT_BODIES: usize = 12;
/// Log files listed by each hourly digest.
const LOGS_PER_DIGEST: usize = 12;

struct Options {
    megabytes: usize,
    dir: Option<PathBuf>,
    workers: Option<usize>,
    skip_cli: bool,
}

fn options() -> Options {
    let mut options = Options {
        megabytes: 1024,
        dir: None,
        workers: None,
        skip_cli: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--mb" => options.megabytes = args.next().and_then(|v| v.parse().ok()).expect("--mb N"),
            "--dir" => options.dir = args.next().map(PathBuf::from),
            "--workers" => options.workers = args.next().and_then(|v| v.parse().ok()),
            "--skip-cli" => options.skip_cli = true,
            other => panic!("unknown flag {other}"),
        }
    }
    options
}

/// Corpus records, or synthetic ones when the corpus is absent.
fn records() -> Vec<String> {
    let corpus =
        std::env::var("OT_CORPUS").unwrap_or_else(|_| "/work/shared/corpus/real".to_owned());
    let mut lines = Vec::new();
    for set in ["invictus-aws-dataset", "stratus-red-team-detonation-logs"] {
        if let Ok(text) = fs::read_to_string(Path::new(&corpus).join(set).join("records.jsonl")) {
            lines.extend(
                text.lines()
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    if lines.is_empty() {
        eprintln!("corpus not found under {corpus}; using synthetic records");
        lines = synthetic_records(4000, 1);
    }
    lines
}

/// `DISTINCT_BODIES` gzipped bodies with their uncompressed SHA-256.
fn log_bodies(records: &[String]) -> Vec<(Vec<u8>, String)> {
    let mut cursor = 0;
    (0..DISTINCT_BODIES)
        .map(|_| {
            let mut body = String::from("{\"Records\":[");
            while body.len() < LOG_BYTES {
                if !body.ends_with('[') {
                    body.push(',');
                }
                body.push_str(&records[cursor % records.len()]);
                cursor += 1;
            }
            body.push_str("]}");
            (
                gzip(body.as_bytes()),
                hex::encode(Sha256::digest(body.as_bytes())),
            )
        })
        .collect()
}

struct Generated {
    root: PathBuf,
    keys_file: PathBuf,
    trail: TrailSpec,
    files: usize,
    bytes: u64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

fn generate(base: &Path, megabytes: usize, key: &TestKey) -> Generated {
    let bodies = log_bodies(&records());
    let average = bodies.iter().map(|(gz, _)| gz.len()).sum::<usize>() / bodies.len();
    let files = (megabytes * 1024 * 1024).div_ceil(average).max(1);
    let trail = TrailSpec::standard();
    let root = base.join("bucket");
    let mut writer = BucketWriter::new(&root, trail.clone(), key);
    let start: DateTime<Utc> = "2024-05-01T00:00:31Z".parse().expect("time");
    let (mut written, mut bytes, mut hour) = (0, 0u64, 0);
    while written < files {
        let digest_start = start + Duration::hours(hour);
        let count = LOGS_PER_DIGEST.min(files - written);
        let entries = (0..count)
            .map(|index| {
                let (gz, hash) = &bodies[(written + index) % bodies.len()];
                bytes += gz.len() as u64;
                let delivered = digest_start + Duration::minutes(2 + 4 * index as i64);
                writer.write_log_bytes(delivered, &format!("{:016}", written + index), gz, hash)
            })
            .collect();
        writer.write_digest(digest_start, digest_start + Duration::hours(1), entries);
        written += count;
        hour += 1;
    }
    let keys_file = base.join("public-keys.json");
    BucketWriter::write_public_keys_file(&keys_file, &[key]);
    Generated {
        root,
        keys_file,
        trail,
        files,
        bytes,
        start: start - Duration::minutes(1),
        end: start + Duration::hours(hour) + Duration::minutes(1),
    }
}

fn argv(generated: &Generated) -> Vec<String> {
    let time = |value: DateTime<Utc>| value.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    vec![
        "--trail-arn".to_owned(),
        generated.trail.arn(),
        "--start-time".to_owned(),
        time(generated.start),
        "--end-time".to_owned(),
        time(generated.end),
    ]
}

struct Measured {
    seconds: f64,
    stdout: String,
    stderr: String,
    code: i32,
}

fn time_local(generated: &Generated, workers: Option<usize>) -> Measured {
    let keys = read_public_keys_file(&generated.keys_file).expect("keys");
    let source = LocalDirSource::new(Some(generated.trail.bucket.clone()), &generated.root)
        .expect("source")
        .with_public_keys(keys);
    let args = ValidateArgs {
        trail_arn: generated.trail.arn(),
        start_time: generated.start,
        end_time: Some(generated.end),
        s3_bucket: Some(generated.trail.bucket.clone()),
        s3_prefix: generated.trail.prefix.clone(),
        account_id: None,
        verbose: false,
        region: None,
    };
    let options = workers.map_or_else(RunOptions::default, |workers| RunOptions { workers });
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let began = Instant::now();
    let code = run_with_options(&args, &source, &options, &mut out, &mut err);
    measured(began, out, err, code)
}

fn measured(began: Instant, out: Vec<u8>, err: Vec<u8>, code: i32) -> Measured {
    Measured {
        seconds: began.elapsed().as_secs_f64(),
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        code,
    }
}

fn environment(server: &FakeAws, base: &Path) -> HashMap<String, String> {
    let absent = base.join("absent").display().to_string();
    [
        ("AWS_ENDPOINT_URL", server.url.clone()),
        ("AWS_ACCESS_KEY_ID", "AKIDBENCH".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "bench-secret".to_owned()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
        ("AWS_CONFIG_FILE", absent.clone()),
        ("AWS_SHARED_CREDENTIALS_FILE", absent),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("HOME", base.display().to_string()),
        ("PATH", std::env::var("PATH").unwrap_or_default()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

fn time_http(
    env: &HashMap<String, String>,
    generated: &Generated,
    workers: Option<usize>,
) -> Measured {
    let mut args = argv(generated);
    if let Some(workers) = workers {
        args.extend(["--workers".to_owned(), workers.to_string()]);
    }
    let lookup = |name: &str| env.get(name).cloned();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let began = Instant::now();
    let code = cli_main(&args, &lookup, &mut out, &mut err);
    measured(began, out, err, code)
}

fn time_aws_cli(env: &HashMap<String, String>, generated: &Generated, python: &str) -> Measured {
    let began = Instant::now();
    let output = Command::new(python)
        .args(["-m", "awscli", "cloudtrail", "validate-logs"])
        .args(argv(generated))
        .env_clear()
        .envs(env)
        .output()
        .expect("run the aws CLI");
    measured(
        began,
        output.stdout,
        output.stderr,
        output.status.code().unwrap_or(-1),
    )
}

fn report(label: &str, run: &Measured, generated: &Generated) {
    let megabytes = generated.bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{label:<34} {:>8.2} s {:>9.1} MB/s (gz) {:>8.1} files/s  exit {}",
        run.seconds,
        megabytes / run.seconds,
        generated.files as f64 / run.seconds,
        run.code
    );
}

fn main() {
    let options = options();
    let scratch = tempfile::tempdir().expect("tempdir");
    let base = options
        .dir
        .clone()
        .unwrap_or_else(|| scratch.path().to_path_buf());
    fs::create_dir_all(&base).expect("bench dir");
    let key = TestKey::generate();
    let began = Instant::now();
    let generated = generate(&base, options.megabytes, &key);
    println!(
        "generated {} log files, {:.1} MB gzipped, in {:.1} s under {}",
        generated.files,
        generated.bytes as f64 / (1024.0 * 1024.0),
        began.elapsed().as_secs_f64(),
        base.display()
    );
    let local = time_local(&generated, options.workers);
    report("opentrail run() --local-dir", &local, &generated);
    let server = FakeAws::start(FakeConfig {
        bucket: generated.trail.bucket.clone(),
        root: generated.root.clone(),
        trails: json!([generated.trail.trail_json()]),
        public_keys: json!([key.public_key_json()]),
        page_size: 1000,
        failures: HashMap::new(),
    });
    let env = environment(&server, &base);
    let http = time_http(&env, &generated, options.workers);
    report("opentrail validate-logs (HTTP)", &http, &generated);
    assert_eq!(
        (local.code, http.code),
        (0, 0),
        "{}{}",
        local.stderr,
        http.stderr
    );
    let python = std::env::var("OT_PYTHON")
        .ok()
        .filter(|_| !options.skip_cli);
    let Some(python) = python else {
        println!("aws CLI not timed (set OT_PYTHON to a python with awscli 1.46.3)");
        return;
    };
    let cli = time_aws_cli(&env, &generated, &python);
    report("aws cloudtrail validate-logs (HTTP)", &cli, &generated);
    let same = (
        cli.stdout == http.stdout,
        cli.stderr == http.stderr,
        cli.code == http.code,
    );
    println!(
        "speed-up: {:.1}x over HTTP, {:.1}x local; outputs identical: {}",
        cli.seconds / http.seconds,
        cli.seconds / local.seconds,
        same == (true, true, true)
    );
}
