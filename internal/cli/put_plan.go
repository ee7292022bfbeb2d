package cli

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// putOptions are the flags of `put file`.
type putOptions struct {
	files     []string // -f: files, directories, or "-" for standard input
	inputList string   // -i: a file naming one source per line
	recursive bool
	appendTo  bool
	untar     bool
	fullPath  bool
	senders   int // -p: requests in flight
}

// putItem is one local input of a put file and where it lands.
type putItem struct {
	local  string // a local file, "-" for standard input, or an http(s) or s3 URL
	target string // path in the repo; for a tar, the directory it expands into
	size   int64  // bytes to read, -1 if unknown
	untar  bool
}

// planPut resolves the sources of a put file into items, following
// pachctl's target path rules:
//
//	put file repo@br:/p -f x          → /p
//	put file repo@br -f dir/x         → /x (dir/x with --full-path)
//	put file repo@br -r -f dir        → /dir/...
//	put file repo@br:/p -r -f dir     → /p/... (the directory's name is dropped)
//	put file repo@br:/p -f x -f y     → /p/x, /p/y (several sources: /p is a directory)
//	put file repo@br:/p/ -f x         → /p/x (a trailing slash names a directory)
//	put file repo@br:/p               → /p, from standard input
//	put file repo@br:/p --untar -f t  → the archive's files under /p
//	put file repo@br -f s3://b/k/x    → /x (an object; -r: every object under k/x/)
//
// Every target is validated before any data is read. warn reports skipped
// inputs (sockets, devices, symlinks to directories).
func planPut(opts putOptions, dest string, warn func(format string, args ...any), bk *buckets) ([]putItem, error) {
	sources := opts.files
	if opts.inputList != "" {
		lines, err := readInputList(opts.inputList)
		if err != nil {
			return nil, err
		}
		sources = append(sources, lines...)
	}
	if len(sources) == 0 {
		sources = []string{"-"}
	}
	var items []putItem
	for _, src := range sources {
		if isS3URL(src) {
			more, err := bk.plan(opts, src, dest, len(sources))
			if err != nil {
				return nil, err
			}
			items = append(items, more...)
			continue
		}
		if isURL(src) {
			it, err := planURL(opts, src, dest, len(sources))
			if err != nil {
				return nil, err
			}
			items = append(items, it)
			continue
		}
		if strings.Contains(src, "://") {
			return nil, tusk.Errorf(tusk.KindInvalid, "put file from %s is not supported yet: only http://, https:// and s3:// URLs", src).
				WithHint("download it first and put the local file")
		}
		if src == "-" {
			it, err := planStdin(opts, dest, len(sources))
			if err != nil {
				return nil, err
			}
			items = append(items, it)
			continue
		}
		more, err := planSource(opts, src, dest, len(sources), warn)
		if err != nil {
			return nil, err
		}
		items = append(items, more...)
	}
	for _, it := range items {
		if _, err := tusk.CleanPath(it.target); err != nil {
			return nil, fmt.Errorf("put file %s: %w", it.local, err)
		}
	}
	return items, nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// planURL puts a URL's content (fetched by this client) at dest, or under
// the last element of the URL's path, as pachctl names it.
func planURL(opts putOptions, src, dest string, sources int) (putItem, error) {
	if opts.recursive || opts.untar {
		return putItem{}, usagef("-r and --untar do not apply to a URL (%s)", src)
	}
	u, err := url.Parse(src)
	if err != nil {
		return putItem{}, usagef("bad URL %q: %v", src, err)
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." {
		name = u.Host
	}
	target := dest
	if dest == "" || sources > 1 || strings.HasSuffix(dest, "/") {
		target = joinTarget(orRoot(dest), name)
	}
	return putItem{local: src, target: target, size: -1}, nil
}

func planStdin(opts putOptions, dest string, sources int) (putItem, error) {
	switch {
	case sources > 1:
		return putItem{}, usagef("standard input (-f -) cannot be combined with other sources")
	case opts.untar:
		return putItem{local: "-", target: orRoot(dest), size: -1, untar: true}, nil
	case dest == "" || strings.HasSuffix(dest, "/"):
		return putItem{}, usagef("reading from standard input needs a file path: repo@branch:/path")
	}
	return putItem{local: "-", target: dest, size: -1}, nil
}

func planSource(opts putOptions, src, dest string, sources int, warn func(string, ...any)) ([]putItem, error) {
	info, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("put file: %w", err)
	}
	if opts.untar {
		if info.IsDir() {
			return nil, usagef("--untar takes tar archives; %s is a directory", src)
		}
		return []putItem{{local: src, target: orRoot(dest), size: info.Size(), untar: true}}, nil
	}
	name := filepath.Base(src)
	if opts.fullPath {
		name = filepath.ToSlash(filepath.Clean(src))
	}
	var target string
	switch {
	case dest == "":
		target = joinTarget("/", name)
	case info.IsDir() && sources == 1:
		// As pachctl: -r repo@b:/p -f dir puts dir's contents at /p.
		target = orRoot(strings.TrimSuffix(dest, "/"))
	case sources > 1 || strings.HasSuffix(dest, "/"):
		target = joinTarget(dest, name)
	default:
		target = dest
	}
	if !info.IsDir() {
		return []putItem{{local: src, target: target, size: info.Size()}}, nil
	}
	if !opts.recursive {
		return nil, tusk.Errorf(tusk.KindInvalid, "%s is a directory", src).WithHint("add -r to put it and everything in it")
	}
	var items []putItem
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := os.Stat(p) // follows symlinks
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			warn("skipping %s: not a regular file", p)
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		items = append(items, putItem{local: p, target: joinTarget(target, filepath.ToSlash(rel)), size: fi.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put file: %w", err)
	}
	return items, nil
}

// joinTarget joins a repo directory and a relative name. It does not clean
// the result: a ".." must reach the server's path rules, not vanish.
func joinTarget(dir, name string) string {
	return strings.TrimSuffix(dir, "/") + "/" + strings.TrimPrefix(name, "/")
}

func orRoot(dest string) string {
	if dest == "" {
		return "/"
	}
	return dest
}

// readInputList reads -i: one source per line; blank lines are skipped.
func readInputList(name string) ([]string, error) {
	if isURL(name) {
		rc, err := openURL(name)
		if err != nil {
			return nil, fmt.Errorf("read input list: %w", err)
		}
		defer rc.Close()
		return readLines(rc)
	}
	if strings.Contains(name, "://") {
		return nil, tusk.Errorf(tusk.KindInvalid, "-i from %s is not supported yet: only local files and http(s) URLs", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read input list: %w", err)
	}
	defer f.Close()
	out, err := readLines(f)
	if err != nil {
		return nil, fmt.Errorf("read input list %s: %w", name, err)
	}
	return out, nil
}

func readLines(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if line := strings.TrimRight(sc.Text(), "\r"); strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// openURL fetches a URL for put file; anything but 200 OK is an error.
func openURL(src string) (io.ReadCloser, error) {
	resp, err := http.Get(src)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", src, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("fetch %s: %s", src, resp.Status)
	}
	return resp.Body, nil
}
