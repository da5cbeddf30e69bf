package preflight

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/quota"
)

// admissionInputs reads what admission plugins add to the pods before
// quota counts them, and only when a quota could be affected: the
// cluster's globalDefault PriorityClass (for PriorityClass scopes over pods
// that name no class) and the overhead of the template's RuntimeClass.
// Both are cluster-scoped, which the namespaced Roles of examples/rbac.yaml
// cannot grant: a forbidden read leaves the quotas it decides "not
// checked", with the reason, instead of failing the gate or guessing.
func admissionInputs(ctx context.Context, c cluster.Cluster, quotas []corev1.ResourceQuota, r *quota.Rollout) error {
	if needsDefaultPriority(quotas, r) {
		list, err := c.Client.SchedulingV1().PriorityClasses().List(ctx, metav1.ListOptions{})
		switch {
		case denied(err):
			r.PriorityClassUnknown = fmt.Sprintf("rollgate may not read (list priorityclasses.scheduling.k8s.io: %s; grant it with a ClusterRole)", reasonOf(err))
		case err != nil:
			return cluster.Error(err, "list", "priorityclasses.scheduling.k8s.io", "", "")
		default:
			r.DefaultPriorityClass = quota.DefaultPriorityClass(list.Items)
		}
	}
	for _, spec := range []*corev1.PodSpec{&r.New, &r.Old} {
		if err := addOverhead(ctx, c, spec, r); err != nil {
			return err
		}
	}
	return nil
}

// addOverhead sets spec.overhead from the template's RuntimeClass, as the
// RuntimeClass admission plugin does for every pod created from it.
func addOverhead(ctx context.Context, c cluster.Cluster, spec *corev1.PodSpec, r *quota.Rollout) error {
	if spec.RuntimeClassName == nil || *spec.RuntimeClassName == "" {
		return nil
	}
	name := *spec.RuntimeClassName
	rc, err := c.Client.NodeV1().RuntimeClasses().Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		// The apiserver rejects the pods ("RuntimeClass not found"); the
		// readiness watch reports the FailedCreate. No overhead to add.
		return nil
	case denied(err):
		r.OverheadUnknown = fmt.Sprintf("rollgate may not read it (get runtimeclasses.node.k8s.io %s: %s; grant it with a ClusterRole)", name, reasonOf(err))
		return nil
	case err != nil:
		return cluster.Error(err, "get", "runtimeclasses.node.k8s.io", "", name)
	}
	s, err := quota.WithOverhead(*spec, rc)
	if err != nil {
		r.OverheadUnknown = err.Error()
		return nil
	}
	*spec = s
	return nil
}

// needsDefaultPriority: a quota has a PriorityClass scope and a template
// names no class, so the Priority admission plugin's default decides.
func needsDefaultPriority(quotas []corev1.ResourceQuota, r *quota.Rollout) bool {
	if r.New.PriorityClassName != "" && r.Old.PriorityClassName != "" {
		return false
	}
	for i := range quotas {
		if quota.HasPriorityScope(&quotas[i]) {
			return true
		}
	}
	return false
}

func denied(err error) bool { return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) }

func reasonOf(err error) string {
	if apierrors.IsUnauthorized(err) {
		return "unauthorized"
	}
	return "forbidden"
}
