package workload

import (
	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollgate/rollgate/gate/preflight"
)

// PreflightInput is what the preflight reads of w at pin: the hygiene
// input and, with quota on, the rollout's need with its old and new pods
// counted from the owned ReplicaSets (which the caller's watch already has).
func PreflightInput(w Workload, st *State, owned []*appsv1.ReplicaSet, pin *Pin, withQuota bool) (preflight.Input, error) {
	h, err := w.Hygiene(st)
	if err != nil {
		return preflight.Input{}, err
	}
	in := preflight.Input{Workload: h}
	if !withQuota {
		return in, nil
	}
	q, err := w.Quota(st)
	if err != nil {
		return in, err
	}
	var newRS *appsv1.ReplicaSet
	if pin != nil {
		newRS = w.NewReplicaSet(owned, pin)
	}
	oldSeen := false
	for _, rs := range owned {
		if rs == newRS {
			q.NewPods += rs.Status.Replicas
			continue
		}
		q.OldPods += rs.Status.Replicas
		if !oldSeen && rs.Status.Replicas > 0 { // the newest old revision still running
			q.Old, oldSeen = rs.Spec.Template.Spec, true
		}
	}
	in.Quota = &q
	return in, nil
}
