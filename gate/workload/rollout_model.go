package workload

import (
	"context"
	"fmt"
	"strconv"
	"sync"

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
type rollout struct {
	base
	// ref is the Deployment a workloadRef Rollout takes its template and
	// selector from, as last read by Get.
	mu  sync.Mutex
	ref *appsv1.Deployment
}

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
	// WorkloadRef names the Deployment whose template and selector the
	// Rollout uses (argo-rollouts types.go ObjectRef; SetResolvedTemplate).
	WorkloadRef *struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Name       string `json:"name"`
	} `json:"workloadRef"`
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
	if ref, ok, _ := unstructured.NestedMap(u.Object, "spec", "workloadRef"); ok {
		if err := k.readRef(ctx, ref); err != nil {
			return nil, err
		}
	}
	return k.Decode(u)
}

// readRef reads the Deployment a workloadRef names: the template under
// gate is its template (Argo resolves it the same way).
func (k *rollout) readRef(ctx context.Context, ref map[string]any) error {
	kind, _ := ref["kind"].(string)
	name, _ := ref["name"].(string)
	if kind != "Deployment" || name == "" {
		return fmt.Errorf("%w: %s: spec.workloadRef names %s %q; rollgate reads Deployments only", ErrInvalid, k.t.Describe(), kind, name)
	}
	d, err := k.c.Client.AppsV1().Deployments(k.t.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return cluster.Error(err, "get", "deployments.apps", k.t.Namespace, name)
	}
	k.mu.Lock()
	k.ref = d
	k.mu.Unlock()
	return nil
}

func (k *rollout) Informer() (cache.SharedIndexInformer, func(<-chan struct{})) {
	if k.c.Watches != nil {
		return k.c.Watches.Dynamic(k.t.Namespace, RolloutGVR), func(<-chan struct{}) {}
	}
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
	k.mu.Lock()
	ref := k.ref
	k.mu.Unlock()
	return decodeRollout(u, ref)
}

// decodeRollout decodes a Rollout, with ref the Deployment its workloadRef
// names (nil when it has none, or it is unknown).
func decodeRollout(u *unstructured.Unstructured, ref *appsv1.Deployment) (*State, error) {
	r := &rolloutObject{u: u, status: ReadRolloutStatus(u)}
	raw, _, _ := unstructured.NestedMap(u.Object, "spec")
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &r.spec); err != nil {
		return nil, fmt.Errorf("%w: rollout %s/%s: spec: %v", ErrInvalid, u.GetNamespace(), u.GetName(), err)
	}
	if r.spec.WorkloadRef != nil {
		if ref == nil {
			return nil, fmt.Errorf("%w: rollout %s/%s: the Deployment %q its workloadRef names was not read", ErrInvalid, u.GetNamespace(), u.GetName(), r.spec.WorkloadRef.Name)
		}
		resolveRef(r, ref)
	}
	if r.spec.Selector == nil {
		return nil, fmt.Errorf("%w: rollout %s/%s has no spec.selector", ErrInvalid, u.GetNamespace(), u.GetName())
	}
	sel, err := metav1.LabelSelectorAsSelector(r.spec.Selector)
	if err != nil || sel.Empty() {
		return nil, fmt.Errorf("%w: rollout %s/%s has no usable spec.selector", ErrInvalid, u.GetNamespace(), u.GetName())
	}
	return &State{UID: u.GetUID(), Generation: u.GetGeneration(), Observed: r.status.Observed, Annotations: u.GetAnnotations(), Selector: sel,
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
// A Rollout already fully promoted (no steps, an auto-promoted blue-green)
// has no stable ReplicaSet left to abort to: it is undone like kubectl
// argo rollouts undo does (pkg/kubectl-argo-rollouts/cmd/undo/undo.go
// rolloutRevision: the ReplicaSet of the second-highest revision), and
// that template is what Restore returns.
func (k *rollout) Restore(ctx context.Context, st *State, pin *Pin) (*Restore, error) {
	s := st.rollout.status
	if pin == nil || s.StableHash != s.CanaryHash {
		return nil, nil
	}
	rss, err := k.replicaSets(ctx, st)
	if err != nil {
		return nil, err
	}
	var prev *appsv1.ReplicaSet
	for _, rs := range k.Owned(st, rss) {
		if r := rolloutRevision(rs); r < pin.Revision && (prev == nil || r > rolloutRevision(prev)) {
			prev = rs
		}
	}
	if prev == nil {
		return nil, nil
	}
	t := *prev.Spec.Template.DeepCopy()
	delete(t.Labels, RolloutPodHashLabel)
	return &Restore{ReplicaSet: prev.Name, Revision: rolloutRevision(prev), TemplateHash: prev.Labels[RolloutPodHashLabel], Template: t,
		Why: " (the rollout was already fully promoted: undone to the previous revision, as kubectl argo rollouts undo does)"}, nil
}

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

// resolveRef takes the template (and, when the Rollout has none, the
// selector) from the workloadRef's Deployment, as Argo's
// SetResolvedTemplate/SetResolvedSelector do (pkg/apis/rollouts/v1alpha1/
// types.go), and counts the status as observed only once the controller
// saw that Deployment's generation (utils/rollout/rolloututil.go
// isWorkloadGenerationObserved: the rollout.argoproj.io/workload-generation
// annotation against status.workloadObservedGeneration).
func resolveRef(r *rolloutObject, ref *appsv1.Deployment) {
	r.spec.Template = ref.Spec.Template
	if r.spec.Selector == nil {
		r.spec.Selector = ref.Spec.Selector
	}
	want, err := strconv.ParseInt(r.u.GetAnnotations()[WorkloadGenerationAnnotation], 10, 64)
	if err != nil {
		return
	}
	seen, _, _ := unstructured.NestedString(r.u.Object, "status", "workloadObservedGeneration")
	if got, err := strconv.ParseInt(seen, 10, 64); err == nil && got != want {
		r.status.Observed = false
	}
	if ref.Generation > want {
		r.status.Observed = false // the controller has not seen the latest apply of the Deployment yet
	}
}

// WorkloadGenerationAnnotation is where Argo records the referenced
// Deployment's generation (argo-rollouts utils/annotations/annotations.go).
const WorkloadGenerationAnnotation = "rollout.argoproj.io/workload-generation"

func (k *rollout) Resource() string { return "rollouts.argoproj.io" }

func (k *rollout) RollbackPlan(pin *Pin, to *Restore) string {
	switch {
	case to != nil:
		return fmt.Sprintf("a rollback would restore the template of revision %d (replicaset %s)%s", to.Revision, to.ReplicaSet, to.Why)
	case pin.Stable != nil:
		return fmt.Sprintf("a rollback would abort to the stable revision %d (pod hash %s)", pin.Stable.Revision, pin.Stable.TemplateHash)
	}
	return "no stable revision to abort to"
}
