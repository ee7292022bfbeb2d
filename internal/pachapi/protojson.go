package pachapi

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tuskdata/tusk/internal/pps/spec"
)

// Timestamp is a google.protobuf.Timestamp: RFC 3339 in UTC, with 0, 3, 6
// or 9 digits of fractional seconds, as protojson writes it. Its zero
// value is left out of structs by their omitzero tags.
type Timestamp struct{ time.Time }

// At is the Timestamp of t.
func At(t time.Time) Timestamp { return Timestamp{t} }

// AtPtr is the Timestamp of *t, or the zero Timestamp if t is nil.
func AtPtr(t *time.Time) Timestamp {
	if t == nil {
		return Timestamp{}
	}
	return Timestamp{*t}
}

// MarshalJSON writes t as protojson does.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	u := t.UTC()
	s := u.Format("2006-01-02T15:04:05")
	switch ns := u.Nanosecond(); {
	case ns == 0:
	case ns%1e6 == 0:
		s += fmt.Sprintf(".%03d", ns/1e6)
	case ns%1e3 == 0:
		s += fmt.Sprintf(".%06d", ns/1e3)
	default:
		s += fmt.Sprintf(".%09d", ns)
	}
	return strconv.AppendQuote(nil, s+"Z"), nil
}

// Int64 is an int64 field as protojson writes it: a string. It reads a
// number too (pipeline specs write one).
type Int64 int64

// MarshalJSON writes n as a quoted number.
func (n Int64) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(n), 10)), nil
}

// UnmarshalJSON reads a number, quoted or not.
func (n *Int64) UnmarshalJSON(b []byte) error {
	s := string(b)
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: want a whole number", b)
	}
	*n = Int64(v)
	return nil
}

// Duration is a google.protobuf.Duration: seconds with 0, 3, 6 or 9
// fractional digits and an "s", as protojson writes it ("1.500s"); pipeline
// specs write theirs the same way.
type Duration = spec.Duration
