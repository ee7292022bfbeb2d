// Package clustertest runs Tusk as a cluster on one machine and breaks
// it: two `tusk up` servers and four `tusk worker` containers on a Docker
// network of their own, sharing the host's PostgreSQL and S3 server, with
// a container crashed, stalled or cut off at a time. It has tests only;
// they need a Docker engine (TUSK_TEST_DOCKER), PostgreSQL and S3.
package clustertest
