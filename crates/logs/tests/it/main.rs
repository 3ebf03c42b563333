//! Integration tests of opentrail-logs: the real aws CLI (from the venv named by `OT_PYTHON`)
//! against a tiny awsJson1.1 front around [`opentrail_logs::Logs::call`] on `127.0.0.1:0`.
//! `harness` holds the front and the CLI runner; new end-to-end scenarios go in their own module.

mod aws_cli;
mod harness;
