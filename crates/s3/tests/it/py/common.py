"""Shared helpers for the S3 scenarios: running the aws CLI, boto3 clients, checks.

The Rust harness passes the endpoint, keys and a scratch directory in OT_* environment variables.
Every helper fails loudly with what it ran and what came back.
"""
import json
import os
import subprocess
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["OT_ENDPOINT"]
ALICE = (os.environ["OT_ALICE_KEY"], os.environ["OT_ALICE_SECRET"])
BOB = (os.environ["OT_BOB_KEY"], os.environ["OT_BOB_SECRET"])
WORKDIR = os.environ["OT_WORKDIR"]
VHOST_DOMAIN = os.environ["OT_VHOST_DOMAIN"]


def client_env(keys):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=keys[0],
        AWS_SECRET_ACCESS_KEY=keys[1],
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.path.join(WORKDIR, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(WORKDIR, "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def aws(*args, keys=ALICE, expect_error=None, raw=False):
    """Runs `aws --endpoint-url ENDPOINT ARGS`; returns parsed JSON (or text), or stderr on expected errors."""
    command = [sys.executable, "-m", "awscli", "--endpoint-url", ENDPOINT, "--output", "json", *args]
    done = subprocess.run(command, env=client_env(keys), capture_output=True, text=True, cwd=WORKDIR)
    shown = " ".join(args)
    if expect_error is not None:
        check(done.returncode != 0, f"aws {shown} should fail with {expect_error}, printed {done.stdout!r}")
        check(expect_error in done.stderr, f"aws {shown}: expected {expect_error}, got {done.stderr!r}")
        return done.stderr
    check(done.returncode == 0, f"aws {shown} failed ({done.returncode}): {done.stderr}")
    if raw or not done.stdout.strip():
        return done.stdout
    return json.loads(done.stdout)


def client(keys=ALICE, **config):
    """A boto3 S3 client for the test server."""
    return boto3.client(
        "s3",
        endpoint_url=config.pop("endpoint_url", ENDPOINT),
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )


def error_code(call, *args, **kwargs):
    """The S3 error code `call` fails with (fails the scenario if it succeeds)."""
    try:
        call(*args, **kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"]
    fail(f"{call.__name__} should have failed")


def check(condition, message):
    if not condition:
        fail(message)


def equal(actual, expected, what):
    check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def path(name):
    return os.path.join(WORKDIR, name)


def write(name, data):
    with open(path(name), "wb") as file:
        file.write(data)
    return path(name)


def read(name):
    with open(path(name), "rb") as file:
        return file.read()
