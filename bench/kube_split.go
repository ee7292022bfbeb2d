package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/tuskdata/tusk/internal/kubetest"
)

// podSplitEvery is how often the bench looks at a new pipeline's pods:
// the resolution of the split.
const podSplitEvery = 100 * time.Millisecond

// podSplit is when, after create pipeline, each step of the start of a
// pipeline's first worker pod was first seen.
type podSplit = kubetest.StepTimes

// medianPodSplit is the median of each step over the rounds that saw it.
func medianPodSplit(splits []podSplit) podSplit {
	var m podSplit
	for i := range m {
		var ds []time.Duration
		for _, s := range splits {
			if s[i] > 0 {
				ds = append(ds, s[i])
			}
		}
		if len(ds) > 0 {
			m[i] = quantile(ds, 0.5)
		}
	}
	return m
}

// describePodSplit is the split of the kube runner's create → first
// datum, with the first datum's start last.
func describePodSplit(s podSplit, first time.Duration) string {
	var parts []string
	for i, d := range s {
		if d > 0 {
			parts = append(parts, kubetest.StepNames[i]+" "+secs(d))
		}
	}
	return fmt.Sprintf("split, medians from create pipeline: %s, first datum running %s", strings.Join(parts, ", "), secs(first))
}
