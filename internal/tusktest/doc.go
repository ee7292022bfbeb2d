// Package tusktest holds test helpers that run real servers, in this
// process or as `tusk up` subprocesses, and put data into them. Only tests
// import it.
package tusktest
