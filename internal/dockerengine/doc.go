// Package dockerengine is a small client of the Docker Engine API over the
// engine's Unix socket, with the calls that both the docker runner
// (runner/docker) and the test node agent (kubetest/node) make: version
// negotiation, containers started, listed by label, removed and their logs
// read, images inspected and pulled. What each makes of a container's
// configuration stays with it.
package dockerengine
