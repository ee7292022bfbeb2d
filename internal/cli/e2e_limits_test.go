package cli

import (
	"fmt"
	"testing"
)

// TestE2EPipelineLimits runs `tusk up` with small limits: create and
// update pipeline refuse specs over them, naming the limit and the flag
// that raises it.
func TestE2EPipelineLimits(t *testing.T) {
	e := startServer(t, append(processRunner, "--max-parallelism", "2", "--max-total-parallelism", "3",
		"--max-datums", "4", "--min-cron-interval", "1m")...)
	e.run("create", "repo", "a")
	e.run("put", "file", "a@master:/1", "-f", e.writeFile("1", []byte("1")))
	e.run("put", "file", "a@master:/2", "-f", e.writeFile("2", []byte("2")))
	e.run("put", "file", "a@master:/3", "-f", e.writeFile("3", []byte("3")))
	pipeline := func(file string, parallelism int, input string) string {
		return e.writeFile(file, []byte(fmt.Sprintf(`{"pipeline": {"name": "p"}, "transform": {"cmd": ["true"]},
			"parallelism_spec": {"constant": %d}, "input": %s}`, parallelism, input)))
	}
	one := `{"pfs": {"repo": "a", "glob": "/*"}}`
	wantContains(t, "create with 3 workers", e.fail(1, "create", "pipeline", "-f", pipeline("wide.json", 3, one)),
		"error: ", "limit of 2 workers per pipeline", "--max-parallelism")
	wantContains(t, "create a 3×3 cross", e.fail(1, "create", "pipeline", "-f", pipeline("cross.json", 1, `{"cross": [`+one+`,
		{"pfs": {"repo": "a", "glob": "/*", "name": "b"}}]}`)),
		"error: ", "9 datums", "limit of 4", "--max-datums")
	wantContains(t, "create a fast cron", e.fail(1, "create", "pipeline", "-f", pipeline("cron.json", 1, `{"cron": {"name": "c", "spec": "@every 10s"}}`)),
		"error: ", "10s", "--min-cron-interval")
	e.run("create", "pipeline", "-f", pipeline("ok.json", 2, one))
	wantContains(t, "update to 3 workers", e.fail(1, "update", "pipeline", "-f", pipeline("wide.json", 3, one)),
		"error: ", "--max-parallelism")
	second := e.writeFile("q.json", []byte(`{"pipeline": {"name": "q"}, "transform": {"cmd": ["true"]},
		"parallelism_spec": {"constant": 2}, "input": {"pfs": {"repo": "a", "glob": "/*"}}}`))
	wantContains(t, "create past the total", e.fail(1, "create", "pipeline", "-f", second),
		"error: ", "limit of 3 workers in all", "--max-total-parallelism")
}
