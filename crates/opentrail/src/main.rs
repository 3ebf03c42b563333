//! The `opentrail` binary: argument parsing and glue only. `serve` runs everything; the other
//! subcommands are clients of a running server (`ingest`) or operator tools over a data directory
//! (`log dump`). All behaviour lives in the library crates.

mod cli_client;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use opentrail_server::config::{FileConfig, ServerConfig, TlsFiles, parse_duration, parse_listen};
use opentrail_server::identity::resolve_root_credentials;

#[derive(Debug, Parser)]
#[command(
    name = "opentrail",
    version,
    about = "AWS CloudTrail as one self-hosted binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: every API on one port, with embedded defaults.
    Serve(ServeArgs),
    /// Send CloudTrail log files (.json, .json.gz, JSON lines) to a running server.
    Ingest(IngestArgs),
    /// Check a trail's log files and digests exactly as `aws cloudtrail validate-logs` does (same
    /// arguments, same output, same exit codes), faster; `--local-dir DIR` checks a local copy.
    #[command(name = "validate-logs", disable_help_flag = true)]
    ValidateLogs {
        /// The arguments of `aws cloudtrail validate-logs` (plus --local-dir, --public-keys, --workers)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Look up management events (LookupEvents) on a running server, newest first.
    Lookup(LookupArgs),
    /// Operator tools over the durable event log.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Data directory [default: ./opentrail-data]
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Listen address [default: 127.0.0.1:4580]
    #[arg(long)]
    listen: Option<String>,
    /// The default account id [default: 123456789012]
    #[arg(long)]
    account_id: Option<String>,
    /// The default region [default: us-east-1]
    #[arg(long)]
    region: Option<String>,
    /// TOML configuration file (accounts, principals, and any of these flags)
    #[arg(long)]
    config: Option<PathBuf>,
    /// How long a trail's log file stays open, e.g. 500ms, 5s [default: 5s]
    #[arg(long)]
    delivery_interval: Option<String>,
    /// Digest period, e.g. 10s, 1h [default: 1h]
    #[arg(long)]
    digest_interval: Option<String>,
    /// PEM certificate chain: serve HTTPS (needs --tls-key)
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Days of management events kept for LookupEvents [default: 90]
    #[arg(long)]
    history_retention_days: Option<u64>,
    /// Log format for operators: text or json
    #[arg(long, default_value = "text")]
    log_format: String,
}

#[derive(Debug, Args)]
struct IngestArgs {
    /// Files to send
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Server URL [default: $AWS_ENDPOINT_URL, else http://127.0.0.1:4580]
    #[arg(long)]
    endpoint: Option<String>,
}

#[derive(Debug, Args)]
struct LookupArgs {
    /// Server URL [default: $AWS_ENDPOINT_URL, else http://127.0.0.1:4580]
    #[arg(long)]
    endpoint: Option<String>,
    /// Filter on one attribute: EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
    /// EventSource or AccessKeyId, as KEY=VALUE (e.g. EventName=CreateTrail)
    #[arg(long, value_parser = parse_attribute)]
    attribute: Option<(String, String)>,
    /// Only events newer than this long ago, e.g. 30m, 2h, 7d
    #[arg(long, conflicts_with = "start_time")]
    since: Option<String>,
    /// Inclusive start, RFC 3339 (e.g. 2026-11-25T10:00:00Z)
    #[arg(long)]
    start_time: Option<chrono::DateTime<chrono::Utc>>,
    /// Inclusive end, RFC 3339
    #[arg(long)]
    end_time: Option<chrono::DateTime<chrono::Utc>>,
    /// Stop after this many events
    #[arg(long, default_value_t = 50)]
    max_events: usize,
    /// Print each event as a JSON line (the LookupEvents `Event` shape) instead of a table
    #[arg(long)]
    json: bool,
}

fn parse_attribute(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got \"{text}\""))
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Print every durable record as JSON lines: {"seq", "account", "source", "record"}
    Dump {
        /// Data directory [default: ./opentrail-data]
        #[arg(long, default_value = "./opentrail-data")]
        data_dir: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Ingest(args) => cli_client::ingest(&args.files, args.endpoint),
        Command::Log {
            command: LogCommand::Dump { data_dir },
        } => dump_log(&data_dir),
        Command::Lookup(args) => {
            let start = match &args.since {
                Some(since) => Some(cli_client::parse_since(since, chrono::Utc::now())?),
                None => args.start_time,
            };
            cli_client::lookup(&cli_client::LookupOptions {
                endpoint: args.endpoint,
                attribute: args.attribute,
                start,
                end: args.end_time,
                max_events: args.max_events,
                json: args.json,
            })
        }
        Command::ValidateLogs { args } => {
            let code = opentrail_validate::cli_main(
                &args,
                &|name| std::env::var(name).ok(),
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            );
            std::process::exit(code)
        }
    }
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init()
    } else {
        builder.init()
    }
}

fn server_config(args: &ServeArgs) -> anyhow::Result<ServerConfig> {
    let mut config = ServerConfig::default();
    if let Some(path) = &args.config {
        FileConfig::load(path)?.apply(&mut config)?;
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(listen) = &args.listen {
        config.listen = parse_listen(listen)?;
    }
    if let Some(account) = &args.account_id {
        config.account_id = account.clone();
    }
    if let Some(region) = &args.region {
        config.region = region.clone();
    }
    if let Some(text) = &args.delivery_interval {
        config.delivery_interval = parse_duration(text)?;
    }
    if let Some(text) = &args.digest_interval {
        config.digest_interval = parse_duration(text)?;
    }
    if let Some(days) = args.history_retention_days {
        config.history_retention = std::time::Duration::from_secs(days.saturating_mul(86_400));
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        });
    }
    config.validate()?;
    Ok(config)
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing(&args.log_format);
    let config = server_config(&args)?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let root = resolve_root_credentials(
        &config.data_dir,
        std::env::var("OPENTRAIL_ROOT_ACCESS_KEY_ID").ok(),
        std::env::var("OPENTRAIL_ROOT_SECRET_ACCESS_KEY").ok(),
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = opentrail_server::run(config.clone(), root.clone()).await?;
        print_banner(&config, &root, server.local_addr);
        wait_for_signal().await?;
        tracing::info!("shutting down: draining requests, then closing the event log");
        server.shutdown().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn print_banner(
    config: &ServerConfig,
    root: &opentrail_server::identity::RootCredentials,
    addr: std::net::SocketAddr,
) {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let source = if root.generated {
        "generated now and kept in the data directory (root-credentials.json, mode 0600)"
    } else {
        "from OPENTRAIL_ROOT_* or the data directory"
    };
    println!(
        "OpenTrail is listening on {scheme}://{addr} (data in {})",
        config.data_dir.display()
    );
    println!(
        "Root credentials for account {} are {source}. To use the aws CLI:",
        config.account_id
    );
    println!("export AWS_ENDPOINT_URL={scheme}://{addr}");
    println!("export AWS_ACCESS_KEY_ID={}", root.access_key_id);
    println!("export AWS_SECRET_ACCESS_KEY={}", root.secret_access_key);
    println!("export AWS_DEFAULT_REGION={}", config.region);
}

async fn wait_for_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

fn dump_log(data_dir: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write;
    let log_dir = data_dir.join("eventlog");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for entry in opentrail_eventlog::read_snapshot(&log_dir)
        .with_context(|| format!("reading the event log in {}", log_dir.display()))?
    {
        let (seq, payload) = entry?;
        let envelope = opentrail_record::Envelope::decode(&payload)?;
        let record = std::str::from_utf8(&envelope.record).context("record is not UTF-8")?;
        // The record is printed as stored, inside a small JSON wrapper. Raw line breaks can only be
        // insignificant whitespace in JSON, so flattening them keeps one record per line.
        let record = record.replace(['\n', '\r'], " ");
        let line = format!(
            "{{\"seq\":{},\"account\":{},\"source\":\"{:?}\",\"record\":{record}}}",
            seq.0,
            serde_json::Value::from(envelope.account_id),
            envelope.source
        );
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
