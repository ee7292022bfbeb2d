package pachapi

import (
	"strconv"
	"strings"
)

// Version is the part of versionpb_v2.Version Tusk knows (not the build's
// git commit, date or Go version): what `pachctl version --raw` prints for
// the client and then for the server.
type Version struct {
	Major      uint32 `json:"major,omitempty"`
	Minor      uint32 `json:"minor,omitempty"`
	Micro      uint32 `json:"micro,omitempty"`
	Additional string `json:"additional,omitempty"`
}

// VersionFrom splits a version such as "1.2.3-rc1" into its numbers and
// the rest ("-rc1"), as Pachyderm's Version holds them.
func VersionFrom(v string) Version {
	var out Version
	nums, rest := v, ""
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		nums, rest = v[:i], v[i:]
	}
	parts := strings.SplitN(nums, ".", 3)
	for i, dst := range []*uint32{&out.Major, &out.Minor, &out.Micro} {
		if i >= len(parts) {
			break
		}
		n, err := strconv.ParseUint(parts[i], 10, 32)
		if err != nil {
			return Version{Additional: v}
		}
		*dst = uint32(n)
	}
	out.Additional = rest
	return out
}
