package workload

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
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
	return &State{UID: d.UID, Generation: d.Generation, Annotations: d.Annotations, Selector: sel,
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

// Pin waits until the controller has observed the current spec and created
// its ReplicaSet, so the revision read is the one this deploy produced.
func (k *deployment) Pin(st *State, owned []*appsv1.ReplicaSet) (*Pin, bool) {
	d := st.deployment
	rev := revisionOf(d)
	if d.Status.ObservedGeneration < d.Generation || replicaSetOfRevision(owned, rev) == nil {
		return nil, false
	}
	p := pinDeployment(d, owned, rev)
	return &p, true
}

func (k *deployment) SupersededBy(st *State, pin *Pin) string {
	if rev := revisionOf(st.deployment); rev > pin.Revision {
		return fmt.Sprintf("revision %d", rev)
	}
	return ""
}

func (k *deployment) NewReplicaSet(owned []*appsv1.ReplicaSet, pin *Pin) *appsv1.ReplicaSet {
	return replicaSetOfRevision(owned, pin.Revision)
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
