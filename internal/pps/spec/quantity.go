package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
)

// CPU is a number of cores. In a spec it is a number (0.5) or a Kubernetes
// quantity string ("0.5", "2", "500m").
type CPU float64

// Bytes is an amount of memory or disk in bytes. In a spec it is a number
// of bytes or a Kubernetes quantity string with a decimal (k or K, M, G, T,
// P, E) or binary (Ki, Mi, Gi, Ti, Pi, Ei) suffix, such as "64M" or "1Gi".
type Bytes int64

// quantityRE splits a Kubernetes quantity into its number and suffix.
var quantityRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)((?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$`)

var byteSuffixes = map[string]int64{
	"":  1,
	"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
}

// parseQuantity returns the number of a quantity and its suffix.
func parseQuantity(s string) (*big.Rat, string, bool) {
	m := quantityRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return nil, "", false
	}
	r, ok := new(big.Rat).SetString(m[1] + m[2])
	return r, m[3], ok
}

// ParseCPU parses a CPU quantity such as "0.5" or "500m".
func ParseCPU(s string) (CPU, error) {
	r, suffix, ok := parseQuantity(s)
	if ok && suffix == "m" {
		r.Quo(r, big.NewRat(1000, 1))
	} else if !ok || suffix != "" {
		return 0, fmt.Errorf("%q is not a CPU quantity; write a number of cores such as 0.5 or 2, or millicores such as 500m", s)
	}
	f, _ := r.Float64()
	return CPU(f), nil
}

// ParseBytes parses a byte quantity such as "64M", "1.5Gi" or "1000000".
func ParseBytes(s string) (Bytes, error) {
	r, suffix, ok := parseQuantity(s)
	mult, known := byteSuffixes[suffix]
	if !ok || !known {
		return 0, fmt.Errorf("%q is not a byte quantity; write a number of bytes or use a suffix, as in 64M, 512Mi or 1Gi", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	if new(big.Rat).SetInt(n).Cmp(r) < 0 {
		n.Add(n, big.NewInt(1)) // round up, as Kubernetes does
	}
	if !n.IsInt64() {
		return 0, fmt.Errorf("%q is more bytes than Tusk can count; use a smaller quantity", s)
	}
	return Bytes(n.Int64()), nil
}

// UnmarshalJSON accepts a number of cores or a quantity string.
func (c *CPU) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*c = 0
	case float64:
		if v < 0 || math.IsInf(v, 0) {
			return fmt.Errorf("%v is not a CPU quantity; use a non-negative number of cores such as 0.5", v)
		}
		*c = CPU(v)
	case string:
		parsed, err := ParseCPU(v)
		if err != nil {
			return err
		}
		*c = parsed
	default:
		return fmt.Errorf("%s is not a CPU quantity; write a number of cores such as 0.5 or a string such as \"500m\"", data)
	}
	return nil
}

// UnmarshalJSON accepts a number of bytes or a quantity string.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var v any
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*b = 0
	case json.Number:
		return b.set(string(v))
	case string:
		return b.set(v)
	default:
		return fmt.Errorf("%s is not a byte quantity; write a number of bytes or a string such as \"64M\" or \"1Gi\"", data)
	}
	return nil
}

func (b *Bytes) set(s string) error {
	n, err := ParseBytes(s)
	if err != nil {
		return err
	}
	*b = n
	return nil
}
