"""boto3: wrong, unknown and missing keys, two accounts, virtual-hosted style, checksums, multipart rules,
and an upload abandoned halfway."""
import base64
import hashlib
import socket
import urllib.error
import urllib.parse
import urllib.request

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from common import ALICE, BOB, ENDPOINT, VHOST_DOMAIN, check, client, equal, error_code

alice, bob = client(ALICE), client(BOB)
alice.create_bucket(Bucket="alice-bucket")
alice.put_object(Bucket="alice-bucket", Key="secret.txt", Body=b"alice only")

# Authentication failures.
equal(error_code(client((ALICE[0], "wrong-secret")).list_buckets), "SignatureDoesNotMatch", "wrong secret")
equal(error_code(client(("AKIAUNKNOWN000000000", "whatever")).list_buckets), "InvalidAccessKeyId", "unknown key")
try:
    urllib.request.urlopen(f"{ENDPOINT}/alice-bucket/secret.txt")
    check(False, "an unsigned request must be refused")
except urllib.error.HTTPError as error:
    equal((error.code, b"<Code>AccessDenied</Code>" in error.read()), (403, True), "anonymous GET")

# Another account sees nothing of alice's and cannot take the name.
equal([b["Name"] for b in bob.list_buckets()["Buckets"]], [], "bob's ListBuckets")
equal(error_code(bob.get_object, Bucket="alice-bucket", Key="secret.txt"), "AccessDenied", "bob GetObject")
equal(error_code(bob.put_object, Bucket="alice-bucket", Key="x", Body=b"x"), "AccessDenied", "bob PutObject")
equal(error_code(bob.list_objects_v2, Bucket="alice-bucket"), "AccessDenied", "bob ListObjectsV2")
equal(error_code(bob.head_bucket, Bucket="alice-bucket"), "403", "bob HeadBucket")
equal(error_code(bob.create_bucket, Bucket="alice-bucket"), "BucketAlreadyExists", "bob CreateBucket")
equal(error_code(bob.copy_object, Bucket="alice-bucket", Key="c", CopySource="alice-bucket/secret.txt"),
      "AccessDenied", "bob CopyObject")
bob.create_bucket(Bucket="bob-bucket")
equal(error_code(bob.copy_object, Bucket="bob-bucket", Key="stolen", CopySource="alice-bucket/secret.txt"),
      "AccessDenied", "bob copies alice's object")
equal([b["Name"] for b in alice.list_buckets()["Buckets"]], ["alice-bucket"], "alice's ListBuckets")

# Virtual-hosted style: requests go to <bucket>.<domain> through the server as an HTTP proxy.
virtual = client(ALICE, endpoint_url=f"http://{VHOST_DOMAIN}", s3={"addressing_style": "virtual"},
                 proxies={"http": client(ALICE).meta.endpoint_url})
virtual.put_object(Bucket="alice-bucket", Key="vhost/key.txt", Body=b"virtual")
equal(virtual.get_object(Bucket="alice-bucket", Key="vhost/key.txt")["Body"].read(), b"virtual", "vhost GET")
equal([o["Key"] for o in virtual.list_objects_v2(Bucket="alice-bucket", Prefix="vhost/")["Contents"]],
      ["vhost/key.txt"], "vhost list")
equal(alice.get_object(Bucket="alice-bucket", Key="vhost/key.txt")["Body"].read(), b"virtual", "path-style view")

# Content-MD5 is checked.
wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
equal(error_code(alice.put_object, Bucket="alice-bucket", Key="md5", Body=b"data", ContentMD5=wrong_md5),
      "BadDigest", "wrong Content-MD5")
right_md5 = base64.b64encode(hashlib.md5(b"data").digest()).decode()
alice.put_object(Bucket="alice-bucket", Key="md5", Body=b"data", ContentMD5=right_md5)

# Flexible checksums: a wrong header checksum is refused; aws-chunked bodies with a CRC32 trailer (what
# botocore sends over TLS; forced here over plain HTTP) are decoded and verified.
equal(error_code(alice.put_object, Bucket="alice-bucket", Key="crc", Body=b"data", ChecksumCRC32="AAAAAA=="),
      "BadDigest", "wrong x-amz-checksum-crc32")
import botocore.httpchecksum as httpchecksum
from urllib.parse import urlparse

httpchecksum.urlparse = lambda url: urlparse(url)._replace(scheme="https")
chunked_body = bytes(range(256)) * 1200
alice.put_object(Bucket="alice-bucket", Key="chunked.bin", Body=chunked_body)
httpchecksum.urlparse = urlparse
equal(alice.get_object(Bucket="alice-bucket", Key="chunked.bin")["Body"].read(), chunked_body, "aws-chunked PUT")

# Multipart rules: order, unknown parts, small parts, listing, abort; then a real completion.
upload = alice.create_multipart_upload(Bucket="alice-bucket", Key="mp.bin", ContentType="application/x-test")
upload_id = upload["UploadId"]
small = [alice.upload_part(Bucket="alice-bucket", Key="mp.bin", UploadId=upload_id, PartNumber=n,
                           Body=bytes([n]) * 1024)["ETag"] for n in (1, 2)]
parts = alice.list_parts(Bucket="alice-bucket", Key="mp.bin", UploadId=upload_id)["Parts"]
equal([(p["PartNumber"], p["Size"], p["ETag"]) for p in parts], [(1, 1024, small[0]), (2, 1024, small[1])],
      "ListParts")
uploads = alice.list_multipart_uploads(Bucket="alice-bucket")["Uploads"]
equal([(u["Key"], u["UploadId"]) for u in uploads], [("mp.bin", upload_id)], "ListMultipartUploads")


def complete(*part_list):
    return alice.complete_multipart_upload(
        Bucket="alice-bucket", Key="mp.bin", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in part_list]})


equal(error_code(complete, (2, small[1]), (1, small[0])), "InvalidPartOrder", "parts out of order")
equal(error_code(complete, (1, small[0]), (3, small[1])), "InvalidPart", "unknown part")
equal(error_code(complete, (1, '"%s"' % ("0" * 32))), "InvalidPart", "wrong part ETag")
equal(error_code(complete, (1, small[0]), (2, small[1])), "EntityTooSmall", "small non-last part")
first = b"\x01" * (5 * 1024 * 1024)
etag1 = alice.upload_part(Bucket="alice-bucket", Key="mp.bin", UploadId=upload_id, PartNumber=1, Body=first)["ETag"]
done = complete((1, etag1), (2, small[1]))
expected = hashlib.md5(hashlib.md5(first).digest() + hashlib.md5(bytes([2]) * 1024).digest()).hexdigest()
equal(done["ETag"], '"%s-2"' % expected, "multipart ETag")
got = alice.get_object(Bucket="alice-bucket", Key="mp.bin")
equal((got["ContentType"], got["Body"].read() == first + bytes([2]) * 1024), ("application/x-test", True),
      "assembled object")
equal(error_code(alice.list_parts, Bucket="alice-bucket", Key="mp.bin", UploadId=upload_id), "NoSuchUpload",
      "completed upload is gone")
aborted = alice.create_multipart_upload(Bucket="alice-bucket", Key="gone.bin")["UploadId"]
alice.abort_multipart_upload(Bucket="alice-bucket", Key="gone.bin", UploadId=aborted)
equal(alice.list_multipart_uploads(Bucket="alice-bucket").get("Uploads", []), [], "no uploads left")
check(error_code(alice.abort_multipart_upload, Bucket="alice-bucket", Key="gone.bin", UploadId=aborted)
      == "NoSuchUpload", "abort twice")
# An upload whose client goes away halfway: the server still records the call (the harness waits for it).
body = b"x" * 100_000
request = AWSRequest(method="PUT", url=f"{ENDPOINT}/alice-bucket/partial.bin", data=body,
                     headers={"Host": urllib.parse.urlsplit(ENDPOINT).netloc, "Content-Length": str(len(body))})
S3SigV4Auth(Credentials(*ALICE), "s3", "us-east-1").add_auth(request)
head = "PUT /alice-bucket/partial.bin HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
endpoint = urllib.parse.urlsplit(ENDPOINT)
connection = socket.create_connection((endpoint.hostname, endpoint.port))
connection.sendall(head.encode() + b"\r\n" + body[: len(body) // 2])
connection.close()
print("ok")
