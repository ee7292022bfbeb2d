package main

import (
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	var ds []time.Duration
	for i := 20; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if got := quantile(ds, 0.5); got != 10*time.Millisecond {
		t.Errorf("median of 1..20 ms = %v, want 10ms", got)
	}
	if got := quantile(ds, 0.99); got != 20*time.Millisecond {
		t.Errorf("p99 of 1..20 ms = %v, want 20ms", got)
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("median of nothing = %v, want 0", got)
	}
}

func TestMedianPhases(t *testing.T) {
	var s samples
	for _, p := range []phases{{put: 3}, {put: 1}, {put: 2}} {
		s.addPhases(p, nil)
	}
	if got := s.medianPhases(); got.put != 2 {
		t.Errorf("median phases = %+v, want put 2", got)
	}
	if s.median() != 2 {
		t.Errorf("median = %v, want 2", s.median())
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-scale", "0.1", "-only", "put, rss"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.scale != 0.1 || !cfg.only["put"] || !cfg.only["rss"] || len(cfg.only) != 2 {
		t.Errorf("parsed %+v", cfg)
	}
	cfg, err = parseFlags([]string{"-scale", "1,skip=0.1", "-only", "put,skip"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.scaleOf("skip") != 0.1 || cfg.scaleOf("put") != 1 || cfg.scaleLabel() != "1 (skip: 0.1)" || cfg.fullScale() {
		t.Errorf("parsed %+v: label %q", cfg, cfg.scaleLabel())
	}
	bad := [][]string{{"-only", "nope"}, {"-scale", "0"}, {"-scale", "1,nope=2"}, {"-scale", "1,skip"},
		{"-scale", "1,skip=-1"}, {"-scale", "NaN"}, {"-rounds", "0"}, {"extra"}}
	for _, bad := range bad {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q) accepted", bad)
		}
	}
}

func TestScaling(t *testing.T) {
	b := &bench{scale: 0.01}
	if got := b.count(1_000_000); got != 10_000 {
		t.Errorf("count = %d, want 10000", got)
	}
	if got := b.count(10); got != 1 {
		t.Errorf("count = %d, want at least 1", got)
	}
	if got := b.bytes(1 << 20); got != 64<<10 {
		t.Errorf("bytes = %d, want the 64 KiB floor", got)
	}
	if got := countLabel(1_000_000); got != "1M" {
		t.Errorf("countLabel = %q", got)
	}
}

func TestFractionOf(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{2 * time.Microsecond, "1/500"}, {time.Millisecond, "1/1"}, {0, "none"}, {-time.Microsecond, "none"}} {
		if got := fractionOf(tt.d, time.Millisecond); got != tt.want {
			t.Errorf("fractionOf(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
