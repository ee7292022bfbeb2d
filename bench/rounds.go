package main

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// samples collects the times of one contender over the rounds of a
// scenario; its first error stops it from being run again.
type samples struct {
	times  []time.Duration
	phases []phases // Tusk's split of each time, when known
	err    error
}

// ok reports whether the contender should run again.
func (s *samples) ok() bool { return s.err == nil }

// add records one round.
func (s *samples) add(d time.Duration, err error) {
	if err != nil {
		s.err = err
		return
	}
	s.times = append(s.times, d)
}

// addPhases records one round of Tusk.
func (s *samples) addPhases(p phases, err error) {
	s.add(p.total(), err)
	if err == nil {
		s.phases = append(s.phases, p)
	}
}

// median is the median time (nearest rank), or 0 before any success.
func (s *samples) median() time.Duration { return quantile(s.times, 0.5) }

// medianPhases is the split of the median round.
func (s *samples) medianPhases() phases {
	if len(s.phases) == 0 {
		return phases{}
	}
	ps := slices.Clone(s.phases)
	slices.SortFunc(ps, func(a, b phases) int { return cmp.Compare(a.total(), b.total()) })
	return ps[(len(ps)+1)/2-1]
}

// spread describes the rounds as "median of N, lo–hi unit", or is empty
// for a single round.
func (s *samples) spread(rate func(time.Duration) float64, unit string) string {
	if len(s.times) < 2 {
		return ""
	}
	lo, hi := rate(slices.Max(s.times)), rate(slices.Min(s.times))
	return fmt.Sprintf("median of %d, %.0f–%.0f %s", len(s.times), lo, hi, unit)
}

// figure is a contender's median rate with its spread, or why there is
// none; bin is the program, empty when it is not installed.
func figure(bin string, s *samples, rate func(time.Duration) float64, unit string) string {
	switch {
	case bin == "":
		return notInstalled
	case s.err != nil:
		return "error: " + s.err.Error()
	}
	return fmt.Sprintf("%.0f %s%s", rate(s.median()), unit, paren(s.spread(rate, unit)))
}

// paren is " (s)", or empty for an empty s.
func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// semi is "; s", or empty for an empty s.
func semi(s string) string {
	if s == "" {
		return ""
	}
	return "; " + s
}
