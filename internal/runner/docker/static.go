package docker

import (
	"debug/elf"
	"fmt"
)

// checkStatic makes sure the tusk binary mounted into containers is a
// static ELF executable. A dynamically linked one needs its loader and C
// library inside the image, and in an image without them (FROM scratch,
// alpine) the container dies with a baffling "no such file or directory".
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("worker binary %s is not a Linux executable (%v); the docker runner mounts it into containers, so it must be a static Linux build of tusk: build it with CGO_ENABLED=0 go build ./cmd/tusk", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("worker binary %s is dynamically linked, so it cannot start in images without its loader and C library (FROM scratch, alpine); build it with CGO_ENABLED=0: CGO_ENABLED=0 go build ./cmd/tusk", path)
		}
	}
	return nil
}
