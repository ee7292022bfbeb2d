package local

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/blob"
)

// List implements blob.Lister. It walks only the directories that can hold
// keys with the prefix, in lexical order of the keys, and skips temporary
// files.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	if err := blob.CheckPrefix(prefix); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	// Start at the deepest directory that the prefix names whole.
	dir := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = prefix[:i+1]
	}
	descend := func(dirKey string) bool {
		return strings.HasPrefix(dirKey, prefix) || strings.HasPrefix(prefix, dirKey)
	}
	err := s.walk(ctx, dir, descend, func(dirKey string, e fs.DirEntry) error {
		key := dirKey + e.Name()
		if strings.HasPrefix(e.Name(), ".") || !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := e.Info()
		if isNotExist(err) {
			return nil // deleted since the directory was read
		}
		if err != nil {
			return err
		}
		return fn(blob.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()})
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	return nil
}

// CleanTemp removes the temporary files that a crash left behind in the
// store, those last modified before before, and returns how many it
// removed. A Put under way writes its temporary file after it starts, so
// CleanTemp may run alongside the Puts that started after before.
func (s *Store) CleanTemp(ctx context.Context, before time.Time) (int, error) {
	removed := 0
	all := func(string) bool { return true }
	err := s.walk(ctx, "", all, func(dirKey string, e fs.DirEntry) error {
		if !strings.HasPrefix(e.Name(), tempPrefix) {
			return nil
		}
		fi, err := e.Info()
		if isNotExist(err) {
			return nil // renamed or removed by its Put meanwhile
		}
		if err != nil {
			return err
		}
		if !fi.ModTime().Before(before) {
			return nil
		}
		if err := s.fs.Remove(s.dirPath(dirKey, e.Name())); err != nil && !isNotExist(err) {
			return err
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("clean temporary files: %w", err)
	}
	return removed, nil
}

// walk calls visit for every regular file in the directory of dirKey (a
// key prefix that is empty or ends in a slash) and, depth first, in the
// subdirectories whose key prefix (their key plus a slash) descend
// approves. It visits in lexical order of the keys and skips directories
// whose names start with a dot, which hold no keys.
func (s *Store) walk(ctx context.Context, dirKey string, descend func(dirKey string) bool, visit func(dirKey string, e fs.DirEntry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := s.fs.ReadDir(s.dirPath(dirKey, ""))
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	// A directory's keys continue with a slash, which sorts after '-' and
	// '.', so sort directories as if their names ended in one.
	sortName := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(sortName(a), sortName(b)) })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case e.IsDir():
			sub := dirKey + e.Name() + "/"
			if strings.HasPrefix(e.Name(), ".") || !descend(sub) {
				continue
			}
			if err := s.walk(ctx, sub, descend, visit); err != nil {
				return err
			}
		case e.Type().IsRegular():
			if err := visit(dirKey, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// dirPath returns the path of name in the directory of dirKey.
func (s *Store) dirPath(dirKey, name string) string {
	return filepath.Join(s.root, filepath.FromSlash(dirKey), name)
}
