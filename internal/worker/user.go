package worker

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/tuskdata/tusk/internal/tusk"
)

// LookupUser returns the uid and gid of spec, a user as transform.user
// names one: "name", "uid", "name:group" or "uid:gid". A name is looked
// up in this system's user database, and gives its primary group; a
// number needs no entry, and a uid alone is its own gid.
func LookupUser(spec string) (uid, gid uint32, err error) {
	u, g, hasGroup := strings.Cut(spec, ":")
	bad := func(what string, err error) error {
		return tusk.Errorf(tusk.KindInvalid, "user %q: %s: %v", spec, what, err).
			WithHint("give a user and group of this system by name, or a numeric uid or uid:gid")
	}
	if n, err := strconv.ParseUint(u, 10, 32); err == nil {
		uid, gid = uint32(n), uint32(n)
	} else if u == "" {
		return 0, 0, bad("no user", err)
	} else {
		found, err := user.Lookup(u)
		if err != nil {
			return 0, 0, bad("look up the user", err)
		}
		id, _ := strconv.ParseUint(found.Uid, 10, 32)
		group, _ := strconv.ParseUint(found.Gid, 10, 32)
		uid, gid = uint32(id), uint32(group)
	}
	if !hasGroup {
		return uid, gid, nil
	}
	if n, err := strconv.ParseUint(g, 10, 32); err == nil {
		return uid, uint32(n), nil
	}
	found, err := user.LookupGroup(g)
	if err != nil {
		return 0, 0, bad("look up the group", err)
	}
	n, _ := strconv.ParseUint(found.Gid, 10, 32)
	return uid, uint32(n), nil
}

// A runAs is who the worker runs commands as, when it switches users.
type runAs struct {
	cred *syscall.Credential
	home string // $HOME, a directory of the user's own
}

// users finds and remembers who the commands of a worker run as.
type users struct {
	mu   sync.Mutex
	seen map[string]*runAs // by transform.user; nil: as the worker itself
}

// runAs returns who t's commands run as: transform.user (unless the
// container already runs as that user), else the worker's RunAs; nil
// means as the worker itself. With RunAs set (the process runner as
// root), user code never runs as root.
func (w *worker) runAs(t *tusk.Task) (*runAs, error) {
	spec := t.User
	if w.cfg.UserApplied {
		spec = ""
	}
	if spec == "" && w.cfg.RunAs == nil {
		return nil, nil
	}
	w.users.mu.Lock()
	defer w.users.mu.Unlock()
	if r, ok := w.users.seen[spec]; ok {
		return r, nil
	}
	cred := w.cfg.RunAs
	if spec != "" {
		uid, gid, err := LookupUser(spec)
		if err != nil {
			return nil, fmt.Errorf("transform.user: %w", err)
		}
		cred = &syscall.Credential{Uid: uid, Gid: gid}
		if w.cfg.RunAs != nil {
			cred.Groups = w.cfg.RunAs.Groups
		}
	}
	if w.users.seen == nil {
		w.users.seen = map[string]*runAs{}
	}
	euid := os.Geteuid()
	switch {
	case euid != 0 && cred.Uid == uint32(euid):
		w.users.seen[spec] = nil // no switch: this is who the worker is
		return nil, nil
	case w.cfg.RunAs != nil && cred.Uid == 0:
		return nil, tusk.Errorf(tusk.KindInvalid, "transform.user %q is root, and the process runner never runs user code as root", spec).
			WithHint("name another user, or leave transform.user out to run as %d:%d (tusk up --worker-user)", w.cfg.RunAs.Uid, w.cfg.RunAs.Gid)
	case euid != 0 && cred.Uid != uint32(euid):
		return nil, tusk.Errorf(tusk.KindInvalid, "transform.user %q: this worker runs as uid %d and cannot switch users", spec, euid).
			WithHint("leave transform.user out on the process runner, or run tusk up as root (or use the docker runner) to run commands as another user")
	}
	home, err := os.MkdirTemp("", "tusk-home-")
	if err == nil {
		err = os.Chown(home, int(cred.Uid), int(cred.Gid))
	}
	if err != nil {
		return nil, fmt.Errorf("make a home directory for uid %d: %w", cred.Uid, err)
	}
	r := &runAs{cred: cred, home: home}
	w.users.seen[spec] = r
	return r, nil
}

// removeHomes removes the home directories runAs made.
func (u *users) removeHomes() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, r := range u.seen {
		if r != nil {
			os.RemoveAll(r.home)
		}
	}
}

// apply makes cmd run as r, with r's home as $HOME; a nil r leaves cmd
// as it is. Call it after setting cmd.Env.
func (r *runAs) apply(cmd *exec.Cmd) {
	if r == nil {
		return
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = r.cred
	cmd.Env = append(cmd.Env, "HOME="+r.home)
}

// lookPath finds the program name in $PATH as exec.LookPath does, but the
// first that r (nil: this process) may run: root's $PATH often starts
// with directories only root may enter.
func (r *runAs) lookPath(name string) (string, error) {
	if r == nil {
		return exec.LookPath(name)
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if p := filepath.Join(dir, name); filepath.IsAbs(p) && r.mayRun(p) {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// mayRun reports whether r may run the program at p: a regular file it
// may execute, behind directories (on the way to p, and to the file p
// links to) it may enter.
func (r *runAs) mayRun(p string) bool {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() || !r.mayExecute(fi) {
		return false
	}
	for _, q := range []string{p, real} {
		for d := filepath.Dir(q); ; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err != nil || !r.mayExecute(fi) {
				return false
			}
			if d == "/" {
				break
			}
		}
	}
	return true
}

// mayExecute reports whether r may execute (or enter) a file like fi, by
// its mode (not its ACLs).
func (r *runAs) mayExecute(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == r.cred.Uid:
		return perm&0o100 != 0
	case st.Gid == r.cred.Gid || slices.Contains(r.cred.Groups, st.Gid):
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}
