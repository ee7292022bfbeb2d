package console_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

func TestPagesShowTheScenario(t *testing.T) {
	e := start(t)
	words := e.scenario()
	set := words.ID

	t.Run("home", func(t *testing.T) {
		body := e.page("/",
			`<a class="node pipeline ok" href="/pipelines/count" data-name="count">`,
			`<a class="node pipeline ok" href="/pipelines/total" data-name="total">`,
			`<a class="node repo repo" href="/repos/words" data-name="words">`,
			`<th scope="col" class="opt">Project</th>`, `<td class="opt">default</td>`,
			"job success",
			`href="/jobs/count/`+set+`"`,
		)
		if n := strings.Count(body, `<path class="edge"`); n != 2 {
			t.Errorf("the DAG has %d edges, want 2 (words→count, count→total)", n)
		}
	})
	t.Run("repo", func(t *testing.T) {
		e.page("/repos/words", `<a href="?branch=master"`, `href="/repos/words/commits/`+set+`"`, "Browse files")
		e.page("/repos/count", `pipeline <a href="/pipelines/count">count</a>`)
	})
	t.Run("commit", func(t *testing.T) {
		body := e.page("/repos/count/commits/"+set,
			`<a href="/repos/words/commits/`+set+`">words@`, // upstream
			`<a href="/repos/total/commits/`+set+`">total@`, // downstream
			`href="/jobs/count/`+set+`"`, `href="/jobs/total/`+set+`"`,
		)
		if n := strings.Count(body, "<td>"+`<a href="/repos/`); n != 3 {
			t.Errorf("commit set lists %d commits, want words, count and total", n)
		}
		e.page("/repos/words/commits/master", set) // a branch names its head
	})
	t.Run("files", func(t *testing.T) {
		e.page("/repos/words/commits/"+set+"/files/", `href="/repos/words/commits/`+set+`/files/a.txt">a.txt</a>`)
		e.page("/repos/total/commits/"+set+"/files/total", `<pre class="preview text" tabindex="0">10
</pre>`)
		e.page("/repos/tables/commits/master/files/animals.csv",
			`<table class="preview">`, `<th scope="col">animal</th>`, "<td>heron</td><td>2</td>")
		e.page("/repos/tables/commits/master/files/conf.json", "{\n  &#34;name&#34;: &#34;tusk&#34;,\n  &#34;tags&#34;: [")
		e.page("/repos/tables/commits/master/files/dot.png", `/raw/dot.png" alt="/dot.png">`)
		e.page("/repos/tables/commits/master/files/blob.bin", "No preview", `raw/blob.bin?download=1`)
	})
	t.Run("raw", func(t *testing.T) {
		h, body := e.raw("/repos/tables/commits/master/raw/dot.png")
		if ct := h.Get("Content-Type"); ct != "image/png" || !strings.HasPrefix(body, "\x89PNG") {
			t.Errorf("raw image: type %q, %d bytes", ct, len(body))
		}
		if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
			t.Errorf("raw content is not sandboxed: %q", csp)
		}
		h, _ = e.raw("/repos/tables/commits/master/raw/blob.bin?download=1")
		if cd := h.Get("Content-Disposition"); cd != "attachment; filename=blob.bin" {
			t.Errorf("download disposition = %q", cd)
		}
	})
	t.Run("diff", func(t *testing.T) {
		e.page("/repos/count/commits/"+set+"/diff", `/b.txt</a></td>
<td><span class="change added">added</span>`)
	})
	t.Run("pipeline", func(t *testing.T) {
		body := e.page("/pipelines/count", "Spec (version 1)", "wc -w &lt; $words &gt; /pfs/out/", `href="/jobs/count/`+set+`"`,
			"2 processed · 0 skipped · 0 failed / 2")
		if strings.Contains(body, `\u003c`) || strings.Contains(body, `\u003e`) {
			t.Errorf("the spec view shows HTML escapes of JSON:\n%s", body)
		}
	})
	t.Run("job", func(t *testing.T) {
		body := e.page("/jobs/count/"+set, "2 processed · 0 skipped · 0 failed / 2", "<code>sh -c &#39;wc -w &lt; $words")
		if n := len(datumLinks.FindAllString(body, -1)); n != 2 {
			t.Errorf("job page links %d datums, want 2", n)
		}
		e.page("/jobs/count/"+set+"?state=FAILED", `aria-current="page">FAILED</a>`, "No datums in state FAILED.")
		e.page("/jobs/count/"+set+"?state=STARTING", `aria-current="page">STARTING</a>`, "No datums in state STARTING.")
		if code, _ := e.get("/jobs/count/" + set + "?state=BOGUS"); code != http.StatusBadRequest {
			t.Errorf("bogus datum state: status %d, want 400", code)
		}
	})
	t.Run("datum", func(t *testing.T) {
		_, body := e.get("/jobs/count/" + set)
		datum := datumLinks.FindString(body)
		page := e.page(datum, "counted /pfs/words/", "<dt>Attempts</dt><dd>1</dd>")
		if strings.Contains(page, "data-follow") {
			t.Error("the datum page of a finished job follows its logs")
		}
	})
	t.Run("errors", func(t *testing.T) {
		if code, body := e.get("/repos/nope"); code != http.StatusNotFound || !strings.Contains(body, `class="error"`) {
			t.Errorf("missing repo: status %d:\n%s", code, body)
		}
		if code, body := e.get("/v1/nope"); code != http.StatusNotFound || !strings.Contains(body, `"kind":"not_found"`) {
			t.Errorf("unknown API route: status %d: %s", code, body)
		}
	})
	t.Run("headers", func(t *testing.T) {
		for _, path := range []string{"/", "/repos/nope", "/static/console.js"} {
			resp, _ := e.fetch(path)
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none';", "script-src 'self';", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("GET %s: Content-Security-Policy %q, want %s", path, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("GET %s: Content-Security-Policy %q allows what is unsafe", path, csp)
			}
			for name, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
				"Referrer-Policy":        "no-referrer",
			} {
				if got := resp.Header.Get(name); got != want {
					t.Errorf("GET %s: %s %q, want %q", path, name, got, want)
				}
			}
		}
	})
}

var datumLinks = regexp.MustCompile(`/jobs/count/[0-9a-f]+/datums/[0-9a-f]+`)

func TestListsArePaged(t *testing.T) {
	e := start(t)
	if _, err := e.api.CreateRepo(e.ctx, "many", ""); err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range 60 {
		files = append(files, fmt.Sprintf("/dir/f%03d", i), "x")
	}
	var oldest tusk.Commit
	for i := range 55 {
		c := e.put("many", "/n", strconv.Itoa(i))
		if i == 0 {
			oldest = c
		}
	}
	e.put("many", files...)

	first := e.page("/repos/many", `rel="next">Older →</a>`)
	commitRows := func(page string) int {
		_, commits, _ := strings.Cut(page, `id="commits"`)
		return strings.Count(commits, `<td><a class="mono" href="/repos/many/commits/`)
	}
	if n := commitRows(first); n != 50 {
		t.Errorf("first page of commits has %d rows, want 50", n)
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(first)[1]
	second := e.page(strings.ReplaceAll(next, "&amp;", "&"), `rel="prev">← Newest</a>`)
	if n := commitRows(second); n != 6 {
		t.Errorf("second page of commits has %d rows, want 6", n)
	}
	if strings.Contains(second, `rel="next"`) || !strings.Contains(second, oldest.ID) {
		t.Errorf("second page should end the history with the first commits")
	}

	dir := e.page("/repos/many/commits/master/files/dir", "f049</a>", `rel="next">Next →</a>`)
	if strings.Contains(dir, "f050</a>") {
		t.Error("the first page of the directory lists more than 50 files")
	}
	e.page("/repos/many/commits/master/files/dir?after=%2Fdir%2Ff049", "f050</a>", "f059</a>")
}
