package datum

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// tree is a repo with files at several depths; its directories are
// implied: /dir/, /dir/sub/ and /e/.
var tree = files("/a.txt", "/dir/b.json", "/dir/sub/c.json", "/dir/sub/d.txt", "/e/f.txt")

func TestGlobDatums(t *testing.T) {
	all := []string{"/a.txt", "/dir/b.json", "/dir/sub/c.json", "/dir/sub/d.txt", "/e/f.txt"}
	tests := []struct {
		glob string
		want map[string][]string // matched path -> its files
		keys []string            // matched paths, in order
	}{
		{"/", map[string][]string{"/": all}, []string{"/"}},
		{"", map[string][]string{"/": all}, []string{"/"}},
		{"/*", map[string][]string{
			"/a.txt": {"/a.txt"},
			"/dir/":  {"/dir/b.json", "/dir/sub/c.json", "/dir/sub/d.txt"},
			"/e/":    {"/e/f.txt"},
		}, []string{"/a.txt", "/dir/", "/e/"}},
		{"*", nil, []string{"/a.txt", "/dir/", "/e/"}},
		{"/*/*", map[string][]string{
			"/dir/b.json": {"/dir/b.json"},
			"/dir/sub/":   {"/dir/sub/c.json", "/dir/sub/d.txt"},
			"/e/f.txt":    {"/e/f.txt"},
		}, []string{"/dir/b.json", "/dir/sub/", "/e/f.txt"}},
		{"/dir/*.json", nil, []string{"/dir/b.json"}},
		{"/**", nil, []string{
			"/a.txt", "/dir/", "/dir/b.json", "/dir/sub/", "/dir/sub/c.json", "/dir/sub/d.txt", "/e/", "/e/f.txt",
		}},
		{"/**.json", nil, []string{"/dir/b.json", "/dir/sub/c.json"}},
		{"**.txt", nil, []string{"/a.txt", "/dir/sub/d.txt", "/e/f.txt"}},
		{"/**d?txt", nil, []string{"/dir/sub/d.txt"}},
		{"!(**)", nil, nil},
		{"/!(dir)", nil, []string{"/a.txt", "/e/"}},
		{"/@(a.txt|e)", nil, []string{"/a.txt", "/e/"}},
		{"/+(e)/", nil, []string{"/e/"}},
		{"/dir/sub", map[string][]string{"/dir/sub/": {"/dir/sub/c.json", "/dir/sub/d.txt"}}, []string{"/dir/sub/"}},
		{"/[a-d]*", nil, []string{"/a.txt", "/dir/"}},
		{"/nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.glob, func(t *testing.T) {
			datums := mustDatums(t, pfsIn("r", "r", tt.glob), repos{"r": tree})
			var keys []string
			for _, d := range datums {
				in := d.Inputs[0]
				keys = append(keys, in.Path)
				if want, ok := tt.want[in.Path]; ok {
					var got []string
					for _, f := range in.Files {
						got = append(got, f.Path)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("files of %s mismatch (-want +got):\n%s", in.Path, diff)
					}
				}
			}
			if diff := cmp.Diff(tt.keys, keys); diff != "" {
				t.Errorf("matched paths mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlobDatumsEmptyRepo(t *testing.T) {
	for _, g := range []string{"/", "/*", "/**"} {
		if datums := mustDatums(t, pfsIn("r", "r", g), repos{"r": nil}); len(datums) != 0 {
			t.Errorf("glob %q on an empty repo gave %d datums, want 0", g, len(datums))
		}
	}
}

func TestGlobDatumsUnsortedFiles(t *testing.T) {
	unsorted := files("/b/2", "/a", "/b/1")
	datums := mustDatums(t, pfsIn("r", "r", "/*"), repos{"r": unsorted})
	if diff := cmp.Diff([]string{"/a", "/b"}, render(datums)); diff != "" {
		t.Errorf("datums mismatch (-want +got):\n%s", diff)
	}
	if got := datums[1].Inputs[0].Files; got[0].Path != "/b/1" || got[1].Path != "/b/2" {
		t.Errorf("files of /b/ are %v, want /b/1 then /b/2", got)
	}
	if unsorted[0].Path != "/b/2" {
		t.Errorf("the caller's file list was reordered")
	}
}

func TestPFSDatumFields(t *testing.T) {
	in := keyed("imgs", "images", "/(*).png", "$1", "x$1", true)
	in.PFS.Project, in.PFS.Lazy, in.PFS.Reference = "vision", true, true
	datums := mustDatums(t, in, repos{"images": files("/cat.png")})
	want := []Datum{{Inputs: []Input{{
		Name: "imgs", Project: "vision", Repo: "images", Branch: "master", Commit: "c-images",
		Glob: "/(*).png", Path: "/cat.png", Files: files("/cat.png"),
		JoinOn: "cat", GroupBy: "xcat", OuterJoin: true, Lazy: true, Reference: true,
	}}, Key: "/cat.png"}}
	if diff := cmp.Diff(want, datums); diff != "" {
		t.Errorf("datum mismatch (-want +got):\n%s", diff)
	}
}

func TestCronDatums(t *testing.T) {
	var asked *spec.PFSInput
	l := ListerFunc(func(in *spec.PFSInput) ([]File, error) {
		asked = in
		return files("/2024-01-31T15:04:00Z", "/2024-01-31T15:05:00Z"), nil
	})
	in := &spec.Input{Cron: &spec.CronInput{Name: "tick", Repo: "p_tick", Spec: "@every 1m", Commit: "c1"}}
	datums := mustDatums(t, in, l)
	if diff := cmp.Diff([]string{"/2024-01-31T15:04:00Z", "/2024-01-31T15:05:00Z"}, render(datums)); diff != "" {
		t.Errorf("datums mismatch (-want +got):\n%s", diff)
	}
	want := &spec.PFSInput{Name: "tick", Repo: "p_tick", RepoType: "user", Branch: "master", Commit: "c1", Glob: "/*"}
	if diff := cmp.Diff(want, asked); diff != "" {
		t.Errorf("lister asked for (-want +got):\n%s", diff)
	}
}

func TestDatumsErrors(t *testing.T) {
	errBoom := errors.New("boom")
	failing := ListerFunc(func(*spec.PFSInput) ([]File, error) { return nil, errBoom })
	tests := []struct {
		name string
		in   *spec.Input
		l    Lister
		want string
	}{
		{"lister fails", pfsIn("r", "r", "/*"), failing,
			`list the files of input "r" (repo r, branch master, commit c-r): boom`},
		{"bad glob", pfsIn("r", "r", "/[x"), repos{"r": tree},
			`input "r": glob "/[x": "[" is never closed; add "]" or escape it as "\[" (at offset 1)`},
		{"relative path", pfsIn("r", "r", "/*"), repos{"r": files("a")},
			`input "r": file path "a" is not canonical; paths must be absolute and clean, such as /a/b.txt`},
		{"unclean path", pfsIn("r", "r", "/*"), repos{"r": files("/a//b")},
			`input "r": file path "/a//b" is not canonical; paths must be absolute and clean, such as /a/b.txt`},
		{"duplicate path", pfsIn("r", "r", "/*"), repos{"r": files("/a", "/a")},
			`input "r": file "/a" is listed twice; list each file once`},
		{"empty input", &spec.Input{}, repos{},
			`input sets none of "pfs", "cron", "cross", "union", "join" or "group"; check the spec with spec.Validate first`},
		{"error inside a cross", &spec.Input{Cross: []*spec.Input{pfsIn("r", "r", "/*"), pfsIn("s", "s", "/*")}}, repos{"r": tree},
			`list the files of input "s" (repo s, branch master, commit c-s): repo "s" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Datums(tt.in, tt.l)
			if err == nil {
				t.Fatalf("Datums succeeded, want error %s", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	if _, err := Datums(pfsIn("r", "r", "/*"), failing); !errors.Is(err, errBoom) {
		t.Errorf("Datums error %v does not wrap the lister's error", err)
	}
}
