package preflight

import (
	"context"
	"fmt"

	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/quota"
)

// Input is what the preflight looks at: the workload for the hygiene rules
// and, when the quota preflight is on, the rollout's need (with its old and
// new pods counted) for the namespace's ResourceQuotas.
type Input struct {
	Workload Workload
	// Quota is nil when the quota preflight is off or cannot run (manifest mode).
	Quota *quota.Rollout
}

// Result is the preflight's verdict: the quota evaluation, every finding,
// and whether either fails the gate.
type Result struct {
	Quota    *quota.Result `json:"quota,omitempty"`
	Findings []Finding     `json:"findings,omitempty"`
	// Failed names why the preflight fails the gate; "" when it passes.
	Failed string `json:"failed,omitempty"`
}

// Run is the whole preflight: the quota headroom first (a shortfall fails
// before any waiting, naming quota, resource, need and headroom), then the
// hygiene rules with what they need from the cluster (PDBs, the pod's
// ServiceAccount). Errors are API troubles, never verdicts.
func Run(ctx context.Context, c cluster.Cluster, in Input, s Settings) (Result, error) {
	var res Result
	if in.Quota != nil {
		q, err := evaluateQuota(ctx, c, in.Workload.Namespace, *in.Quota)
		if err != nil {
			return res, err
		}
		res.Quota = &q
		if !q.OK() {
			res.Failed = fmt.Sprintf("quota preflight: %v", q.Err())
			return res, nil
		}
	}
	w := in.Workload
	if err := Gather(ctx, c, &w); err != nil {
		return res, err
	}
	res.Findings = Evaluate(w, s)
	res.Failed = FailureOf(w, res.Findings)
	return res, nil
}

// FailureOf says why findings fail the gate, "" when none is at level fail.
func FailureOf(w Workload, fs []Finding) string {
	failed := FailedFindings(fs)
	if len(failed) == 0 {
		return ""
	}
	return fmt.Sprintf("preflight: %s %s: %s (%d failing rule(s); set the rule to warn to let it pass)",
		w.Kind, w.Name, failed[0].Message, len(failed))
}

// evaluateQuota evaluates the namespace's quotas against the need r.
func evaluateQuota(ctx context.Context, c cluster.Cluster, ns string, r quota.Rollout) (quota.Result, error) {
	quotas, err := c.Client.CoreV1().ResourceQuotas(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return quota.Result{}, cluster.Error(err, "list", "resourcequotas", ns, "")
	}
	if len(quotas.Items) == 0 {
		return quota.Result{}, nil
	}
	lrs, err := c.Client.CoreV1().LimitRanges(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return quota.Result{}, cluster.Error(err, "list", "limitranges", ns, "")
	}
	r.LimitRanges = lrs.Items
	if err := admissionInputs(ctx, c, quotas.Items, &r); err != nil {
		return quota.Result{}, err
	}
	return quota.Evaluate(quotas.Items, r), nil
}

// Gather reads what the rules need from the cluster besides the workload:
// the namespace's PodDisruptionBudgets and the pod's ServiceAccount.
func Gather(ctx context.Context, c cluster.Cluster, w *Workload) error {
	pdbs, err := c.Client.PolicyV1().PodDisruptionBudgets(w.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return cluster.Error(err, "list", "poddisruptionbudgets.policy", w.Namespace, "")
	}
	w.PDBs = pdbs.Items
	if w.PDBs == nil {
		w.PDBs = []policyv1.PodDisruptionBudget{} // known: none
	}
	name := w.Template.Spec.ServiceAccountName
	if name == "" {
		name = "default"
	}
	sa, err := c.Client.CoreV1().ServiceAccounts(w.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		// The pods cannot start anyway; the readiness phase will say so.
	case err != nil:
		return cluster.Error(err, "get", "serviceaccounts", w.Namespace, name)
	default:
		w.ServiceAccount = sa
	}
	return nil
}

// QuotaSummary is one line per quota for the live view.
func QuotaSummary(res quota.Result) []string {
	var out []string
	for _, n := range res.NotEvaluated {
		out = append(out, n.String())
	}
	for _, t := range res.Tight {
		out = append(out, t.String())
	}
	if res.OK() && len(res.Tight) == 0 {
		out = append(out, "every applicable ResourceQuota has room for the rollout's peak")
	}
	return out
}
