package quota

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Tight is a quota resource with no room beyond the pods the rollout
// replaces: the rollout proceeds only as old pods terminate and release
// what quota still charges for them. The ReplicaSet controller's creates
// fail with "exceeded quota" meanwhile and are retried; the readiness
// watch treats that as transient within readiness.grace.
type Tight struct {
	Quota    string              `json:"quota"`
	Resource corev1.ResourceName `json:"resource"`
	Need     resource.Quantity   `json:"need"`
	Left     resource.Quantity   `json:"left"`
	// Terminating is what pods being deleted hold now and give back.
	Terminating resource.Quantity `json:"terminating"`
}

func (t Tight) String() string {
	left := nonNegativeQ(t.Left)
	s := fmt.Sprintf("quota %s: %s: tight: proceeds as old pods terminate (rollout needs %s more, %s left",
		t.Quota, t.Resource, t.Need.String(), left.String())
	if !t.Terminating.IsZero() {
		s += fmt.Sprintf(", %s held by terminating pods", t.Terminating.String())
	}
	return s + ")"
}

// judge compares the need of one quota (n and o are one new and one old
// pod's usage, empty when the quota does not count them) with its
// headroom, resource by resource:
//
//   - need within headroom passes; but when the rollout still has pods to
//     create, needs no headroom at all (maxSurge 0 or Recreate: each new
//     pod replaces an old one) and not even one new pod fits, it is Tight.
//   - need beyond headroom is a Shortfall, unless the pods still
//     terminating hold the difference: then it is Tight, because quota
//     frees their share once they are gone.
func judge(id string, q *corev1.ResourceQuota, n, o corev1.ResourceList, p Plan) ([]Shortfall, []Tight) {
	need := Need(n, o, p)
	var short []Shortfall
	var tight []Tight
	for _, name := range sortedNames(q.Status.Hard) {
		left := q.Status.Hard[name].DeepCopy()
		left.Sub(q.Status.Used[name])
		held := sum(times(o[name], nonNegative(p.OldTerminating)), times(n[name], nonNegative(p.NewTerminating)))
		want, ok := need[name]
		switch {
		case !ok || want.Sign() <= 0:
			one, counted := n[name]
			if counted && p.Replicas > p.NewPods && one.Cmp(left) > 0 {
				tight = append(tight, Tight{Quota: id, Resource: name, Need: resource.Quantity{Format: one.Format}, Left: left, Terminating: held})
			}
		case want.Cmp(left) <= 0:
		case want.Cmp(sum(left, held)) <= 0:
			tight = append(tight, Tight{Quota: id, Resource: name, Need: want, Left: left, Terminating: held})
		default:
			short = append(short, Shortfall{Quota: id, Resource: name, Need: want, Left: left})
		}
	}
	return short, tight
}

func nonNegativeQ(q resource.Quantity) resource.Quantity {
	if q.Sign() < 0 {
		return resource.Quantity{Format: q.Format}
	}
	return q
}
