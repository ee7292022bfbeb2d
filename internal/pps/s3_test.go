package pps_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// s3Script is a pipeline's command, in Python with boto3: it reads its
// input images through the worker's S3 endpoint, writes its output
// through the bucket out, and checks what the endpoint refuses.
const s3Script = `
import io, os, boto3, boto3.s3.transfer, botocore.exceptions as bx
url = os.environ["S3_ENDPOINT"]
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
body = s3.get_object(Bucket="images", Key="a.txt")["Body"].read()
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="images")["Contents"]]
s3.put_object(Bucket="out", Key="b.txt", Body=body.upper())
s3.put_object(Bucket="out", Key="dir/keys", Body=" ".join(keys).encode())
s3.copy_object(Bucket="out", Key="copy", CopySource={"Bucket": "images", "Key": "d/c.txt"})
s3.put_object(Bucket="out", Key="gone", Body=b"x")
s3.delete_object(Bucket="out", Key="gone")
mib = 1 << 20
s3.upload_fileobj(io.BytesIO(b"m" * (6 * mib)), "out", "big",
    Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * mib, multipart_chunksize=5 * mib))
listed = [o["Key"] for o in s3.list_objects_v2(Bucket="out")["Contents"]]
if listed != ["b.txt", "big", "copy", "dir/keys"]:
    raise SystemExit("out lists %s" % listed)
if os.path.exists(os.path.join(os.environ["PFS"], "images")):
    raise SystemExit("an S3 input was laid out as files")
def refused(what, f, code):
    try:
        f()
    except bx.ClientError as e:
        if e.response["Error"]["Code"] != code:
            raise SystemExit("%s: %s, want %s" % (what, e.response["Error"]["Code"], code))
        return
    raise SystemExit(what + " was taken")
wrong = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong")
refused("a wrong secret", lambda: wrong.list_objects_v2(Bucket="images"), "SignatureDoesNotMatch")
refused("a write to an input", lambda: s3.put_object(Bucket="images", Key="x", Body=b"x"), "AccessDenied")
`

// A pipeline with an S3 input and s3_out reads the input and writes its
// output through the worker's S3 endpoint, with a real S3 client, signed
// with the worker's token.
func TestS3InputAndOutput(t *testing.T) {
	testenv.Require(t, "s3clients", "TUSK_TEST_S3CLIENTS")
	e := newEnv(t) // authentication is on
	e.repo("images")
	in := e.put("images", "/a.txt", "hello", "/d/c.txt", "sea")
	spec, err := json.Marshal(map[string]any{
		"pipeline":  map[string]any{"name": "s3p"},
		"input":     map[string]any{"pfs": map[string]any{"repo": "images", "glob": "/", "s3": true}},
		"transform": map[string]any{"cmd": []string{"python3", "-c", s3Script}},
		"s3_out":    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.pipeline(string(spec))
	e.wait(in.ID)
	j := e.lastJob("s3p")
	got := e.files("s3p@master")
	want := map[string]string{"/b.txt": "HELLO", "/dir/keys": "a.txt d/c.txt", "/copy": "sea", "/big": strings.Repeat("m", 6<<20)}
	if j.State != tusk.JobSuccess || len(got) != len(want) {
		t.Fatalf("job %s %s; output %v, want %v; logs:\n%s", j.State, j.Reason, got, want, e.logs("s3p"))
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("output %s = %.40q (%d bytes), want %.40q (%d bytes)", p, got[p], len(got[p]), w, len(w))
		}
	}
}

// An S3 input is one datum: a glob other than "/" is refused when the
// pipeline is created.
func TestS3InputNeedsRootGlob(t *testing.T) {
	e := newEnv(t)
	e.repo("images")
	_, err := e.c.CreatePipeline(e.ctx, []byte(`{"pipeline": {"name": "s3p"}, "transform": {"cmd": ["true"]},
		"input": {"pfs": {"repo": "images", "glob": "/*", "s3": true}}}`), false, false, false)
	if err == nil || !strings.Contains(err.Error(), `field "input.pfs.glob" is "/*", but an input with "s3": true is one bucket of the whole commit, one datum: use "/"`) {
		t.Fatalf("create pipeline with an S3 input of glob /*: %v", err)
	}
}

// logs returns the log lines of a pipeline's datums, for a failure's
// message.
func (e *env) logs(pipeline string) string {
	var b strings.Builder
	e.c.Logs(e.ctx, pipeline, "", "", false, func(l tusk.LogLine) error {
		b.WriteString(l.Message + "\n")
		return nil
	})
	return b.String()
}
