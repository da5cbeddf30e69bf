package gate

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/rollgate/rollgate/gate/quota"
)

// QuotaPreflight checks every ResourceQuota of the Deployment's namespace
// against what its rollout adds at its peak (see package quota), before any
// waiting. A shortfall is a failed gate (exit 1) naming quota, resource,
// need and headroom.
func QuotaPreflight(ctx context.Context, client kubernetes.Interface, d *appsv1.Deployment) (quota.Result, error) {
	ns := d.Namespace
	quotas, err := client.CoreV1().ResourceQuotas(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return quota.Result{}, KubeError(err, "list", "resourcequotas", ns, "")
	}
	if len(quotas.Items) == 0 {
		return quota.Result{}, nil
	}
	lrs, err := client.CoreV1().LimitRanges(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return quota.Result{}, KubeError(err, "list", "limitranges", ns, "")
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return quota.Result{}, Errorf(ExitBadInput, "deployment %s/%s has an invalid selector: %w", ns, d.Name, err)
	}
	rsList, err := client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return quota.Result{}, KubeError(err, "list", "replicasets.apps", ns, "")
	}
	surge, _, err := quota.DeploymentSurge(d)
	if err != nil {
		return quota.Result{}, Errorf(ExitBadInput, "%w", err)
	}
	r := quota.Rollout{New: d.Spec.Template.Spec, Old: d.Spec.Template.Spec, LimitRanges: lrs.Items}
	r.Replicas, r.MaxSurge = ptrOr(d.Spec.Replicas, 1), surge
	rev := revisionOf(d)
	oldSeen := false
	for _, rs := range ownedReplicaSets(d, pointers(rsList.Items)) {
		if revisionOf(rs) == rev {
			r.NewPods += rs.Status.Replicas
			continue
		}
		r.OldPods += rs.Status.Replicas
		if !oldSeen && rs.Status.Replicas > 0 { // the newest old revision still running
			r.Old, oldSeen = rs.Spec.Template.Spec, true
		}
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		r.MaxSurge = 0
	}
	return quota.Evaluate(quotas.Items, r), nil
}

// QuotaSummary is one line per quota for the live view.
func QuotaSummary(res quota.Result) []string {
	var out []string
	for _, n := range res.NotEvaluated {
		out = append(out, n.String())
	}
	if res.OK() {
		out = append(out, "every applicable ResourceQuota has room for the rollout's peak")
	}
	return out
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}
