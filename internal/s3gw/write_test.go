package s3gw_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/tuskdata/tusk/internal/tusk"
)

// commits counts the commits of repo@branch.
func (e *env) commits(t *testing.T, ref string) int {
	t.Helper()
	n := 0
	if err := e.c.ListCommits(context.Background(), ref, "", 0, func(tusk.Commit) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMinioWrite(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, true)
	e.put(t, "docs", "master", map[string]string{"keep.txt": "kept"})
	mc := minioClient(t, e, "k", "s")

	info, err := mc.PutObject(ctx, "docs", "new/hello.txt", strings.NewReader("hello"), 5, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := mc.StatObject(ctx, "docs", "new/hello.txt", minio.StatObjectOptions{})
	if err != nil || st.ETag != info.ETag || st.Size != 5 {
		t.Fatalf("StatObject after PutObject = %+v, %v; want the ETag %s PutObject gave", st, err, info.ETag)
	}
	if got := readObject(t, mc, "docs", "new/hello.txt"); got != "hello" {
		t.Errorf("read back %q", got)
	}
	if n := e.commits(t, "docs@master"); n != 2 {
		t.Errorf("%d commits after one put; want 2 (each write is a commit)", n)
	}
	// The same content elsewhere has the same ETag.
	again, err := mc.PutObject(ctx, "docs", "other.txt", strings.NewReader("hello"), 5, minio.PutObjectOptions{})
	if err != nil || again.ETag != info.ETag {
		t.Errorf("ETag of equal content = %q, %v; want %q", again.ETag, err, info.ETag)
	}

	// A multipart upload (minio-go uses one past PartSize) is one commit.
	big := make([]byte, 12<<20)
	rand.Read(big)
	before := e.commits(t, "docs@master")
	if _, err := mc.PutObject(ctx, "docs", "big.bin", bytes.NewReader(big), int64(len(big)), minio.PutObjectOptions{PartSize: 5 << 20}); err != nil {
		t.Fatal(err)
	}
	if got := readObject(t, mc, "docs", "big.bin"); got != string(big) {
		t.Errorf("big.bin read back: %d bytes, equal %v", len(got), got == string(big))
	}
	if n := e.commits(t, "docs@master"); n != before+1 {
		t.Errorf("a multipart upload made %d commits, want 1", n-before)
	}

	if _, err := mc.CopyObject(ctx, minio.CopyDestOptions{Bucket: "docs", Object: "copy.txt"}, minio.CopySrcOptions{Bucket: "docs", Object: "keep.txt"}); err != nil {
		t.Fatal(err)
	}
	if got := readObject(t, mc, "docs", "copy.txt"); got != "kept" {
		t.Errorf("copy.txt = %q, want kept", got)
	}
	if err := mc.RemoveObject(ctx, "docs", "copy.txt", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := mc.RemoveObject(ctx, "docs", "never-was.txt", minio.RemoveObjectOptions{}); err != nil {
		t.Errorf("RemoveObject of a missing key = %v, want success", err)
	}
	before = e.commits(t, "docs@master")
	objs := make(chan minio.ObjectInfo, 2)
	objs <- minio.ObjectInfo{Key: "other.txt"}
	objs <- minio.ObjectInfo{Key: "new/hello.txt"}
	close(objs)
	for r := range mc.RemoveObjects(ctx, "docs", objs, minio.RemoveObjectsOptions{}) {
		t.Errorf("RemoveObjects: %s: %v", r.ObjectName, r.Err)
	}
	if n := e.commits(t, "docs@master"); n != before+1 {
		t.Errorf("RemoveObjects of two keys made %d commits, want 1", n-before)
	}
	var keys []string
	for o := range mc.ListObjects(ctx, "docs", minio.ListObjectsOptions{Recursive: true}) {
		keys = append(keys, o.Key)
	}
	if want := []string{"big.bin", "keep.txt"}; !slices.Equal(keys, want) {
		t.Errorf("keys after the deletes = %v, want %v", keys, want)
	}

	head, err := e.c.InspectCommit(ctx, "docs@master")
	if err != nil {
		t.Fatal(err)
	}
	_, err = mc.PutObject(ctx, head.ID+".docs", "x", strings.NewReader("x"), 1, minio.PutObjectOptions{})
	if s3Code(err) != "AccessDenied" {
		t.Errorf("PutObject into a commit's bucket = %v; want AccessDenied", err)
	}
	if err := mc.MakeBucket(ctx, "feature.docs", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mc.PutObject(ctx, "feature.docs", "f.txt", strings.NewReader("f"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := readObject(t, mc, "feature.docs", "f.txt"); got != "f" {
		t.Errorf("f.txt on the new branch = %q", got)
	}
}

func TestAWSCLIWrite(t *testing.T) {
	aws := tool(t, "aws")
	e := newEnv(t, true)
	e.put(t, "up", "master", map[string]string{"old.txt": "old"})
	env := awsEnv(t, "x", "y")
	cli := func(args ...string) string {
		t.Helper()
		return run(t, env, nil, aws, append([]string{"--endpoint-url", e.s3}, args...)...)
	}
	dir := t.TempDir()
	big := make([]byte, 20<<20)
	rand.Read(big)
	files := map[string][]byte{"a.txt": []byte("aaa"), "sub/b.txt": []byte("bbb"), "big.bin": big}
	for name, data := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cli("s3", "cp", "--recursive", dir, "s3://up/in/")
	run(t, env, strings.NewReader("from stdin"), aws, "--endpoint-url", e.s3, "s3", "cp", "-", "s3://up/stdin.txt")
	out := t.TempDir()
	cli("s3", "cp", "--recursive", "s3://up/in/", out)
	for name, data := range files {
		if b, err := os.ReadFile(filepath.Join(out, name)); err != nil || !bytes.Equal(b, data) {
			t.Errorf("%s round trip: %d bytes, %v; want %d bytes", name, len(b), err, len(data))
		}
	}
	if got := cli("s3", "cp", "s3://up/stdin.txt", "-"); got != "from stdin" {
		t.Errorf("stdin.txt = %q", got)
	}
	cli("s3", "cp", "s3://up/old.txt", "s3://up/copied.txt")
	cli("s3", "rm", "s3://up/old.txt")
	cli("s3", "rm", "--recursive", "s3://up/in/sub/")
	listing := cli("s3", "ls", "--recursive", "s3://up/")
	for _, want := range []string{"copied.txt", "in/a.txt", "in/big.bin", "stdin.txt"} {
		if !strings.Contains(listing, want) {
			t.Errorf("listing %q lacks %s", listing, want)
		}
	}
	for _, gone := range []string{"old.txt", "sub/b.txt"} {
		if strings.Contains(listing, gone) {
			t.Errorf("listing %q still has %s", listing, gone)
		}
	}
}

// Concurrent PutObjects to one branch are committed in groups, and each
// is still a commit of its own, which its answer names.
func TestConcurrentPutsAreACommitEach(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, false)
	e.put(t, "many", "master", map[string]string{"keep.txt": "kept"})
	mc := minioClient(t, e, e.token, e.token)
	const n, workers = 60, 10
	versions := make([]string, n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				body := strings.Repeat(strconv.Itoa(i), 100)
				info, err := mc.PutObject(ctx, "master.many", fmt.Sprintf("d%d/f%d", i%3, i), strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
				if err != nil {
					t.Error(err)
					continue
				}
				versions[i] = info.VersionID
			}
		})
	}
	wg.Wait()
	if got := e.commits(t, "many@master"); got != n+1 {
		t.Errorf("%d commits after %d concurrent puts; want %d (each put is a commit)", got, n, n+1)
	}
	seen := map[string]bool{}
	for i, v := range versions {
		if v == "" || seen[v] {
			t.Errorf("put %d answered version %q; want a commit of its own", i, v)
		}
		seen[v] = true
		if got := readObject(t, mc, "master.many", fmt.Sprintf("d%d/f%d", i%3, i)); got != strings.Repeat(strconv.Itoa(i), 100) {
			t.Errorf("object %d reads %q", i, got)
		}
	}
	// Each put's commit holds its file.
	for i, v := range versions {
		if _, err := mc.StatObject(ctx, v+".many", fmt.Sprintf("d%d/f%d", i%3, i), minio.StatObjectOptions{}); err != nil {
			t.Errorf("put %d's commit %s: %v", i, v, err)
		}
	}
}
