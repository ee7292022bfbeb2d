package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// pluralNoun is the plural a noun command also answers to, as pachctl's
// do: list repos, list branches.
func pluralNoun(noun string) string {
	if strings.HasSuffix(noun, "ch") || strings.HasSuffix(noun, "s") {
		return noun + "es"
	}
	return noun + "s"
}

// didYouMean returns " (did you mean X?)" for the candidates closest to
// word, or "" if none is close: a prefix of one, or at most two edits
// away (cobra's own measure for commands).
func didYouMean(word string, candidates []string) string {
	var close []string
	for _, c := range candidates {
		if c == word {
			continue
		}
		if strings.HasPrefix(c, word) && len(word) >= 2 || editDistance(word, c) <= 2 {
			close = append(close, c)
		}
	}
	if len(close) == 0 {
		return ""
	}
	slices.Sort(close)
	close = slices.Compact(close)
	return fmt.Sprintf(" (did you mean %s?)", strings.Join(close, " or "))
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
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
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// commandNames returns the names and aliases of cmd's visible subcommands.
func commandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
			names = append(names, c.Aliases...)
		}
	}
	return names
}

// flagError adds to pflag's "unknown flag: --x" the flags of cmd that the
// user may have meant.
func flagError(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return usageError{err}
	}
	var flags []string
	add := func(f *pflag.Flag) {
		if !f.Hidden {
			flags = append(flags, "--"+f.Name)
		}
	}
	cmd.Flags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	return usagef("%v%s", err, didYouMean("--"+name, flags))
}
