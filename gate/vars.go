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
	pin, err := CurrentPin(ctx, client, dyn, t)
	if err != nil {
		return promql.Vars{}, nil, err
	}
	return VarsFor(t, pin), pin, nil
}

// CurrentPin reads the target's current revision and its stable one, the
// way a gate pins them, for commands that act on what runs now.
func CurrentPin(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, t Target) (*Pin, error) {
	rsList, err := client.AppsV1().ReplicaSets(t.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, KubeError(err, "list", "replicasets.apps", t.Namespace, "")
	}
	all := pointers(rsList.Items)
	if t.Kind == KindRollout {
		u, err := dyn.Resource(RolloutGVR).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		if err != nil {
			return nil, KubeError(err, "get", "rollouts.argoproj.io", t.Namespace, t.Name)
		}
		p, ok := rolloutKind{}.pin(u, rolloutKind{}.owned(u, all))
		if !ok {
			return nil, Errorf(ExitRuntime, "rollout %s/%s has no current pod hash yet: wait for the controller", t.Namespace, t.Name)
		}
		return p, nil
	}
	d, err := client.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, KubeError(err, "get", "deployments.apps", t.Namespace, t.Name)
	}
	p := pinDeployment(d, ownedReplicaSets(d, all), revisionOf(d))
	return &p, nil
}

// VarsFor are the template variables of target t under gate at pin.
func VarsFor(t Target, pin *Pin) promql.Vars {
	v := promql.Vars{Namespace: t.Namespace, Name: t.Name, Kind: string(t.Kind),
		Revision: strconv.FormatInt(pin.Revision, 10), CanaryHash: pin.TemplateHash}
	var stableRS string
	if pin.Stable != nil {
		stableRS = pin.Stable.ReplicaSet
		v.StableHash = pin.Stable.TemplateHash
	}
	v.CanaryPods, v.StablePods = promql.PodRegex(pin.ReplicaSet), promql.PodRegex(stableRS)
	return v
}
