package workload

import (
	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollgate/rollgate/gate/preflight"
)

// PreflightInput is what the preflight reads of w at pin: the hygiene
// input and, with quota on, the rollout's need with its old and new pods
// counted from the owned ReplicaSets (which the caller's watch already has):
// status.replicas, which leaves out pods being deleted, and
// status.terminatingReplicas, which counts them (k8s.io/kubernetes
// pkg/controller/replicaset/replica_set_utils.go, feature
// DeploymentReplicaSetTerminatingReplicas, on by default since 1.35; unset
// on older clusters, where a shortfall they cause is reported as one).
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
		terminating := ptrOr(rs.Status.TerminatingReplicas, 0)
		if rs == newRS {
			q.NewPods += rs.Status.Replicas
			q.NewTerminating += terminating
			continue
		}
		q.OldPods += rs.Status.Replicas
		q.OldTerminating += terminating
		if !oldSeen && rs.Status.Replicas > 0 { // the newest old revision still running
			q.Old, oldSeen = rs.Spec.Template.Spec, true
		}
	}
	in.Quota = &q
	return in, nil
}
