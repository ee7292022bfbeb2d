package tusk

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                "/",
		"/":               "/",
		"a":               "/a",
		"/a/b/":           "/a/b",
		"//a//b":          "/a/b",
		"café.csv":        "/café.csv",
		"/IMG (1).jpg":    "/IMG (1).jpg",
		"/data/[x]*?.txt": "/data/[x]*?.txt",
	} {
		got, err := CleanPath(in)
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/a/../b", "/./a", "..", "/a\x00b", "/a\nb", "/a\x7fb", "/\xff\xfe"} {
		if _, err := CleanPath(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("CleanPath(%q) = %v, want an invalid-path error", in, err)
		}
	}
}

func TestParseRef(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef"
	for in, want := range map[string]Ref{
		"images":                {Repo: "images", Branch: "master", Path: "/"},
		"images@dev":            {Repo: "images", Branch: "dev", Path: "/"},
		"images@" + id:          {Repo: "images", ID: id, Path: "/"},
		"images@master^":        {Repo: "images", Branch: "master", Up: 1, Path: "/"},
		"images@master^^":       {Repo: "images", Branch: "master", Up: 2, Path: "/"},
		"images@master^3":       {Repo: "images", Branch: "master", Up: 3, Path: "/"},
		"images@master~2":       {Repo: "images", Branch: "master", Up: 2, Path: "/"},
		"images@master.1":       {Repo: "images", Branch: "master", At: 1, Path: "/"},
		"images@master:/a/b":    {Repo: "images", Branch: "master", Path: "/a/b", HasPath: true},
		"images@master=" + id:   {Repo: "images", Branch: "master", ID: id, Path: "/"},
		"images@" + id + "~1:x": {Repo: "images", ID: id, Up: 1, Path: "/x", HasPath: true},
		"staging/images@dev:/a": {Project: "staging", Repo: "images", Branch: "dev", Path: "/a", HasPath: true},
	} {
		got, err := ParseRef(in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseRef(%q) mismatch (-want +got):\n%s", in, diff)
		}
	}
	for _, in := range []string{"", "@master", "im ages", "images@ma ster", "images@master~", "images@master.0", "images@b=123", "images@master:/../x", "/images", "sta ging/images@dev", "a/b/c@dev"} {
		if _, err := ParseRef(in); err == nil {
			t.Errorf("ParseRef(%q) succeeded, want error", in)
		}
	}
}
