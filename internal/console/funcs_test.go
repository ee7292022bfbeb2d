package console

import (
	"slices"
	"testing"
)

func TestBarSegmentsFollowEachOther(t *testing.T) {
	got := bar(2, 1, 1, 4)
	want := []segment{{"ok", "0%", "50.0%"}, {"idle", "50.0%", "25.0%"}, {"bad", "75.0%", "25.0%"}}
	if !slices.Equal(got, want) {
		t.Errorf("bar(2, 1, 1, 4) = %v, want %v", got, want)
	}
	if got := bar(0, 0, 0, 0); got[0].Width != "0%" || got[2].X != "0%" {
		t.Errorf("bar of no datums = %v, want empty segments", got)
	}
}
