#!/usr/bin/env bash
# The one test command (README and CI run exactly this).
# 1. installs the test tools (aws CLI, boto3, pytest) into ./.venv and s3s-fs into ./.tools;
# 2. checks formatting and lints;
# 3. runs the Rust unit and crate tests;
# 4. runs tests/integration, which drive the real `opentrail` binary on a free loopback port with the
#    real aws CLI and boto3.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
# A real S3-compatible server for upstream-delivery tests (s3s-fs 0.14.1: newer ones need Rust 1.96).
if [ ! -x .tools/bin/s3s-fs ]; then
    cargo install --quiet --locked s3s-fs@0.14.1 --features binary --root .tools
fi

# Crate tests that drive the real aws CLI/boto3 (crates/s3) and the pytest suite find them here.
export OT_PYTHON="$PWD/.venv/bin/python"
export OPENTRAIL_BIN="$PWD/target/debug/opentrail"
export PATH="$PWD/.venv/bin:$PWD/.tools/bin:$PATH"

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo build --locked -p opentrail
cargo test --workspace --locked

.venv/bin/python -m pytest tests/integration -q -p no:cacheprovider "$@"
