"""The README's quick start, run as written: its shell blocks are extracted and executed against a
real server on the documented default port, so the walkthrough cannot rot."""

import json
import os
import re
import shutil
import signal
import subprocess

from conftest import BIN, CORPUS_DIR, Server

README = os.path.join(os.path.dirname(__file__), "../../README.md")
CARGO_RUN = "cargo run --release -p opentrail --"


def section_blocks(title):
    with open(README) as handle:
        text = handle.read()
    section = text[text.index(f"## {title}"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def quick_start_blocks():
    return section_blocks("Quick start")


def test_quick_start_runs_verbatim(tmp_path):
    start, session, data_events, delivery, dump, ingest = quick_start_blocks()
    exports = dict(re.findall(r"^export (\w+)=(\S+)$", start, re.M))
    serve_flags = re.search(rf"^{re.escape(CARGO_RUN)} serve(.*) &$", start, re.M).group(1).split()
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENTRAIL_"))}
    process = subprocess.Popen([BIN, "serve", *serve_flags], cwd=server_dir, env=dict(env, **exports), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    server = Server(server_dir / "opentrail-data", port=4580)
    server.process = process
    try:
        server.wait_healthy()
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        client_env = dict(env, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", session], cwd=scratch, env=client_env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert '"IsLogging": true' in result.stdout
        assert "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/test-event-selector" in result.stdout
        session_exports = "\n".join(line for line in session.splitlines() if line.startswith("export "))
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", session_exports + "\n" + data_events],
                                cwd=scratch, env=client_env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert sorted(result.stdout.split("\n")[-3:]) == ["", "DeleteObject sample.png", "PutObject sample.png"], \
            result.stdout
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", session_exports + "\n" + delivery], cwd=scratch,
                                env=client_env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "AWSLogs/123456789012/CloudTrail/ap-northeast-1/" in result.stdout
        assert re.search(r"^\d+/\d+ digest files valid$", result.stdout, re.M), result.stdout
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", dump.replace(CARGO_RUN, BIN)], cwd=server_dir,
                                env=client_env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(lines) == 3 and all(line["record"]["eventSource"].endswith(".amazonaws.com") for line in lines)
        ingest_command = ingest.replace(CARGO_RUN, BIN).replace("../shared/corpus/real", CORPUS_DIR)
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", session_exports + "\n" + ingest_command],
                                cwd=scratch, env=client_env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "total: 2900 accepted, 0 rejected" in result.stdout
        [alerts] = section_blocks("Alerts in under a second")
        hook = subprocess.Popen(["bash", "-euo", "pipefail", "-c", session_exports + "\n" + alerts], cwd=scratch,
                                env=client_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            stdout, stderr = hook.communicate(timeout=120)
        finally:
            os.killpg(hook.pid, signal.SIGTERM)
        assert hook.returncode == 0, stdout + stderr
        assert 'ALARM: "s3-large-get" in Asia Pacific (Tokyo)' in stdout, stdout + stderr
        assert stdout.strip().endswith('"ALARM"'), stdout
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_proxy_walkthrough_runs_verbatim(tmp_path):
    [block] = section_blocks("Object-level logging in front of another S3 server")
    _, session, *_ = quick_start_blocks()
    session_exports = "\n".join(line for line in session.splitlines() if line.startswith("export "))
    s3s_fs = shutil.which("s3s-fs") or os.path.join(os.path.dirname(__file__), "../../.tools/bin/s3s-fs")
    script = session_exports + "\n" + block.replace(CARGO_RUN, BIN).replace(".tools/bin/s3s-fs", s3s_fs)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENTRAIL_"))}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    process = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=120)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
    assert process.returncode == 0, stdout + stderr
    assert "cheese" in stdout and "cat.jpg" in stdout
    records = [json.loads(line)["record"] for line in stdout.splitlines() if line.startswith("{")]
    assert [(r["eventName"], r["eventCategory"]) for r in records] == [("PutObject", "Data"), ("GetObject", "Data")]
    assert (tmp_path / "upstream-data/photos/cat.jpg").read_text() == "cheese\n"
