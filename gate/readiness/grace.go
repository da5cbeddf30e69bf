package readiness

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
)

// grace is the grace period of one transient problem.
type grace struct {
	since  time.Time
	length time.Duration
}

func (g *grace) over(now time.Time) bool { return now.Sub(g.since) >= g.length }

// grace returns the running grace period of problem k, starting it (from
// when the API says the state began, if earlier) the first time k is seen.
func (w *watch) grace(k string, p PodProblem, now time.Time) *grace {
	if g, ok := w.graces[k]; ok {
		return g
	}
	g := &grace{since: now, length: w.s.Grace}
	if p.Reason == ReasonUnschedulable {
		g.length = w.s.UnschedulableGrace
	}
	if !p.Since.IsZero() && p.Since.Before(now) {
		g.since = p.Since
	}
	w.graces[k] = g
	return g
}

// recordBaseline pins the history of the revision's pods: each
// container's restartCount now, and the moment; pods created later start
// from zero (Baseline).
func (w *watch) recordBaseline(rs *appsv1.ReplicaSet) {
	w.pin.At = w.h.Now()
	w.pin.Restarts = map[types.UID]map[string]int32{}
	for _, pod := range w.podsOf(rs) {
		counts := map[string]int32{}
		for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
			counts[cs.Name] = cs.RestartCount
		}
		w.pin.Restarts[pod.UID] = counts
	}
}

func (w *watch) baseline(pod *corev1.Pod) Baseline {
	if w.pin == nil {
		return Baseline{}
	}
	return Baseline{At: w.pin.At, Restarts: w.pin.Restarts[pod.UID]}
}

// Replaced reports whether the ReplicaSet has a pod created after pod that
// is running: pod's failure is then history, not the rollout's state.
func Replaced(pod *corev1.Pod, siblings []*corev1.Pod) bool {
	for _, o := range siblings {
		if o.UID != pod.UID && o.Status.Phase == corev1.PodRunning && o.CreationTimestamp.After(pod.CreationTimestamp.Time) {
			return true
		}
	}
	return false
}

// ReasonTriggeredScaleUp is the event reason the cluster autoscaler records
// on a pod it adds a node for (kubernetes/autoscaler
// cluster-autoscaler/processors/status/eventing_scale_up_processor.go:
// "pod triggered scale-up: [...]"). It is the autoscaler's reason, not a
// Kubernetes API constant.
const ReasonTriggeredScaleUp = "TriggeredScaleUp"

// scalingUp reads the pod's events once its Unschedulable grace is over
// (one List, as diagnose does; no informer for a rare case): a
// TriggeredScaleUp newer than the Unschedulable condition restarts the
// grace from that event, because a node is on its way. It reports whether
// the pod may go on waiting.
func (w *watch) scalingUp(ctx context.Context, p PodProblem, g *grace, now time.Time) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	sel := fields.Set{"involvedObject.kind": "Pod", "involvedObject.name": p.Pod, "reason": ReasonTriggeredScaleUp}.AsSelector().String()
	list, err := w.c.Client.CoreV1().Events(w.w.Target().Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return false // no evidence of a scale-up: the grace has run out
	}
	at, ok := ScaleUpAfter(list.Items, p.Pod, p.Since)
	if !ok || !at.After(g.since) {
		return false
	}
	g.since = at
	if g.over(now) {
		return false
	}
	w.event("pods", fmt.Sprintf("pod %s: the cluster autoscaler triggered a scale-up at %s; waiting up to %s for the node",
		p.Pod, at.UTC().Format(time.RFC3339), g.length))
	return true
}

// ScaleUpAfter returns the time of the newest TriggeredScaleUp event on pod
// that is newer than since (when the pod became Unschedulable).
func ScaleUpAfter(events []corev1.Event, pod string, since time.Time) (time.Time, bool) {
	var newest time.Time
	for _, e := range events {
		if e.Reason != ReasonTriggeredScaleUp || e.InvolvedObject.Kind != "Pod" || e.InvolvedObject.Name != pod {
			continue
		}
		if t := eventTime(e); t.After(since) && t.After(newest) {
			newest = t
		}
	}
	return newest, !newest.IsZero()
}
