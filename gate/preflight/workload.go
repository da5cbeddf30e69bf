package preflight

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/rollgate/rollgate/gate"
)

// FromObject reads the rules' input from a Deployment or an Argo Rollout
// (unstructured, as the dynamic client returns it or a manifest holds it).
func FromObject(obj any) (Workload, error) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return Workload{Kind: "Deployment", Name: o.Name, Namespace: o.Namespace, Replicas: replicas(o.Spec.Replicas), Template: o.Spec.Template}, nil
	case *unstructured.Unstructured:
		var spec struct {
			Replicas *int32                 `json:"replicas"`
			Template corev1.PodTemplateSpec `json:"template"`
		}
		raw, _, _ := unstructured.NestedMap(o.Object, "spec")
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec); err != nil {
			return Workload{}, fmt.Errorf("rollout %s: spec: %w", o.GetName(), err)
		}
		return Workload{Kind: "Rollout", Name: o.GetName(), Namespace: o.GetNamespace(), Replicas: replicas(spec.Replicas), Template: spec.Template}, nil
	}
	return Workload{}, fmt.Errorf("preflight rules apply to Deployments and Rollouts, not %T", obj)
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// Gather reads what the rules need from the cluster besides the workload:
// the namespace's PodDisruptionBudgets and the pod's ServiceAccount.
func Gather(ctx context.Context, client kubernetes.Interface, w *Workload) error {
	pdbs, err := client.PolicyV1().PodDisruptionBudgets(w.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return gate.KubeError(err, "list", "poddisruptionbudgets.policy", w.Namespace, "")
	}
	w.PDBs = pdbs.Items
	if w.PDBs == nil {
		w.PDBs = []policyv1.PodDisruptionBudget{} // known: none
	}
	name := w.Template.Spec.ServiceAccountName
	if name == "" {
		name = "default"
	}
	sa, err := client.CoreV1().ServiceAccounts(w.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		// The pods cannot start anyway; the readiness phase will say so.
	case err != nil:
		return gate.KubeError(err, "get", "serviceaccounts", w.Namespace, name)
	default:
		w.ServiceAccount = sa
	}
	return nil
}
