package console_test

import (
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
	serve := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	anon := serve(httptest.NewRequestWithContext(e.ctx, http.MethodGet, "/", nil))
	if anon.Code != http.StatusUnauthorized || !strings.Contains(anon.Body.String(), "tusk auth login --console") {
		t.Fatalf("the DAG without a session: %d\n%s", anon.Code, anon.Body)
	}

	link := e.srv.LoginLink("")
	rec := serve(httptest.NewRequestWithContext(e.ctx, http.MethodGet, link, nil))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("the login link: %d, Location %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "tusk_session" || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Secure {
		t.Fatalf("session cookie %+v: want one tusk_session, HttpOnly, SameSite=Strict, not Secure over plain HTTP", cookies)
	}
	req := httptest.NewRequestWithContext(e.ctx, http.MethodGet, "/", nil)
	req.AddCookie(cookies[0])
	if rec := serve(req); rec.Code != http.StatusOK {
		t.Errorf("the DAG in the new session: %d\n%s", rec.Code, rec.Body)
	}

	again := serve(httptest.NewRequestWithContext(e.ctx, http.MethodGet, link, nil))
	if again.Code != http.StatusUnauthorized || !strings.Contains(again.Body.String(), "used already") || len(again.Result().Cookies()) != 0 {
		t.Errorf("a login link used twice: %d, cookies %v\n%s", again.Code, again.Result().Cookies(), again.Body)
	}

	stale := httptest.NewRequestWithContext(e.ctx, http.MethodGet, "/", nil)
	stale.AddCookie(&http.Cookie{Name: "tusk_session", Value: "tusk_revoked"})
	if rec := serve(stale); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "log in") {
		t.Errorf("a page with a bad session: %d\n%s", rec.Code, rec.Body)
	}
}
