package gate

import (
	"context"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/rollgate/rollgate/promql"
)

// ResolveVars reads the template variables of a target from the cluster:
// its revision under gate, the canary and stable pod-template hashes and the
// pod-name regexes of both ReplicaSets. A target with no stable ReplicaSet
// (a first rollout) gets a StablePods regex that matches nothing.
func ResolveVars(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, t Target) (promql.Vars, *Pin, error) {
	v := promql.Vars{Namespace: t.Namespace, Name: t.Name, Kind: string(t.Kind)}
	rsList, err := client.AppsV1().ReplicaSets(t.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return v, nil, KubeError(err, "list", "replicasets.apps", t.Namespace, "")
	}
	all := pointers(rsList.Items)
	var pin *Pin
	var canaryRS, stableRS string
	switch t.Kind {
	case KindRollout:
		u, err := dyn.Resource(RolloutGVR).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		if err != nil {
			return v, nil, KubeError(err, "get", "rollouts.argoproj.io", t.Namespace, t.Name)
		}
		owned := rolloutKind{}.owned(u, all)
		p, ok := rolloutKind{}.pin(u, owned)
		if !ok {
			return v, nil, Errorf(ExitRuntime, "rollout %s/%s has no current pod hash yet: wait for the controller", t.Namespace, t.Name)
		}
		pin = p
		if rs := byHash(owned, p.TemplateHash); rs != nil {
			canaryRS = rs.Name
		}
	default:
		d, err := client.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		if err != nil {
			return v, nil, KubeError(err, "get", "deployments.apps", t.Namespace, t.Name)
		}
		owned := ownedReplicaSets(d, all)
		p := pinDeployment(d, owned, revisionOf(d))
		pin = &p
		if rs := newReplicaSet(owned, p.Revision); rs != nil {
			canaryRS = rs.Name
		}
	}
	if pin.Stable != nil {
		stableRS = pin.Stable.ReplicaSet
		v.StableHash = pin.Stable.TemplateHash
	}
	v.Revision = strconv.FormatInt(pin.Revision, 10)
	v.CanaryHash = pin.TemplateHash
	v.CanaryPods, v.StablePods = promql.PodRegex(canaryRS), promql.PodRegex(stableRS)
	return v, pin, nil
}
