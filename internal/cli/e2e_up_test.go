package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tuskdata/tusk/internal/blob/s3"
	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// runUpOnce runs `tusk up` with args, which must fail within 20 seconds,
// and returns what it printed.
func runUpOnce(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tuskBin, append([]string{"up", "--listen", freeAddr(t)}, args...)...)
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("tusk up %s: %v, want it to fail at once\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestE2ESecondServerOnDataDirRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	dir := t.TempDir()
	tusktest.StartUp(t, tuskBin, "--data-dir", dir)
	sock, err := os.Stat(filepath.Join(dir, "tusk.sock"))
	if err != nil {
		t.Fatal(err)
	}
	out := runUpOnce(t, "--data-dir", dir)
	m := regexp.MustCompile(`data directory (\S+) is in use by process (\d+) \(tusk up --listen 127\.0\.0\.1:\d+\), which holds the lock on (\S+)`).FindStringSubmatch(out)
	if m == nil || m[1] != dir || m[3] != filepath.Join(dir, "tusk.lock") || !strings.Contains(out, "--data-dir") {
		t.Fatalf("second tusk up on %s printed:\n%s\nwant the process that holds the lock and a hint naming --data-dir", dir, out)
	}
	cmdline, err := os.ReadFile("/proc/" + m[2] + "/cmdline")
	if err != nil || !bytes.Contains(cmdline, []byte("\x00up\x00")) || !bytes.Contains(cmdline, []byte(dir)) {
		t.Errorf("process %s is not the first tusk up on %s: %q, %v", m[2], dir, cmdline, err)
	}
	if after, err := os.Stat(filepath.Join(dir, "tusk.sock")); err != nil || !os.SameFile(sock, after) {
		t.Errorf("the second tusk up removed or replaced the first one's worker socket: %v", err)
	}
}

// testS3URL returns the URL of TUSK_TEST_S3 with the given bucket (if not
// empty) and endpoint (host:port, if not empty), and a fresh prefix.
func testS3URL(t *testing.T, bucket, endpoint string) string {
	t.Helper()
	u, err := url.Parse(testenv.Require(t, "s3", "TUSK_TEST_S3"))
	if err != nil {
		t.Fatalf("TUSK_TEST_S3: %v", err)
	}
	if bucket != "" {
		u.Host = bucket
	}
	u.Path = "/up-" + strings.ToLower(rand.Text())
	if endpoint != "" {
		q := u.Query()
		q.Set("endpoint", "http://"+endpoint)
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// removeBucket deletes a bucket that a test made, with its objects.
func removeBucket(t *testing.T, rawurl string) {
	t.Helper()
	cfg, err := s3.ParseURL(rawurl, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Region: cfg.Region})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for oi := range mc.ListObjectsIter(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if oi.Err == nil {
			oi.Err = mc.RemoveObject(ctx, cfg.Bucket, oi.Key, minio.RemoveObjectOptions{})
		}
		if oi.Err != nil {
			t.Errorf("cleanup of bucket %s: %v", cfg.Bucket, oi.Err)
			return
		}
	}
	if err := mc.RemoveBucket(ctx, cfg.Bucket); err != nil {
		t.Errorf("cleanup: remove bucket %s: %v", cfg.Bucket, err)
	}
}

func TestE2EUpWithPostgresAndS3CreatesDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	storage := testS3URL(t, "", "")
	dsn := testenv.PostgresDatabase(t)
	dir := filepath.Join(t.TempDir(), "not", "yet")
	e := startServer(t, "--data-dir", dir, "--storage", storage, "--metadata", dsn)
	if _, err := os.Stat(filepath.Join(dir, "tusk.lock")); err != nil {
		t.Errorf("data directory: %v", err)
	}
	e.run("create", "repo", "r")
	e.runIn(strings.NewReader("hello"), "put", "file", "r@master:/a")
	if got := e.run("get", "file", "r@master:/a"); got != "hello" {
		t.Errorf("get file = %q, want %q", got, "hello")
	}
}

func TestE2EUpRefusesMissingBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	bucket := "tusk-typo-" + strings.ToLower(rand.Text())
	storage := testS3URL(t, bucket, "")
	out := runUpOnce(t, "--data-dir", t.TempDir(), "--storage", storage)
	if !strings.Contains(out, "bucket "+bucket+" does not exist") || !strings.Contains(out, "--create-bucket") {
		t.Fatalf("tusk up with a missing bucket printed:\n%s\nwant an error naming the bucket and --create-bucket", out)
	}
	t.Cleanup(func() { removeBucket(t, storage) }) // runs after the server stops
	e := startServer(t, "--storage", storage, "--create-bucket")
	e.run("create", "repo", "r")
	e.runIn(strings.NewReader("in the new bucket"), "put", "file", "r@master:/a")
	if got := e.run("get", "file", "r@master:/a"); got != "in the new bucket" {
		t.Errorf("get file = %q", got)
	}
}

func TestE2EPutSurvivesS3Outage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	cfg, err := s3.ParseURL(testenv.Require(t, "s3", "TUSK_TEST_S3"), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.StartProxy(t, cfg.Endpoint)
	storage := testS3URL(t, "", proxy.Addr())
	e := startServer(t, "--storage", storage, "--store-retry", "30s", "--log-level", "info")
	e.run("create", "repo", "r")
	data := randomBytes(7, 24<<20)
	e.writeFile("big.bin", data)

	proxy.Stop()
	time.AfterFunc(3*time.Second, proxy.Start)
	start := time.Now()
	e.run("put", "file", "r@master:/big", "-f", "big.bin")
	if d := time.Since(start); d < 3*time.Second {
		t.Errorf("put file returned after %s, before S3 came back", d)
	}
	if got := e.run("get", "file", "r@master:/big"); got != string(data) {
		t.Errorf("get file after the outage: %d bytes, want the %d put", len(got), len(data))
	}
	wantContains(t, "server log", e.logs.String(), `msg="object store unavailable; retrying"`, "connection refused", `msg="object store available again"`)

	// Past the limit, the put fails and says why.
	e2 := startServer(t, "--storage", testS3URL(t, "", proxy.Addr()), "--store-retry", "1s")
	e2.run("create", "repo", "r")
	e2.writeFile("small.txt", []byte("small"))
	proxy.Stop()
	defer proxy.Start()
	stderr := e2.fail(1, "put", "file", "r@master:/small", "-f", "small.txt")
	wantContains(t, "put file with S3 down past --store-retry", stderr, "object store unavailable for 1s, the retry limit", "connection refused")
}

const tmpSpec = `{
  "pipeline": {"name": "tmp"},
  "transform": {"cmd": ["sh", "-c", "echo \"$TMPDIR\" > /pfs/out/tmpdir; ls \"$TMPDIR\" > /pfs/out/ls; touch \"$TMPDIR/left-by-user-code\""]},
  "input": {"pfs": {"repo": "in", "glob": "/"}}
}`

func TestE2EWorkerTempDirIsRemoved(t *testing.T) {
	dir := t.TempDir()
	e := startServer(t, append(processRunner, "--data-dir", dir)...)
	e.run("create", "repo", "in")
	e.runIn(strings.NewReader("x"), "put", "file", "in@master:/x")
	e.run("create", "pipeline", "-f", e.writeFile("tmp.json", []byte(tmpSpec)))
	e.waitJobs(e.headJob("tmp"))
	tmp := strings.TrimSpace(e.run("get", "file", "tmp@master:/tmpdir"))
	link := filepath.Join(dir, "workers", "tmp-v1-0.tmp")
	if got, err := os.Readlink(link); err != nil || got != tmp || !strings.HasPrefix(filepath.Base(tmp), "tusk-worker-") {
		t.Fatalf("the worker's $TMPDIR is %q, and %s links to %q (%v); want a tusk-worker-* directory of the worker's own, recorded there", tmp, link, got, err)
	}
	if ls := e.run("get", "file", "tmp@master:/ls"); !strings.HasPrefix(ls, "tusk-bin-") {
		t.Errorf("the worker's $TMPDIR holds %q, want its shim directory tusk-bin-…", ls)
	}
	e.run("delete", "pipeline", "tmp")
	e.eventually("the worker's $TMPDIR and its link removed after it stopped", func() bool {
		_, err := os.Stat(tmp)
		_, lerr := os.Lstat(link)
		return errors.Is(err, os.ErrNotExist) && errors.Is(lerr, os.ErrNotExist)
	})
}

func TestE2ECommandSurvivesPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	u, err := url.Parse(testenv.PostgresDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.StartProxy(t, u.Host)
	u.Host = proxy.Addr()
	e := startServer(t, "--metadata", u.String(), "--store-retry", "30s", "--log-level", "info")
	e.run("create", "repo", "before")

	proxy.Stop()
	time.AfterFunc(2*time.Second, proxy.Start)
	e.run("create", "repo", "during")
	wantContains(t, "list repo", e.run("list", "repo"), "before", "during")
	wantContains(t, "server log", e.logs.String(), `msg="metadata store unavailable; retrying"`, `msg="metadata store available again"`)
}

const copySpec = `{
  "pipeline": {"name": "copy"},
  "transform": {"cmd": ["sh", "-c", "sleep 2; tr a-z A-Z < $in > /pfs/out/upper.bin"]},
  "input": {"pfs": {"repo": "in", "glob": "/*"}}
}`

func TestE2EJobSurvivesS3Outage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	cfg, err := s3.ParseURL(testenv.Require(t, "s3", "TUSK_TEST_S3"), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.StartProxy(t, cfg.Endpoint)
	e := startServer(t, append(processRunner, "--storage", testS3URL(t, "", proxy.Addr()), "--store-retry", "30s", "--log-level", "info")...)
	e.run("create", "repo", "in")
	data := randomBytes(11, 8<<20)
	e.writeFile("in.bin", data)
	e.run("put", "file", "in@master:/in.bin", "-f", "in.bin")
	e.run("create", "pipeline", "-f", e.writeFile("copy.json", []byte(copySpec)))
	job := e.headJob("copy")

	// S3 goes down while the datum's command runs, so its output (new
	// chunks) and the job's output commit are written during the outage.
	e.eventually("the datum running", func() bool {
		// pachctl's JSON says STARTING for a datum Tusk knows is running.
		return len(lines[pachapi.DatumInfo](e, "list", "datum", "copy@"+job, "--state", "running")) == 1
	})
	proxy.Stop()
	time.AfterFunc(4*time.Second, proxy.Start)
	e.waitJobs(job)
	if j := object[pachapi.JobInfo](e, "inspect", "job", "copy@"+job); j.State != "JOB_SUCCESS" {
		t.Fatalf("job across an S3 outage: %+v, want success", j)
	}
	upper := bytes.Clone(data) // as tr a-z A-Z makes it
	for i, b := range upper {
		if 'a' <= b && b <= 'z' {
			upper[i] = b - 'a' + 'A'
		}
	}
	if got := e.run("get", "file", "copy@master:/upper.bin"); got != string(upper) {
		t.Errorf("the job's output: %d bytes, want its input's %d in upper case", len(got), len(data))
	}
	wantContains(t, "server log", e.logs.String(), `msg="object store unavailable; retrying" op=put`, `msg="object store available again"`)
}
