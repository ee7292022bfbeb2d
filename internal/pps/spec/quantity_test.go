package spec

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want Bytes
		ok   bool
	}{
		{"0", 0, true},
		{"1000", 1000, true},
		{"64M", 64e6, true},
		{"64Mi", 64 << 20, true},
		{"1Gi", 1 << 30, true},
		{"1.5Gi", 3 << 29, true},
		{"2k", 2000, true},
		{"2K", 2000, true},
		{"1Ki", 1024, true},
		{"3T", 3e12, true},
		{"2Ti", 2 << 40, true},
		{"1e3", 1000, true},
		{"1.5e3k", 1500000, true},
		{"0.5", 1, true},
		{" 10M ", 10e6, true},
		{"8Ei", 0, false},
		{"64MB", 0, false},
		{"100m", 0, false},
		{"-1G", 0, false},
		{"", 0, false},
		{"G", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseCPU(t *testing.T) {
	tests := []struct {
		in   string
		want CPU
		ok   bool
	}{
		{"1", 1, true},
		{"0.5", 0.5, true},
		{"500m", 0.5, true},
		{"1500m", 1.5, true},
		{"2.25", 2.25, true},
		{"1k", 0, false},
		{"half", 0, false},
		{"-1", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseCPU(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseCPU(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestQuantityJSON(t *testing.T) {
	var r Resources
	if err := json.Unmarshal([]byte(`{"cpu": 0.25, "memory": 2048, "disk": "1Ki"}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.CPU != 0.25 || r.Memory != 2048 || r.Disk != 1024 {
		t.Errorf("got %+v, want cpu 0.25, memory 2048, disk 1024", r)
	}
	for _, in := range []string{`{"cpu": -1}`, `{"cpu": true}`, `{"memory": [1]}`, `{"memory": 1.5e30}`} {
		if err := json.Unmarshal([]byte(in), &r); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want error", in)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"90s", 90 * time.Second, "90s"},
		{"1m30s", 90 * time.Second, "90s"},
		{"1.5s", 1500 * time.Millisecond, "1.5s"},
		{"2h", 2 * time.Hour, "7200s"},
		{"1.000340012s", 1000340012, "1.000340012s"},
		{"0s", 0, "0s"},
	}
	for _, tt := range tests {
		d, err := ParseDuration(tt.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
			continue
		}
		if time.Duration(d) != tt.want || d.String() != tt.out {
			t.Errorf("ParseDuration(%q) = %v (%s), want %v (%s)", tt.in, time.Duration(d), d, tt.want, tt.out)
		}
	}
	for _, in := range []string{"", "5", "5 minutes", "-1s"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want error", in)
		}
	}
}
