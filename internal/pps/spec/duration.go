package spec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a timeout. In a spec it is a string in protobuf's JSON form,
// a number of seconds ending in "s" ("90s", "1.5s"), or any Go duration
// ("1m30s", "2h"). It is written back in protobuf's form.
type Duration time.Duration

// ParseDuration parses a timeout such as "90s" or "1h30m".
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write it as \"90s\", \"1m30s\" or \"2h\"", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative; use a positive duration such as \"90s\"", s)
	}
	return Duration(d), nil
}

// UnmarshalJSON accepts a duration string.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*d = 0
		return nil
	case string:
		parsed, err := ParseDuration(v)
		if err != nil {
			return err
		}
		*d = parsed
		return nil
	}
	return fmt.Errorf("%s is not a duration; write it as a string such as \"90s\" or \"1m30s\"", data)
}

// MarshalJSON writes d as protobuf does: seconds with a trailing "s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// String formats d as protobuf's JSON does, for example "90s" or "1.5s".
func (d Duration) String() string {
	sign, n := "", int64(d)
	if n < 0 {
		sign, n = "-", -n
	}
	s := sign + strconv.FormatInt(n/1e9, 10)
	if frac := n % 1e9; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
	}
	return s + "s"
}
