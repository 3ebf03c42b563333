//! The command line of `opentrail validate-logs`, accepted and rejected like `aws cloudtrail
//! validate-logs` accepts and rejects it: the same options (with argparse's unique-prefix
//! abbreviations), the same global options, the same usage errors (exit 2), "Unknown options"
//! (exit 255), date and range errors, Region and endpoint errors, in the CLI's order.
//!
//! Three options exist only here: `--local-dir DIR` (validate a local copy of the bucket),
//! `--public-keys FILE` (keys in `aws cloudtrail list-public-keys` JSON) and `--workers N`.
//! This module only parses and wires; the validation is [`crate::run`].

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;

use crate::date::parse_date_text;
use crate::error::ValidateError;
use crate::http_source::{HttpSource, HttpSourceConfig};
use crate::local_source::{LocalDirSource, read_public_keys_file};
use crate::run::{RunOptions, ValidateArgs, run_with_options};
use crate::source::Source;

/// Global options of the aws CLI (v1): (name, takes a value).
const GLOBAL_OPTIONS: [(&str, bool); 15] = [
    ("debug", false),
    ("endpoint-url", true),
    ("no-verify-ssl", false),
    ("no-paginate", false),
    ("output", true),
    ("query", true),
    ("profile", true),
    ("region", true),
    ("version", false),
    ("color", true),
    ("no-sign-request", false),
    ("ca-bundle", true),
    ("cli-read-timeout", true),
    ("cli-connect-timeout", true),
    ("v2-debug", false),
];

/// Options of `validate-logs` (the last three are OpenTrail's own): (name, takes a value).
const COMMAND_OPTIONS: [(&str, bool); 10] = [
    ("trail-arn", true),
    ("start-time", true),
    ("end-time", true),
    ("s3-bucket", true),
    ("s3-prefix", true),
    ("account-id", true),
    ("verbose", false),
    ("local-dir", true),
    ("public-keys", true),
    ("workers", true),
];

/// What argparse prints before `aws: error: ...` (awscli 1.46.3, byte for byte).
const USAGE: &str = "usage: \rNote: AWS CLI version 2, the latest major version of the AWS CLI, is now stable and recommended for general use. For more information, see the AWS CLI version 2 installation instructions at: https://docs.aws.amazon.com/cli/latest/userguide/install-cliv2.html\n\nusage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\nTo see help text, you can run:\n\n  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n";

/// The parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// Option values by name (last occurrence wins); flags map to an empty string.
    values: Vec<(String, String)>,
    /// Tokens no parser claimed.
    unknown: Vec<String>,
}

impl CommandLine {
    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(option, _)| option == name)
            .map(|(_, value)| value.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// An argparse-level rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgvError {
    /// `aws: error: <text>` after the usage text, exit 2.
    Usage(String),
    /// `Unknown options: a,b`, exit 255.
    Unknown(Vec<String>),
}

/// Parses the arguments that follow `validate-logs`: global options first (the aws CLI's main
/// parser sees every token before the command's parser does), then the command's options.
pub fn parse_command_line(argv: &[String]) -> Result<CommandLine, ArgvError> {
    let mut parsed = CommandLine::default();
    let rest = scan(argv, &GLOBAL_OPTIONS, &mut parsed)?;
    finish_command_line(&rest, parsed)
}

/// The command parser's pass over what the main parser left, then the required and unknown checks.
fn finish_command_line(rest: &[String], mut parsed: CommandLine) -> Result<CommandLine, ArgvError> {
    parsed.unknown = scan(rest, &COMMAND_OPTIONS, &mut parsed)?;
    let missing: Vec<&str> = ["--trail-arn", "--start-time"]
        .into_iter()
        .filter(|flag| !parsed.has(&flag[2..]))
        .collect();
    if !missing.is_empty() {
        return Err(ArgvError::Usage(format!(
            "the following arguments are required: {}",
            missing.join(", ")
        )));
    }
    if !parsed.unknown.is_empty() {
        return Err(ArgvError::Unknown(parsed.unknown));
    }
    Ok(parsed)
}

/// One argparse pass with `options`: records their values, returns the tokens it did not claim.
fn scan(
    argv: &[String],
    options: &[(&'static str, bool)],
    parsed: &mut CommandLine,
) -> Result<Vec<String>, ArgvError> {
    let mut unclaimed = Vec::new();
    let mut index = 0;
    while index < argv.len() {
        let token = &argv[index];
        index += 1;
        let Some(body) = token.strip_prefix("--").filter(|body| !body.is_empty()) else {
            unclaimed.push(token.clone());
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (body, None),
        };
        let Some((full_name, takes_value)) = resolve(name, options)? else {
            unclaimed.push(token.clone());
            continue;
        };
        let value = match (takes_value, inline) {
            (false, Some(extra)) => {
                return Err(ArgvError::Usage(format!(
                    "argument --{full_name}: ignored explicit argument '{extra}'"
                )));
            }
            (false, None) => String::new(),
            (true, Some(value)) => value,
            (true, None) => match argv.get(index).filter(|next| !looks_like_option(next)) {
                Some(next) => {
                    index += 1;
                    next.clone()
                }
                None => {
                    return Err(ArgvError::Usage(format!(
                        "argument --{full_name}: expected one argument"
                    )));
                }
            },
        };
        parsed.values.push((full_name.to_owned(), value));
    }
    Ok(unclaimed)
}

/// Exact name, else argparse's unique-prefix match; several prefix matches are an error.
fn resolve(
    name: &str,
    options: &[(&'static str, bool)],
) -> Result<Option<(&'static str, bool)>, ArgvError> {
    if let Some(exact) = options.iter().find(|(option, _)| *option == name) {
        return Ok(Some(*exact));
    }
    let matches: Vec<&(&str, bool)> = options
        .iter()
        .filter(|(option, _)| option.starts_with(name))
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [single] => Ok(Some(**single)),
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|(option, _)| format!("--{option}"))
                .collect();
            Err(ArgvError::Usage(format!(
                "ambiguous option: --{name} could match {}",
                names.join(", ")
            )))
        }
    }
}

/// argparse: `-x`/`--x` are options, `-5` and `-` are values.
fn looks_like_option(token: &str) -> bool {
    let Some(rest) = token.strip_prefix('-') else {
        return false;
    };
    !rest.is_empty() && rest.parse::<f64>().is_err()
}

/// `opentrail validate-logs ARGS`: parses, validates and runs; returns the exit code.
pub fn cli_main(
    argv: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match prepare(argv, env) {
        Ok(prepared) => run_with_options(
            &prepared.args,
            prepared.source.as_ref(),
            &prepared.options,
            out,
            err,
        ),
        Err(Exit { stderr, code }) => {
            let _ = err.write_all(stderr.as_bytes()).and_then(|()| err.flush());
            code
        }
    }
}

fn argv_exit(error: ArgvError) -> Exit {
    match error {
        ArgvError::Usage(text) => Exit {
            stderr: format!("{USAGE}aws: error: {text}\n"),
            code: 2,
        },
        ArgvError::Unknown(tokens) => {
            Exit::exception(format!("Unknown options: {}", tokens.join(",")))
        }
    }
}

/// An early exit: what to print on stderr and the exit code.
struct Exit {
    stderr: String,
    code: i32,
}

impl Exit {
    fn exception(text: impl std::fmt::Display) -> Exit {
        Exit {
            stderr: format!("\n{text}\n"),
            code: 255,
        }
    }
}

struct Prepared {
    args: ValidateArgs,
    source: Box<dyn Source>,
    options: RunOptions,
}

fn prepare(argv: &[String], env: &dyn Fn(&str) -> Option<String>) -> Result<Prepared, Exit> {
    let mut globals = CommandLine::default();
    let rest = scan(argv, &GLOBAL_OPTIONS, &mut globals).map_err(argv_exit)?;
    // The CLI checks the --endpoint-url flag before the command parses its own arguments.
    if let Some(url) = globals.get("endpoint-url")
        && !url.contains("://")
    {
        let error = ValidateError::EndpointWithoutScheme(url.to_owned());
        return Err(endpoint_exit(error, Some(url)));
    }
    let command_line = finish_command_line(&rest, globals).map_err(argv_exit)?;
    let args = validate_args(&command_line)?;
    let source = build_source(&command_line, env)?;
    let options = match command_line.get("workers") {
        None => RunOptions::default(),
        Some(text) => RunOptions {
            workers: text
                .parse()
                .ok()
                .filter(|count| *count > 0)
                .ok_or_else(|| Exit::exception(format!("invalid --workers value {text:?}")))?,
        },
    };
    Ok(Prepared {
        args,
        source,
        options,
    })
}

/// The CLI's `handle_args`: dates parsed and normalized, the range checked.
fn validate_args(command_line: &CommandLine) -> Result<ValidateArgs, Exit> {
    let date = |text: &str| {
        parse_date_text(text)
            .map(|value| value.normalized())
            .map_err(Exit::exception)
    };
    let start_time = date(command_line.get("start-time").unwrap_or_default())?;
    let end_time = match command_line.get("end-time") {
        Some(text) => date(text)?,
        None => Utc::now(),
    };
    if start_time > end_time {
        return Err(Exit::exception(
            "Invalid time range specified: start-time must occur before end-time",
        ));
    }
    let text = |name: &str| command_line.get(name).map(str::to_owned);
    Ok(ValidateArgs {
        trail_arn: text("trail-arn").unwrap_or_default(),
        start_time,
        end_time: Some(end_time),
        s3_bucket: text("s3-bucket"),
        s3_prefix: text("s3-prefix"),
        account_id: text("account-id"),
        verbose: command_line.has("verbose"),
        region: text("region"),
    })
}

/// The CLI's `setup_services`, plus the local-directory variant.
fn build_source(
    command_line: &CommandLine,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Box<dyn Source>, Exit> {
    let endpoint_url = command_line.get("endpoint-url");
    let config = HttpSourceConfig::from_environment(endpoint_url, command_line.get("region"), env)
        .map_err(|error| endpoint_exit(error, endpoint_url));
    let Some(local_dir) = command_line.get("local-dir") else {
        let Some(config) = config? else {
            return Err(Exit {
                stderr: "You must specify a region. You can also configure your region by running \"aws configure\".\n"
                    .to_owned(),
                code: 255,
            });
        };
        let source = HttpSource::new(config).map_err(Exit::exception)?;
        return Ok(Box::new(source));
    };
    let mut source = LocalDirSource::new(
        command_line.get("s3-bucket").map(str::to_owned),
        PathBuf::from(local_dir),
    )
    .map_err(Exit::exception)?;
    if let Some(path) = command_line.get("public-keys") {
        let keys = read_public_keys_file(&PathBuf::from(path)).map_err(Exit::exception)?;
        source = source.with_public_keys(keys);
    }
    // Endpoint settings only matter to a local validation when --endpoint-url asks for them.
    let config = match config {
        Err(exit) if endpoint_url.is_some() => return Err(exit),
        Err(_) => None,
        Ok(config) => config,
    };
    if let Some(config) = config {
        let control_plane = HttpSource::new(config).map_err(Exit::exception)?;
        source = source.with_control_plane(Arc::new(control_plane));
    }
    Ok(Box::new(source))
}

fn endpoint_exit(error: ValidateError, endpoint_url: Option<&str>) -> Exit {
    match (&error, endpoint_url) {
        (ValidateError::EndpointWithoutScheme(url), Some(flag)) if url == flag => {
            Exit::exception(format!(
                "Bad value for --endpoint-url \"{url}\": scheme is missing.  Must be of the form http://<hostname>/ or https://<hostname>/"
            ))
        }
        _ => Exit::exception(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    fn check(text: &str, expected_stderr_tail: &str, expected_code: i32) {
        let env = |name: &str| -> Option<String> {
            match name {
                "AWS_DEFAULT_REGION" => Some("us-east-1".to_owned()),
                "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:9".to_owned()),
                _ => None,
            }
        };
        let Err(exit) = prepare(&argv(text), &env) else {
            panic!("{text}: expected an early exit");
        };
        assert!(
            exit.stderr.ends_with(expected_stderr_tail),
            "{text}: stderr {:?} should end with {expected_stderr_tail:?}",
            exit.stderr
        );
        assert_eq!(exit.code, expected_code, "{text}");
    }

    /// Each expectation was observed with `aws cloudtrail validate-logs` (awscli 1.46.3).
    #[test]
    fn rejects_like_the_aws_cli() {
        let table = [
            (
                "--start-time 2015-01-01",
                "\naws: error: the following arguments are required: --trail-arn\n",
                2,
            ),
            (
                "",
                "aws: error: the following arguments are required: --trail-arn, --start-time\n",
                2,
            ),
            (
                "--trail-arn",
                "aws: error: argument --trail-arn: expected one argument\n",
                2,
            ),
            (
                "--trail-arn x --start-time 1 --trail",
                "aws: error: argument --trail-arn: expected one argument\n",
                2,
            ),
            (
                "--trail-arn=x --start-time=2015-01-01 --bogus x --verbose=1",
                "aws: error: argument --verbose: ignored explicit argument '1'\n",
                2,
            ),
            (
                "--s3 x",
                "aws: error: ambiguous option: --s3 could match --s3-bucket, --s3-prefix\n",
                2,
            ),
            (
                "--trail-arn a --start-time -x",
                "aws: error: argument --start-time: expected one argument\n",
                2,
            ),
            (
                "--trail-arn a --start-time 2015-01-01 --region",
                "aws: error: argument --region: expected one argument\n",
                2,
            ),
            (
                "--trail-arn x --start-time 1 --verbose extra",
                "\nUnknown options: extra\n",
                255,
            ),
            (
                "--trail-arn a --start-time 2015 -- x",
                "\nUnknown options: --,x\n",
                255,
            ),
            (
                "--trail-arn a --start-time 2015-01-01 -v",
                "\nUnknown options: -v\n",
                255,
            ),
            (
                "--trail-arn a --start-time 2015-01-01 --debugx",
                "\nUnknown options: --debugx\n",
                255,
            ),
            (
                "--trail-arn x --start-time garbage",
                "\nUnable to parse date value: garbage\n",
                255,
            ),
            (
                "--trail-arn x --start-time 1420694502",
                "\nUnable to parse date value: 1420694502\n",
                255,
            ),
            (
                "--trail-arn a --start-time=",
                "\nUnable to parse date value: \n",
                255,
            ),
            (
                "--trail-arn x --start-time 2015-01-01 --end-time 2014-01-01",
                "\nInvalid time range specified: start-time must occur before end-time\n",
                255,
            ),
            (
                "--trail-arn a --endpoint-url foo",
                "\nBad value for --endpoint-url \"foo\": scheme is missing.  Must be of the form http://<hostname>/ or https://<hostname>/\n",
                255,
            ),
        ];
        for (text, tail, code) in table {
            check(text, tail, code);
        }
    }

    #[test]
    fn usage_errors_carry_the_full_banner() {
        let env = |_: &str| -> Option<String> { None };
        let Err(exit) = prepare(&argv("--trail-arn x"), &env) else {
            panic!("expected a usage error");
        };
        assert_eq!(
            exit.stderr,
            format!("{USAGE}aws: error: the following arguments are required: --start-time\n")
        );
    }

    #[test]
    fn needs_a_region_for_endpoints() {
        let env = |_: &str| -> Option<String> { None };
        let Err(exit) = prepare(&argv("--trail-arn x --start-time 2015-01-01"), &env) else {
            panic!("expected a region error");
        };
        assert_eq!(
            exit.stderr,
            "You must specify a region. You can also configure your region by running \"aws configure\".\n"
        );
        assert_eq!(exit.code, 255);
    }

    #[test]
    fn parses_abbreviations_and_globals() {
        let parsed = parse_command_line(&argv(
            "--trail arn --start-time 2015-01-01 --verb --reg eu-west-1 --end-time=2015-01-02 --local /tmp",
        ))
        .unwrap();
        assert_eq!(parsed.get("trail-arn"), Some("arn"));
        assert_eq!(parsed.get("region"), Some("eu-west-1"));
        assert_eq!(parsed.get("end-time"), Some("2015-01-02"));
        assert_eq!(parsed.get("local-dir"), Some("/tmp"));
        assert!(parsed.has("verbose"));
    }
}
