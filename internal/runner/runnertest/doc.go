// Package runnertest is the conformance suite of runners: what every
// runner.Runner promises the scheduler, checked against the runner's own
// platform. The process and docker runners pass it; a new runner (the
// kube runner of pods) is done when it does. The external runner, which
// starts no workers, has nothing to pass it on.
//
// A runner's tests call Run with a Factory, which makes the runner under
// test for each check and says how to see its workers without asking the
// runner: the process table, the container engine, the cluster's API.
// Each check starts a real Tusk server in the test process, with the
// pipelines "p" and "q" (autoscaling, with no input, so that the server's
// own runner runs none of their workers), serves its API on a Unix socket
// of its own for the runner's workers (API), and gives them real tokens
// of the server through Credentials that record what they issue and
// revoke. A worker has registered when it asked that API for work with
// the last token issued to it, and the server accepted the token.
//
// The contract, which each exported check tests:
//
//   - Start: Ensure of Workers workers of a pipeline version makes that
//     many run, which register. Workers are named
//     <pipeline>-v<version>-<i>, i from 0 to Workers-1, and each gets a
//     token of its own (runner.Credentials).
//   - IdempotentEnsure: Ensure of what runs changes nothing: the same
//     instances (processes, containers, pods) keep running, and no token
//     is issued.
//   - VersionReplace: Ensure of another version replaces every worker of
//     the old one: when Ensure returns, none of them runs and their
//     tokens are revoked; the new ones then start and register.
//   - Scale: Ensure of more or fewer workers of the running version
//     starts or removes only the difference, so that the workers that
//     stay keep the datums they hold; the removed are gone, and their
//     tokens revoked, when Ensure returns.
//   - ScaleToZero: Ensure of no workers of the running version (an idle
//     autoscaling pipeline) removes them all before it returns; Ensure
//     of some starts them again, and they register.
//   - StopOne: Stop removes a pipeline's workers and revokes their tokens
//     before it returns, and leaves other pipelines' workers as they
//     are; a later Ensure starts the pipeline again.
//   - CloseAll: Close removes every worker and revokes every token before
//     it returns; Ensure after Close fails and starts nothing.
//   - WorkerDeath: a worker killed from outside (SIGKILL, docker kill, a
//     deleted pod) comes back under the same name by itself, with a new
//     token, the old one revoked, and registers again; the other workers
//     are untouched, and the next Ensure starts no extra one (it may
//     report the death as an error).
//
// "Removed" means gone from the platform's own view (Target.Workers): a
// runner whose platform removes asynchronously (pods terminating) must
// wait for it before Ensure, Stop or Close return, since a worker of an
// old version that lives on would keep claiming datums.
//
// A runner whose workers of a version share one token, and whose
// platform names them (the kube runner: a Secret per Deployment, pods'
// names), says so in Target.PerVersion, and the suite checks the same
// contract by version: Ensure of a new version issues exactly one token,
// which every worker of the version registers with; scaling, Ensure of
// what runs and a worker's death issue none and revoke none, a dead
// worker coming back under a new name; the version's token is revoked,
// and no other of the pipeline is left unrevoked, when the version is
// replaced, stopped or closed. Which worker goes when it scales down is
// the platform's choice; those that stay are the same instances.
package runnertest
