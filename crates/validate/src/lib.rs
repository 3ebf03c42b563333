//! `opentrail validate-logs`: an independent re-implementation of `aws cloudtrail validate-logs`
//! (awscli 1.46.3) — same arguments, same stdout/stderr bytes, same exit codes (0 valid, 1 something
//! invalid, 2 usage error, 255 fatal) — that checks log files in parallel and can also check a local
//! directory copy of a bucket.
//!
//! This is verification code, written separately from OpenTrail's digest producer
//! (`opentrail-integrity`) on purpose: it parses digests, checks signatures and hashes on its own, so
//! a bug in the producer cannot hide itself here.
//!
//! # Tour
//!
//! - [`cli`]: the command line, parsed and rejected like the aws CLI does (argparse messages,
//!   abbreviations, "Unknown options", date and Region errors); [`cli_main`] is the whole command.
//! - [`run`](run()) / [`run_with_options`]: one validation. Trail lookup, then a pipeline: the digest walk
//!   ([`traverse`]) on one thread, log-file checks ([`logs`], [`inflate`]) on a bounded worker pool,
//!   and the report ([`report`]) printed strictly in the CLI's order on the calling thread.
//! - [`traverse`]: a line-by-line port of the CLI's `DigestTraverser`/`DigestProvider`: listing with
//!   `Marker`/`Prefix`, newest to oldest, gap notices, `NoSuchKey` handling, bucket changes, backfill.
//! - [`signature`]: python-rsa-compatible PKCS#1 v1.5 verification and PKCS#1 DER public keys.
//! - [`source`]: the [`Source`] trait (the six calls); [`HttpSource`] (CloudTrail/Organizations JSON
//!   1.1 and S3 REST-XML over plain HTTP, SigV4-signed) and [`LocalDirSource`] (a directory).
//! - [`date`], [`naming`], [`python_compat`]: the small Python behaviours that reach the output
//!   (dateutil parsing, key names, `str()` of values, base64/hex error texts).
//!
//! # Local directory copies
//!
//! With `--local-dir DIR`, object keys are the relative paths under `DIR` (as `aws s3 sync
//! s3://bucket DIR` lays them out) and `DIR` stands for the bucket named by `--s3-bucket` (without
//! it, for whichever bucket the trail names, which then needs an endpoint for DescribeTrails). Other
//! buckets do not exist (`NoSuchBucket`, fatal like on S3).
//!
//! - **Signatures.** S3 keeps a digest's signature in object metadata, which a copy loses. A sidecar
//!   `<digest key>.metadata.json` restores it: a JSON object such as
//!   `{"signature": "<hex>", "signature-algorithm": "SHA256withRSA"}` (names case-insensitive,
//!   `x-amz-meta-` prefix allowed; backfill digests also need `backfill-generation-timestamp`), or the
//!   output of `aws s3api head-object` (its `Metadata` member is used). Without a sidecar, a digest
//!   takes the signature that a newer digest records for it in `previousDigestSignature`; this is
//!   sound because a signature that verifies under the trusted public key proves the content,
//!   wherever it was found. The walk goes newest to oldest, so every digest but the newest of each
//!   chain is vouched for by its successor even if that successor itself cannot be verified. A digest
//!   with neither a sidecar nor a successor naming it is reported as
//!   `INVALID: signature not available (no sidecar <key>.metadata.json and no newer digest names this file)`
//!   and counts as invalid (exit 1): its own log list cannot be trusted.
//! - **Public keys** come from `--public-keys FILE` (the JSON printed by `aws cloudtrail
//!   list-public-keys`, or its `PublicKeyList` array; a missing `Fingerprint` is computed as the MD5
//!   of the DER; keys are filtered by their validity window against each request) or, without a
//!   file, from the CloudTrail endpoint.
//! - Everything else (order, messages, counts, exit codes) is exactly as for S3.
//!
//! # Known differences from the aws CLI
//!
//! - Date arguments: the common numeric forms dateutil accepts are accepted (see
//!   [`parse_cli_time`]); free-text forms (month names, "EST") are rejected. Epoch seconds are
//!   rejected, as the CLI rejects them.
//! - Global options are matched exactly or by unique prefix; `--version`, `--profile`, `--output`
//!   and the like are accepted and ignored. Config files and profiles are not read; credentials come
//!   from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, the Region from `--region`/`AWS_DEFAULT_REGION`.
//! - Only `http://` endpoints (no TLS); retries are quick (4, like botocore's legacy mode).
//! - `\d` in the CLI's key patterns is an ASCII digit here; non-string `previousDigestS3Object`
//!   values are used by their `str()`; JSON `NaN`/`Infinity` are not accepted in digests.

pub mod cli;
pub mod date;
pub mod error;
pub mod failure;
pub mod http_source;
pub mod inflate;
pub mod local_source;
pub mod logs;
pub mod naming;
pub mod python_compat;
pub mod regions;
pub mod report;
mod run;
pub mod s3_xml;
pub mod signature;
pub mod source;
pub mod traverse;

use chrono::{DateTime, Utc};

pub use cli::cli_main;
pub use error::ValidateError;
pub use http_source::{Credentials, Endpoint, HttpSource, HttpSourceConfig};
pub use local_source::{
    LocalDirSource, SIDECAR_SUFFIX, parse_public_keys_json, read_public_keys_file,
};
pub use run::{RunOptions, ValidateArgs, run, run_with_options};
pub use source::{
    BucketInRegion, ObjectListing, ObjectReader, PublicKeyEntry, Source, SourceError, StoredObject,
    TrailDescription,
};

/// Parses a `--start-time`/`--end-time` value like the aws CLI (`dateutil` + "normalize", which takes
/// the wall clock as UTC even when a zone is given). See [`date::parse_cli_time_value`] for the forms.
pub fn parse_cli_time(text: &str) -> Result<DateTime<Utc>, ValidateError> {
    date::parse_cli_time_value(text).map_err(|error| ValidateError::UnparsableDate(error.text))
}
