package worker

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/tuskdata/tusk/internal/tusk"
)

// serverLost reports whether err says that the server could not be
// reached, or was lost mid-request, rather than that it refused what the
// worker asked.
func serverLost(err error) bool {
	var ne net.Error
	return tusk.KindOf(err) == tusk.KindUnavailable || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne) && !isErrno(ne)
}

// isErrno reports whether err is a bare system call error, which has the
// methods of a net.Error but, outside a network operation (a *net.OpError
// around it is found first), is a local file's: a missing directory or a
// full disk under /pfs is no lost server.
func isErrno(err error) bool {
	_, ok := err.(syscall.Errno)
	return ok
}

// failOrGiveBack ends the attempt of datum i, which could not do what
// (download its inputs, upload its output) for err. It fails, unless the
// server was lost: the datum is then given back, at no cost to its tries,
// since it is not at fault and its next attempt, through another server
// or this one back, may well succeed.
func (s *datumSet) failOrGiveBack(i int, what string, err error) {
	if serverLost(err) {
		s.end(i, tusk.DatumQueued, fmt.Sprintf("given back by worker %s, which lost the server: %s: %v", s.w.cfg.ID, what, err))
		return
	}
	s.end(i, tusk.DatumFailed, what+": "+err.Error())
}
