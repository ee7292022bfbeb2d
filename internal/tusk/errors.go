package tusk

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that callers on either side of the wire can
// react to it: the server maps each kind to an HTTP status and a stable code,
// and the client maps them back.
type Kind string

// The kinds of error. The list is append-only: the strings are on the wire.
const (
	KindInternal    Kind = "internal"
	KindNotFound    Kind = "not_found"
	KindExists      Kind = "exists"
	KindInvalid     Kind = "invalid"
	KindConflict    Kind = "conflict"
	KindUnavailable Kind = "unavailable"
	// KindForbidden is a request the server understood and will not
	// carry out for this caller.
	KindForbidden Kind = "forbidden"
	// KindUnauthenticated is a request without a valid token.
	KindUnauthenticated Kind = "unauthenticated"
)

// Sentinels for errors.Is: errors.Is(err, tusk.ErrNotFound) is true for any
// *Error of kind KindNotFound.
var (
	ErrNotFound    = &Error{Kind: KindNotFound}
	ErrExists      = &Error{Kind: KindExists}
	ErrInvalid     = &Error{Kind: KindInvalid}
	ErrConflict    = &Error{Kind: KindConflict}
	ErrUnavailable = &Error{Kind: KindUnavailable}
	ErrForbidden   = &Error{Kind: KindForbidden}
	// ErrUnauthenticated matches errors of kind KindUnauthenticated.
	ErrUnauthenticated = &Error{Kind: KindUnauthenticated}
)

// Error is an error with a kind, a message and an optional hint that tells
// the user what to do about it.
type Error struct {
	Kind    Kind   `json:"kind"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Kind)
	}
	if e.Hint != "" {
		return e.Message + "; " + e.Hint
	}
	return e.Message
}

// Is reports whether target is an *Error of the same kind, so that the
// sentinels above match any error of their kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Message == ""
}

// Errorf returns an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns a copy of e that carries a hint.
func (e *Error) WithHint(format string, args ...any) *Error {
	c := *e
	c.Hint = fmt.Sprintf(format, args...)
	return &c
}

// KindOf returns the kind of the first *Error in err's chain, or
// KindInternal if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}
