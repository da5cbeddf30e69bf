package gate

import (
	"context"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
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
	var obj any
	var err error
	if t.Kind == KindRollout {
		obj, err = dyn.Resource(RolloutGVR).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		err = KubeError(err, "get", "rollouts.argoproj.io", t.Namespace, t.Name)
	} else {
		obj, err = client.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		err = KubeError(err, "get", "deployments.apps", t.Namespace, t.Name)
	}
	if err != nil {
		return nil, err
	}
	return PinOf(ctx, client, obj)
}

// PinOf pins a Deployment or an (unstructured) Rollout as it is now,
// reading only the ReplicaSets its selector matches.
func PinOf(ctx context.Context, client kubernetes.Interface, obj any) (*Pin, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, Errorf(ExitRuntime, "pin: %T is not a workload", obj)
	}
	ls := &metav1.LabelSelector{}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		ls = o.Spec.Selector
	case *unstructured.Unstructured:
		raw, _, _ := unstructured.NestedMap(o.Object, "spec", "selector")
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, ls); err != nil {
			return nil, Errorf(ExitBadInput, "rollout %s/%s: spec.selector: %w", m.GetNamespace(), m.GetName(), err)
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil, Errorf(ExitBadInput, "%s/%s has an invalid selector: %w", m.GetNamespace(), m.GetName(), err)
	}
	rsList, err := client.AppsV1().ReplicaSets(m.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, KubeError(err, "list", "replicasets.apps", m.GetNamespace(), "")
	}
	all := pointers(rsList.Items)
	if u, ok := obj.(*unstructured.Unstructured); ok {
		p, ok := rolloutKind{}.pin(u, rolloutKind{}.owned(u, all))
		if !ok {
			return nil, Errorf(ExitRuntime, "rollout %s/%s has no current pod hash yet: wait for the controller", u.GetNamespace(), u.GetName())
		}
		return p, nil
	}
	d := obj.(*appsv1.Deployment)
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
