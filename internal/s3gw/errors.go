package s3gw

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/tuskdata/tusk/internal/tusk"
)

// An apiError is an S3 error: its code, HTTP status and message, answered
// as the XML document S3 clients parse.
type apiError struct {
	Code    string
	Status  int
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(code string, status int, format string, args ...any) *apiError {
	return &apiError{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// The errors of the S3 API the gateway answers.
// errNoSuchBucket matches the errors of noSuchBucket.
var errNoSuchBucket = &apiError{Code: "NoSuchBucket"}

func noSuchBucket(bucket string, cause error) *apiError {
	return errorf("NoSuchBucket", http.StatusNotFound, "bucket %q does not exist: %v", bucket, cause)
}

// errNoSuchKey matches the errors of noSuchKey.
var errNoSuchKey = &apiError{Code: "NoSuchKey"}

func noSuchKey(key string) *apiError {
	return errorf("NoSuchKey", http.StatusNotFound, "no file at key %q", key)
}

// Is makes errors.Is match errors of the same code.
func (e *apiError) Is(target error) bool {
	t, ok := target.(*apiError)
	return ok && t.Code == e.Code
}

func invalidArgument(format string, args ...any) *apiError {
	return errorf("InvalidArgument", http.StatusBadRequest, format, args...)
}

func accessDenied(format string, args ...any) *apiError {
	return errorf("AccessDenied", http.StatusForbidden, format, args...)
}

func notImplemented(what string) *apiError {
	return errorf("NotImplemented", http.StatusNotImplemented, "the Tusk S3 gateway does not implement %s", what)
}

// toAPIError maps an error of Tusk to the S3 error that says the same.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	switch tusk.KindOf(err) {
	case tusk.KindNotFound:
		return errorf("NoSuchKey", http.StatusNotFound, "%v", err)
	case tusk.KindInvalid:
		return errorf("InvalidArgument", http.StatusBadRequest, "%v", err)
	case tusk.KindForbidden:
		return errorf("AccessDenied", http.StatusForbidden, "%v", err)
	case tusk.KindUnauthenticated:
		return errorf("InvalidAccessKeyId", http.StatusForbidden, "%v", err)
	case tusk.KindConflict, tusk.KindExists:
		return errorf("OperationAborted", http.StatusConflict, "%v", err)
	case tusk.KindUnavailable:
		return errorf("ServiceUnavailable", http.StatusServiceUnavailable, "%v", err)
	}
	return errorf("InternalError", http.StatusInternalServerError, "%v", err)
}

type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Resource  string
	RequestID string `xml:"RequestId"`
}

// writeError answers err as an S3 error document (headers only for HEAD).
func (g *Gateway) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	if ae.Status >= 500 {
		g.log.Error("s3 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Del("Content-Length")
	w.Header().Del("ETag")
	w.Header().Del("Last-Modified")
	w.WriteHeader(ae.Status)
	if r.Method == http.MethodHead {
		return
	}
	writeXMLBody(w, errorDoc{Code: ae.Code, Message: ae.Message, Resource: r.URL.Path, RequestID: w.Header().Get("x-amz-request-id")})
}

// writeXML answers v as an XML document with status 200.
func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	writeXMLBody(w, v)
}

func writeXMLBody(w http.ResponseWriter, v any) {
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v) // the client has gone: nothing to tell it
}
