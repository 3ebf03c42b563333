"""aws CLI (s3api): buckets, policies, objects with metadata, ranges, copies, listings v1 and v2."""
import hashlib
import json

from common import aws, check, equal, path, read, write

BUCKET = "alpha-bucket"

# Buckets: LocationConstraint, location, duplicates, bad names.
created = aws("s3api", "create-bucket", "--bucket", BUCKET,
              "--create-bucket-configuration", "LocationConstraint=eu-west-1")
equal(created["Location"], f"/{BUCKET}", "CreateBucket Location")
equal(aws("s3api", "get-bucket-location", "--bucket", BUCKET)["LocationConstraint"], "eu-west-1", "location")
aws("s3api", "create-bucket", "--bucket", BUCKET, expect_error="BucketAlreadyOwnedByYou")
aws("s3api", "create-bucket", "--bucket", "Bad_Name", expect_error="InvalidBucketName")
aws("s3api", "head-bucket", "--bucket", BUCKET)
aws("s3api", "head-bucket", "--bucket", "missing-bucket", expect_error="404")
names = [bucket["Name"] for bucket in aws("s3api", "list-buckets")["Buckets"]]
equal(names, [BUCKET], "ListBuckets")

# Policies: stored verbatim, validated, deleted.
aws("s3api", "get-bucket-policy", "--bucket", BUCKET, expect_error="NoSuchBucketPolicy")
policy = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]})
aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", policy)
equal(aws("s3api", "get-bucket-policy", "--bucket", BUCKET)["Policy"], policy, "policy verbatim")
aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", "not json", expect_error="MalformedPolicy")
aws("s3api", "put-bucket-policy", "--bucket", BUCKET, "--policy", '{"Version":"2012-10-17"}',
    expect_error="MalformedPolicy")
aws("s3api", "delete-bucket-policy", "--bucket", BUCKET)
aws("s3api", "get-bucket-policy", "--bucket", BUCKET, expect_error="NoSuchBucketPolicy")

# An object with metadata and standard headers.
body = b"0123456789abcdefghij"
write("body.txt", body)
put = aws("s3api", "put-object", "--bucket", BUCKET, "--key", "docs/a b.txt", "--body", path("body.txt"),
          "--content-type", "text/plain", "--cache-control", "no-cache", "--content-disposition", "inline",
          "--metadata", "color=blue,shape=round")
equal(put["ETag"], '"%s"' % hashlib.md5(body).hexdigest(), "PutObject ETag")
head = aws("s3api", "head-object", "--bucket", BUCKET, "--key", "docs/a b.txt")
equal(head["Metadata"], {"color": "blue", "shape": "round"}, "user metadata")
equal(head["ContentType"], "text/plain", "Content-Type")
equal(head["CacheControl"], "no-cache", "Cache-Control")
equal(head["ContentDisposition"], "inline", "Content-Disposition")
equal(head["ContentLength"], len(body), "Content-Length")
aws("s3api", "head-object", "--bucket", BUCKET, "--key", "missing", expect_error="404")

# Ranges.
ranged = aws("s3api", "get-object", "--bucket", BUCKET, "--key", "docs/a b.txt", "--range", "bytes=2-5",
             path("range.out"))
equal(read("range.out"), body[2:6], "ranged bytes")
equal(ranged["ContentRange"], f"bytes 2-5/{len(body)}", "Content-Range")
aws("s3api", "get-object", "--bucket", BUCKET, "--key", "docs/a b.txt", "--range", "bytes=-4", path("tail.out"))
equal(read("tail.out"), body[-4:], "suffix range")
aws("s3api", "get-object", "--bucket", BUCKET, "--key", "docs/a b.txt", "--range", "bytes=100-",
    path("bad.out"), expect_error="InvalidRange")
aws("s3api", "get-object", "--bucket", BUCKET, "--key", "nothing-here", path("none.out"), expect_error="NoSuchKey")

# Copies: COPY keeps metadata, REPLACE takes the new one, copying onto itself is refused.
aws("s3api", "copy-object", "--bucket", BUCKET, "--key", "copy-kept", "--copy-source", f"{BUCKET}/docs/a b.txt")
equal(aws("s3api", "head-object", "--bucket", BUCKET, "--key", "copy-kept")["Metadata"]["color"], "blue", "COPY")
aws("s3api", "copy-object", "--bucket", BUCKET, "--key", "copy-replaced", "--copy-source", f"{BUCKET}/docs/a b.txt",
    "--metadata-directive", "REPLACE", "--metadata", "color=red", "--content-type", "application/json")
replaced = aws("s3api", "head-object", "--bucket", BUCKET, "--key", "copy-replaced")
equal((replaced["Metadata"], replaced["ContentType"]), ({"color": "red"}, "application/json"), "REPLACE")
aws("s3api", "copy-object", "--bucket", BUCKET, "--key", "copy-kept", "--copy-source", f"{BUCKET}/copy-kept",
    expect_error="InvalidRequest")

# Listing: v1 with delimiter, url encoding, markers; v2 pagination.
for key in ["docs/b+c.txt", "docs/sub/d.txt", "top.txt", "\u00e9t\u00e9.txt"]:
    aws("s3api", "put-object", "--bucket", BUCKET, "--key", key, "--body", path("body.txt"))
all_keys = sorted(["copy-kept", "copy-replaced", "docs/a b.txt", "docs/b+c.txt", "docs/sub/d.txt", "top.txt",
                   "\u00e9t\u00e9.txt"], key=lambda k: k.encode())

listed = aws("s3api", "list-objects", "--bucket", BUCKET, "--delimiter", "/", "--encoding-type", "url")
equal([p["Prefix"] for p in listed["CommonPrefixes"]], ["docs/"], "v1 common prefixes")
equal([o["Key"] for o in listed["Contents"]], ["copy-kept", "copy-replaced", "top.txt", "%C3%A9t%C3%A9.txt"],
      "v1 url-encoded keys")
listed = aws("s3api", "list-objects", "--bucket", BUCKET, "--prefix", "docs/", "--delimiter", "/",
             "--encoding-type", "url")
equal([o["Key"] for o in listed["Contents"]], ["docs/a%20b.txt", "docs/b%2Bc.txt"], "v1 prefix keys")
equal([p["Prefix"] for p in listed["CommonPrefixes"]], ["docs/sub/"], "v1 prefix common prefixes")
equal([o["Key"] for o in aws("s3api", "list-objects", "--bucket", BUCKET)["Contents"]], all_keys, "v1 decoded")

page = aws("s3api", "list-objects", "--bucket", BUCKET, "--max-keys", "2", "--no-paginate")
equal((page["IsTruncated"], "NextMarker" in page), (True, False), "v1 truncated without delimiter")
page = aws("s3api", "list-objects", "--bucket", BUCKET, "--max-keys", "2", "--marker", "copy-replaced",
           "--no-paginate")
equal([o["Key"] for o in page["Contents"]], ["docs/a b.txt", "docs/b+c.txt"], "v1 marker")
page = aws("s3api", "list-objects", "--bucket", BUCKET, "--max-keys", "3", "--delimiter", "/", "--no-paginate")
equal((page["IsTruncated"], page["NextMarker"]), (True, "docs/"), "v1 NextMarker with delimiter")

seen, token, pages = [], None, 0
while True:
    args = ["s3api", "list-objects-v2", "--bucket", BUCKET, "--max-keys", "3", "--no-paginate"]
    page = aws(*args, *(["--continuation-token", token] if token else []))
    pages += 1
    equal(page["KeyCount"], len(page.get("Contents", [])), "KeyCount")
    seen += [o["Key"] for o in page.get("Contents", [])]
    if not page["IsTruncated"]:
        break
    token = page["NextContinuationToken"]
equal((seen, pages), (all_keys, 3), "v2 pagination")
paginated = aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--page-size", "2")
equal([o["Key"] for o in paginated["Contents"]], all_keys, "v2 CLI pagination")
after = aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--start-after", "docs/sub/d.txt", "--fetch-owner")
equal([o["Key"] for o in after["Contents"]], all_keys[5:], "v2 StartAfter")
check(all("Owner" in o for o in after["Contents"]), "v2 FetchOwner returns owners")
check(all("Owner" not in o for o in paginated["Contents"]), "v2 without FetchOwner has no owners")

# DeleteObjects (quiet), DeleteObject, bucket deletion rules.
quiet = aws("s3api", "delete-objects", "--bucket", BUCKET, "--delete",
            json.dumps({"Objects": [{"Key": "copy-kept"}, {"Key": "copy-replaced"}], "Quiet": True}))
check(not (quiet or {}).get("Deleted"), f"quiet DeleteObjects lists nothing: {quiet}")
loud = aws("s3api", "delete-objects", "--bucket", BUCKET, "--delete",
           json.dumps({"Objects": [{"Key": "top.txt"}, {"Key": "never-existed"}]}))
equal(sorted(d["Key"] for d in loud["Deleted"]), ["never-existed", "top.txt"], "DeleteObjects result")
aws("s3api", "delete-bucket", "--bucket", BUCKET, expect_error="BucketNotEmpty")
for key in ["docs/a b.txt", "docs/b+c.txt", "docs/sub/d.txt", "\u00e9t\u00e9.txt"]:
    aws("s3api", "delete-object", "--bucket", BUCKET, "--key", key)
aws("s3api", "delete-bucket", "--bucket", BUCKET)
equal(aws("s3api", "list-buckets").get("Buckets", []), [], "bucket deleted")
print("ok")
