"""`opentrail serve` and its fixed contracts: generated root credentials and the banner's export lines,
/health, /metrics, TLS with tlsDetails in records, and an orderly shutdown on SIGTERM."""

import os
import signal
import stat
import subprocess
import urllib.request

import boto3
import trustme

from conftest import BIN, ROOT_KEY, ROOT_SECRET, free_port


def test_generated_root_credentials_and_banner_exports_work_with_the_aws_cli(tmp_path):
    data = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENTRAIL_", "AWS_"))}
    process = subprocess.Popen([BIN, "serve", "--data-dir", str(data), "--listen", f"127.0.0.1:{port}"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        exports = {}
        while len(exports) < 4:
            line = process.stdout.readline()
            assert line, "server exited before printing its banner"
            if line.startswith("export "):
                name, value = line[len("export "):].strip().split("=", 1)
                exports[name] = value
        assert exports["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        assert exports["AWS_DEFAULT_REGION"] == "us-east-1"
        mode = stat.S_IMODE(os.stat(data / "root-credentials.json").st_mode)
        assert mode == 0o600
        cli_env = dict(env, **exports, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        result = subprocess.run(["aws", "sts", "get-caller-identity"], env=cli_env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert '"Account": "123456789012"' in result.stdout
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_health_and_metrics(server):
    with urllib.request.urlopen(f"{server.endpoint}/health") as response:
        assert response.status == 200
    server.client("cloudtrail").list_trails()
    server.client("s3").list_buckets()
    with urllib.request.urlopen(f"{server.endpoint}/metrics") as response:
        text = response.read().decode()
    assert 'opentrail_requests_total{api="cloudtrail",status="200"} 1' in text
    assert 'opentrail_requests_total{api="s3",status="200"} 1' in text
    assert "opentrail_events_appended_total 2" in text
    assert "opentrail_fsync_seconds_count" in text


def test_sigterm_drains_and_exits_cleanly(server):
    server.client("cloudtrail").list_trails()
    assert server.stop(signal.SIGTERM) == 0
    assert "stopped" in server.read_log()
    assert [e["record"]["eventName"] for e in server.records()] == ["ListTrails"]


def test_tls_serves_the_apis_and_records_tls_details(start_server, tmp_path):
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path, ca_path = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.private_key_pem.write_to_path(str(key_path))
    certificate.cert_chain_pems[0].write_to_path(str(cert_path))
    authority.cert_pem.write_to_path(str(ca_path))
    server = start_server(["--tls-cert", str(cert_path), "--tls-key", str(key_path)], scheme="https",
                          verify=str(ca_path))
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1", verify=str(ca_path),
                       aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET)
    assert sts.get_caller_identity()["Account"] == "123456789012"
    [record] = [e["record"] for e in server.records()]
    assert record["tlsDetails"]["tlsVersion"] == "TLSv1.3"
    assert record["tlsDetails"]["cipherSuite"].startswith("TLS_")
    assert record["tlsDetails"]["clientProvidedHostHeader"] == f"127.0.0.1:{server.port}"
