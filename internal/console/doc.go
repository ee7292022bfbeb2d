// Package console is Tusk's web console: server-rendered pages over the
// same HTTP API the CLI uses, served from the API's own address. It shows
// the DAG of repos and pipelines, browses commits and files, and follows
// jobs, datums and logs live through server-sent events.
package console
