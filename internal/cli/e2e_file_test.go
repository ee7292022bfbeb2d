package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tuskdata/tusk/internal/pachapi"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// tarball returns a tar archive of files, gzipped if zip is set.
func tarball(t *testing.T, zip bool, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var zw *gzip.Writer
	tw := tar.NewWriter(&buf)
	if zip {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

// paths lists the file paths under dir in commit.
func paths(e *e2e, commit, dir string) []string {
	var out []string
	for _, fi := range lines[pachapi.FileInfo](e, "glob", "file", commit+":"+strings.TrimSuffix(dir, "/")+"/**") {
		if fi.FileType == "FILE" {
			out = append(out, fi.File.Path)
		}
	}
	return out
}

func commitCount(e *e2e, repo string) int {
	return len(lines[pachapi.CommitInfo](e, "list", "commit", repo))
}

func TestE2EPutFile(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs")
	cafe := []byte("id,name\n1,café\n")
	img := randomBytes(1, 300<<10)
	e.writeFile("café.csv", cafe)
	e.writeFile("photos/IMG (1).jpg", img)
	e.writeFile("tree/a.txt", []byte("a"))
	e.writeFile("tree/sub/b.txt", []byte("bb"))

	e.run("put", "file", "imgs@master:/data/café.csv", "-f", "café.csv")
	if got := e.run("get", "file", "imgs@master:/data/café.csv"); got != string(cafe) {
		t.Errorf("get café.csv = %q, want %q", got, cafe)
	}
	e.run("put", "file", "imgs@master", "-f", "photos/IMG (1).jpg", "-p", "1", "-c") // pachctl's --parallelism and --compress
	if got := e.run("get", "file", "imgs@master:/IMG (1).jpg"); got != string(img) {
		t.Errorf("get IMG (1).jpg: %d bytes differ from the %d put", len(got), len(img))
	}
	e.run("put", "file", "imgs@master", "--full-path", "-f", "tree/a.txt")
	e.run("put", "file", "imgs@master", "-r", "-f", "tree")
	e.run("put", "file", "imgs@master:/p", "-r", "-f", "tree")
	e.run("put", "file", "imgs@master:/multi", "-f", "café.csv", "-f", "tree/a.txt")
	want := []string{"/IMG (1).jpg", "/data/café.csv", "/multi/a.txt", "/multi/café.csv", "/p/a.txt", "/p/sub/b.txt", "/tree/a.txt", "/tree/sub/b.txt"}
	if diff := cmp.Diff(want, paths(e, "imgs@master", "/")); diff != "" {
		t.Errorf("files after puts (-want +got):\n%s", diff)
	}

	stderr := e.fail(1, "put", "file", "imgs@master", "-f", "tree")
	wantContains(t, "put a directory without -r", stderr, "tree is a directory", "\n  add -r")

	// Append, standard input.
	e.runIn(strings.NewReader("one\n"), "put", "file", "imgs@master:/log.txt")
	e.runIn(strings.NewReader("two\n"), "put", "file", "imgs@master:/log.txt", "-a")
	e.runIn(strings.NewReader("three\n"), "put", "file", "imgs@master:/log.txt", "--append", "-f", "-")
	if got := e.run("get", "file", "imgs@master:/log.txt"); got != "one\ntwo\nthree\n" {
		t.Errorf("appended log = %q", got)
	}
	e.runIn(strings.NewReader("new\n"), "put", "file", "imgs@master:/log.txt")
	if got := e.run("get", "file", "imgs@master:/log.txt"); got != "new\n" {
		t.Errorf("overwritten log = %q", got)
	}
	stderr = e.fail(2, "put", "file", "imgs@master")
	wantContains(t, "stdin without a path", stderr, "needs a file path")

	// --untar from a file (gzipped) and from standard input (plain).
	e.writeFile("files.tgz", tarball(t, true, map[string]string{"./x.txt": "x", "d/y.txt": "yy"}))
	e.run("put", "file", "imgs@master:/untarred", "--untar", "-f", "files.tgz")
	tarIn := bytes.NewReader(tarball(t, false, map[string]string{"z.txt": "zzz"}))
	e.runIn(tarIn, "put", "file", "imgs@master:/u2", "--untar")
	if got := e.run("get", "file", "imgs@master:/untarred/d/y.txt"); got != "yy" {
		t.Errorf("untarred d/y.txt = %q", got)
	}
	if got := e.run("get", "file", "imgs@master:/u2/z.txt"); got != "zzz" {
		t.Errorf("untarred z.txt from stdin = %q", got)
	}
	e.writeFile("evil.tar", tarball(t, false, map[string]string{"../escape.txt": "x"}))
	stderr = e.fail(1, "put", "file", "imgs@master", "--untar", "-f", "evil.tar")
	wantContains(t, "tar entry with ..", stderr, "contains '..'")

	// -i: a list of local files.
	e.writeFile("list.txt", []byte("café.csv\ntree/sub/b.txt\n\n"))
	e.run("put", "file", "imgs@master:/listed", "-i", "list.txt")
	if diff := cmp.Diff([]string{"/listed/b.txt", "/listed/café.csv"}, paths(e, "imgs@master", "/listed")); diff != "" {
		t.Errorf("files put with -i (-want +got):\n%s", diff)
	}
	// URLs: http(s) is fetched by the client, other schemes are refused.
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing.png" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "content of %s", r.URL.Path)
	}))
	defer web.Close()
	e.run("put", "file", "imgs@master", "-f", web.URL+"/liberty.png")
	if got := e.run("get", "file", "imgs@master:/liberty.png"); got != "content of /liberty.png" {
		t.Errorf("put file from a URL: %q", got)
	}
	e.writeFile("urls.txt", []byte(web.URL+"/u/one.txt\n"+web.URL+"/u/two.txt\n"))
	e.run("put", "file", "imgs@master:/web/", "-i", "urls.txt")
	if diff := cmp.Diff([]string{"/web/one.txt", "/web/two.txt"}, paths(e, "imgs@master", "/web")); diff != "" {
		t.Errorf("files put with -i of URLs (-want +got):\n%s", diff)
	}
	stderr = e.fail(1, "put", "file", "imgs@master", "-f", web.URL+"/missing.png")
	wantContains(t, "missing URL", stderr, "404")
	e.writeFile("s3urls.txt", []byte("gs://bucket/a.csv\n"))
	stderr = e.fail(1, "put", "file", "imgs@master:/x", "-i", "s3urls.txt")
	wantContains(t, "gs URL in -i", stderr, "not supported yet")

	// Bad paths are refused with the rule, and make no commit.
	before := commitCount(e, "imgs")
	stderr = e.fail(1, "put", "file", "imgs@master:/a/../b", "-f", "café.csv")
	wantContains(t, "path with ..", stderr, `".."`, "may not contain '.' or '..' elements")
	stderr = e.fail(1, "put", "file", "imgs@master:/a\x01b", "-f", "café.csv")
	wantContains(t, "path with a control character", stderr, "control character")
	if after := commitCount(e, "imgs"); after != before {
		t.Errorf("refused puts made %d commits", after-before)
	}
}

func TestE2EPutManyFilesIsOneCommit(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "many")
	e.runIn(strings.NewReader("seed"), "put", "file", "many@master:/seed")
	for i := range 2000 {
		e.writeFile(filepath.Join("big", string(rune('a'+i%26)), "f"+strings.Repeat("x", i%5)+"-"+strconv.Itoa(i)+".txt"), []byte(strconv.Itoa(i)))
	}
	before := commitCount(e, "many")
	e.run("put", "file", "many@master", "-r", "-f", "big")
	if got := commitCount(e, "many") - before; got != 1 {
		t.Errorf("put file -r of 2000 files made %d commits, want 1", got)
	}
	if n := len(paths(e, "many@master", "/big")); n != 2000 {
		t.Errorf("%d files under /big, want 2000", n)
	}
	if n := len(paths(e, "many@master", "/")); n != 2001 {
		t.Errorf("head commit holds %d files, want 2001", n)
	}
}

func TestE2EGetFile(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs")
	big := randomBytes(2, 3<<20+17)
	e.writeFile("big.bin", big)
	e.writeFile("tree/a.txt", []byte("a"))
	e.writeFile("tree/sub/café.csv", []byte("c"))
	e.run("put", "file", "imgs@master:/big.bin", "-f", "big.bin")
	e.run("put", "file", "imgs@master", "-r", "-f", "tree")

	if got := e.run("get", "file", "imgs@master:/big.bin"); got != string(big) {
		t.Fatalf("get big.bin to stdout: bytes differ (%d vs %d)", len(got), len(big))
	}
	e.run("get", "file", "imgs@master:/big.bin", "-o", "out.bin")
	if got, _ := os.ReadFile(filepath.Join(e.dir, "out.bin")); !bytes.Equal(got, big) {
		t.Errorf("get -o out.bin: bytes differ")
	}
	const off = 1<<20 + 3
	if got := e.run("get", "file", "imgs@master:/big.bin", "--offset", strconv.Itoa(off)); got != string(big[off:]) {
		t.Errorf("get --offset %d: %d bytes, want %d", off, len(got), len(big)-off)
	}
	// Resume an interrupted download.
	e.writeFile("partial.bin", big[:off])
	e.run("get", "file", "imgs@master:/big.bin", "-o", "partial.bin", "--retry")
	if got, _ := os.ReadFile(filepath.Join(e.dir, "partial.bin")); !bytes.Equal(got, big) {
		t.Errorf("get --retry: resumed file differs (%d bytes, want %d)", len(got), len(big))
	}

	stderr := e.fail(1, "get", "file", "imgs@master:/tree")
	wantContains(t, "get a directory without -r", stderr, "/tree is a directory", "\n  get it with: tusk get file -r imgs@master:/tree -o DIR")
	e.fail(2, "get", "file", "-r", "imgs@master:/tree")
	e.run("get", "file", "-r", "imgs@master:/tree", "-o", "outdir")
	for name, want := range map[string]string{"a.txt": "a", "sub/café.csv": "c"} {
		got, err := os.ReadFile(filepath.Join(e.dir, "outdir", filepath.FromSlash(name)))
		if err != nil || string(got) != want {
			t.Errorf("outdir/%s = %q, %v; want %q", name, got, err, want)
		}
	}
	stderr = e.fail(1, "get", "file", "imgs@master:/nope")
	wantContains(t, "get a missing file", stderr, `"/nope" not found`, "\n  list files with: tusk list file")
}

func TestE2EGetFileGlob(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "logs")
	e.writeFile("d/2026-10-31/a.log", []byte("oct\n"))
	e.writeFile("d/2026-11-01/a.log", []byte("nov1a\n"))
	e.writeFile("d/2026-11-01/b.log", []byte("nov1b\n"))
	e.writeFile("d/2026-11-02/a.log", []byte("nov2\n"))
	e.writeFile("d/2026-11-02/notes.txt", []byte("not a log\n"))
	e.writeFile("IMG (1).jpg", []byte("a literal name"))
	e.run("put", "file", "logs@master", "-r", "-f", "d")
	e.run("put", "file", "logs@master:/IMG (1).jpg", "-f", "IMG (1).jpg")

	if got := e.run("get", "file", "logs@master:/d/2026-11-*/*.log"); got != "nov1a\nnov1b\nnov2\n" {
		t.Errorf("get of a glob to stdout = %q, want the matched files in path order", got)
	}
	// A name with metacharacters is got as it is.
	if got := e.run("get", "file", "logs@master:/IMG (1).jpg"); got != "a literal name" {
		t.Errorf("get of IMG (1).jpg = %q", got)
	}
	e.run("get", "file", "logs@master:/d/*/a.log", "-o", "out")
	for name, want := range map[string]string{"d/2026-10-31/a.log": "oct\n", "d/2026-11-01/a.log": "nov1a\n", "d/2026-11-02/a.log": "nov2\n"} {
		got, err := os.ReadFile(filepath.Join(e.dir, "out", filepath.FromSlash(name)))
		if err != nil || string(got) != want {
			t.Errorf("out/%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "out", "d", "2026-11-01", "b.log")); err == nil {
		t.Errorf("get -o of /d/*/a.log also wrote b.log")
	}
	e.run("get", "file", "-r", "logs@master:/d/2026-11-0[12]", "-o", "dirs")
	for _, name := range []string{"d/2026-11-01/b.log", "d/2026-11-02/notes.txt"} {
		if _, err := os.Stat(filepath.Join(e.dir, "dirs", filepath.FromSlash(name))); err != nil {
			t.Errorf("get -r of matched directories: %s missing: %v", name, err)
		}
	}
	stderr := e.fail(2, "get", "file", "-r", "logs@master:/d/*")
	wantContains(t, "matched directories to stdout", stderr, "matches the directory /d/2026-10-31", "-o DIR")
	stderr = e.fail(1, "get", "file", "logs@master:/d/*.csv")
	wantContains(t, "a glob matching nothing", stderr, "no file in logs@master matches /d/*.csv", "tusk glob file")
	e.fail(2, "get", "file", "logs@master:/d/*/a.log", "--offset", "3")
}

func TestE2EFileCommands(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs")
	e.run("create", "repo", "backup")
	e.writeFile("d/a.csv", []byte("a"))
	e.writeFile("d/b.csv", []byte("bb"))
	e.writeFile("d/sub/c.txt", []byte("ccc"))
	e.run("put", "file", "imgs@master", "-r", "-f", "d")

	out := e.run("list", "file", "imgs@master:/d")
	wantContains(t, "list file", out, "NAME", "TYPE", "SIZE", "/d/a.csv", "file", "/d/sub/", "dir", "3 B")
	fis := lines[pachapi.FileInfo](e, "list", "file", "imgs@master:/d")
	if len(fis) != 3 || fis[2].File.Path != "/d/sub/" || fis[2].FileType != "DIR" || fis[2].File.Commit.Repo.Name != "imgs" || fis[2].File.Commit.Branch.Name != "master" {
		t.Errorf("list file -o json = %+v", fis)
	}
	var globbed []string
	for _, fi := range lines[pachapi.FileInfo](e, "glob", "file", "imgs@master:/d/*.csv") {
		globbed = append(globbed, fi.File.Path)
	}
	if diff := cmp.Diff([]string{"/d/a.csv", "/d/b.csv"}, globbed); diff != "" {
		t.Errorf("glob /d/*.csv (-want +got):\n%s", diff)
	}
	wantContains(t, "glob file table", e.run("glob", "file", "imgs@master:/d/*"), "/d/sub/", "/d/a.csv")
	fi := object[pachapi.FileInfo](e, "inspect", "file", "imgs@master:/d/b.csv")
	if fi.FileType != "FILE" || fi.SizeBytes != 2 || len(fi.Hash) != 44 {
		t.Errorf("inspect file = %+v", fi)
	}
	wantContains(t, "inspect dir", e.run("inspect", "file", "imgs@master:/d"), "Type:", "dir", "Files:", "3")

	// One commit that adds, changes and deletes.
	e.run("start", "commit", "imgs@master")
	e.runIn(strings.NewReader("new"), "put", "file", "imgs@master:/d/new.csv")
	e.runIn(strings.NewReader("changed"), "put", "file", "imgs@master:/d/a.csv")
	e.run("delete", "file", "imgs@master:/d/sub", "-r") // pachctl's -r; a directory goes whole either way
	e.run("finish", "commit", "imgs@master")
	out = e.run("diff", "file", "imgs@master")
	if diff := cmp.Diff("~ /d/a.csv       1 B -> 7 B\n+ /d/new.csv     3 B\n- /d/sub/c.txt   3 B\n", out); diff != "" {
		t.Errorf("diff file (-want +got):\n%s", diff)
	}
	if got := e.run("diff", "file", "imgs@master", "--name-only"); got != "/d/a.csv\n/d/new.csv\n/d/sub/c.txt\n" {
		t.Errorf("diff --name-only = %q", got)
	}
	var kinds []string
	for _, ch := range lines[fileChange](e, "diff", "file", "imgs@master") {
		kinds = append(kinds, ch.Change+" "+ch.Path)
	}
	if diff := cmp.Diff([]string{"modified /d/a.csv", "added /d/new.csv", "deleted /d/sub/c.txt"}, kinds); diff != "" {
		t.Errorf("diff -o json (-want +got):\n%s", diff)
	}
	if got := e.run("diff", "file", "imgs@master:/d/new.csv", "imgs@master^"); got != "+ /d/new.csv   3 B\n" {
		t.Errorf("diff of one path against master^ = %q", got)
	}

	e.run("copy", "file", "imgs@master:/d", "backup@master:/snap")
	e.run("copy", "file", "imgs@master:/d/b.csv", "imgs@master:/copied.csv")
	if got := e.run("get", "file", "backup@master:/snap/new.csv"); got != "new" {
		t.Errorf("copied across repos: %q", got)
	}
	if got := e.run("get", "file", "imgs@master:/copied.csv"); got != "bb" {
		t.Errorf("copied within a repo: %q", got)
	}
	e.run("copy", "file", "imgs@master:/d/b.csv", "imgs@master:/copied.csv", "-a")
	if got := e.run("get", "file", "imgs@master:/copied.csv"); got != "bbbb" {
		t.Errorf("copy -a: %q", got)
	}
	e.run("delete", "file", "imgs@master:/copied.csv")
	e.fail(1, "inspect", "file", "imgs@master:/copied.csv")
	e.fail(2, "delete", "file", "imgs@master")
}
