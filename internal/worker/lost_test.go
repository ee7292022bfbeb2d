package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/tuskdata/tusk/internal/tusk"
)

// TestLostServerGivesTheDatumBack checks that an attempt that could not
// upload its output because the server was lost is reported given back
// (QUEUED, at no cost to the datum's tries), not failed, and which errors
// say that the server was lost.
func TestLostServerGivesTheDatumBack(t *testing.T) {
	w, s, requests := reportingWorker(t, "a", "b")
	lost := &tusk.Error{Kind: tusk.KindUnavailable, Message: "cannot reach the tusk server"}
	s.failOrGiveBack(0, "upload output", fmt.Errorf("check 1 chunks: %w", lost))
	<-w.rep.sent()
	got := requests()
	if len(got) != 1 || len(got[0]) != 1 || got[0][0].State != tusk.DatumQueued || !strings.Contains(got[0][0].Reason, "lost the server") {
		t.Errorf("reported %+v, want datum a given back by a worker that lost the server", got)
	}
	for err, want := range map[error]bool{
		lost: true,
		fmt.Errorf("download inputs: %w", io.ErrUnexpectedEOF):                                              true,
		fmt.Errorf("POST /v1/chunks: %w", context.DeadlineExceeded):                                         true,
		&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}:                                       true,
		tusk.Errorf(tusk.KindInvalid, "output path refused"):                                                false,
		fmt.Errorf("walk output: %w", os.ErrPermission):                                                     false,
		fmt.Errorf("lay out inputs: %w", &os.PathError{Op: "mkdir", Path: "/tmp/x", Err: syscall.ENOENT}):   false,
		fmt.Errorf("write output: %w", &os.PathError{Op: "write", Path: "/pfs/out/a", Err: syscall.ENOSPC}): false,
		errors.New("symbolic link out of /pfs"):                                                             false,
	} {
		if serverLost(err) != want {
			t.Errorf("serverLost(%v) = %v, want %v", err, !want, want)
		}
	}
}
