package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// scaleUsage documents -scale.
const scaleUsage = "multiply every data size and file count by this (0.1 = a quick run); NAME=FACTOR pairs after it " +
	"override it for single scenarios, e.g. 1,skip=0.1"

// parseScale parses -scale: a factor, then NAME=FACTOR pairs, all comma
// separated.
func parseScale(s string) (float64, map[string]float64, error) {
	parts := strings.Split(s, ",")
	def, err := positive(parts[0])
	if err != nil {
		return 0, nil, fmt.Errorf("-scale %q: %w", s, err)
	}
	per := map[string]float64{}
	for _, p := range parts[1:] {
		name, f, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !slices.Contains(scenarioNames(), name) {
			return 0, nil, fmt.Errorf("-scale %q: want NAME=FACTOR after the first factor, NAME one of %s, not %q",
				s, strings.Join(scenarioNames(), ","), p)
		}
		if per[name], err = positive(f); err != nil {
			return 0, nil, fmt.Errorf("-scale %q: %s: %w", s, name, err)
		}
	}
	return def, per, nil
}

func positive(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q: want a positive number", s)
	}
	return v, nil
}

// scaleOf is the scale of the scenario called name.
func (c config) scaleOf(name string) float64 {
	if f, ok := c.scales[name]; ok {
		return f
	}
	return c.scale
}

// runs reports whether the scenario called name is to run.
func (c config) runs(name string) bool {
	return c.only == nil || c.only[name]
}

// scaleLabel describes the scales of the scenarios that run: "1", or
// "1 (skip: 0.1)".
func (c config) scaleLabel() string {
	var over []string
	for _, name := range scenarioNames() {
		if f, ok := c.scales[name]; ok && f != c.scale && c.runs(name) {
			over = append(over, fmt.Sprintf("%s: %g", name, f))
		}
	}
	if len(over) == 0 {
		return fmt.Sprintf("%g", c.scale)
	}
	return fmt.Sprintf("%g (%s)", c.scale, strings.Join(over, ", "))
}

// fullScale reports whether every scenario that runs has scale 1.
func (c config) fullScale() bool {
	return c.scaleLabel() == "1"
}
