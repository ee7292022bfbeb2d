package s3

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/minio/minio-go/v7"
)

// Transient reports whether err, from a method of Store, may go away if
// the call is repeated: the server could not be reached or dropped the
// connection, timed out, failed (5xx), asked to slow down, or received an
// object whose bytes do not match their checksum (damaged on the way). A
// refusal (missing object or bucket, denied access, bad request) is
// permanent, and so is the end of the caller's context.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.StatusCode != 0 {
		switch resp.Code {
		case "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "BadDigest":
			return true
		}
		return resp.StatusCode >= http.StatusInternalServerError || resp.StatusCode == http.StatusTooManyRequests
	}
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true // the connection closed mid-response
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}
