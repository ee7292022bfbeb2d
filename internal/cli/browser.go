package cli

import (
	"os/exec"
	"runtime"
)

// openBrowser opens url in the user's browser if this is a desktop
// session (macOS, or $DISPLAY or $WAYLAND_DISPLAY on other systems) with
// an opener, and reports whether it started one. Over SSH there is
// none, and the user opens the printed URL wherever their browser is.
func openBrowser(getenv func(string) string, url string) bool {
	opener := "xdg-open"
	switch {
	case runtime.GOOS == "darwin":
		opener = "open"
	case getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "":
		return false
	}
	cmd := exec.Command(opener, url)
	if cmd.Start() != nil {
		return false
	}
	go cmd.Wait()
	return true
}
