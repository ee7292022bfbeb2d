package worker

import (
	"os"
	"path/filepath"
	"strings"
)

// binDir makes a directory holding the shim as both "tusk" and "pachctl",
// so that user code finds it on its PATH (datum batching's `next datum`).
// It returns "" if no directory can be made, and a function that removes
// the directory if binDir made it under $TMPDIR (the process runner gives
// each worker a TMPDIR of its own, which it removes after the worker, so
// a killed worker leaves nothing behind either).
func binDir() (string, func()) {
	none := func() {}
	exe, err := os.Executable()
	if err != nil {
		return "", none
	}
	remove := none
	dir, err := os.MkdirTemp("", "tusk-bin-")
	if err == nil {
		remove = func() { os.RemoveAll(dir) }
		if err = os.Chmod(dir, 0o755); err != nil { // commands may run as another user
			remove()
			remove = none
		}
	}
	if err != nil {
		// Images FROM scratch have no /tmp.
		dir = "/.tusk-bin"
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", none
		}
	}
	for _, name := range []string{"tusk", "pachctl"} {
		link := filepath.Join(dir, name)
		os.Remove(link)
		if err := os.Symlink(exe, link); err != nil {
			remove()
			return "", none
		}
	}
	return dir, remove
}

// withPath returns env with dir first on PATH.
func withPath(env []string, dir string) []string {
	if dir == "" {
		return env
	}
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + dir + string(os.PathListSeparator) + v
			return env
		}
	}
	return append(env, "PATH="+dir+string(os.PathListSeparator)+"/usr/local/bin:/usr/bin:/bin")
}
