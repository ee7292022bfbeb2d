package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tuskdata/tusk/internal/pps/spec"
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
// away (adjacent letters swapped count as one, as in specs' field names).
func didYouMean(word string, candidates []string) string {
	var close []string
	for _, c := range candidates {
		if c == word {
			continue
		}
		if strings.HasPrefix(c, word) && len(word) >= 2 || spec.Distance(word, c) <= 2 {
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
