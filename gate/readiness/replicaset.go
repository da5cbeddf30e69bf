package readiness

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// ReplicaSetProblem judges a ReplicaFailure=True condition, which is how the
// ReplicaSet controller reports that it could not create or delete pods
// (k8s.io/kubernetes pkg/controller/replicaset/replica_set_utils.go
// calculateStatus: reason FailedCreate or FailedDelete, the API error as the
// message; the controller requeues and retries):
//
//   - "exceeded quota" is transient: pods still terminating hold quota
//     until they are gone (pkg/quota/v1/evaluator/core/pods.go QuotaV1Pod),
//     and a rollout with maxSurge 0 on a full quota creates each pod only
//     after an old one went. It fails after readiness.grace.
//   - every other denial is doomed at once: PodSecurity ("violates
//     PodSecurity"), an admission webhook ("denied the request"), a quota
//     that demands limits ("must specify"), a missing ServiceAccount... A
//     retry sends the same pod and gets the same answer.
func ReplicaSetProblem(rs *appsv1.ReplicaSet) (PodProblem, bool) {
	if rs == nil {
		return PodProblem{}, false
	}
	for _, c := range rs.Status.Conditions {
		if c.Type != appsv1.ReplicaSetReplicaFailure || c.Status != corev1.ConditionTrue {
			continue
		}
		p := PodProblem{ReplicaSet: rs.Name, Reason: c.Reason, Message: c.Message,
			Since: c.LastTransitionTime.Time, Doomed: !quotaExceeded(c.Message)}
		return p, true
	}
	return PodProblem{}, false
}

// quotaExceeded matches the quota admission's rejection ("exceeded quota:
// NAME, requested: ..., used: ..., limited: ..."), and not its other
// denials ("failed quota: NAME: must specify ...").
func quotaExceeded(msg string) bool { return strings.Contains(msg, "exceeded quota") }
