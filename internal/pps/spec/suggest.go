package spec

import (
	"fmt"
	"strings"
	"unicode"
)

// removed lists fields that Pachyderm 1.x accepted and 2.x dropped, with
// what to do instead.
var removed = map[string]string{
	"atom":                 `it was renamed; use "pfs"`,
	"inputs":               `use a single "input" with a "cross" of the inputs`,
	"git":                  "git inputs were removed; commit the repository's files to a repo instead",
	"enable_stats":         "stats are always collected; delete it",
	"standby":              `use "autoscaling" instead`,
	"chunk_spec":           `use "datum_set_spec" instead`,
	"cache_size":           "delete it",
	"max_queue_size":       "delete it",
	"hashtree_spec":        "delete it",
	"scale_down_threshold": `delete it, or use "autoscaling"`,
	"incremental":          "delete it; datums that did not change are skipped anyway",
}

// unknownField describes key, found at path and not one of names, and says
// what to do about it.
func unknownField(key, path string, names []string) string {
	snake := snakeCase(key)
	if hint, ok := removed[snake]; ok {
		return fmt.Sprintf("field %q was removed in Pachyderm 2.x: %s", path, hint)
	}
	best, bestDist := "", 1<<30
	for _, name := range names {
		if d := Distance(snake, strings.ToLower(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	if bestDist > 2 && bestDist > len(snake)/3 {
		return fmt.Sprintf("unknown field %q; check its spelling or delete it", path)
	}
	if key != snake && !strings.Contains(key, "_") {
		best = camel(best)
	}
	return fmt.Sprintf("unknown field %q (did you mean %q?)", path, best)
}

// snakeCase converts a lowerCamelCase or snake_case key to lower snake_case.
func snakeCase(key string) string {
	var b strings.Builder
	prev := '_'
	for _, r := range key {
		if unicode.IsUpper(r) {
			if unicode.IsLower(prev) || unicode.IsDigit(prev) {
				b.WriteByte('_')
			}
			prev, r = r, unicode.ToLower(r)
		} else {
			prev = r
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Distance is the optimal string alignment distance between a and b: the
// number of insertions, deletions, substitutions and transpositions of
// adjacent bytes that turn one into the other.
func Distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
