package s3gw_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// awsEnv is the environment of an aws command that uses the gateway with
// the given keys, path style, and no configuration of the user's.
func awsEnv(t *testing.T, access, secret string) []string {
	t.Helper()
	config := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(config, []byte("[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n  signature_version = s3v4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
}

func TestAWSCLIRead(t *testing.T) {
	aws := tool(t, "aws")
	e := newEnv(t, true)
	e.put(t, "data", "master", map[string]string{"one.csv": "1,2,3\n", "logs/a.log": "aaa", "logs/b.log": "bbb", "logs/deep/c.log": "ccc"})
	env := awsEnv(t, "x", "y")
	cli := func(args ...string) string {
		t.Helper()
		return run(t, env, nil, aws, append([]string{"--endpoint-url", e.s3}, args...)...)
	}

	if out := cli("s3", "ls"); !strings.Contains(out, "master.data") {
		t.Errorf("aws s3 ls = %q, want the bucket master.data", out)
	}
	out := cli("s3", "ls", "s3://data/")
	for _, want := range []string{"PRE logs/", "6 one.csv"} {
		if !strings.Contains(out, want) {
			t.Errorf("aws s3 ls s3://data/ = %q, want %q in it", out, want)
		}
	}
	out = cli("s3", "ls", "--recursive", "s3://master.data/logs/")
	for _, want := range []string{"logs/a.log", "logs/b.log", "logs/deep/c.log"} {
		if !strings.Contains(out, want) {
			t.Errorf("aws s3 ls --recursive = %q, want %q in it", out, want)
		}
	}
	if got := cli("s3", "cp", "s3://data/one.csv", "-"); got != "1,2,3\n" {
		t.Errorf("aws s3 cp to stdout = %q", got)
	}
	dir := t.TempDir()
	cli("s3", "cp", "--recursive", "s3://data/logs", dir)
	for name, want := range map[string]string{"a.log": "aaa", "b.log": "bbb", "deep/c.log": "ccc"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s copied out = %q, %v; want %q", name, b, err, want)
		}
	}

	var list struct {
		Contents []struct{ Key string }
		KeyCount int
	}
	if err := json.Unmarshal([]byte(cli("s3api", "list-objects-v2", "--bucket", "data", "--prefix", "logs/", "--page-size", "1")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 3 || list.Contents[2].Key != "logs/deep/c.log" {
		t.Errorf("list-objects-v2 in pages of one = %+v, want the 3 logs", list)
	}
	part := filepath.Join(dir, "part")
	var head struct {
		ContentLength int64
		ContentRange  string
		ETag          string
	}
	if err := json.Unmarshal([]byte(cli("s3api", "get-object", "--bucket", "data", "--key", "one.csv", "--range", "bytes=2-3", part)), &head); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(part); string(b) != "2," || head.ContentRange != "bytes 2-3/6" {
		t.Errorf("get-object --range bytes=2-3 = %q, %+v; want \"2,\" and bytes 2-3/6", b, head)
	}
	if err := json.Unmarshal([]byte(cli("s3api", "head-object", "--bucket", "data", "--key", "one.csv")), &head); err != nil {
		t.Fatal(err)
	}
	if head.ContentLength != 6 || len(head.ETag) != 68 {
		t.Errorf("head-object = %+v, want 6 bytes and a quoted ETag HASH-1", head)
	}
	cli("s3api", "head-bucket", "--bucket", "master.data")
	if out, err := runErr(env, nil, aws, "--endpoint-url", e.s3, "s3api", "get-object", "--bucket", "data", "--key", "nope", part); err == nil || !strings.Contains(out, "NoSuchKey") {
		t.Errorf("get-object of a missing key: %v, %q; want NoSuchKey", err, out)
	}
	if out, err := runErr(env, nil, aws, "--endpoint-url", e.s3, "s3api", "get-object", "--bucket", "data", "--key", "one.csv",
		"--if-match", `"0000"`, part); err == nil || !strings.Contains(out, "PreconditionFailed") {
		t.Errorf("get-object --if-match of another ETag: %v, %q; want PreconditionFailed", err, out)
	}
}

func TestAWSCLISigned(t *testing.T) {
	aws := tool(t, "aws")
	e := newEnv(t, false)
	e.put(t, "signed", "master", map[string]string{"a.txt": "aaa"})
	env := awsEnv(t, e.token, e.token)
	dir := t.TempDir()
	big := strings.Repeat("0123456789", 2<<20) // 20 MB: a multipart upload
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, env, nil, aws, "--endpoint-url", e.s3, "s3", "cp", filepath.Join(dir, "big.txt"), "s3://signed/big.txt")
	run(t, env, strings.NewReader("small"), aws, "--endpoint-url", e.s3, "s3", "cp", "-", "s3://signed/small.txt")
	if got := run(t, env, nil, aws, "--endpoint-url", e.s3, "s3", "cp", "s3://signed/big.txt", "-"); got != big {
		t.Errorf("big.txt read back: %d bytes, want %d", len(got), len(big))
	}
	url := strings.TrimSpace(run(t, env, nil, aws, "--endpoint-url", e.s3, "s3", "presign", "s3://signed/small.txt", "--expires-in", "60"))
	if code, body := s3Status(t, mustRequest(t, "GET", url, nil)); code != 200 || body != "small" {
		t.Errorf("GET of the presigned URL of aws s3 presign = %d %q", code, body)
	}
	bad := awsEnv(t, e.token, "wrong")
	if out, err := runErr(bad, nil, aws, "--endpoint-url", e.s3, "s3", "ls", "s3://signed/"); err == nil || !strings.Contains(out, "SignatureDoesNotMatch") {
		t.Errorf("aws s3 ls with a wrong secret: %v, %q; want SignatureDoesNotMatch", err, out)
	}
}
