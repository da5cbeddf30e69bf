package quota

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Plan is the pod arithmetic of one rollout; see the package doc for the
// model it feeds.
type Plan struct {
	// Replicas is the desired replica count R.
	Replicas int32 `json:"replicas"`
	// MaxSurge is the resolved surge S (DeploymentSurge, CanarySurge); 0
	// for Recreate. For an Argo canary with traffic routing or a blue-green
	// rollout pass Replicas: the old pods stay while a full new set starts.
	MaxSurge int32 `json:"maxSurge"`
	// OldPods is A_old, the pods of the old template that count against
	// quota now (not terminal, not yet deleted).
	OldPods int32 `json:"oldPods"`
	// NewPods is A_new, the pods of the new template that count now: 0 for
	// a rollout that has not started, Replicas for one that has finished.
	NewPods int32 `json:"newPods"`
	// OldTerminating and NewTerminating are the pods of each template being
	// deleted (ReplicaSet status.terminatingReplicas). The Need model does
	// not count them, but quota still charges them until they are gone
	// (pkg/quota/v1/evaluator/core/pods.go QuotaV1Pod), so the room they
	// hold comes back as they terminate.
	OldTerminating int32 `json:"oldTerminating,omitempty"`
	NewTerminating int32 `json:"newTerminating,omitempty"`
}

// Need returns what the rollout adds to current quota usage at its peak,
// per resource, given the usage of one new pod and one old pod
// (PodResources of each template; pass the new one twice when the pod's
// size did not change). Resources it does not add are absent.
func Need(newPod, oldPod corev1.ResourceList, p Plan) corev1.ResourceList {
	r, s := nonNegative(p.Replicas), nonNegative(p.MaxSurge)
	aOld, aNew := nonNegative(p.OldPods), nonNegative(p.NewPods)
	// The controller only ever shrinks the old side and never grows the new
	// side past R; it caps the total at R+S, or at today's count while a
	// scale-down is still draining.
	total := max(r+s, aOld+aNew)
	newMax := max(r, aNew)

	need := corev1.ResourceList{}
	for _, name := range keys(newPod, oldPod) {
		n, o := newPod[name], oldPod[name]
		// Both coefficients are non-negative, so the largest o×O + n×N
		// fills the larger pod first; trying both orders finds it without
		// comparing O and N.
		nFirst := min(newMax, total)
		oFirst := min(aOld, total)
		peak := larger(
			sum(times(n, nFirst), times(o, min(aOld, total-nFirst))),
			sum(times(o, oFirst), times(n, min(newMax, total-oFirst))),
		)
		peak.Sub(sum(times(o, aOld), times(n, aNew)))
		if peak.Sign() > 0 {
			need[name] = peak
		}
	}
	return need
}

func nonNegative(n int32) int64 { return int64(max(n, 0)) }

func sum(a, b resource.Quantity) resource.Quantity {
	a.Add(b)
	return a
}

// keys is the union of the resource names of a and b.
func keys(a, b corev1.ResourceList) []corev1.ResourceName {
	var out []corev1.ResourceName
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
