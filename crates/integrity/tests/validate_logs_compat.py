"""Runs the unmodified `aws cloudtrail validate-logs` command logic over files OpenTrail produced.

Usage: python validate_logs_compat.py FIXTURE_DIR   (an interpreter with awscli 1.46.3 installed)

FIXTURE_DIR is written by the Rust integration test `cli_compat` (crates/integrity/tests/it):
  scenario.json              trail ARN, region, time range, bucket, prefix, expected counts
  public_keys.json           KeyStore::public_keys(region, start, end + 2 h) as {fingerprint, derHex, ...}
  metadata.json              {"<bucket>/<key>": {"signature": ..., "signature-algorithm": ...}}
  objects/<bucket>/<key>     every uploaded object (log files and digests), byte for byte

The real `CloudTrailValidateLogs` command class parses the real argument list and runs its own
listing, chain walk, SHA256withRSA verification and log hashing. Only the network is replaced:
`setup_services` hands it in-memory S3 and CloudTrail clients that serve the fixture the way S3
(ListObjects v1 with Marker/Prefix, GetObject with x-amz-meta-* metadata, NoSuchKey) and
CloudTrail (DescribeTrails, ListPublicKeys; blobs stay base64 text as the CLI's identity blob
parser leaves them) would. The HTTP wire format itself is out of scope here; the server's
integration tests cover it.

After the untouched fixture validates, three tampered copies must be rejected with the CLI's own
messages, so this check cannot pass vacuously. Exit 0 when everything matched, 1 otherwise.
"""

import argparse
import base64
import copy
import contextlib
import gzip
import io
import json
import os
import sys

from awscli.clidriver import create_clidriver
from awscli.customizations.cloudtrail.validation import CloudTrailValidateLogs

# awscli 1.46 vendors botocore and makes it importable only after awscli itself is imported.
from botocore.exceptions import ClientError  # noqa: E402


def no_such_key(key):
    return ClientError(
        {"Error": {"Code": "NoSuchKey", "Message": f"The specified key does not exist: {key}"}},
        "GetObject",
    )


class FakePageIterator:
    def __init__(self, keys):
        self._keys = keys

    def search(self, expression):
        assert expression == "Contents[*].Key", expression
        return iter(self._keys)


class FakeListObjectsPaginator:
    def __init__(self, store):
        self._store = store

    def paginate(self, Bucket, Marker, Prefix):
        keys = sorted(
            key.encode()
            for (bucket, key) in self._store.objects
            if bucket == Bucket and key.startswith(Prefix) and key > Marker
        )
        return FakePageIterator([k.decode() for k in keys])


class FakeS3Client:
    def __init__(self, store):
        self._store = store

    def get_bucket_location(self, Bucket):
        return {"LocationConstraint": None}

    def get_paginator(self, name):
        assert name == "list_objects", name
        return FakeListObjectsPaginator(self._store)

    def get_object(self, Bucket, Key):
        body = self._store.objects.get((Bucket, Key))
        if body is None:
            raise no_such_key(Key)
        metadata = self._store.metadata.get(f"{Bucket}/{Key}", {})
        return {"Body": io.BytesIO(body), "Metadata": dict(metadata)}


class FakeS3ClientProvider:
    def __init__(self, store):
        self._client = FakeS3Client(store)

    def get_client(self, bucket_name):
        return self._client


class FakeCloudTrailClient:
    def __init__(self, store):
        self._store = store
        self.public_key_requests = []

    def describe_trails(self, **kwargs):
        s = self._store.scenario
        return {
            "trailList": [
                {
                    "TrailARN": s["trailArn"],
                    "S3BucketName": s["bucket"],
                    "S3KeyPrefix": s["prefix"],
                    "IsOrganizationTrail": False,
                }
            ]
        }

    def list_public_keys(self, StartTime, EndTime):
        self.public_key_requests.append((StartTime, EndTime))
        return {
            "PublicKeyList": [
                {
                    # The CLI installs an identity blob parser, so it receives the base64 text.
                    "Value": base64.b64encode(bytes.fromhex(k["derHex"])),
                    "ValidityStartTime": k["validityStart"],
                    "ValidityEndTime": k["validityEnd"],
                    "Fingerprint": k["fingerprint"],
                }
                for k in self._store.public_keys
            ]
        }


class FixtureStore:
    def __init__(self, root):
        with open(os.path.join(root, "scenario.json")) as f:
            self.scenario = json.load(f)
        with open(os.path.join(root, "public_keys.json")) as f:
            self.public_keys = json.load(f)
        with open(os.path.join(root, "metadata.json")) as f:
            self.metadata = json.load(f)
        self.objects = {}
        objects_root = os.path.join(root, "objects")
        for bucket in os.listdir(objects_root):
            bucket_root = os.path.join(objects_root, bucket)
            for dirpath, _, files in os.walk(bucket_root):
                for name in files:
                    path = os.path.join(dirpath, name)
                    key = os.path.relpath(path, bucket_root).replace(os.sep, "/")
                    with open(path, "rb") as f:
                        self.objects[(bucket, key)] = f.read()


def make_command_class(store):
    class OfflineValidateLogs(CloudTrailValidateLogs):
        """The real command with only its network clients swapped for the fixture."""

        def setup_services(self, parsed_globals):
            self._source_region = parsed_globals.region
            self.s3_client_provider = FakeS3ClientProvider(store)
            self.organization_client = None
            self.cloudtrail_client = FakeCloudTrailClient(store)

    return OfflineValidateLogs


def run_validate_logs(session, store):
    s = store.scenario
    argv = [
        "--trail-arn", s["trailArn"],
        "--start-time", s["startTime"],
        "--end-time", s["endTime"],
        "--verbose",
    ]
    parsed_globals = argparse.Namespace(
        command="cloudtrail", region=s["region"], verify_ssl=True, endpoint_url=None
    )
    command = make_command_class(store)(session)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = command(argv, parsed_globals)
    return rc, out.getvalue(), err.getvalue()


class Checker:
    def __init__(self):
        self.failures = []

    def expect(self, case, condition, what, rc, out, err):
        if not condition:
            self.failures.append(
                f"[{case}] expected {what}\n  exit code: {rc}\n  stdout:\n{out}\n  stderr:\n{err}"
            )


def check_untouched(session, store, checker):
    s = store.scenario
    rc, out, err = run_validate_logs(session, store)
    n_digests, n_logs = s["expectedDigests"], s["expectedLogFiles"]
    ok = lambda cond, what: checker.expect("untouched", cond, what, rc, out, err)
    ok(rc == 0, "exit code 0")
    ok(err == "", "nothing on stderr")
    ok(f"{n_digests}/{n_digests} digest files valid" in out, f"{n_digests}/{n_digests} digest files valid")
    ok(f"{n_logs}/{n_logs} log files valid" in out, f"{n_logs}/{n_logs} log files valid")
    ok("INVALID" not in out + err, "no INVALID line")
    for key in s["digestKeys"]:
        line = f"Digest file\ts3://{s['bucket']}/{key}\tvalid"
        ok(line in out, f"line {line!r}")
    for key in s["logKeys"]:
        line = f"Log file\ts3://{s['bucket']}/{key}\tvalid"
        ok(line in out, f"line {line!r}")
    found = f"Results found for {s['startTime']} to {s['endTime']}:"
    ok(found in out, f"line {found!r}")
    return out


def tampered(store, mutate):
    clone = copy.copy(store)
    clone.objects = dict(store.objects)
    clone.metadata = copy.deepcopy(store.metadata)
    mutate(clone)
    return clone


def check_tampered(session, store, checker):
    s = store.scenario
    bucket, log_key, digest_key = s["bucket"], s["logKeys"][0], s["digestKeys"][-1]

    def change_log_content(clone):
        original = gzip.decompress(clone.objects[(bucket, log_key)])
        clone.objects[(bucket, log_key)] = gzip.compress(original.replace(b"Records", b"Recordz"))

    def append_second_member(clone):
        clone.objects[(bucket, log_key)] += gzip.compress(b"{}")

    def change_signature(clone):
        signature = clone.metadata[f"{bucket}/{digest_key}"]["signature"]
        flipped = "0" if signature[-1] != "0" else "1"
        clone.metadata[f"{bucket}/{digest_key}"]["signature"] = signature[:-1] + flipped

    cases = [
        ("log content changed", change_log_content,
         f"Log file\ts3://{bucket}/{log_key}\tINVALID: hash value doesn't match"),
        ("log has a second gzip member", append_second_member,
         f"Log file\ts3://{bucket}/{log_key}\tINVALID: unexpected data after end of compressed stream"),
        ("digest signature changed", change_signature,
         f"Digest file\ts3://{bucket}/{digest_key}\tINVALID: signature verification failed"),
    ]
    for name, mutate, message in cases:
        rc, out, err = run_validate_logs(session, tampered(store, mutate))
        checker.expect(name, rc == 1, "exit code 1", rc, out, err)
        checker.expect(name, message in err, f"stderr line {message!r}", rc, out, err)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    store = FixtureStore(sys.argv[1])
    session = create_clidriver().session
    checker = Checker()
    untouched_output = check_untouched(session, store, checker)
    check_tampered(session, store, checker)
    if checker.failures:
        print("\n\n".join(checker.failures), file=sys.stderr)
        return 1
    s = store.scenario
    print(untouched_output)
    print(
        f"validate-logs accepted {s['expectedDigests']} digests and {s['expectedLogFiles']} log files "
        f"and rejected 3 tampered copies"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
