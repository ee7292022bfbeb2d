package process_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
	"github.com/tuskdata/tusk/internal/tusktest"
)

// TestOutputLinksStayInsidePFS: a symbolic link in /pfs/out into an input
// is a copy of that input file; every other way out of /pfs (an absolute
// link, a relative one through .., a chain of links, a link to a
// directory, a link to /pfs/out itself) fails its datum with an error that
// names the link, and nothing from outside /pfs lands in the output repo.
func TestOutputLinksStayInsidePFS(t *testing.T) {
	dir := t.TempDir()
	e := startIn(t, dir)
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("the server's secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.pipeline("copies", `ln -s $words $PFS/out/$(basename $words)`)
	e.pipeline("escapes", fmt.Sprintf(`out=$PFS/out
		case $(basename $words) in
		shadow) ln -s /etc/shadow $out/shadow ;;
		meta) ln -s %[1]s $out/meta ;;
		secret) ln -s %[2]s $out/secret ;;
		dotdot) ln -s ../../../../../../../../../..%[2]s $out/dotdot ;;
		chain) mkdir $out/sub && ln -s sub/hop $out/chain && ln -s /etc/shadow $out/sub/hop ;;
		etc) ln -s /etc $out/etc ;;
		loop) ln -s $out $out/loop ;;
		esac`, filepath.Join(dir, "meta.db"), secret))
	links := map[string]string{"shadow": "/shadow", "meta": "/meta", "secret": "/secret", "dotdot": "/dotdot",
		"chain": "/chain", "etc": "/etc", "loop": "/loop"}
	var files []string
	for name := range links {
		files = append(files, "/"+name, "content of "+name+"\n")
	}
	c := tusktest.Put(e.ctx, t, e.c, "words", files...)
	e.c.WaitCommit(e.ctx, c.ID) // escapes fails

	escapes, err := e.c.ListJobs(e.ctx, "escapes", "", 1)
	if err != nil || len(escapes) != 1 || escapes[0].State != tusk.JobFailure {
		t.Fatalf("jobs of escapes: %+v, %v; want one that failed", escapes, err)
	}
	n := 0
	err = e.c.ListDatums(e.ctx, "escapes", escapes[0].ID, "", func(d tusk.DatumInfo) error {
		n++
		link := links[filepath.Base(d.Inputs[0].Path)]
		if d.State != tusk.DatumFailed || !strings.Contains(d.Reason, link) || len(d.Outputs) > 0 {
			t.Errorf("datum %s: %s (%q), outputs %v; want failed with a reason naming %s, and no output",
				d.Inputs[0].Path, d.State, d.Reason, d.Outputs, link)
		}
		return nil
	})
	if err != nil || n != len(links) {
		t.Fatalf("%d datums of escapes, %v; want %d", n, err, len(links))
	}

	// Each link into an input is a copy of that input file.
	for name := range links {
		rc, _, err := e.c.GetFile(e.ctx, "copies@master:/"+name, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if want := "content of " + name + "\n"; string(got) != want {
			t.Errorf("copies@master:/%s = %q, want %q", name, got, want)
		}
	}
}
