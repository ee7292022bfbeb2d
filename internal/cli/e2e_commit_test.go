package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/testenv"
	"github.com/tuskdata/tusk/internal/tusk"
)

func commitIDs(cs []tusk.Commit) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func TestE2ECommits(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs")

	first := strings.TrimSpace(e.run("start", "commit", "imgs@master", "-m", "first import"))
	if !isCommitSetID(first) {
		t.Fatalf("start commit printed %q, want a commit ID", first)
	}
	stderr := e.fail(1, "start", "commit", "imgs@master")
	wantContains(t, "second open commit", stderr, "already has an open commit "+first, "\n  finish it with: tusk finish commit imgs@master")

	e.runIn(strings.NewReader("1"), "put", "file", "imgs@master:/one")
	c := object[tusk.Commit](e, "inspect", "commit", "imgs@"+first)
	if c.State != tusk.CommitStarted || c.Files != 1 || c.Description != "first import" {
		t.Errorf("open commit after put file: %+v", c)
	}

	// wait commit blocks until the commit is finished.
	wait := exec.Command(tuskBin, "wait", "commit", "imgs@"+first, "-o", "json")
	wait.Env = e.env
	var waitOut bytes.Buffer
	wait.Stdout = &waitOut
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- wait.Wait() }()
	select {
	case err := <-waited:
		t.Fatalf("wait commit returned before the commit was finished: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	e.run("finish", "commit", "imgs@master")
	select {
	case err := <-waited:
		if err != nil || !strings.Contains(waitOut.String(), `"state":"FINISHED"`) {
			t.Errorf("wait commit: %v, output %s", err, waitOut.String())
		}
	case <-time.After(10 * time.Second):
		wait.Process.Kill()
		t.Fatal("wait commit still waiting 10s after finish commit")
	}

	for _, f := range []string{"two", "three", "four"} {
		e.runIn(strings.NewReader(f), "put", "file", "imgs@master:/"+f)
	}
	all := lines[tusk.Commit](e, "list", "commit", "imgs@master")
	if len(all) != 4 || all[3].ID != first {
		t.Fatalf("list commit: %d commits, want 4 ending with %s", len(all), first)
	}
	if got := lines[tusk.Commit](e, "list", "commit", "imgs@master", "-n", "2"); !cmp.Equal(commitIDs(got), commitIDs(all[:2])) {
		t.Errorf("list commit -n 2 = %v, want %v", commitIDs(got), commitIDs(all[:2]))
	}
	out := e.run("list", "commit", "imgs@master", "-n", "2")
	wantContains(t, "list commit table", out, "REPO", "BRANCH", "COMMIT", "FINISHED", "SIZE", "ORIGIN", "DESCRIPTION", all[0].ID, "USER", "ago")
	if n := strings.Count(out, "\n"); n != 3 {
		t.Errorf("list commit -n 2 printed %d lines, want a header and 2 rows:\n%s", n, out)
	}

	// References.
	for ref, want := range map[string]string{
		"imgs@master":       all[0].ID,
		"imgs@master^":      all[1].ID,
		"imgs@master~2":     all[2].ID,
		"imgs@master^^^":    all[3].ID,
		"imgs@master.1":     first,
		"imgs@master.2":     all[2].ID,
		"imgs@" + all[1].ID: all[1].ID,
	} {
		if got := object[tusk.Commit](e, "inspect", "commit", ref).ID; got != want {
			t.Errorf("inspect commit %s = %s, want %s", ref, got, want)
		}
	}
	if got := e.run("get", "file", "imgs@master~2:/two"); got != "two" {
		t.Errorf("get file at master~2: %q", got)
	}
	e.fail(1, "get", "file", "imgs@master~2:/three")
	wantContains(t, "inspect commit table", e.run("inspect", "commit", "imgs@master^"),
		"Commit:", "imgs@"+all[1].ID, "Parent:", all[2].ID, "Children:", all[0].ID, "State:", "FINISHED", "Provenance:")

	// Squash a middle commit: its data lives on in its child.
	e.run("squash", "commit", "imgs@master^")
	after := lines[tusk.Commit](e, "list", "commit", "imgs@master")
	if diff := cmp.Diff([]string{all[0].ID, all[2].ID, all[3].ID}, commitIDs(after)); diff != "" {
		t.Errorf("after squash (-want +got):\n%s", diff)
	}
	if got := e.run("get", "file", "imgs@master:/three"); got != "three" {
		t.Errorf("data of the squashed commit: %q", got)
	}
	stderr = e.fail(1, "squash", "commit", "imgs@master")
	wantContains(t, "squash a head", stderr, "branch head", "\n  delete it instead")

	// Delete the head: the branch moves back.
	stderr = e.fail(1, "delete", "commit", "imgs@master^")
	wantContains(t, "delete a non-head", stderr, "has children", "\n  squash it instead")
	e.run("delete", "commit", "imgs@master")
	if got := object[tusk.Commit](e, "inspect", "commit", "imgs@master").ID; got != all[2].ID {
		t.Errorf("after delete commit, master = %s, want %s", got, all[2].ID)
	}
	e.fail(1, "inspect", "file", "imgs@master:/four")
	// By bare commit (set) ID.
	e.run("delete", "commit", all[2].ID)
	if got := object[tusk.Commit](e, "inspect", "commit", "imgs@master").ID; got != first {
		t.Errorf("after delete commit by ID, master = %s, want %s", got, first)
	}
}

func TestE2EProvenanceAndCommitSets(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "raw")
	e.run("create", "repo", "clean")
	e.runIn(strings.NewReader("x"), "put", "file", "raw@master:/x")
	e.run("create", "branch", "clean@master", "-p", "raw@master")
	e.runIn(strings.NewReader("y"), "put", "file", "raw@master:/y")

	rawHead := object[tusk.Commit](e, "inspect", "commit", "raw@master")
	out := object[tusk.Commit](e, "inspect", "commit", "clean@master")
	if out.ID != rawHead.ID || out.Origin != tusk.OriginAuto || out.State != tusk.CommitStarted {
		t.Fatalf("downstream commit %+v, want an open AUTO commit with ID %s", out, rawHead.ID)
	}
	if len(out.Provenance) != 1 || out.Provenance[0].Repo != "raw" || out.Provenance[0].ID != rawHead.ID {
		t.Errorf("downstream provenance = %+v", out.Provenance)
	}
	wantContains(t, "inspect commit provenance", e.run("inspect", "commit", "clean@master"), "raw@"+rawHead.ID+" (master)", "AUTO")
	stderr := e.fail(1, "start", "commit", "clean@master")
	wantContains(t, "start commit on a branch with provenance", stderr, "provenance")

	set := lines[tusk.Commit](e, "list", "commit", rawHead.ID)
	if len(set) != 2 {
		t.Errorf("list commit <set id>: %d commits, want 2", len(set))
	}
	e.run("finish", "commit", "clean@master")
	done := lines[tusk.Commit](e, "wait", "commit", rawHead.ID)
	if len(done) != 2 || done[0].State != tusk.CommitFinished || done[1].State != tusk.CommitFinished {
		t.Errorf("wait commit <set id> = %+v", done)
	}
}

func TestE2ESubscribeCommit(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs")
	e.runIn(strings.NewReader("1"), "put", "file", "imgs@master:/1")
	cmd := exec.Command(tuskBin, "subscribe", "commit", "imgs@master", "-o", "json")
	cmd.Env = e.env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	got := make(chan tusk.Commit)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var c tusk.Commit
			if json.Unmarshal(sc.Bytes(), &c) == nil {
				got <- c
			}
		}
		close(got)
		io.Copy(io.Discard, stdout)
	}()
	next := func() tusk.Commit {
		select {
		case c := <-got:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("subscribe commit printed nothing for 10s")
		}
		return tusk.Commit{}
	}
	if c := next(); c.Files != 1 {
		t.Errorf("first commit printed = %+v, want the existing one", c)
	}
	e.runIn(strings.NewReader("2"), "put", "file", "imgs@master:/2")
	if c := next(); c.Files != 2 || c.Repo != "imgs" {
		t.Errorf("next commit printed = %+v, want the new one", c)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("subscribe commit after SIGINT: %v, want a clean exit", err)
	}
	wantContains(t, "subscribe to a missing repo", e.fail(1, "subscribe", "commit", "nope", "--new"), `repo "nope" not found`)
}

func TestE2EInterruptedWait(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs")
	e.run("start", "commit", "imgs@master")
	cmd := exec.Command(tuskBin, "wait", "commit", "imgs@master")
	cmd.Env = e.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The signal must come after main installed its handler, which it
	// does before it opens any connection: wait for the command's socket.
	waitSocket(t, cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || stderr.String() != "error: interrupted\n" {
		t.Errorf("wait commit after SIGINT: %v, stderr %q; want exit 1 and \"error: interrupted\"", err, stderr.String())
	}
}

// waitSocket waits until process pid has a socket open.
func waitSocket(t *testing.T, pid int) {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("process %d opens a socket", pid), func() bool {
		fds, _ := os.ReadDir(dir)
		return slices.ContainsFunc(fds, func(fd os.DirEntry) bool {
			l, err := os.Readlink(filepath.Join(dir, fd.Name()))
			return err == nil && strings.HasPrefix(l, "socket:")
		})
	})
}

// TestE2EFindCommit: find commit lists the commits of a history that
// added, modified or deleted a path, newest first.
func TestE2EFindCommit(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "r")
	head := func() string { return object[tusk.Commit](e, "inspect", "commit", "r@master").ID }
	e.runIn(strings.NewReader("1"), "put", "file", "r@master:/a")
	added := head()
	e.runIn(strings.NewReader("x"), "put", "file", "r@master:/b")
	e.runIn(strings.NewReader("2"), "put", "file", "r@master:/a")
	modified := head()
	e.runIn(strings.NewReader("y"), "put", "file", "r@master:/b")
	e.run("delete", "file", "r@master:/a")
	deleted := head()

	var got []string
	for _, f := range lines[foundCommit](e, "find", "commit", "r@master:/a") {
		got = append(got, f.Commit+" "+f.Change)
	}
	want := []string{deleted + " deleted", modified + " modified", added + " added"}
	if !slices.Equal(got, want) {
		t.Errorf("find commit r@master:/a = %q, want %q", got, want)
	}
	if fs := lines[foundCommit](e, "find", "commit", "r@master:/a", "--limit", "1"); len(fs) != 1 || fs[0].Commit != deleted {
		t.Errorf("find commit --limit 1 = %+v, want the delete", fs)
	}
	wantContains(t, "find commit table", e.run("find", "commit", "r@master:/b"), "COMMIT", "CHANGE", "modified", "added")
	wantContains(t, "find commit --limit -1", e.fail(2, "find", "commit", "r@master:/a", "--limit", "-1"), "--limit -1")
	wantContains(t, "find commit of a missing repo", e.fail(1, "find", "commit", "nope@master:/a"), "nope")

	// list commit --from stops at a commit; --origin filters.
	after := lines[tusk.Commit](e, "list", "commit", "r@master", "--from", added, "--all")
	if len(after) != 4 || after[0].ID != deleted {
		t.Errorf("list commit --from the first commit: %d commits, want the 4 after it, newest first", len(after))
	}
	if cs := lines[tusk.Commit](e, "list", "commit", "r@master", "--from", added, "-n", "2", "--origin", "user"); len(cs) != 2 || cs[1].ID == added {
		t.Errorf("list commit --from -n 2 --origin user: %+v", cs)
	}
	if cs := lines[tusk.Commit](e, "list", "commit", "r@master", "--origin", "AUTO"); len(cs) != 0 {
		t.Errorf("list commit --origin AUTO of a repo only users wrote: %d commits", len(cs))
	}
	wantContains(t, "list commit --origin bad", e.fail(2, "list", "commit", "r", "--origin", "robot"), "want USER or AUTO")
}
