"""ListPublicKeys as `aws cloudtrail validate-logs` reads it: PKCS#1 DER values, MD5 fingerprints,
one key per region, time-range errors."""

import datetime
import hashlib

import botocore.exceptions
import pytest


def test_each_region_has_a_pkcs1_key_with_an_md5_fingerprint(server):
    east = server.client("cloudtrail").list_public_keys()["PublicKeyList"]
    west = server.client("cloudtrail", region="eu-west-1").list_public_keys()["PublicKeyList"]
    assert len(east) == 1 and len(west) == 1
    key = east[0]
    assert key["Value"][:4] == b"\x30\x82\x01\x0a"  # SEQUENCE { modulus, exponent } of a 2048-bit key
    assert key["Fingerprint"] == hashlib.md5(key["Value"]).hexdigest()
    assert key["ValidityStartTime"] <= datetime.datetime.now(datetime.timezone.utc) < key["ValidityEndTime"]
    assert west[0]["Fingerprint"] != key["Fingerprint"]
    again = server.client("cloudtrail").list_public_keys()["PublicKeyList"]
    assert again == east


def test_inverted_time_range_is_refused(server):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        server.client("cloudtrail").list_public_keys(StartTime=datetime.datetime(2026, 2, 1),
                                                     EndTime=datetime.datetime(2026, 1, 1))
    assert refused.value.response["Error"]["Code"] == "InvalidTimeRangeException"
