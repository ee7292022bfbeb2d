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

	"github.com/tuskdata/tusk/internal/pachapi"
	"github.com/tuskdata/tusk/internal/testenv"
)

func commitIDs(cs []pachapi.CommitInfo) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.Commit.ID
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
	c := object[pachapi.CommitInfo](e, "inspect", "commit", "imgs@"+first)
	if !c.Finished.IsZero() || c.Description != "first import" {
		t.Errorf("open commit after put file: %+v", c)
	}
	if files := lines[pachapi.FileInfo](e, "list", "file", "imgs@"+first); len(files) != 1 {
		t.Errorf("open commit after put file holds %d files, want 1", len(files))
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
		if err != nil || !strings.Contains(waitOut.String(), `"finished":"`) {
			t.Errorf("wait commit: %v, output %s", err, waitOut.String())
		}
	case <-time.After(10 * time.Second):
		wait.Process.Kill()
		t.Fatal("wait commit still waiting 10s after finish commit")
	}

	for _, f := range []string{"two", "three", "four"} {
		e.runIn(strings.NewReader(f), "put", "file", "imgs@master:/"+f)
	}
	all := commitIDs(lines[pachapi.CommitInfo](e, "list", "commit", "imgs@master"))
	if len(all) != 4 || all[3] != first {
		t.Fatalf("list commit: %d commits, want 4 ending with %s", len(all), first)
	}
	if got := commitIDs(lines[pachapi.CommitInfo](e, "list", "commit", "imgs@master", "-n", "2")); !cmp.Equal(got, all[:2]) {
		t.Errorf("list commit -n 2 = %v, want %v", got, all[:2])
	}
	out := e.run("list", "commit", "imgs@master", "-n", "2")
	wantContains(t, "list commit table", out, "PROJECT", "REPO", "COMMIT", "FINISHED", "SIZE", "ORIGIN", "CREATOR", "DESCRIPTION", all[0], "USER", "ago")
	if n := strings.Count(out, "\n"); n != 3 {
		t.Errorf("list commit -n 2 printed %d lines, want a header and 2 rows:\n%s", n, out)
	}

	// References.
	for ref, want := range map[string]string{
		"imgs@master":    all[0],
		"imgs@master^":   all[1],
		"imgs@master~2":  all[2],
		"imgs@master^^^": all[3],
		"imgs@master.1":  first,
		"imgs@master.2":  all[2],
		"imgs@" + all[1]: all[1],
	} {
		if got := object[pachapi.CommitInfo](e, "inspect", "commit", ref).Commit.ID; got != want {
			t.Errorf("inspect commit %s = %s, want %s", ref, got, want)
		}
	}
	if got := e.run("get", "file", "imgs@master~2:/two"); got != "two" {
		t.Errorf("get file at master~2: %q", got)
	}
	e.fail(1, "get", "file", "imgs@master~2:/three")
	wantContains(t, "inspect commit table", e.run("inspect", "commit", "imgs@master^"),
		"Commit:", "imgs@"+all[1], "Parent:", all[2], "Children:", all[0], "State:", "FINISHED", "Provenance:")

	// Squash a middle commit: its data lives on in its child.
	e.run("squash", "commit", "imgs@master^")
	after := lines[pachapi.CommitInfo](e, "list", "commit", "imgs@master")
	if diff := cmp.Diff([]string{all[0], all[2], all[3]}, commitIDs(after)); diff != "" {
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
	if got := object[pachapi.CommitInfo](e, "inspect", "commit", "imgs@master").Commit.ID; got != all[2] {
		t.Errorf("after delete commit, master = %s, want %s", got, all[2])
	}
	e.fail(1, "inspect", "file", "imgs@master:/four")
	// By bare commit (set) ID.
	e.run("delete", "commit", all[2])
	if got := object[pachapi.CommitInfo](e, "inspect", "commit", "imgs@master").Commit.ID; got != first {
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

	rawHead := object[pachapi.CommitInfo](e, "inspect", "commit", "raw@master").Commit.ID
	out := object[pachapi.CommitInfo](e, "inspect", "commit", "clean@master")
	if out.Commit.ID != rawHead || out.Origin.Kind != "AUTO" || !out.Finished.IsZero() {
		t.Fatalf("downstream commit %+v, want an open AUTO commit with ID %s", out, rawHead)
	}
	if prov := out.DirectProvenance; len(prov) != 1 || prov[0].Repo.Name != "raw" || prov[0].ID != rawHead || prov[0].Branch.Name != "master" {
		t.Errorf("downstream provenance = %+v", prov)
	}
	wantContains(t, "inspect commit provenance", e.run("inspect", "commit", "clean@master"), "raw@"+rawHead+" (master)", "AUTO")
	stderr := e.fail(1, "start", "commit", "clean@master")
	wantContains(t, "start commit on a branch with provenance", stderr, "provenance")

	set := lines[pachapi.CommitInfo](e, "list", "commit", rawHead)
	if len(set) != 2 {
		t.Errorf("list commit <set id>: %d commits, want 2", len(set))
	}
	cs := object[pachapi.CommitSetInfo](e, "inspect", "commit", rawHead)
	if cs.CommitSet.ID != rawHead || len(cs.Commits) != 2 {
		t.Errorf("inspect commit <set id> = %+v, want the set's 2 commits", cs)
	}
	sets := lines[pachapi.CommitSetInfo](e, "list", "commit")
	if len(sets) < 2 || sets[0].CommitSet.ID != rawHead || len(sets[0].Commits) != 2 {
		t.Errorf("list commit = %+v, want the set of %s (2 commits) first, then the earlier ones", sets, rawHead)
	}
	// raw's commit is finished, clean's open.
	wantContains(t, "list commit table", e.run("list", "commit"), "SUBCOMMITS", "PROGRESS", rawHead, "1 + 0 / 2")
	e.run("finish", "commit", "clean@master")
	done := lines[pachapi.CommitInfo](e, "wait", "commit", rawHead)
	if len(done) != 2 || done[0].Finished.IsZero() || done[1].Finished.IsZero() {
		t.Errorf("wait commit <set id> = %+v", done)
	}
}

func TestE2ESubscribeCommit(t *testing.T) {
	e := startServer(t)
	e.run("create", "repo", "imgs")
	e.runIn(strings.NewReader("1"), "put", "file", "imgs@master:/1")
	head := func() string { return object[pachapi.CommitInfo](e, "inspect", "commit", "imgs@master").Commit.ID }
	first := head()
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
	got := make(chan pachapi.CommitInfo)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var c pachapi.CommitInfo
			if json.Unmarshal(sc.Bytes(), &c) == nil {
				got <- c
			}
		}
		close(got)
		io.Copy(io.Discard, stdout)
	}()
	next := func() pachapi.CommitInfo {
		select {
		case c := <-got:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("subscribe commit printed nothing for 10s")
		}
		return pachapi.CommitInfo{}
	}
	if c := next(); c.Commit.ID != first {
		t.Errorf("first commit printed = %+v, want the existing one, %s", c, first)
	}
	e.runIn(strings.NewReader("2"), "put", "file", "imgs@master:/2")
	if c := next(); c.Commit.ID != head() || c.Commit.Repo.Name != "imgs" {
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
	head := func() string { return object[pachapi.CommitInfo](e, "inspect", "commit", "r@master").Commit.ID }
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
	after := lines[pachapi.CommitInfo](e, "list", "commit", "r@master", "--from", added, "--all")
	if len(after) != 4 || after[0].Commit.ID != deleted {
		t.Errorf("list commit --from the first commit: %d commits, want the 4 after it, newest first", len(after))
	}
	if cs := lines[pachapi.CommitInfo](e, "list", "commit", "r@master", "--from", added, "-n", "2", "--origin", "user"); len(cs) != 2 || cs[1].Commit.ID == added {
		t.Errorf("list commit --from -n 2 --origin user: %+v", cs)
	}
	if cs := lines[pachapi.CommitInfo](e, "list", "commit", "r@master", "--origin", "AUTO"); len(cs) != 0 {
		t.Errorf("list commit --origin AUTO of a repo only users wrote: %d commits", len(cs))
	}
	wantContains(t, "list commit --origin bad", e.fail(2, "list", "commit", "r", "--origin", "robot"), "want USER or AUTO")
}
