//! Integration tests of the S3 front, driven by the real aws CLI and boto3 against an axum server on a
//! loopback port.
//!
//! One test binary. `harness` starts a server per test and runs a Python scenario from `py/` with the
//! interpreter named by `OT_PYTHON` (a venv with `awscli` and `boto3`). The Python side checks what
//! clients see; the Rust side checks what the audit sink received. New scenarios go in `scenarios.rs`
//! with their script in `py/`.

mod harness;
mod scenarios;
