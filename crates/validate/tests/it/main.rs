//! Integration tests of `opentrail validate-logs` (one test binary).
//!
//! - `differential`: the REAL aws CLI (`$OT_PYTHON -m awscli`, awscli 1.46.3) and our `cli_main` run
//!   with the same arguments against the same fake endpoint (`fake_aws`), and our local-directory mode
//!   on the same files; stdout, stderr and exit codes must be identical. Add new tamper cases there.
//! - `local_dir`: semantics that exist only here (sidecar-less digests, worker counts).
//! - `fixture`: bucket copies with signed digest chains; `fake_aws`: the loopback stand-in.

mod differential;
mod fake_aws;
mod fixture;
mod local_dir;

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tempfile::TempDir;

use fixture::{BucketWriter, TestKey, TrailSpec, WrittenDigest, synthetic_records};

/// The trail's key and a foreign one, generated once per test run.
#[derive(Debug)]
pub struct Keys {
    /// The key CloudTrail (the fixture) signs with.
    pub trail: TestKey,
    /// Someone else's key.
    pub foreign: TestKey,
}

/// Keys shared by all tests (RSA generation is slow in debug builds).
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        trail: TestKey::generate(),
        foreign: TestKey::generate(),
    })
}

/// A bucket copy with a chain of digests.
#[derive(Debug)]
pub struct Fixture {
    /// Holds everything.
    pub dir: TempDir,
    /// The bucket directory.
    pub root: PathBuf,
    /// The trail.
    pub trail: TrailSpec,
    /// Digests oldest first.
    pub digests: Vec<WrittenDigest>,
    /// The `--public-keys` file (the trail key only).
    pub keys_file: PathBuf,
}

/// The start of the fixture's first digest.
pub fn epoch() -> DateTime<Utc> {
    "2024-05-01T00:00:31Z".parse().expect("time")
}

impl Fixture {
    /// `digests` hourly digests, each listing `logs_per_digest` log files; `restart_at` starts a new
    /// chain (null previous fields) at that digest index.
    pub fn chain(digests: usize, logs_per_digest: usize, restart_at: Option<usize>) -> Fixture {
        Fixture::chain_for(TrailSpec::standard(), digests, logs_per_digest, restart_at)
    }

    /// [`Fixture::chain`] for another trail.
    pub fn chain_for(
        trail: TrailSpec,
        digests: usize,
        logs_per_digest: usize,
        restart_at: Option<usize>,
    ) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("bucket");
        let mut writer = BucketWriter::new(&root, trail.clone(), &keys().trail);
        let mut written = Vec::new();
        for index in 0..digests {
            if restart_at == Some(index) {
                writer.restart_chain();
            }
            let start = epoch() + Duration::hours(index as i64);
            let logs = (0..logs_per_digest)
                .map(|log| {
                    let delivered = start + Duration::minutes(5 + 10 * log as i64);
                    let unique = format!("{index:02}x{log:02}abcdefghijkl");
                    writer.write_log(
                        delivered,
                        &unique,
                        &synthetic_records(3 + log, index * 10 + log),
                    )
                })
                .collect();
            written.push(writer.write_digest(start, start + Duration::hours(1), logs));
        }
        let keys_file = dir.path().join("public-keys.json");
        BucketWriter::write_public_keys_file(&keys_file, &[&keys().trail]);
        Fixture {
            dir,
            root,
            trail,
            digests: written,
            keys_file,
        }
    }

    /// A writer that continues this fixture's chain files (not its links).
    pub fn writer(&self) -> BucketWriter<'static> {
        BucketWriter::new(&self.root, self.trail.clone(), &keys().trail)
    }

    /// The object key of log `log` of digest `digest`.
    pub fn log_key(&self, digest: usize, log: usize) -> String {
        let entry: &Value = &self.digests[digest].log_files[log];
        entry["s3Object"].as_str().expect("log key").to_owned()
    }

    /// The file of an object key.
    pub fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }
}
