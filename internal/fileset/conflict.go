package fileset

import (
	"context"
	"fmt"
	"strings"
)

// checkConflicts reports an error wrapping ErrPathConflict if, in the tree
// rooted at root, the path of a put is the parent directory of an entry or
// has an ancestor directory that is an entry. Each check is a seek, and a
// directory shared with the previous put is not checked again: the paths
// under a directory are contiguous in byte order, so it was already checked
// against the same tree.
func checkConflicts(ctx context.Context, st NodeStore, root string, points []Change) error {
	c := cursor{st: st, root: root}
	prev := ""
	for _, p := range points {
		if p.Op != OpPut {
			continue
		}
		dir := p.Path + "/"
		if err := c.seek(ctx, dir); err != nil {
			return err
		}
		if f := c.entry(); f != nil && strings.HasPrefix(f.Path, dir) {
			return conflict(p.Path, f.Path)
		}
		for i := 1; ; {
			j := strings.IndexByte(p.Path[i:], '/')
			if j < 0 {
				break
			}
			anc := p.Path[:i+j]
			i += j + 1
			if strings.HasPrefix(prev, anc+"/") {
				continue
			}
			if err := c.seek(ctx, anc); err != nil {
				return err
			}
			if f := c.entry(); f != nil && f.Path == anc {
				return conflict(anc, p.Path)
			}
		}
		prev = p.Path
	}
	return nil
}

func conflict(file, inside string) error {
	return fmt.Errorf("%w: %s is a file but %s is inside it", ErrPathConflict, file, inside)
}
