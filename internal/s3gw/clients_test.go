package s3gw_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkTree fails the test unless dir holds files (path → content).
func checkTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(b, data) {
			t.Errorf("%s: %d bytes, %v; want %d bytes", name, len(b), err, len(data))
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestRclone(t *testing.T) {
	rclone := tool(t, "rclone")
	e := newEnv(t, false)
	e.put(t, "rc", "master", map[string]string{"seed.txt": "seed"})
	conf := filepath.Join(t.TempDir(), "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"RCLONE_CONFIG=" + conf,
		"RCLONE_CONFIG_TUSK_TYPE=s3", "RCLONE_CONFIG_TUSK_PROVIDER=Other", "RCLONE_CONFIG_TUSK_ENDPOINT=" + e.s3,
		"RCLONE_CONFIG_TUSK_ACCESS_KEY_ID=" + e.token, "RCLONE_CONFIG_TUSK_SECRET_ACCESS_KEY=" + e.token,
		"RCLONE_CONFIG_TUSK_REGION=us-east-1", "RCLONE_CONFIG_TUSK_FORCE_PATH_STYLE=true",
		"AWS_CA_BUNDLE="} // rclone cannot load one for its transport, and the gateway here is plain HTTP
	rc := func(args ...string) string {
		t.Helper()
		return run(t, env, nil, rclone, append([]string{"--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"}, args...)...)
	}
	src := t.TempDir()
	files := map[string][]byte{"a.txt": []byte("aaa"), "d/b.txt": []byte("bbb"), "d/e/big.bin": randomBytes(12 << 20)}
	writeTree(t, src, files)
	rc("copy", src, "tusk:master.rc/in")
	if out := rc("lsf", "-R", "tusk:master.rc"); !strings.Contains(out, "in/d/e/big.bin") || !strings.Contains(out, "seed.txt") {
		t.Errorf("rclone lsf -R = %q", out)
	}
	if got := rc("cat", "tusk:master.rc/in/d/b.txt"); got != "bbb" {
		t.Errorf("rclone cat = %q", got)
	}
	rc("check", "--size-only", src, "tusk:master.rc/in")
	out := t.TempDir()
	rc("copy", "tusk:rc/in", out)
	checkTree(t, out, files)
	rc("copyto", "tusk:rc/seed.txt", "tusk:rc/seed-copy.txt")
	rc("deletefile", "tusk:rc/seed.txt")
	rc("purge", "tusk:rc/in/d")
	if out := rc("lsf", "-R", "tusk:rc"); strings.Contains(out, "seed.txt\n") && !strings.Contains(out, "seed-copy.txt") || strings.Contains(out, "b.txt") {
		t.Errorf("after copyto, deletefile and purge: %q", out)
	}
	if got := rc("cat", "tusk:rc/seed-copy.txt"); got != "seed" {
		t.Errorf("seed-copy.txt = %q", got)
	}
}

func TestS3cmd(t *testing.T) {
	s3cmd := tool(t, "s3cmd")
	e := newEnv(t, false)
	e.put(t, "sc", "master", map[string]string{"seed.txt": "seed"})
	host := strings.TrimPrefix(e.s3, "http://")
	conf := filepath.Join(t.TempDir(), "s3cfg")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n",
		e.token, e.token, host, host), 0o600); err != nil {
		t.Fatal(err)
	}
	sc := func(args ...string) string {
		t.Helper()
		return run(t, nil, nil, s3cmd, append([]string{"-c", conf, "--multipart-chunk-size-mb", "5"}, args...)...)
	}
	src := t.TempDir()
	files := map[string][]byte{"a.txt": []byte("aaa"), "big.bin": randomBytes(11 << 20)}
	writeTree(t, src, files)
	sc("put", filepath.Join(src, "a.txt"), "s3://master.sc/up/a.txt")
	sc("put", filepath.Join(src, "big.bin"), "s3://master.sc/up/big.bin")
	if out := sc("ls", "-r", "s3://master.sc"); !strings.Contains(out, "s3://master.sc/up/big.bin") || !strings.Contains(out, "s3://master.sc/seed.txt") {
		t.Errorf("s3cmd ls -r = %q", out)
	}
	if out := sc("ls"); !strings.Contains(out, "s3://master.sc") {
		t.Errorf("s3cmd ls = %q", out)
	}
	out := t.TempDir()
	sc("get", "--recursive", "s3://master.sc/up/", out+"/")
	checkTree(t, out, files)
	sc("cp", "s3://master.sc/seed.txt", "s3://master.sc/copied.txt")
	sc("del", "s3://master.sc/seed.txt")
	sc("info", "s3://master.sc/copied.txt")
	listing := sc("ls", "-r", "s3://master.sc")
	if strings.Contains(listing, "/seed.txt") || !strings.Contains(listing, "copied.txt") {
		t.Errorf("after cp and del: %q", listing)
	}
}

// boto3Script exercises boto3's client against the gateway: the endpoint,
// keys and bucket come as arguments; it prints OK when every check holds.
const boto3Script = `
import sys, boto3, botocore
from botocore.config import Config
endpoint, key, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=key,
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
assert bucket in names, names
s3.head_bucket(Bucket=bucket)
assert s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") in (None, ""), "location"
put = s3.put_object(Bucket=bucket, Key="dir/one.txt", Body=b"one")
head = s3.head_object(Bucket=bucket, Key="dir/one.txt")
assert head["ETag"] == put["ETag"] and head["ContentLength"] == 3, head
assert s3.get_object(Bucket=bucket, Key="dir/one.txt", Range="bytes=1-")["Body"].read() == b"ne"
try:
    s3.get_object(Bucket=bucket, Key="dir/one.txt", IfMatch='"nope"')
    raise SystemExit("IfMatch of another ETag succeeded")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "PreconditionFailed", e.response
for i in range(3):
    s3.put_object(Bucket=bucket, Key="many/%d.txt" % i, Body=b"x")
pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="many/", PaginationConfig={"PageSize": 1}))
assert [o["Key"] for p in pages for o in p.get("Contents", [])] == ["many/0.txt", "many/1.txt", "many/2.txt"], pages
top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["dir/", "many/"], top
s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "dir/one.txt"})
assert s3.get_object(Bucket=bucket, Key="copy.txt")["Body"].read() == b"one"
up = s3.create_multipart_upload(Bucket=bucket, Key="multi.bin")["UploadId"]
parts = []
for n, data in enumerate([b"a" * (5 << 20), b"b" * 1000], start=1):
    r = s3.upload_part(Bucket=bucket, Key="multi.bin", UploadId=up, PartNumber=n, Body=data)
    parts.append({"PartNumber": n, "ETag": r["ETag"]})
assert len(s3.list_parts(Bucket=bucket, Key="multi.bin", UploadId=up)["Parts"]) == 2
s3.complete_multipart_upload(Bucket=bucket, Key="multi.bin", UploadId=up, MultipartUpload={"Parts": parts})
assert s3.head_object(Bucket=bucket, Key="multi.bin")["ContentLength"] == (5 << 20) + 1000
aborted = s3.create_multipart_upload(Bucket=bucket, Key="gone.bin")["UploadId"]
s3.abort_multipart_upload(Bucket=bucket, Key="gone.bin", UploadId=aborted)
s3.delete_object(Bucket=bucket, Key="copy.txt")
res = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "many/0.txt"}, {"Key": "many/1.txt"}]})
assert len(res["Deleted"]) == 2, res
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
assert keys == ["dir/one.txt", "many/2.txt", "multi.bin", "seed.txt"], keys
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/one.txt"}, ExpiresIn=60)
print(url)
print("OK")
`

func TestBoto3(t *testing.T) {
	tool(t, "s3cmd") // the clients are there
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s: %v; install the S3 clients with: bash .ci/s3clients.sh", python, err)
	}
	e := newEnv(t, false)
	e.put(t, "bo", "master", map[string]string{"seed.txt": "seed"})
	out := run(t, []string{"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, strings.NewReader(boto3Script),
		python, "-", e.s3, e.token, "master.bo")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[len(lines)-1] != "OK" {
		t.Fatalf("boto3 checks: %s", out)
	}
	if code, body := s3Status(t, mustRequest(t, "GET", lines[len(lines)-2], nil)); code != 200 || body != "one" {
		t.Errorf("GET of boto3's presigned URL = %d %q", code, body)
	}
}
