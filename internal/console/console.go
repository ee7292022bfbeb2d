package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tuskdata/tusk/internal/client"
	"github.com/tuskdata/tusk/internal/tusk"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// console serves the pages; it reads everything through the API client.
type console struct {
	api   *client.Client
	log   *slog.Logger
	pages map[string]*template.Template
}

// Handler returns the console of the Tusk API at addr (any address
// client.New takes), to mount at "/" next to the API's routes.
func Handler(addr string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "console")
	api, err := client.New(addr)
	if err != nil {
		log.Error("console disabled", "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, fmt.Sprintf("console disabled: %v", err), http.StatusServiceUnavailable)
		})
	}
	c := &console{api: api, log: log, pages: parsePages()}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", cacheable(http.FileServerFS(staticFS)))
	mux.HandleFunc("GET /login", c.login)
	pages := http.NewServeMux()
	mux.Handle("GET /", c.loggedIn(pages))
	pages.HandleFunc("GET /{$}", c.home)
	pages.HandleFunc("GET /events", c.events)
	pages.HandleFunc("GET /repos/{repo}", c.repo)
	pages.HandleFunc("GET /repos/{repo}/commits/{id}", c.commit)
	pages.HandleFunc("GET /repos/{repo}/commits/{id}/diff", c.diff)
	pages.HandleFunc("GET /repos/{repo}/commits/{id}/files/{path...}", c.files)
	pages.HandleFunc("GET /repos/{repo}/commits/{id}/raw/{path...}", c.raw)
	pages.HandleFunc("GET /repos/{repo}/commits/{id}/lineage/{path...}", c.lineage)
	pages.HandleFunc("GET /pipelines/{name}", c.pipeline)
	pages.HandleFunc("GET /jobs/{pipeline}/{id}", c.job)
	pages.HandleFunc("GET /jobs/{pipeline}/{id}/datums/{datum}", c.datum)
	pages.HandleFunc("GET /jobs/{pipeline}/{id}/datums/{datum}/logs", c.followLogs)
	mux.HandleFunc("GET /v1/", apiNotFound)
	pages.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, tusk.Errorf(tusk.KindNotFound, "no page at %s", r.URL.Path))
	})
	return withPagePolicy(mux)
}

// cacheable lets browsers keep the embedded assets for a while.
func cacheable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// apiNotFound answers an unknown API route in the API's error format, so
// clients are not handed a console page.
func apiNotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `{"error":{"kind":"not_found","message":%q}}`+"\n", "no API route "+r.Method+" "+r.URL.Path)
}

// parsePages parses each page template together with the shared layout.
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if page == "layout" {
			continue
		}
		pages[page] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, name))
	}
	return pages
}

// page is what every template gets: the page's title and its own data.
type page struct {
	Title  string
	Crumbs []crumb
	Data   any
}

// crumb is one link of the breadcrumb trail above a page's title.
type crumb struct {
	Label, URL string
}

// render executes a page into a buffer first, so a template error becomes
// an error page rather than half a page.
func (c *console) render(w http.ResponseWriter, r *http.Request, name string, p page) {
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		c.fail(w, r, fmt.Errorf("render %s page: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// fail shows an error page with the status of the error's kind.
func (c *console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch tusk.KindOf(err) {
	case tusk.KindNotFound:
		status = http.StatusNotFound
	case tusk.KindInvalid:
		status = http.StatusBadRequest
	case tusk.KindUnavailable:
		status = http.StatusServiceUnavailable
	case tusk.KindForbidden:
		status = http.StatusForbidden
	case tusk.KindUnauthenticated:
		c.loginPage(w, r, err) // the session ended
		return
	}
	if status == http.StatusInternalServerError && !errors.Is(err, r.Context().Err()) {
		c.log.Error("console page failed", "path", r.URL.Path, "err", err)
	}
	var buf bytes.Buffer
	if terr := c.pages["error"].ExecuteTemplate(&buf, "layout.html", page{Title: http.StatusText(status), Data: err.Error()}); terr != nil {
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
