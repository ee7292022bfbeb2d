package cli

import (
	"slices"
	"strings"
)

// stateFilter reads the --state flags of a list command: states as Tusk
// prints them (RUNNING), in any case, or as pachctl does (PIPELINE_RUNNING,
// JOB_SUCCESS, with prefix). It returns whether a state is kept; with no
// flag every state is.
func stateFilter(given []string, prefix string, valid []string) (func(string) bool, error) {
	var want []string
	for _, g := range given {
		for _, s := range strings.Split(g, ",") {
			s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), prefix)
			if !slices.Contains(valid, s) {
				return nil, usagef("--state %q: want one of %s (or pachctl's %s…)", g, strings.Join(valid, ", "), prefix)
			}
			want = append(want, s)
		}
	}
	return func(state string) bool { return len(want) == 0 || slices.Contains(want, state) }, nil
}
