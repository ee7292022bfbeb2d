package console

import "net/http"

// pagePolicy is the Content-Security-Policy of the console's pages. Their
// script and style sheet are files under /static, and the pages hold no
// inline script or style, so a string that escaped html/template could
// not run. The pages fetch themselves and open event streams on their own
// origin, and no other site may frame them. The raw file route sets a
// stricter policy of its own.
const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// withPagePolicy sets the pages' policy on every response of next.
func withPagePolicy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", pagePolicy)
		next.ServeHTTP(w, r)
	})
}
