//! Differential tests against the real aws CLI. Every scenario builds a fixture, optionally tampers
//! with it, serves it from `fake_aws`, and requires byte-identical stdout and stderr and the same exit
//! code from: `$OT_PYTHON -m awscli cloudtrail validate-logs ARGS`, our `cli_main(ARGS)` over HTTP,
//! and (where the files alone decide) our `cli_main(ARGS + --local-dir ...)`.
//!
//! Set `OT_SHOW=1` (with `--nocapture`) to see what the aws CLI printed in each scenario.
//!
//! `OT_PYTHON` must name a Python with `awscli==1.46.3` installed, e.g.
//! `python3 -m venv /tmp/v && /tmp/v/bin/pip install awscli==1.46.3 && export OT_PYTHON=/tmp/v/bin/python`.

use std::collections::HashMap;
use std::fs;
use std::process::Command;

use chrono::Duration;
use serde_json::{Value, json};

use crate::fake_aws::{FakeAws, FakeConfig};
use crate::fixture::{BucketWriter, gzip, synthetic_records};
use crate::{Fixture, epoch, keys};

/// What one implementation printed.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    stdout: String,
    stderr: String,
    code: i32,
}

fn python() -> String {
    std::env::var("OT_PYTHON").unwrap_or_else(|_| {
        panic!(
            "OT_PYTHON is not set: the differential tests run the real aws CLI. Create a venv with \
             `python3 -m venv /tmp/ot-venv && /tmp/ot-venv/bin/pip install awscli==1.46.3` and set \
             OT_PYTHON=/tmp/ot-venv/bin/python"
        )
    })
}

/// The environment both implementations see.
fn environment(fixture: &Fixture, server: &FakeAws) -> HashMap<String, String> {
    let home = fixture.dir.path().join("home");
    fs::create_dir_all(&home).expect("home");
    let nothing = home.join("absent");
    [
        ("AWS_ENDPOINT_URL", server.url.clone()),
        ("AWS_ACCESS_KEY_ID", "AKIDVALIDATETEST".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "validate-test-secret".to_owned()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
        ("AWS_CONFIG_FILE", nothing.display().to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", nothing.display().to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("HOME", home.display().to_string()),
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("LANG", "C.UTF-8".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

fn run_aws_cli(env: &HashMap<String, String>, args: &[String]) -> Outcome {
    let output = Command::new(python())
        .args(["-m", "awscli", "cloudtrail", "validate-logs"])
        .args(args)
        .env_clear()
        .envs(env)
        .output()
        .expect("run the aws CLI (is OT_PYTHON a python with awscli installed?)");
    // `python -m awscli` makes argparse call itself `__main__.py`; the installed `aws` script (and
    // we) print `aws: error:`.
    let stderr =
        String::from_utf8_lossy(&output.stderr).replace("\n__main__.py: error: ", "\naws: error: ");
    assert!(
        !stderr.contains("No module named awscli"),
        "OT_PYTHON has no awscli: {stderr}"
    );
    Outcome {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
        code: output.status.code().unwrap_or(-1),
    }
}

fn run_ours(env: &HashMap<String, String>, args: &[String]) -> Outcome {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let lookup = |name: &str| env.get(name).cloned();
    let code = opentrail_validate::cli_main(args, &lookup, &mut stdout, &mut stderr);
    Outcome {
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
        code,
    }
}

fn local_args(fixture: &Fixture, args: &[String]) -> Vec<String> {
    let mut local = args.to_vec();
    local.extend([
        "--local-dir".to_owned(),
        fixture.root.display().to_string(),
        "--public-keys".to_owned(),
        fixture.keys_file.display().to_string(),
        "--s3-bucket".to_owned(),
        fixture.trail.bucket.clone(),
        "--s3-prefix".to_owned(),
        fixture.trail.prefix.clone().unwrap_or_default(),
    ]);
    local
}

fn server_for(fixture: &Fixture) -> FakeAws {
    FakeAws::start(FakeConfig {
        bucket: fixture.trail.bucket.clone(),
        root: fixture.root.clone(),
        trails: json!([fixture.trail.trail_json()]),
        public_keys: json!([keys().trail.public_key_json()]),
        page_size: 1000,
        failures: HashMap::new(),
    })
}

fn standard_args(fixture: &Fixture, verbose: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "--trail-arn",
        &fixture.trail.arn(),
        "--start-time",
        "2024-05-01T00:00:00Z",
        "--end-time",
        "2024-05-01T06:00:00Z",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    if verbose {
        args.push("--verbose".to_owned());
    }
    args
}

/// Runs the CLI and ours; asserts equality; returns the CLI's outcome for extra checks.
fn check(
    name: &str,
    fixture: &Fixture,
    server: &FakeAws,
    args: &[String],
    local_too: bool,
) -> String {
    let env = environment(fixture, server);
    let reference = run_aws_cli(&env, args);
    if std::env::var_os("OT_SHOW").is_some() {
        eprintln!(
            "=== {name}\n{}--- stderr\n{}--- exit {}",
            reference.stdout, reference.stderr, reference.code
        );
    }
    let ours = run_ours(&env, args);
    assert_eq!(
        ours, reference,
        "{name}: opentrail over HTTP differs from the aws CLI"
    );
    if local_too {
        let local = run_ours(&env, &local_args(fixture, args));
        assert_eq!(
            local, reference,
            "{name}: opentrail --local-dir differs from the aws CLI"
        );
    }
    format!("{}{}{}", reference.stdout, reference.stderr, reference.code)
}

fn check_standard(name: &str, fixture: &Fixture, expected_fragments: &[&str]) {
    let server = server_for(fixture);
    for verbose in [true, false] {
        let all = check(
            name,
            fixture,
            &server,
            &standard_args(fixture, verbose),
            true,
        );
        for fragment in expected_fragments {
            assert!(
                all.contains(fragment),
                "{name}: expected {fragment:?} in {all:?}"
            );
        }
    }
}

#[test]
fn valid_chain() {
    let fixture = Fixture::chain(3, 2, None);
    check_standard(
        "valid",
        &fixture,
        &["3/3 digest files valid", "6/6 log files valid", "0"],
    );
}

#[test]
fn modified_log_file() {
    let fixture = Fixture::chain(3, 2, None);
    let key = fixture.log_key(1, 1);
    fs::write(fixture.path(&key), gzip(b"{\"Records\":[]}")).expect("tamper");
    check_standard(
        "modified log",
        &fixture,
        &["INVALID: hash value doesn't match", "1/6 log files INVALID"],
    );
}

#[test]
fn deleted_log_file() {
    let fixture = Fixture::chain(3, 2, None);
    fs::remove_file(fixture.path(&fixture.log_key(2, 0))).expect("delete");
    check_standard(
        "deleted log",
        &fixture,
        &["INVALID: not found", "5/6 log files valid"],
    );
}

#[test]
fn deleted_digest() {
    let fixture = Fixture::chain(3, 2, None);
    fs::remove_file(fixture.path(&fixture.digests[1].key)).expect("delete");
    check_standard(
        "deleted digest",
        &fixture,
        &[
            "Digest file",
            "INVALID: not found",
            "2/3 digest files valid",
        ],
    );
}

#[test]
fn modified_digest() {
    let fixture = Fixture::chain(3, 2, None);
    let digest = &fixture.digests[1];
    let mut body: Value = serde_json::from_slice(&digest.json).expect("json");
    body["logFiles"][0]["hashValue"] = json!("0".repeat(64));
    fs::write(
        fixture.path(&digest.key),
        gzip(&serde_json::to_vec(&body).expect("json")),
    )
    .expect("tamper");
    check_standard(
        "modified digest",
        &fixture,
        &["INVALID: signature verification failed"],
    );
}

#[test]
fn digest_resigned_with_a_foreign_key() {
    let fixture = Fixture::chain(3, 2, None);
    fixture
        .writer()
        .resign(&fixture.digests[2], &keys().foreign);
    check_standard(
        "foreign signature",
        &fixture,
        &[
            "INVALID: signature verification failed",
            "2/3 digest files valid",
        ],
    );
}

#[test]
fn digest_claiming_a_foreign_fingerprint() {
    let fixture = Fixture::chain(3, 2, None);
    let digest = &fixture.digests[1];
    let mut body: Value = serde_json::from_slice(&digest.json).expect("json");
    body["digestPublicKeyFingerprint"] = json!(keys().foreign.fingerprint);
    let json = serde_json::to_vec(&body).expect("json");
    let signature = keys()
        .foreign
        .sign_hex(crate::fixture::string_to_sign(&body, &json).as_bytes());
    let writer = fixture.writer();
    writer.put(&digest.key, &gzip(&json));
    writer.write_sidecar(
        &digest.key,
        &json!({"signature": signature, "signature-algorithm": "SHA256withRSA"}),
    );
    check_standard(
        "foreign fingerprint",
        &fixture,
        &["INVALID: public key not found in region us-east-1 for fingerprint"],
    );
}

#[test]
fn broken_gzip_in_log_files() {
    let fixture = Fixture::chain(2, 3, None);
    let trailing = fixture.path(&fixture.log_key(1, 0));
    let mut bytes = fs::read(&trailing).expect("log");
    bytes.extend_from_slice(&gzip(b"second member"));
    fs::write(&trailing, bytes).expect("tamper");
    fs::write(
        fixture.path(&fixture.log_key(1, 1)),
        b"plain text, not gzip",
    )
    .expect("tamper");
    let truncated = fixture.path(&fixture.log_key(0, 2));
    let bytes = fs::read(&truncated).expect("log");
    fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("tamper");
    check_standard(
        "broken gzip",
        &fixture,
        &[
            "unexpected data after end of compressed stream",
            "INVALID: invalid format",
            "hash value doesn't match",
        ],
    );
}

#[test]
fn chain_gap_and_moved_digest() {
    let fixture = Fixture::chain(4, 1, Some(2));
    let newest = &fixture.digests[3];
    let moved_key = fixture
        .trail
        .digest_key(epoch() + Duration::hours(5), false);
    let writer = fixture.writer();
    writer.put(
        &moved_key,
        &fs::read(fixture.path(&newest.key)).expect("digest"),
    );
    writer.write_sidecar(
        &moved_key,
        &json!({"signature": newest.signature, "signature-algorithm": "SHA256withRSA"}),
    );
    check_standard(
        "gap",
        &fixture,
        &[
            "No log files were delivered by CloudTrail between",
            "INVALID: has been moved from its original location",
        ],
    );
}

#[test]
fn backfill_digests() {
    let fixture = Fixture::chain(3, 1, None);
    let mut writer = fixture.writer();
    writer.restart_chain();
    let start = epoch() + Duration::hours(1);
    let late_log = writer.write_log(
        start + Duration::minutes(50),
        "late0000backfill",
        &synthetic_records(2, 99),
    );
    writer.write_backfill_digest(
        start,
        start + Duration::hours(1),
        vec![late_log],
        epoch() + Duration::hours(3),
    );
    let missing_metadata = writer.write_backfill_digest(
        start + Duration::hours(1),
        start + Duration::hours(2),
        vec![],
        epoch() + Duration::hours(3),
    );
    writer.write_sidecar(
        &missing_metadata.key,
        &json!({"signature": missing_metadata.signature, "signature-algorithm": "SHA256withRSA"}),
    );
    check_standard(
        "backfill",
        &fixture,
        &["(backfill) Digest file", "backfill digest files valid"],
    );
}

#[test]
fn paginated_listing_and_no_digests_in_range() {
    let fixture = Fixture::chain(3, 1, None);
    let server = server_for(&fixture);
    server.update(|config| config.page_size = 2);
    check(
        "paginated",
        &fixture,
        &server,
        &standard_args(&fixture, true),
        false,
    );
    let mut later = standard_args(&fixture, true);
    later[3] = "2024-06-01T00:00:00Z".to_owned();
    later[5] = "2024-06-02T00:00:00Z".to_owned();
    let all = check("no digests", &fixture, &server, &later, true);
    assert!(all.contains("No digests found"), "{all}");
}

#[test]
fn fatal_errors_end_with_255() {
    let fixture = Fixture::chain(2, 2, None);
    let server = server_for(&fixture);
    let mut unknown = standard_args(&fixture, true);
    unknown[1] = "arn:aws:cloudtrail:us-east-1:123456789012:trail/other".to_owned();
    let all = check("unknown trail", &fixture, &server, &unknown, false);
    assert!(all.contains("A trail could not be found for"), "{all}");
    let denied = fixture.log_key(1, 1);
    server.update(|config| {
        config
            .failures
            .insert(denied, (403, "AccessDenied".to_owned()));
    });
    let all = check(
        "access denied",
        &fixture,
        &server,
        &standard_args(&fixture, true),
        false,
    );
    assert!(
        all.contains("An error occurred (AccessDenied) when calling the GetObject operation"),
        "{all}"
    );
    server.update(|config| config.public_keys = json!([]));
    let all = check(
        "no keys",
        &fixture,
        &server,
        &standard_args(&fixture, false),
        false,
    );
    assert!(all.contains("No public keys found between"), "{all}");
}

#[test]
fn digest_without_signature_metadata() {
    let fixture = Fixture::chain(2, 1, None);
    fixture.writer().remove_sidecar(&fixture.digests[1].key);
    let server = server_for(&fixture);
    let all = check(
        "no metadata",
        &fixture,
        &server,
        &standard_args(&fixture, true),
        false,
    );
    assert!(
        all.contains("INVALID: signature verification failed"),
        "{all}"
    );
}

#[test]
fn argument_errors_match() {
    let fixture = Fixture::chain(1, 1, None);
    let server = server_for(&fixture);
    let arn = fixture.trail.arn();
    let cases: [&[&str]; 10] = [
        &["--trail-arn", "a", "--endpoint-url", "foo"],
        &[
            "--trail-arn",
            &arn,
            "--start-time",
            "2024-05-01",
            "--s3",
            "b",
        ],
        &[
            "--trail-arn",
            &arn,
            "--start-time",
            "2024-05-01",
            "--region",
        ],
        &["--start-time", "2024-05-01", "--bogus"],
        &["--trail-arn", "not-an-arn", "--start-time", "2024-05-01"],
        &["--trail-arn", &arn, "--start-time", "yesterday-ish"],
        &[
            "--trail-arn",
            &arn,
            "--start-time",
            "2024-05-02",
            "--end-time",
            "2024-05-01",
        ],
        &["--trail-arn", &arn, "--start-time", "2024-05-01", "stray"],
        &[
            "--trail-arn",
            &arn,
            "--start-time",
            "2024-05-01T00:00:00+05:00",
            "--end-time",
            "20240501T060000Z",
            "--verb",
        ],
        &[
            "--trail-arn",
            &arn,
            "--start-time",
            "2024-05-01",
            "--end-time",
            "2024-05-01 06:00",
            "--s3-bucket",
            "audit-bucket",
            "--s3-prefix",
            "trail",
        ],
    ];
    for case in cases {
        let args: Vec<String> = case.iter().map(|arg| (*arg).to_owned()).collect();
        check(
            &format!("arguments {args:?}"),
            &fixture,
            &server,
            &args,
            false,
        );
    }
}

#[test]
fn special_characters_in_keys() {
    let mut trail = crate::fixture::TrailSpec::standard();
    trail.prefix = Some("audit logs+2024/é".to_owned());
    let fixture = Fixture::chain_for(trail, 2, 2, None);
    check_standard(
        "special characters",
        &fixture,
        &["2/2 digest files valid", "4/4 log files valid"],
    );
}

#[test]
fn organization_trail() {
    let mut trail = crate::fixture::TrailSpec::standard();
    trail.organization = Some("o-abc1234567".to_owned());
    let fixture = Fixture::chain_for(trail, 2, 1, None);
    let server = server_for(&fixture);
    let all = check(
        "org without account",
        &fixture,
        &server,
        &standard_args(&fixture, true),
        false,
    );
    assert!(
        all.contains("Missing required parameter for organization trail: '--account-id'"),
        "{all}"
    );
    let mut args = standard_args(&fixture, true);
    args.extend(["--account-id".to_owned(), "123456789012".to_owned()]);
    let all = check("org trail", &fixture, &server, &args, false);
    assert!(all.contains("2/2 digest files valid"), "{all}");
}

#[test]
fn fractional_and_zoned_times() {
    let fixture = Fixture::chain(3, 1, None);
    let server = server_for(&fixture);
    let arn = fixture.trail.arn();
    let cases: [&[&str]; 3] = [
        &[
            "--trail-arn",
            &arn,
            "--start-time",
            "2024-05-01T01:00:31.250Z",
            "--end-time",
            "2024-05-01T02:30:00.999999Z",
            "--verbose",
        ],
        &[
            "--trail-arn",
            &arn,
            "--start-time",
            "2024-05-01T01:30:00+09:00",
            "--end-time",
            "2024-05-01 03:00",
        ],
        &[
            "--trail-arn",
            &arn,
            "--start-time",
            "2024-05-01T00:00:31Z",
            "--end-time",
            "2024-05-01T00:00:31Z",
            "--verbose",
        ],
    ];
    for case in cases {
        let args: Vec<String> = case.iter().map(|arg| (*arg).to_owned()).collect();
        check(&format!("times {args:?}"), &fixture, &server, &args, true);
    }
}

/// Digests without log files, and a second chain written by hand.
#[test]
fn hand_built_empty_digest() {
    let fixture = Fixture::chain(1, 0, None);
    let mut writer: BucketWriter<'_> = fixture.writer();
    writer.restart_chain();
    let _ = writer.write_digest(
        epoch() + Duration::hours(1),
        epoch() + Duration::hours(2),
        vec![],
    );
    check_standard("empty digests", &fixture, &["2/2 digest files valid"]);
}
