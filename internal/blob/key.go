package blob

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidKey is returned, wrapped, for a key or prefix that breaks the
// rules of CheckKey.
var ErrInvalidKey = errors.New("invalid blob key")

// CheckKey reports whether key is a valid object key: slash-separated
// segments of the characters [a-z0-9._-], none empty and none starting with
// a dot. The rules keep keys safe as relative file paths (no "..", no
// absolute paths, no hidden files, which is where backends keep temporary
// files) and as S3 object names.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := checkSegment(seg); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
	}
	return nil
}

// CheckPrefix reports whether prefix is a valid List prefix: empty, or a
// string that some valid key could start with. Whole segments follow the
// rules of CheckKey; the last segment may be partial or empty, so "chunks/"
// and "chunks/a" are both valid.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	segs := strings.Split(prefix, "/")
	last := len(segs) - 1
	for i, seg := range segs {
		if i == last && seg == "" {
			break
		}
		if err := checkSegment(seg); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
	}
	return nil
}

func checkSegment(seg string) error {
	if seg == "" {
		return errors.New("empty path segment")
	}
	if seg[0] == '.' {
		return errors.New("segment starts with a dot")
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("character %q not in [a-z0-9/._-]", c)
		}
	}
	return nil
}
