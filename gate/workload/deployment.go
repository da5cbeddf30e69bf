package workload

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/quota"
)

// RevisionAnnotation is the Deployment controller's revision counter.
const RevisionAnnotation = "deployment.kubernetes.io/revision"

// deployment models an apps/v1 Deployment: revisions are the controller's
// deployment.kubernetes.io/revision counter.
type deployment struct{ base }

func (k *deployment) Get(ctx context.Context) (*State, error) {
	d, err := k.c.Client.AppsV1().Deployments(k.t.Namespace).Get(ctx, k.t.Name, metav1.GetOptions{})
	if err != nil {
		return nil, cluster.Error(err, "get", "deployments.apps", k.t.Namespace, k.t.Name)
	}
	return k.Decode(d)
}

func (k *deployment) Informer() (cache.SharedIndexInformer, func(<-chan struct{})) {
	if k.c.Watches != nil {
		return k.c.Watches.Typed(k.t.Namespace, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
			return f.Apps().V1().Deployments().Informer()
		}), func(<-chan struct{}) {}
	}
	f := informers.NewSharedInformerFactoryWithOptions(k.c.Client, 0, informers.WithNamespace(k.t.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", k.t.Name).String()
		}))
	inf := f.Apps().V1().Deployments().Informer()
	return inf, f.Start
}

func (k *deployment) Decode(obj runtime.Object) (*State, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return nil, fmt.Errorf("%s: got %T, not a Deployment", k.t.Describe(), obj)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("%w: %s has an invalid selector: %v", ErrInvalid, k.t.Describe(), err)
	}
	return &State{UID: d.UID, Generation: d.Generation, Observed: d.Status.ObservedGeneration >= d.Generation, Annotations: d.Annotations, Selector: sel,
		Replicas: ptrOr(d.Spec.Replicas, 1), Template: d.Spec.Template, Paused: d.Spec.Paused, deployment: d}, nil
}

func (k *deployment) Progress(st *State) Progress {
	p := DeploymentProgress(st.deployment)
	if st.Paused && !p.Done && !p.Failed {
		p.Message += " (the deployment is paused: resume it to continue)"
	}
	return p
}

// Owned returns the ReplicaSets whose controller is the Deployment, newest
// revision first (the same filter kubectl's rollback uses).
func (k *deployment) Owned(st *State, all []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	out := controlledBy(st, all)
	sort.Slice(out, func(i, j int) bool { return revisionOf(out[i]) > revisionOf(out[j]) })
	return out
}

// Pin pins by template, not only by revision: the revision under gate is
// the ReplicaSet whose template (without pod-template-hash) equals the
// Deployment's, as the controller finds it (kubernetes
// pkg/controller/deployment/util/deployment_util.go FindNewReplicaSet,
// EqualIgnoreHash), once the controller has observed the current spec and
// numbered that ReplicaSet as the Deployment's revision. A paused
// Deployment whose new template has no ReplicaSet yet is not pinned.
func (k *deployment) Pin(st *State, owned []*appsv1.ReplicaSet) (*Pin, bool) {
	d := st.deployment
	if d.Status.ObservedGeneration < d.Generation {
		return nil, false
	}
	rs := templateReplicaSet(owned, d.Spec.Template)
	if rs == nil || revisionOf(rs) != revisionOf(d) {
		return nil, false
	}
	p := pinDeployment(d, owned, rs)
	return &p, true
}

// SupersededBy: a newer revision, or (once the controller observed it) a
// template other than the pinned one that has no revision yet (a paused
// Deployment). A spec not observed yet is told by the next event; callers
// about to act check State.Observed themselves.
func (k *deployment) SupersededBy(st *State, pin *Pin) string {
	d := st.deployment
	if rev := revisionOf(d); rev > pin.Revision {
		return fmt.Sprintf("revision %d", rev)
	}
	if st.Observed && pin.template != nil && !equalIgnoreHash(d.Spec.Template, *pin.template) {
		return fmt.Sprintf("a newer template (%s, not yet rolled out)", strings.Join(images(d.Spec.Template.Spec.Containers), ", "))
	}
	return ""
}

func (k *deployment) NewReplicaSet(owned []*appsv1.ReplicaSet, pin *Pin) *appsv1.ReplicaSet {
	for _, rs := range owned {
		if rs.Name == pin.ReplicaSet {
			return rs
		}
	}
	return replicaSetOfRevision(owned, pin.Revision)
}

// Blocked: paused, with no ReplicaSet for the template in the spec (the
// controller creates none while paused: kubernetes
// pkg/controller/deployment/sync.go sync). ours: rollgate's hold paused it
// (its annotation, or its step canary's, and spec.paused last written by
// rollgate's field manager).
func (k *deployment) Blocked(st *State, owned []*appsv1.ReplicaSet) (bool, bool) {
	d := st.deployment
	if !d.Spec.Paused || templateReplicaSet(owned, d.Spec.Template) != nil {
		return false, false
	}
	ours := d.Annotations[AnnotationHeldAt] != "" || d.Annotations[AnnotationCanaryStep] != ""
	return true, ours && pausedBy(d, FieldManager)
}

// Quota: the Deployment surges like the controller (maxSurge rounded up);
// Recreate replaces the pods and surges nothing.
func (k *deployment) Quota(st *State) (quota.Rollout, error) {
	d := st.deployment
	surge, _, err := quota.DeploymentSurge(d)
	if err != nil {
		return quota.Rollout{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		surge = 0
	}
	return quota.Rollout{New: d.Spec.Template.Spec, Old: d.Spec.Template.Spec, Plan: quota.Plan{Replicas: st.Replicas, MaxSurge: surge}}, nil
}

func (k *deployment) Hygiene(st *State) (preflight.Workload, error) {
	return preflight.Workload{Kind: string(KindDeployment), Name: k.t.Name, Namespace: k.t.Namespace, Replicas: st.Replicas, Template: st.Template}, nil
}

func (k *deployment) VerifyStable() func(context.Context) (Progress, error) { return nil }

// DeploymentProgress applies kubectl's rollout status rules, in kubectl's
// order (kubernetes/kubectl pkg/polymorphichelpers/rollout_status.go), so
// rollgate and `kubectl rollout status` never disagree on "complete".
func DeploymentProgress(d *appsv1.Deployment) Progress {
	if d.Generation > d.Status.ObservedGeneration {
		return Progress{Message: "waiting for the deployment spec update to be observed"}
	}
	if c := deploymentCondition(d.Status, appsv1.DeploymentProgressing); c != nil && c.Reason == "ProgressDeadlineExceeded" {
		return Progress{Failed: true, Message: fmt.Sprintf("condition Progressing=False reason ProgressDeadlineExceeded: %s", c.Message)}
	}
	want := ptrOr(d.Spec.Replicas, 1)
	st := d.Status
	switch {
	case st.UpdatedReplicas < want:
		return Progress{Message: fmt.Sprintf("%d of %d new replicas have been updated", st.UpdatedReplicas, want)}
	case st.Replicas > st.UpdatedReplicas:
		return Progress{Message: fmt.Sprintf("%d old replicas are pending termination", st.Replicas-st.UpdatedReplicas)}
	case st.AvailableReplicas < st.UpdatedReplicas:
		return Progress{Message: fmt.Sprintf("%d of %d updated replicas are available", st.AvailableReplicas, st.UpdatedReplicas)}
	}
	return Progress{Done: true, Message: fmt.Sprintf("successfully rolled out (%d of %d updated replicas available)", st.AvailableReplicas, want)}
}

func deploymentCondition(st appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

// controlledBy keeps the ReplicaSets whose controller reference is st's object.
func controlledBy(st *State, all []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range all {
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == st.UID {
			out = append(out, rs)
		}
	}
	return out
}

// FieldManager is the name rollgate writes with: managedFields tell which
// of a workload's fields it set last.
const FieldManager = "rollgate"

// pausedBy reports whether manager last set spec.paused: the managedFields
// entry whose fieldsV1 holds f:spec.f:paused (an Update moves a field's
// ownership to its writer; an apply that leaves the field out keeps it
// where it was). The e2e TestRunAfterAHoldGatesTheNewerTemplateNeverAnOlderOne
// proves both: rollgate's hold is found after a kubectl-style apply, a
// kubectl-rollout pause is not rollgate's.
func pausedBy(d *appsv1.Deployment, manager string) bool {
	owner := ""
	for _, m := range d.ManagedFields {
		if m.FieldsV1 == nil {
			continue
		}
		var f struct {
			Spec map[string]json.RawMessage `json:"f:spec"`
		}
		if json.Unmarshal(m.FieldsV1.GetRawBytes(), &f) == nil {
			if _, ok := f.Spec["f:paused"]; ok {
				owner = m.Manager
			}
		}
	}
	return owner == manager
}

// templateReplicaSet is the oldest ReplicaSet whose template equals t
// ignoring pod-template-hash, as FindNewReplicaSet picks it.
func templateReplicaSet(owned []*appsv1.ReplicaSet, t corev1.PodTemplateSpec) *appsv1.ReplicaSet {
	var found *appsv1.ReplicaSet
	for _, rs := range owned {
		if equalIgnoreHash(rs.Spec.Template, t) && (found == nil || rs.CreationTimestamp.Before(&found.CreationTimestamp)) {
			found = rs
		}
	}
	return found
}

// equalIgnoreHash is deployment_util.go EqualIgnoreHash: templates equal
// but for the pod-template-hash label.
func equalIgnoreHash(a, b corev1.PodTemplateSpec) bool {
	return apiequality.Semantic.DeepEqual(templateWithoutHash(a), templateWithoutHash(b))
}

func (k *deployment) Resource() string { return "deployments.apps" }

func (k *deployment) RollbackPlan(_ *Pin, to *Restore) string {
	if to == nil {
		return "no previous revision to roll back to (first rollout, or revisionHistoryLimit 0): a failure can only be held"
	}
	return fmt.Sprintf("a rollback would restore the template of revision %d (replicaset %s)%s", to.Revision, to.ReplicaSet, to.Why)
}
