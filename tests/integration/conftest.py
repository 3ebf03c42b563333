"""Fixtures that run the real `opentrail` binary and point the real aws CLI and boto3 at it.

Where new tests go: one module per capability in this folder (test_<capability>.py). Each test gets
a fresh server with its own data directory on a free loopback port (the `server` fixture), or starts
its own with `start_server` when it needs restarts or special flags.
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

import boto3
import botocore.config
import pytest

BIN = os.environ.get("OPENTRAIL_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/opentrail"))
CORPUS_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../../shared/corpus/real"))
ROOT_KEY = "AKIAOPENTRAILTEST001"
ROOT_SECRET = "opentrail-test-root-secret-000000000000"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111122223333"
OTHER_KEY = "AKIAOTHERACCOUNT0001"
OTHER_SECRET = "other-account-secret-0000000000000000000"
ALICE_KEY = "AKIAALICEUSER0000001"
ALICE_SECRET = "alice-secret-00000000000000000000000000"

CONFIG = f"""
[[accounts]]
id = "{ACCOUNT}"
[[accounts.users]]
name = "alice"
access_key_id = "{ALICE_KEY}"
secret_access_key = "{ALICE_SECRET}"

[[accounts]]
id = "{OTHER_ACCOUNT}"
root_access_key_id = "{OTHER_KEY}"
root_secret_access_key = "{OTHER_SECRET}"
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One running `opentrail serve` process and helpers to talk to it."""

    def __init__(self, data_dir, extra_args=(), region="us-east-1", port=None, scheme="http", verify=None,
                 config_extra=""):
        self.config_extra = config_extra
        self.data_dir = str(data_dir)
        self.region = region
        self.port = port or free_port()
        self.endpoint = f"{scheme}://127.0.0.1:{self.port}"
        self.ssl_context = ssl.create_default_context(cafile=verify) if verify else None
        self.extra_args = list(extra_args)
        self.process = None
        self.log_path = os.path.join(self.data_dir, "..", f"server-{self.port}.log")

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        config_path = os.path.join(self.data_dir, "..", "opentrail-test.toml")
        with open(config_path, "w") as handle:
            handle.write(CONFIG + self.config_extra)
        env = dict(os.environ, OPENTRAIL_ROOT_ACCESS_KEY_ID=ROOT_KEY, OPENTRAIL_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET,
                   RUST_LOG="info")
        args = [BIN, "serve", "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}",
                "--config", config_path, *self.extra_args]
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"opentrail exited with {self.process.returncode}: {self.read_log()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/health", timeout=1, context=self.ssl_context) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"opentrail did not become healthy: {self.read_log()}")

    def read_log(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode(errors="replace")[-4000:]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)
        if self.process:
            self.log.close()
        return self.process.returncode if self.process else None

    def kill(self):
        return self.stop(signal.SIGKILL)

    def aws_env(self, key=ROOT_KEY, secret=ROOT_SECRET, region=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=region or self.region,
                   AWS_ENDPOINT_URL=self.endpoint, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                   AWS_MAX_ATTEMPTS="1")
        return env

    def aws(self, *args, key=ROOT_KEY, secret=ROOT_SECRET, region=None, check=True, input=None):
        """Runs the real aws CLI; returns parsed JSON output (or text), raising with stderr on failure."""
        result = subprocess.run(["aws", *args], env=self.aws_env(key, secret, region), capture_output=True,
                                text=True, input=input, timeout=120)
        if check and result.returncode != 0:
            raise AwsCliError(args, result.returncode, result.stdout, result.stderr)
        if not check:
            return result
        text = result.stdout.strip()
        try:
            return json.loads(text) if text else None
        except json.JSONDecodeError:
            return text

    def client(self, service, key=ROOT_KEY, secret=ROOT_SECRET, region=None, **config):
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region or self.region,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=botocore.config.Config(retries={"max_attempts": 1}, **config))

    def records(self):
        """Every record in the server's durable event log, read with `opentrail log dump`."""
        result = subprocess.run([BIN, "log", "dump", "--data-dir", self.data_dir], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def records_where(self, **fields):
        return [entry for entry in self.records()
                if all(entry["record"].get(name) == value for name, value in fields.items())]


class AwsCliError(Exception):
    def __init__(self, args, code, stdout, stderr):
        super().__init__(f"aws {' '.join(args)} exited {code}: {stderr.strip()}")
        self.code = code
        self.stdout = stdout
        self.stderr = stderr


@pytest.fixture
def start_server(tmp_path):
    started = []

    def start(extra_args=(), region="us-east-1", data_dir=None, port=None, scheme="http", verify=None,
              config_extra=""):
        server = Server(data_dir or tmp_path / f"data{len(started)}", extra_args, region, port, scheme, verify,
                        config_extra).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server):
    return start_server()


@pytest.fixture
def upstream(tmp_path):
    binary = shutil.which("s3s-fs") or os.path.join(os.path.dirname(__file__), "../../.tools/bin/s3s-fs")
    assert os.path.exists(binary), "s3s-fs is installed by scripts/test.sh into .tools/bin"
    root = tmp_path / "upstream"
    (root / "upstream-logs").mkdir(parents=True)
    port = free_port()

    class Upstream:
        process = None

        def start(self):
            self.process = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", str(port), "--access-key",
                                             "UPSTREAMKEY", "--secret-key", "UPSTREAMSECRET", str(root)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while not _listening(port):
                assert time.monotonic() < deadline, "s3s-fs did not start"
                time.sleep(0.05)

        def stop(self):
            self.process.terminate()
            self.process.wait(timeout=10)

    upstream = Upstream()
    upstream.endpoint, upstream.root = f"http://127.0.0.1:{port}", root
    upstream.start()
    yield upstream
    if upstream.process.poll() is None:
        upstream.stop()


def _listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
