package kubetest

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The steps of a pod's start, in order, as the API shows them: the pod
// exists (its ReplicaSet made it), the scheduler bound it, its init
// containers ended (Initialized), a container of it runs.
const (
	StepMade = iota
	StepScheduled
	StepInitialized
	StepStarted
	PodSteps
)

// StepNames name the steps.
var StepNames = [PodSteps]string{"pod made", "bound to the node", "init containers done", "container running"}

// StepTimes are when, after a start, each step was first seen on any pod
// watched; zero if never.
type StepTimes [PodSteps]time.Duration

// WatchSteps looks at the pods selector selects every, from start, until
// the function it returns is called, which returns when each step was
// first seen. Looking often times the steps finer than the API's
// timestamps, which are whole seconds.
func (cp *ControlPlane) WatchSteps(ctx context.Context, selector string, start time.Time, every time.Duration) func() StepTimes {
	ctx, cancel := context.WithCancel(ctx)
	var (
		wg    sync.WaitGroup
		times StepTimes
	)
	wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			pods, err := cp.Client.CoreV1().Pods(cp.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
			if err == nil {
				at := time.Since(start)
				for _, p := range pods.Items {
					for i, reached := range reachedSteps(&p) {
						if reached && times[i] == 0 {
							times[i] = at
						}
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	return func() StepTimes {
		cancel()
		wg.Wait()
		return times
	}
}

// reachedSteps says which steps pod has reached.
func reachedSteps(p *corev1.Pod) [PodSteps]bool {
	var s [PodSteps]bool
	s[StepMade] = true
	s[StepScheduled] = p.Spec.NodeName != ""
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodInitialized && c.Status == corev1.ConditionTrue {
			s[StepInitialized] = true
		}
	}
	for _, c := range p.Status.ContainerStatuses {
		if c.State.Running != nil {
			s[StepStarted] = true
		}
	}
	return s
}
