package spec

import (
	"cmp"
	"slices"
)

// Children returns the inputs that in combines: the elements of its cross,
// union, join or group, or nil for a PFS or cron input.
func (in *Input) Children() []*Input {
	switch {
	case in == nil:
		return nil
	case in.Cross != nil:
		return in.Cross
	case in.Union != nil:
		return in.Union
	case in.Join != nil:
		return in.Join
	case in.Group != nil:
		return in.Group
	}
	return nil
}

// Walk calls f for every input of the tree rooted at in, children before
// their parent. It does nothing if in is nil.
func Walk(in *Input, f func(*Input)) {
	if in == nil {
		return
	}
	for _, child := range in.Children() {
		Walk(child, f)
	}
	f(in)
}

// InputName is the name by which Pachyderm sorts an input: a PFS or cron
// input's own name, or that of the first input a combination holds.
func InputName(in *Input) string {
	switch {
	case in == nil:
		return ""
	case in.PFS != nil:
		return in.PFS.Name
	case in.Cron != nil:
		return in.Cron.Name
	}
	if children := in.Children(); len(children) > 0 {
		return InputName(children[0])
	}
	return ""
}

// SortInput stably sorts the inputs of every cross, union, join and group
// in the tree by InputName, innermost first, as Pachyderm does when a
// pipeline is created. The order fixes the order of datums and of the
// inputs within them, and so the datum IDs; apply it once, at create time,
// after Validate has filled in the default input names.
func SortInput(in *Input) {
	Walk(in, func(in *Input) {
		slices.SortStableFunc(in.Children(), func(a, b *Input) int {
			return cmp.Compare(InputName(a), InputName(b))
		})
	})
}
