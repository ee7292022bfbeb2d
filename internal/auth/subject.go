package auth

import (
	"strings"

	"github.com/tuskdata/tusk/internal/tusk"
)

// Kinds of subject.
const (
	UserPrefix     = "user:"
	RobotPrefix    = "robot:"
	PipelinePrefix = "pipeline:"
)

// Admin is the subject `tusk up` makes at first start, with clusterAdmin.
const Admin = UserPrefix + "admin"

// ParseSubject checks a subject as a user gives it: "user:NAME" or
// "robot:NAME" (a bare NAME is a user), or "pipeline:NAME".
func ParseSubject(s string) (string, error) {
	if !strings.Contains(s, ":") {
		s = UserPrefix + s
	}
	for _, p := range []string{UserPrefix, RobotPrefix, PipelinePrefix} {
		if name, ok := strings.CutPrefix(s, p); ok {
			if err := checkName(name); err != nil {
				return "", err
			}
			return s, nil
		}
	}
	return "", tusk.Errorf(tusk.KindInvalid, "subject %q: want user:NAME, robot:NAME or pipeline:NAME", s)
}

// Robot returns the subject of the robot name.
func Robot(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return RobotPrefix + name, nil
}

// Pipeline returns the subject a pipeline and its workers act as.
func Pipeline(name string) string { return PipelinePrefix + name }

// PipelineOf returns the pipeline that subject is, if it is one.
func PipelineOf(subject string) (string, bool) { return strings.CutPrefix(subject, PipelinePrefix) }

func checkName(name string) error {
	if name == "" || len(name) > 128 || strings.ContainsAny(name, " \t\r\n:/") {
		return tusk.Errorf(tusk.KindInvalid, "bad identity name %q", name).
			WithHint("use letters, digits, '-', '_', '.' or '@', at most 128 characters")
	}
	return nil
}
