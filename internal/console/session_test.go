package console_test

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLoginLinkOpensASession follows a login link: it sets a session
// cookie that scripts cannot read and that other sites never send, and
// redirects to the DAG; the link then is spent. Without a session a page
// says how to log in.
func TestLoginLinkOpensASession(t *testing.T) {
	e := start(t)
	// The client follows no redirect, so that the login link's answer
	// shows.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	serve := func(req *http.Request) *httptest.ResponseRecorder {
		t.Helper()
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rec := httptest.NewRecorder()
		rec.Code = resp.StatusCode
		maps.Copy(rec.Header(), resp.Header)
		io.Copy(rec.Body, resp.Body)
		return rec
	}
	get := func(path string) *http.Request {
		req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, e.baseURL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	anon := serve(get("/"))
	if anon.Code != http.StatusUnauthorized || !strings.Contains(anon.Body.String(), "tusk auth login --console") {
		t.Fatalf("the DAG without a session: %d\n%s", anon.Code, anon.Body)
	}

	link := strings.TrimPrefix(e.srv.LoginLink(e.baseURL), e.baseURL)
	rec := serve(get(link))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("the login link: %d, Location %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "tusk_session" || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Secure {
		t.Fatalf("session cookie %+v: want one tusk_session, HttpOnly, SameSite=Strict, not Secure over plain HTTP", cookies)
	}
	req := get("/")
	req.AddCookie(cookies[0])
	if rec := serve(req); rec.Code != http.StatusOK {
		t.Errorf("the DAG in the new session: %d\n%s", rec.Code, rec.Body)
	}

	again := serve(get(link))
	if again.Code != http.StatusUnauthorized || !strings.Contains(again.Body.String(), "used already") || len(again.Result().Cookies()) != 0 {
		t.Errorf("a login link used twice: %d, cookies %v\n%s", again.Code, again.Result().Cookies(), again.Body)
	}

	stale := get("/")
	stale.AddCookie(&http.Cookie{Name: "tusk_session", Value: "tusk_revoked"})
	if rec := serve(stale); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "log in") {
		t.Errorf("a page with a bad session: %d\n%s", rec.Code, rec.Body)
	}
}
