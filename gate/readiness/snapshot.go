package readiness

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/rollgate/rollgate/gate/workload"
)

// Snapshot is the state of a rollout at one moment, for the live view.
type Snapshot struct {
	Progress    workload.Progress
	ReplicaSets []ReplicaSetView
	Pods        []PodView
}

// ReplicaSetView is one ReplicaSet's counts.
type ReplicaSetView struct {
	Name                      string
	Revision                  int64
	New                       bool
	Desired, Ready, Available int32
}

// PodView is one pod of the revision under gate.
type PodView struct {
	Name     string
	Phase    corev1.PodPhase
	Ready    bool
	Restarts int32
	Problem  string
}

func (w *watch) snapshot(owned []*appsv1.ReplicaSet) Snapshot {
	s := Snapshot{Progress: w.last}
	var newRS *appsv1.ReplicaSet
	if w.pin != nil {
		newRS = w.w.NewReplicaSet(owned, w.pin)
	}
	for _, rs := range owned {
		if rs.Status.Replicas == 0 && ptrOr(rs.Spec.Replicas, 0) == 0 && rs != newRS {
			continue
		}
		s.ReplicaSets = append(s.ReplicaSets, ReplicaSetView{Name: rs.Name, Revision: workload.RevisionOf(rs), New: rs == newRS,
			Desired: ptrOr(rs.Spec.Replicas, 0), Ready: rs.Status.ReadyReplicas, Available: rs.Status.AvailableReplicas})
	}
	for _, pod := range w.podsOf(newRS) {
		v := PodView{Name: pod.Name, Phase: pod.Status.Phase, Ready: PodReady(pod)}
		base := w.baseline(pod)
		for _, cs := range pod.Status.ContainerStatuses {
			v.Restarts += cs.RestartCount - base.Restarts[cs.Name] // since the pin
		}
		if ps := DiagnosePod(pod, w.s.MaxRestarts, w.baseline(pod)); len(ps) > 0 {
			v.Problem = ps[0].Reason
		}
		s.Pods = append(s.Pods, v)
	}
	return s
}

// PodReady reports the pod's Ready condition.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}
