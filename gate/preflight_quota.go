package gate

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/rollgate/rollgate/gate/quota"
)

// QuotaPreflight checks every ResourceQuota of the Deployment's namespace
// against what its rollout adds at its peak (see package quota), before any
// waiting. A shortfall is a failed gate (exit 1) naming quota, resource,
// need and headroom.
func QuotaPreflight(ctx context.Context, client kubernetes.Interface, d *appsv1.Deployment) (quota.Result, error) {
	surge, _, err := quota.DeploymentSurge(d)
	if err != nil {
		return quota.Result{}, Errorf(ExitBadInput, "%w", err)
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		surge = 0
	}
	r := quota.Rollout{New: d.Spec.Template.Spec, Old: d.Spec.Template.Spec}
	r.Replicas, r.MaxSurge = ptrOr(d.Spec.Replicas, 1), surge
	rev := revisionOf(d)
	return evaluateQuota(ctx, client, d.Namespace, d.Spec.Selector, r, func(rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
		return ownedReplicaSets(d, rss)
	}, func(rs *appsv1.ReplicaSet) bool { return revisionOf(rs) == rev })
}

// RolloutQuotaPreflight is QuotaPreflight for an Argo Rollout: a canary
// surges like a Deployment (Argo's maxSurge, default 25%); a blue-green
// rollout starts a full second set of pods beside the active one.
func RolloutQuotaPreflight(ctx context.Context, client kubernetes.Interface, u *unstructured.Unstructured) (quota.Result, error) {
	var spec struct {
		Replicas *int32                 `json:"replicas"`
		Selector *metav1.LabelSelector  `json:"selector"`
		Template corev1.PodTemplateSpec `json:"template"`
		Strategy struct {
			Canary *struct {
				MaxSurge       *intstr.IntOrString `json:"maxSurge"`
				MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
			} `json:"canary"`
		} `json:"strategy"`
	}
	raw, _, _ := unstructured.NestedMap(u.Object, "spec")
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec); err != nil {
		return quota.Result{}, Errorf(ExitBadInput, "rollout %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	replicas := ptrOr(spec.Replicas, 1)
	surge := replicas // blue-green
	if c := spec.Strategy.Canary; c != nil {
		var err error
		if surge, _, err = quota.CanarySurge(replicas, c.MaxSurge, c.MaxUnavailable); err != nil {
			return quota.Result{}, Errorf(ExitBadInput, "rollout %s/%s: %w", u.GetNamespace(), u.GetName(), err)
		}
	}
	r := quota.Rollout{New: spec.Template.Spec, Old: spec.Template.Spec}
	r.Replicas, r.MaxSurge = replicas, surge
	st := ReadRolloutStatus(u)
	owner := rolloutKind{}
	return evaluateQuota(ctx, client, u.GetNamespace(), spec.Selector, r, func(rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
		return owner.owned(u, rss)
	}, func(rs *appsv1.ReplicaSet) bool { return rs.Labels[RolloutPodHashLabel] == st.CanaryHash })
}

// evaluateQuota counts the workload's old and new pods from its ReplicaSets
// and evaluates the namespace's quotas against r.
func evaluateQuota(ctx context.Context, client kubernetes.Interface, ns string, selector *metav1.LabelSelector, r quota.Rollout,
	owned func([]*appsv1.ReplicaSet) []*appsv1.ReplicaSet, isNew func(*appsv1.ReplicaSet) bool) (quota.Result, error) {
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
	r.LimitRanges = lrs.Items
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return quota.Result{}, Errorf(ExitBadInput, "invalid selector: %w", err)
	}
	rsList, err := client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return quota.Result{}, KubeError(err, "list", "replicasets.apps", ns, "")
	}
	oldSeen := false
	for _, rs := range owned(pointers(rsList.Items)) {
		if isNew(rs) {
			r.NewPods += rs.Status.Replicas
			continue
		}
		r.OldPods += rs.Status.Replicas
		if !oldSeen && rs.Status.Replicas > 0 { // the newest old revision still running
			r.Old, oldSeen = rs.Spec.Template.Spec, true
		}
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
