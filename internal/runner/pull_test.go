package runner_test

import (
	"testing"

	"github.com/tuskdata/tusk/internal/runner"
)

func TestImagePullPolicy(t *testing.T) {
	const digest = "@sha256:0123456789012345678901234567890123456789012345678901234567890123"
	for image, want := range map[string]runner.PullPolicy{
		"busybox":                             runner.PullAlways,
		"busybox:latest":                      runner.PullAlways,
		"library/busybox:latest":              runner.PullAlways,
		"registry.example:5000/team/app":      runner.PullAlways,
		"registry.example:5000/team/app:v1.2": runner.PullIfNotPresent,
		"busybox:1.36":                        runner.PullIfNotPresent,
		"busybox" + digest:                    runner.PullIfNotPresent,
		"busybox:latest" + digest:             runner.PullIfNotPresent,
		"localhost:5000/app:latest":           runner.PullAlways,
	} {
		got, err := runner.ImagePullPolicy(image)
		if err != nil || got != want {
			t.Errorf("ImagePullPolicy(%q) = %q, %v; want %q", image, got, err, want)
		}
	}
	for _, image := range []string{"", "Busybox", "busybox:", "a b"} {
		if got, err := runner.ImagePullPolicy(image); err == nil {
			t.Errorf("ImagePullPolicy(%q) = %q, want an error", image, got)
		}
	}
}

func TestPullPolicyPull(t *testing.T) {
	for _, tt := range []struct {
		policy                runner.PullPolicy
		present, fromRegistry bool
		want                  bool
	}{
		{runner.PullIfNotPresent, false, false, true},
		{runner.PullIfNotPresent, true, true, false},
		{runner.PullIfNotPresent, true, false, false},
		{runner.PullAlways, false, false, true},
		{runner.PullAlways, true, true, true},
		// Built on the host: nothing to pull it from.
		{runner.PullAlways, true, false, false},
	} {
		if got := tt.policy.Pull(tt.present, tt.fromRegistry); got != tt.want {
			t.Errorf("%s.Pull(present %v, from a registry %v) = %v, want %v", tt.policy, tt.present, tt.fromRegistry, got, tt.want)
		}
	}
}
