"""aws CLI (s3): multipart cp up and down, sync, recursive rm, ls, and a presigned URL fetched plainly."""
import hashlib
import os
import urllib.error
import urllib.request

from common import aws, check, equal, path, read, write

BUCKET = "transfer-bucket"
aws("s3", "mb", f"s3://{BUCKET}", raw=True)

# 20 MiB: the CLI uploads it in 8 MiB parts and downloads it with ranged GETs.
big = os.urandom(20 * 1024 * 1024)
write("big.bin", big)
aws("s3", "cp", path("big.bin"), f"s3://{BUCKET}/data/big.bin", raw=True)
head = aws("s3api", "head-object", "--bucket", BUCKET, "--key", "data/big.bin")
equal(head["ContentLength"], len(big), "multipart object size")
part_md5s = b"".join(hashlib.md5(big[i:i + 8 * 1024 * 1024]).digest() for i in range(0, len(big), 8 * 1024 * 1024))
equal(head["ETag"], '"%s-3"' % hashlib.md5(part_md5s).hexdigest(), "multipart ETag")
aws("s3", "cp", f"s3://{BUCKET}/data/big.bin", path("big.down"), raw=True)
check(read("big.down") == big, "downloaded bytes differ from uploaded bytes")

# sync up, sync again (nothing to do), list, recursive rm.
os.makedirs(path("tree/nested"), exist_ok=True)
for name, data in [("tree/one.txt", b"one"), ("tree/two.txt", b"two"), ("tree/nested/three.txt", b"three")]:
    write(name, data)
aws("s3", "sync", path("tree"), f"s3://{BUCKET}/synced/", raw=True)
again = aws("s3", "sync", path("tree"), f"s3://{BUCKET}/synced/", raw=True)
equal(again.strip(), "", "second sync uploads nothing")
listing = aws("s3", "ls", f"s3://{BUCKET}/synced/", "--recursive", raw=True)
listed = sorted(line.split()[-1] for line in listing.splitlines())
equal(listed, ["synced/nested/three.txt", "synced/one.txt", "synced/two.txt"], "synced keys")
top = aws("s3", "ls", f"s3://{BUCKET}/", raw=True)
check("PRE data/" in top and "PRE synced/" in top, f"ls shows prefixes: {top!r}")
aws("s3", "sync", f"s3://{BUCKET}/synced/", path("tree-down"), raw=True)
equal(read("tree-down/nested/three.txt"), b"three", "sync down")
aws("s3", "rm", f"s3://{BUCKET}/synced/", "--recursive", raw=True)
remaining = aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "synced/")
equal((remaining or {}).get("Contents", []), [], "rm --recursive")

# A presigned URL works with plain HTTP, and stops working when tampered with.
write("small.txt", b"presigned payload")
aws("s3", "cp", path("small.txt"), f"s3://{BUCKET}/small.txt", raw=True)
url = aws("s3", "presign", f"s3://{BUCKET}/small.txt", "--expires-in", "300", raw=True).strip()
with urllib.request.urlopen(url) as response:
    equal(response.read(), b"presigned payload", "presigned GET")
try:
    urllib.request.urlopen(url.replace("small.txt", "big.txt"))
    check(False, "a tampered presigned URL must be refused")
except urllib.error.HTTPError as error:
    equal(error.code, 403, "tampered presigned URL status")
    check(b"SignatureDoesNotMatch" in error.read(), "tampered presigned URL error code")
print("ok")
