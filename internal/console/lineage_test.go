package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// hostileName is a file name that breaks out of HTML and URLs unless
// both are escaped.
const hostileName = `<i>x&"q'?#%.txt`

// TestLineagePage follows a file through two pipelines (src → up → down)
// on its lineage page, whose file name must come out escaped.
func TestLineagePage(t *testing.T) {
	e := start(t)
	if _, err := e.api.CreateRepo(e.ctx, "src", ""); err != nil {
		t.Fatal(err)
	}
	const specs = `{"pipeline": {"name": "up"}, "input": {"pfs": {"repo": "src", "glob": "/*"}},
 "transform": {"cmd": ["sh", "-c", "cp \"$src\" /pfs/out/"]}}
{"pipeline": {"name": "down"}, "input": {"pfs": {"repo": "up", "glob": "/*"}},
 "transform": {"cmd": ["sh", "-c", "cp \"$up\" /pfs/out/"]}}`
	if _, err := e.api.CreatePipeline(e.ctx, []byte(specs), false, false, false); err != nil {
		t.Fatal(err)
	}
	user := e.put("src", "/"+hostileName, "hello\n")
	ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
	defer cancel()
	if _, err := e.api.WaitCommit(ctx, user.ID); err != nil {
		t.Fatalf("wait for commit set %s: %v", user.ID, err)
	}
	escapedPath := "/%3Ci%3Ex&amp;%22q%27%3F%23%25.txt" // in a link, path-escaped
	escapedText := "/&lt;i&gt;x&amp;&#34;q&#39;?#%.txt"

	e.page("/repos/down/commits/"+user.ID+"/files"+escapedPathURL(),
		`href="/repos/down/commits/`+user.ID+`/lineage`+escapedPath+`">Lineage</a>`)
	body := e.page("/repos/down/commits/"+user.ID+"/lineage"+escapedPathURL(),
		`<a href="/pipelines/down">down</a> v1`, `<a href="/pipelines/up">up</a> v1`,
		`href="/jobs/down/`+user.ID+`"`, `href="/jobs/up/`+user.ID+`"`,
		`href="/jobs/down/`+user.ID+`/datums/`, `href="/jobs/up/`+user.ID+`/datums/`,
		`<code>sh -c &#39;cp &#34;$up&#34; /pfs/out/&#39;</code>`,
		`href="/repos/src/commits/`+user.ID+`/files`+escapedPath+`"`,
		"src@<span class=\"mono\">"+user.ID[:10]+"</span>:"+escapedText,
		"(USER commit)",
	)
	if strings.Contains(body, "<i>x") {
		t.Errorf("the lineage page shows the file name unescaped:\n%s", body)
	}
	_, tree, _ := strings.Cut(body, `id="lineage"`)
	if n := strings.Count(tree, "<ul>"); n != 2 {
		t.Errorf("the tree nests %d levels under its root, want 2 (up, then src):\n%s", n, tree)
	}
	if n := strings.Count(tree, "hash <span"); n != 3 {
		t.Errorf("the tree shows %d hashes, want one for each of down, up and src:\n%s", n, tree)
	}

	shallow := e.page("/repos/down/commits/"+user.ID+"/lineage"+escapedPathURL()+"?depth=1",
		`aria-current="page">1</a>`, `<p class="note">--depth reached</p>`, `href="/pipelines/down"`)
	if strings.Contains(shallow, `href="/pipelines/up"`) {
		t.Errorf("depth 1 follows the input's pipeline too:\n%s", shallow)
	}
	for _, bad := range []string{"?depth=-1", "?depth=x"} {
		if code, _ := e.get("/repos/down/commits/" + user.ID + "/lineage" + escapedPathURL() + bad); code != http.StatusBadRequest {
			t.Errorf("lineage%s: status %d, want 400", bad, code)
		}
	}
	if code, _ := e.get("/repos/down/commits/" + user.ID + "/lineage/none.txt"); code != http.StatusNotFound {
		t.Errorf("lineage of a missing file: status %d, want 404", code)
	}
}

// escapedPathURL is the hostile name's path as a request's URL.
func escapedPathURL() string {
	return "/%3Ci%3Ex&%22q%27%3F%23%25.txt"
}
