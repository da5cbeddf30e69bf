package gate

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
)

// RolloutRevisionAnnotation is Argo's revision counter on Rollouts and their ReplicaSets.
const RolloutRevisionAnnotation = "rollout.argoproj.io/revision"

// WatchRollout waits until an Argo Rollout is Healthy, paused at a canary
// step (ready for analysis), paused inconclusive, doomed, degraded or
// superseded, or ctx ends. The Rollout is read through the dynamic client;
// its ReplicaSets and pods through typed informers, like a Deployment's.
func WatchRollout(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, ns, name string, opts ReadinessOptions) (ReadinessResult, error) {
	u, err := dyn.Resource(RolloutGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return ReadinessResult{}, KubeError(err, "get", "rollouts.argoproj.io", ns, name)
	}
	var ls metav1.LabelSelector
	raw, _, _ := unstructured.NestedMap(u.Object, "spec", "selector")
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
		return ReadinessResult{}, Errorf(ExitBadInput, "rollout %s/%s: spec.selector: %w", ns, name, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil || sel.Empty() {
		return ReadinessResult{}, Errorf(ExitBadInput, "rollout %s/%s has no usable spec.selector (workloadRef rollouts are not supported yet)", ns, name)
	}
	w := newReadinessWatch(client, ns, name, rolloutKind{ns: ns, name: name}, opts)
	byName := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, ns, func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
	})
	bySel := selectorInformers(client, ns, sel.String())
	set := informerSet{
		{byName.ForResource(RolloutGVR).Informer(), "rollouts.argoproj.io", &w.objs},
		{bySel.Apps().V1().ReplicaSets().Informer(), "replicasets.apps", &w.rss},
		{bySel.Core().V1().Pods().Informer(), "pods", &w.pods},
	}
	return w.run(ctx, set, func(stop <-chan struct{}) { byName.Start(stop); bySel.Start(stop) })
}

// rolloutKind reads Argo Rollouts: the revision under gate is the pod
// template hash Argo names status.currentPodHash.
type rolloutKind struct{ ns, name string }

func (k rolloutKind) describe() string { return fmt.Sprintf("rollout %s/%s", k.ns, k.name) }

func (rolloutKind) progress(obj any) (Progress, string) {
	return RolloutProgress(ReadRolloutStatus(obj.(*unstructured.Unstructured)))
}

func (rolloutKind) owned(obj any, rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	u := obj.(*unstructured.Unstructured)
	var out []*appsv1.ReplicaSet
	for _, rs := range rss {
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == u.GetUID() {
			out = append(out, rs)
		}
	}
	return out
}

func byHash(owned []*appsv1.ReplicaSet, hash string) *appsv1.ReplicaSet {
	for _, rs := range owned {
		if hash != "" && rs.Labels[RolloutPodHashLabel] == hash {
			return rs
		}
	}
	return nil
}

func (rolloutKind) pin(obj any, owned []*appsv1.ReplicaSet) (*Pin, bool) {
	st := ReadRolloutStatus(obj.(*unstructured.Unstructured))
	rs := byHash(owned, st.CanaryHash)
	if st.ObservedGeneration < st.Generation || rs == nil {
		return nil, false
	}
	p := &Pin{Revision: rolloutRevision(rs), ReplicaSet: rs.Name, TemplateHash: st.CanaryHash, Images: images(rs.Spec.Template.Spec.Containers),
		Created: rs.CreationTimestamp.UTC()}
	if s := byHash(owned, st.StableHash); s != nil && st.StableHash != st.CanaryHash {
		p.Stable = &Stable{ReplicaSet: s.Name, Revision: rolloutRevision(s), TemplateHash: st.StableHash, Images: images(s.Spec.Template.Spec.Containers)}
	}
	return p, true
}

func (rolloutKind) supersededBy(obj any, pin *Pin) string {
	st := ReadRolloutStatus(obj.(*unstructured.Unstructured))
	if st.CanaryHash != "" && st.CanaryHash != pin.TemplateHash {
		return "pod template hash " + st.CanaryHash
	}
	return ""
}

func (rolloutKind) newReplicaSet(owned []*appsv1.ReplicaSet, pin *Pin) *appsv1.ReplicaSet {
	return byHash(owned, pin.TemplateHash)
}

func rolloutRevision(rs *appsv1.ReplicaSet) int64 {
	var n int64
	_, _ = fmt.Sscan(rs.Annotations[RolloutRevisionAnnotation], &n)
	return n
}
