"""Raw signed HTTP requests for what the aws CLI cannot do: OpenTrail's own ingest endpoint, and
requests signed at a chosen time (clock-skew tests). Signing is botocore's own SigV4 code."""

import datetime
import json
import urllib.error
import urllib.request
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def signed_request(url, body, key, secret, region="us-east-1", service="opentrail", headers=None,
                   at=None, method="POST"):
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers or {})
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), service, region)
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=prepared.body, method=method, headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(raw, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def ingest(server, body, key, secret, region="us-east-1"):
    status, headers, payload = signed_request(f"{server.endpoint}/ingest", body, key, secret, region)
    return status, json.loads(payload)


def json_call(server, operation, payload, key, secret, region="us-east-1", at=None, target_prefix=None):
    """Calls a CloudTrail operation with an explicit X-Amz-Target form and signing time."""
    prefix = target_prefix or "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
    headers = {"X-Amz-Target": f"{prefix}.{operation}", "Content-Type": "application/x-amz-json-1.1"}
    status, response_headers, body = signed_request(server.endpoint + "/", json.dumps(payload).encode(), key, secret,
                                                    region, "cloudtrail", headers, at)
    return status, response_headers, json.loads(body) if body else None


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
