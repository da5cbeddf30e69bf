package gate

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
)

// WatchDeployment waits until the Deployment's rollout completes (kubectl's
// rules), is doomed (DiagnosePod, ReplicaFailure), is superseded by a newer
// revision, or ctx ends. It watches through informers, which re-establish
// dropped watches themselves; it never polls and never writes.
func WatchDeployment(ctx context.Context, client kubernetes.Interface, ns, name string, opts ReadinessOptions) (ReadinessResult, error) {
	d, err := client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return ReadinessResult{}, KubeError(err, "get", "deployments.apps", ns, name)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return ReadinessResult{}, Errorf(ExitBadInput, "deployment %s/%s has an invalid selector: %w", ns, name, err)
	}
	w := newReadinessWatch(client, ns, name, deploymentKind{ns: ns, name: name}, opts)
	byName := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}))
	bySel := selectorInformers(client, ns, sel.String())
	set := informerSet{
		{byName.Apps().V1().Deployments().Informer(), "deployments.apps", &w.objs},
		{bySel.Apps().V1().ReplicaSets().Informer(), "replicasets.apps", &w.rss},
		{bySel.Core().V1().Pods().Informer(), "pods", &w.pods},
	}
	return w.run(ctx, set, func(stop <-chan struct{}) { byName.Start(stop); bySel.Start(stop) })
}

func selectorInformers(client kubernetes.Interface, ns, selector string) informers.SharedInformerFactory {
	return informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
}

// deploymentKind reads Deployments: revisions are the controller's
// deployment.kubernetes.io/revision counter.
type deploymentKind struct{ ns, name string }

func (k deploymentKind) describe() string { return fmt.Sprintf("deployment %s/%s", k.ns, k.name) }

func (deploymentKind) progress(obj any) (Progress, string) {
	d := obj.(*appsv1.Deployment)
	p := DeploymentProgress(d)
	if d.Spec.Paused && !p.Done && !p.Failed {
		p.Message += " (the deployment is paused: resume it to continue)"
	}
	return p, ""
}

func (deploymentKind) owned(obj any, rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	return ownedReplicaSets(obj.(*appsv1.Deployment), rss)
}

// pin waits until the controller has observed the current spec and created
// its ReplicaSet, so the revision read is the one this deploy produced.
func (deploymentKind) pin(obj any, owned []*appsv1.ReplicaSet) (*Pin, bool) {
	d := obj.(*appsv1.Deployment)
	rev := revisionOf(d)
	if d.Status.ObservedGeneration < d.Generation || newReplicaSet(owned, rev) == nil {
		return nil, false
	}
	p := pinDeployment(d, owned, rev)
	return &p, true
}

func (deploymentKind) supersededBy(obj any, pin *Pin) string {
	if rev := revisionOf(obj.(*appsv1.Deployment)); rev > pin.Revision {
		return fmt.Sprintf("revision %d", rev)
	}
	return ""
}

func (deploymentKind) newReplicaSet(owned []*appsv1.ReplicaSet, pin *Pin) *appsv1.ReplicaSet {
	return newReplicaSet(owned, pin.Revision)
}
