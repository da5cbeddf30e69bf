package workload

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/quota"
)

// RolloutRevisionAnnotation is Argo's revision counter on Rollouts and their ReplicaSets.
const RolloutRevisionAnnotation = "rollout.argoproj.io/revision"

// rollout models an Argo Rollout, read through the dynamic client: the
// revision under gate is the pod template hash Argo names
// status.currentPodHash (argo-rollouts pkg/apis/rollouts/v1alpha1/types.go).
type rollout struct{ base }

// rolloutObject is a Rollout decoded once: its spec as rollgate reads it
// and its status.
type rolloutObject struct {
	u      *unstructured.Unstructured
	spec   rolloutSpec
	status RolloutStatus
}

// rolloutSpec is the part of a Rollout's spec rollgate reads: the one place
// it is decoded.
type rolloutSpec struct {
	Replicas *int32                 `json:"replicas"`
	Selector *metav1.LabelSelector  `json:"selector"`
	Template corev1.PodTemplateSpec `json:"template"`
	Paused   bool                   `json:"paused"`
	Strategy struct {
		Canary *struct {
			MaxSurge       *intstr.IntOrString `json:"maxSurge"`
			MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
			// TrafficRouting is only tested for presence: with it the
			// stable ReplicaSet stays at full size while the canary grows
			// (argo-rollouts pkg/apis/rollouts/v1alpha1/types.go
			// RolloutTrafficRouting).
			TrafficRouting map[string]any `json:"trafficRouting"`
		} `json:"canary"`
	} `json:"strategy"`
}

func (k *rollout) Get(ctx context.Context) (*State, error) {
	u, err := k.c.Dynamic.Resource(RolloutGVR).Namespace(k.t.Namespace).Get(ctx, k.t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, cluster.Error(err, "get", "rollouts.argoproj.io", k.t.Namespace, k.t.Name)
	}
	return k.Decode(u)
}

func (k *rollout) Informer() (cache.SharedIndexInformer, func(<-chan struct{})) {
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(k.c.Dynamic, 0, k.t.Namespace, func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", k.t.Name).String()
	})
	inf := f.ForResource(RolloutGVR).Informer()
	return inf, f.Start
}

func (k *rollout) Decode(obj runtime.Object) (*State, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("%s: got %T, not an unstructured Rollout", k.t.Describe(), obj)
	}
	return decodeRollout(u)
}

func decodeRollout(u *unstructured.Unstructured) (*State, error) {
	r := &rolloutObject{u: u, status: ReadRolloutStatus(u)}
	raw, _, _ := unstructured.NestedMap(u.Object, "spec")
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &r.spec); err != nil {
		return nil, fmt.Errorf("%w: rollout %s/%s: spec: %v", ErrInvalid, u.GetNamespace(), u.GetName(), err)
	}
	if r.spec.Selector == nil {
		return nil, fmt.Errorf("%w: rollout %s/%s has no spec.selector (workloadRef rollouts are not supported yet)", ErrInvalid, u.GetNamespace(), u.GetName())
	}
	sel, err := metav1.LabelSelectorAsSelector(r.spec.Selector)
	if err != nil || sel.Empty() {
		return nil, fmt.Errorf("%w: rollout %s/%s has no usable spec.selector", ErrInvalid, u.GetNamespace(), u.GetName())
	}
	return &State{UID: u.GetUID(), Generation: u.GetGeneration(), Annotations: u.GetAnnotations(), Selector: sel,
		Replicas: ptrOr(r.spec.Replicas, 1), Template: r.spec.Template, Paused: r.spec.Paused, rollout: r}, nil
}

func (k *rollout) Progress(st *State) Progress { return RolloutProgress(st.rollout.status) }

func (k *rollout) Owned(st *State, rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	return controlledBy(st, rss)
}

func byHash(owned []*appsv1.ReplicaSet, hash string) *appsv1.ReplicaSet {
	for _, rs := range owned {
		if hash != "" && rs.Labels[RolloutPodHashLabel] == hash {
			return rs
		}
	}
	return nil
}

func (k *rollout) Pin(st *State, owned []*appsv1.ReplicaSet) (*Pin, bool) {
	s := st.rollout.status
	rs := byHash(owned, s.CanaryHash)
	if !s.Observed || rs == nil {
		return nil, false
	}
	p := &Pin{Revision: rolloutRevision(rs), ReplicaSet: rs.Name, TemplateHash: s.CanaryHash, Images: images(rs.Spec.Template.Spec.Containers),
		Created: rs.CreationTimestamp.UTC()}
	if stable := byHash(owned, s.StableHash); stable != nil && s.StableHash != s.CanaryHash {
		p.Stable = &Stable{ReplicaSet: stable.Name, Revision: rolloutRevision(stable), TemplateHash: s.StableHash, Images: images(stable.Spec.Template.Spec.Containers)}
	}
	return p, true
}

func (k *rollout) SupersededBy(st *State, pin *Pin) string {
	if h := st.rollout.status.CanaryHash; h != "" && h != pin.TemplateHash {
		return "pod template hash " + h
	}
	return ""
}

func (k *rollout) NewReplicaSet(owned []*appsv1.ReplicaSet, pin *Pin) *appsv1.ReplicaSet {
	return byHash(owned, pin.TemplateHash)
}

// Restore: an abort returns a Rollout to its stable ReplicaSet by itself.
func (k *rollout) Restore(context.Context, *Pin) (*Restore, error) { return nil, nil }

// Quota: a canary surges like a Deployment (Argo's maxSurge, default 25%);
// a canary with trafficRouting keeps the stable ReplicaSet at full size
// while the canary grows to full size, and a blue-green rollout starts a
// full second set beside the active one: both need up to twice the
// replicas.
func (k *rollout) Quota(st *State) (quota.Rollout, error) {
	surge := st.Replicas // blue-green, or a canary with traffic routing
	if c := st.rollout.spec.Strategy.Canary; c != nil && c.TrafficRouting == nil {
		var err error
		if surge, _, err = quota.CanarySurge(st.Replicas, c.MaxSurge, c.MaxUnavailable); err != nil {
			return quota.Rollout{}, fmt.Errorf("%w: %s: %v", ErrInvalid, k.t.Describe(), err)
		}
	}
	return quota.Rollout{New: st.Template.Spec, Old: st.Template.Spec, Plan: quota.Plan{Replicas: st.Replicas, MaxSurge: surge}}, nil
}

func (k *rollout) Hygiene(st *State) (preflight.Workload, error) {
	return preflight.Workload{Kind: string(KindRollout), Name: k.t.Name, Namespace: k.t.Namespace, Replicas: st.Replicas, Template: st.Template}, nil
}

func rolloutRevision(rs *appsv1.ReplicaSet) int64 {
	var n int64
	_, _ = fmt.Sscan(rs.Annotations[RolloutRevisionAnnotation], &n)
	return n
}
