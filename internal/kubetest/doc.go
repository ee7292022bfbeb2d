// Package kubetest runs a real Kubernetes control plane for tests: etcd,
// kube-apiserver, kube-scheduler and kube-controller-manager of one pinned
// release, built from source by .ci/kube.sh into the directory that
// TUSK_TEST_KUBE names, as child processes on 127.0.0.1. There is no
// kubelet: Pods are scheduled onto Nodes but run only where a test runs a
// node agent (package kubetest/node) or nowhere.
//
// Start gives each test a namespace of its own on a control plane. With
// Main in the package's TestMain, the tests of a process share one control
// plane, started by the first test that asks and stopped after the last;
// without it each test starts and stops its own, which costs seconds.
// Without TUSK_TEST_KUBE the tests are skipped, unless TUSK_TEST_REQUIRE
// names kube.
package kubetest
