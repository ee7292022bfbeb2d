package console_test

import (
	"bufio"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// plantedSpec is a pipeline that a page of another site would like to
// create; the spec is valid, so only the server's checks stop it.
const plantedSpec = `{"pipeline": {"name": "planted"}, "input": {"pfs": {"repo": "kept", "glob": "/*"}}, "transform": {"cmd": ["true"]}}`

// attackPages are the pages of another site, by path; TUSK stands for the
// server's URL, SPEC for plantedSpec as a JavaScript string.
var attackPages = map[string]string{
	// Fetches in no-cors mode are sent without asking the server first,
	// with a body of type text/plain; a Content-Type the page sets is
	// dropped. A fetch in cors mode with JSON asks first (OPTIONS), which
	// the server does not grant.
	"/fetch": `<!doctype html><title>fetch</title><script>
const body = JSON.stringify({name: "planted"});
Promise.allSettled([
	fetch("TUSK/v1/repos", {method: "POST", mode: "no-cors", body}),
	fetch("TUSK/v1/repos", {method: "POST", mode: "no-cors", headers: {"Content-Type": "application/json"}, body}),
	fetch("TUSK/v1/pipelines", {method: "POST", mode: "no-cors", body: SPEC}),
	fetch("TUSK/v1/repos", {method: "POST", headers: {"Content-Type": "application/json"}, body}),
]).then(rs => { window.outcomes = rs.map(r => r.status); document.title = "sent"; });
</script>`,
	// Forms of type text/plain whose one field makes a valid JSON body.
	"/form-repo": `<!doctype html><title>form</title>
<form method="post" enctype="text/plain" action="TUSK/v1/repos"><input type="hidden" name='{"name": "planted", "description": "' value='"}'></form>
<script>document.forms[0].submit();</script>`,
	"/form-pipeline": `<!doctype html><title>form</title>
<form method="post" enctype="text/plain" action="TUSK/v1/pipelines"><input type="hidden" id="f" value='"}'></form>
<script>document.getElementById("f").name = SPEC.slice(0, -1) + ', "description": "'; document.forms[0].submit();</script>`,
	"/form-urlencoded": `<!doctype html><title>form</title>
<form method="post" action="TUSK/v1/repos"><input type="hidden" name="name" value="planted"></form>
<script>document.forms[0].submit();</script>`,
	// A page whose name now resolves to the server (DNS rebinding): its
	// requests are of its own origin, so the browser lets it send JSON
	// and read the answers.
	"/rebound": `<!doctype html><title>rebound</title><script>
const post = (path, body) => fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body});
Promise.all([
	fetch("/v1/repos").then(r => r.status),
	fetch("/v1/info").then(r => r.status),
	post("/v1/repos", JSON.stringify({name: "planted"})).then(r => r.status),
	post("/v1/pipelines", SPEC).then(r => r.status),
]).then(s => { window.outcomes = s; document.title = "sent"; }, e => { window.outcomes = [String(e)]; document.title = "sent"; });
</script>`,
}

// TestPagesOfOtherSitesCannotUseTheServer has Chromium load pages of
// another origin (a second server, on another port of the same host) that
// try to create a repo and a pipeline on the server with no-cors fetches
// and form posts, and a page on a name rebound to the server's address
// that reads and writes as if it were the server's own. The server
// refuses each, and nothing changes.
func TestPagesOfOtherSitesCannotUseTheServer(t *testing.T) {
	e := start(t)
	if _, err := e.api.CreateRepo(e.ctx, "kept", ""); err != nil {
		t.Fatal(err)
	}
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := attackPages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, attackPage(page, e.baseURL))
	}))
	t.Cleanup(attacker.Close)
	// Chromium's Local Network Access checks would stop the rebound page,
	// first served from outside, from reaching a loopback address; they
	// are turned off, as other browsers have none, so that the server's
	// own checks are what is tested.
	b := newBrowser(t, e, chromedp.Flag("host-resolver-rules", "MAP rebound.test 127.0.0.1"),
		chromedp.Flag("disable-features", "LocalNetworkAccessChecks"))

	b.do("run the fetches of another origin", chromedp.Navigate(attacker.URL+"/fetch"), chromedp.Poll[chromedp.Void](`document.title == "sent"`))
	outcomes, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`window.outcomes`))
	if err != nil {
		t.Fatal(err)
	}
	// A no-cors fetch resolves with an opaque answer whatever the status;
	// the one that had to ask first fails.
	if want := []string{"fulfilled", "fulfilled", "fulfilled", "rejected"}; !slices.Equal(outcomes, want) {
		t.Errorf("the fetches of another origin ended %q, want %q", outcomes, want)
	}
	for _, form := range []struct{ page, route string }{
		{"/form-repo", "/v1/repos"}, {"/form-pipeline", "/v1/pipelines"}, {"/form-urlencoded", "/v1/repos"},
	} {
		b.do("post the form of "+form.page, chromedp.Navigate(attacker.URL+form.page),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`location.href == %q && document.readyState == "complete"`, e.baseURL+form.route)))
		answer := b.text("body")
		if !strings.Contains(answer, `"kind":"forbidden"`) || !strings.Contains(answer, "--allow-origin "+attacker.URL) {
			t.Errorf("the form of %s was answered %s, want a refusal of its origin", form.page, answer)
		}
	}
	if got, want := refusals(t, e.baseURL), map[string]int{"POST /v1/repos": 4, "POST /v1/pipelines": 2}; !maps.Equal(got, want) {
		t.Errorf("the server refused %v, want %v", got, want)
	}

	// The rebound page is fetched from its own site before its name
	// turns to the server; the interception plays that first answer.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(e.baseURL, "http://"))
	rebound := "http://rebound.test:" + port + "/rebound"
	paused := chromedp.Events(b.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: rebound, ResourceType: network.ResourceTypeDocument}}}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			chromedp.Call(b.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: 200,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
				Body:            []byte(attackPage(attackPages["/rebound"], ""))})
		}
	}()
	b.do("run the rebound page", chromedp.Navigate(rebound), chromedp.Poll[chromedp.Void](`document.title == "sent"`))
	statuses, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]any](`window.outcomes`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{403.0, 403.0, 403.0, 403.0}; !slices.Equal(statuses, want) {
		t.Errorf("the rebound page's requests were answered %v, want %v", statuses, want)
	}

	repos, err := e.api.ListRepos(e.ctx)
	if err != nil || len(repos) != 1 || repos[0].Name != "kept" {
		t.Errorf("after the attacks: repos %v, %v; want kept alone", repos, err)
	}
	if pipelines, err := e.api.ListPipelines(e.ctx); err != nil || len(pipelines) != 0 {
		t.Errorf("after the attacks: pipelines %v, %v; want none", pipelines, err)
	}
}

// attackPage fills in a page's placeholders.
func attackPage(page, tusk string) string {
	return strings.NewReplacer("TUSK", tusk, "SPEC", "`"+plantedSpec+"`").Replace(page)
}

// refusals reads from the server's metrics how many requests it answered
// with 403, by route.
func refusals(t *testing.T, base string) map[string]int {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		labels, ok := strings.CutPrefix(sc.Text(), `tusk_http_requests_total{code="403",route="`)
		if !ok {
			continue
		}
		route, value, _ := strings.Cut(labels, `"} `)
		n, err := strconv.Atoi(value)
		if err != nil {
			t.Fatalf("metrics: %q: %v", sc.Text(), err)
		}
		counts[route] = n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return counts
}
