// Package proctree starts commands so that every process a command
// starts ends with it: a Tree is the command and all its descendants,
// however they detach (a background job, setsid, a double fork), and
// Wait kills what the command leaves behind.
//
// A Host keeps trees together by the best means this process has (see
// Mode): a cgroup per tree (version 2, else 1) where this process may make
// cgroups, a PID namespace per tree where it is root, else by being a
// child subreaper that finds and kills its descendants in /proc, and as a
// last resort by process groups.
package proctree
