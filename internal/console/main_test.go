package console_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/server"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// workerBinary is the static tusk binary the process runner starts as
// pipeline workers, built once for all the tests.
var workerBinary string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithBinary(m, &workerBinary))
}

// env is a running server, with a client of its API.
type env struct {
	t       *testing.T
	ctx     context.Context
	srv     *server.Server
	api     *client.Client
	baseURL string
	session *http.Cookie // a console session of a cluster admin
}

// start runs a server in this process on a loopback port.
func start(t *testing.T) *env {
	t.Helper()
	srv, api, _ := tusktest.StartServer(t, server.Config{DataDir: t.TempDir(), Runner: "process", WorkerBinary: workerBinary})
	code, err := api.LoginCode(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	session, err := api.Session(t.Context(), code)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: t.Context(), srv: srv, api: api, baseURL: api.Address(),
		session: &http.Cookie{Name: "tusk_session", Value: session.Token}}
}

// get gets a console page from the server and returns its status and
// body.
func (e *env) get(path string) (int, string) {
	e.t.Helper()
	resp, body := e.fetch(path)
	return resp.StatusCode, body
}

// fetch gets path from the server and returns its response and body.
func (e *env) fetch(path string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, e.baseURL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.AddCookie(e.session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	return resp, string(body)
}

// raw gets a file through the console's raw route.
func (e *env) raw(path string) (http.Header, string) {
	e.t.Helper()
	resp, body := e.fetch(path)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	return resp.Header, body
}

// page gets a page that must answer 200 and contain every string of want.
func (e *env) page(path string, want ...string) string {
	e.t.Helper()
	code, body := e.get(path)
	if code != http.StatusOK {
		e.t.Fatalf("GET %s: status %d:\n%s", path, code, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			e.t.Errorf("GET %s: no %q in the page:\n%s", path, w, body)
		}
	}
	return body
}

// put commits files (path, content pairs) to repo@master.
func (e *env) put(repo string, files ...string) tusk.Commit {
	e.t.Helper()
	return tusktest.Put(e.ctx, e.t, e.api, repo, files...)
}

// The pipelines of the scenario: count the words of each file of words,
// then total the counts.
const countSpec = `{"pipeline": {"name": "count"}, "input": {"pfs": {"repo": "words", "glob": "/*"}},
 "transform": {"cmd": ["sh", "-c", "wc -w < $words > /pfs/out/$(basename $words); echo counted $words"]}}`

const totalSpec = `{"pipeline": {"name": "total"}, "input": {"pfs": {"repo": "count", "glob": "/"}},
 "transform": {"cmd": ["sh", "-c", "cat /pfs/count/* | awk '{s+=$1} END {print s}' > /pfs/out/total"]}}`

// scenario makes repos words and tables, the pipelines count and total,
// commits data and waits for the pipelines' output; it returns the commit
// set of the words commit.
func (e *env) scenario() tusk.Commit {
	e.t.Helper()
	for _, repo := range []string{"words", "tables"} {
		if _, err := e.api.CreateRepo(e.ctx, repo, ""); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.api.CreatePipeline(e.ctx, []byte(countSpec+"\n"+totalSpec), false, false, false); err != nil {
		e.t.Fatal(err)
	}
	e.put("tables",
		"/animals.csv", "animal,legs\nfox,4\nheron,2\n",
		"/conf.json", `{"name":"tusk","tags":["a","b"]}`,
		"/dot.png", string(pngBytes()),
		"/blob.bin", "\x00\x01\x02binary",
	)
	words := e.put("words", "/a.txt", "the quick brown fox\n", "/b.txt", "jumps over the lazy dog again\n")
	ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	defer cancel()
	if _, err := e.api.WaitCommit(ctx, words.ID); err != nil {
		e.t.Fatalf("wait for commit set %s: %v", words.ID, err)
	}
	return words
}

// pngBytes is a small image.
func pngBytes() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}
