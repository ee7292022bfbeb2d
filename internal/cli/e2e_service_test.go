package cli

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

// serviceSpec serves the files of repo site over HTTP with busybox's
// httpd (CMD), on PORT, published on EXTERNAL.
const serviceSpec = `{
  "pipeline": {"name": "web"},
  "transform": {IMAGE"cmd": [CMD"-f", "-p", "LISTEN", "-h", "/pfs/site"]},
  "input": {"pfs": {"repo": "site", "glob": "/"}},
  "service": {"internal_port": PORT, "external_port": EXTERNAL}
}`

// TestE2EService runs a service on the process runner and, with
// TUSK_TEST_DOCKER, on the docker runner, which publishes its port on
// 127.0.0.1: it answers HTTP at the address inspect pipeline shows, and
// serves a new commit of its input once it is restarted on it.
func TestE2EService(t *testing.T) {
	t.Run("process", func(t *testing.T) {
		port := freePort(t)
		e := runService(t, processRunner, strings.NewReplacer("IMAGE", "", "CMD", `"busybox", "httpd", `,
			"LISTEN", "127.0.0.1:"+port, "PORT", port, "EXTERNAL", port).Replace(serviceSpec))

		// The process runner cannot publish the port elsewhere.
		other := strings.NewReplacer("IMAGE", "", "CMD", `"busybox", "httpd", `, `"name": "web"`, `"name": "moved"`,
			"LISTEN", "127.0.0.1:"+port, "PORT", port, "EXTERNAL", freePort(t)).Replace(serviceSpec)
		e.run("create", "pipeline", "-f", e.writeFile("moved.json", []byte(other)))
		var p pachapi.PipelineInfo
		e.eventually("a service on another port is CRASHING", func() bool {
			p = object[pachapi.PipelineInfo](e, "inspect", "pipeline", "moved")
			return p.State == "PIPELINE_CRASHING"
		})
		wantContains(t, "the reason", p.Reason, "cannot be published on another port or address", "set external_port to internal_port")

		// Specs that cannot be honoured are refused.
		spout := strings.NewReplacer("IMAGE", "", "SLEEP", "sleep 1").Replace(spoutSpec)
		for spec, want := range map[string]string{
			strings.Replace(other, `"glob": "/"`, `"glob": "/*"`, 1):                                                 `has a glob of "/*" on site, but a service runs on one datum`,
			strings.Replace(other, `"service"`, `"autoscaling": true, "service"`, 1):                                 "a service runs all the time, so it cannot scale to zero",
			strings.Replace(spout, `"spout": {}`, `"spout": {}, "autoscaling": true`, 1):                             "a spout runs all the time",
			strings.Replace(spout, `"spout": {}`, `"spout": {}, "input": {"pfs": {"repo": "site", "glob": "/"}}`, 1): "a spout takes no input",
		} {
			wantContains(t, "create pipeline", e.fail(1, "create", "pipeline", "-f", e.writeFile("bad.json", []byte(spec))), want)
		}
	})
	t.Run("docker", func(t *testing.T) {
		testenv.Require(t, "docker", "TUSK_TEST_DOCKER")
		e := runService(t, []string{"--runner", "docker"}, strings.NewReplacer("IMAGE", `"image": "tusk-test/busybox:latest", `,
			"CMD", `"httpd", `, "LISTEN", "8080", "PORT", "8080", "EXTERNAL", freePort(t)).Replace(serviceSpec))
		if addr := serviceAddress(e, "web"); !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("the docker runner published the service at %s, want 127.0.0.1 only", addr)
		}
	})
}

// runService creates the service pipeline web of spec over a repo site,
// and checks that it serves the files of each new commit of it.
func runService(t *testing.T, runner []string, spec string) *e2e {
	e := startServer(t, runner...)
	e.run("create", "repo", "site")
	e.runIn(strings.NewReader("v1"), "put", "file", "site@master:/index.html")
	e.run("create", "pipeline", "-f", e.writeFile("web.json", []byte(spec)))
	var addr string
	e.eventually("inspect pipeline shows the service's address", func() bool {
		addr = serviceAddress(e, "web")
		return addr != ""
	})
	if p := object[pachapi.PipelineInfo](e, "inspect", "pipeline", "web"); p.Type != "PIPELINE_TYPE_SERVICE" {
		t.Errorf("inspect pipeline -o json: type %s, want PIPELINE_TYPE_SERVICE", p.Type)
	}
	serves(e, addr, "v1")
	first := e.headJob("web")

	e.runIn(strings.NewReader("v2"), "put", "file", "site@master:/index.html")
	serves(e, addr, "v2")
	e.jobState("web", first, tusk.JobSuccess)
	e.jobState("web", e.headJob("web"), tusk.JobRunning)
	return e
}

// serviceAddress is the address inspect pipeline shows for a service.
func serviceAddress(e *e2e, pipeline string) string {
	for line := range strings.Lines(e.run("inspect", "pipeline", pipeline)) {
		if a, ok := strings.CutPrefix(line, "Service Address:"); ok {
			return strings.TrimSpace(a)
		}
	}
	return ""
}

// serves waits until the service at addr answers index.html with want.
func serves(e *e2e, addr, want string) {
	e.t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	var got string
	e.eventually("the service answers "+want, func() bool {
		resp, err := c.Get("http://" + addr + "/index.html")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got = string(b)
		return resp.StatusCode == http.StatusOK && got == want
	})
}

// freePort returns a TCP port free on 127.0.0.1 when asked.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
