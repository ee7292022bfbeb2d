package process

import (
	"os"
	"strings"
)

// workerEnv returns the environment of a worker process: only the
// variables of the server's environment that describe the host (search
// path, locale, time zone, proxies, trusted certificates), never the
// rest. The server's environment holds its secrets (object store keys,
// database passwords, tokens), and user code, which the worker runs,
// would read them.
func workerEnv(environ []string) []string {
	var env []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if passed(k) {
			env = append(env, kv)
		}
	}
	return env
}

// passedVars are the variables a worker gets from the server's environment.
var passedVars = map[string]bool{
	"PATH": true, "LANG": true, "LANGUAGE": true, "TZ": true, "TERM": true,
	"HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true,
	"http_proxy": true, "https_proxy": true, "no_proxy": true,
	"SSL_CERT_FILE": true, "SSL_CERT_DIR": true,
	// The benchmarks' CPU profiles of workers (cli.WorkerProfileEnv).
	"TUSK_WORKER_CPUPROFILE": true,
}

func passed(k string) bool {
	return passedVars[k] || strings.HasPrefix(k, "LC_")
}

// hostEnv is the server's environment, as workers get it.
func hostEnv() []string { return workerEnv(os.Environ()) }
