package app

import (
	"context"
	"os"

	"github.com/urfave/cli/v2"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/quota"
)

// runPreflight is the preflight phase on a cluster object: the quota
// headroom, then the hygiene rules. Either failing ends the gate (exit 1)
// before any waiting; warnings are printed and reported.
func runPreflight(ctx context.Context, k *cluster, cfg *gate.Config, obj any, rep *reporter) error {
	if *cfg.Quota.Preflight {
		var res quota.Result
		var err error
		switch o := obj.(type) {
		case *appsv1.Deployment:
			res, err = gate.QuotaPreflight(ctx, k.Client, o)
		case *unstructured.Unstructured:
			res, err = gate.RolloutQuotaPreflight(ctx, k.Client, o)
		}
		if err != nil {
			return err
		}
		rep.report.Quota = &res
		for _, line := range gate.QuotaSummary(res) {
			rep.event("quota", "%s", line)
		}
		if !res.OK() {
			return gate.Errorf(gate.ExitFailed, "quota preflight: %w", res.Err())
		}
	}
	w, err := preflight.FromObject(obj)
	if err != nil {
		return gate.WithCode(gate.ExitRuntime, err)
	}
	if err := preflight.Gather(ctx, k.Client, &w); err != nil {
		return err
	}
	return judgeRules(w, cfg, rep)
}

// judgeRules evaluates the hygiene rules on one workload and reports them.
func judgeRules(w preflight.Workload, cfg *gate.Config, rep *reporter) error {
	fs := preflight.Evaluate(w, cfg.Preflight)
	rep.report.Preflight = append(rep.report.Preflight, fs...)
	for _, f := range fs {
		rep.event("preflight", "%s %s: %s", w.Kind, w.Name, f)
	}
	if len(fs) == 0 {
		rep.event("preflight", "%s %s: no findings", w.Kind, w.Name)
	}
	if failed := gate.FailedFindings(fs); len(failed) > 0 {
		return gate.Errorf(gate.ExitFailed, "preflight: %s %s: %s (%d failing rule(s); set the rule to warn to let it pass)",
			w.Kind, w.Name, failed[0].Message, len(failed))
	}
	return nil
}

// getWorkload reads the target once, for the preflight-only mode.
func getWorkload(ctx context.Context, k *cluster, t gate.Target) (any, error) {
	if t.Kind == gate.KindRollout {
		u, err := k.Dynamic.Resource(gate.RolloutGVR).Namespace(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
		return u, gate.KubeError(err, "get", "rollouts.argoproj.io", t.Namespace, t.Name)
	}
	d, err := k.Client.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	return d, gate.KubeError(err, "get", "deployments.apps", t.Namespace, t.Name)
}

// watchWorkload is the readiness watch of the target's kind.
func watchWorkload(ctx context.Context, k *cluster, t gate.Target, opts gate.ReadinessOptions) (gate.ReadinessResult, error) {
	if t.Kind == gate.KindRollout {
		return gate.WatchRollout(ctx, k.Client, k.Dynamic, t.Namespace, t.Name, opts)
	}
	return gate.WatchDeployment(ctx, k.Client, t.Namespace, t.Name, opts)
}

// readinessOptions are the gate file's readiness settings; callers add
// their hooks.
func readinessOptions(cfg *gate.Config) gate.ReadinessOptions {
	return gate.ReadinessOptions{MaxRestarts: int32(*cfg.Readiness.MaxRestarts), Grace: cfg.Readiness.Grace.Duration}
}

// runManifestPreflight checks the workloads of a manifest file without a
// cluster, so a pipeline can stop a bad release before kubectl apply.
func runManifestPreflight(c *cli.Context, env Env, file string) error {
	if c.NArg() > 0 {
		return usagef("--manifest checks the workloads in the file: drop the TARGET argument")
	}
	o, err := readOptions(c, env)
	if err != nil {
		return err
	}
	cfg, err := resolveConfig(o, "")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return usagef("--manifest: %v", err)
	}
	ws, err := preflight.ParseManifest(data)
	if err != nil {
		return usagef("--manifest %s: %v", file, err)
	}
	if len(ws) == 0 {
		return usagef("--manifest %s holds no Deployment or Rollout", file)
	}
	rep := newReporter("check", o, env, cfg, gate.Target{Kind: gate.Kind(ws[0].Kind), Name: ws[0].Name, Namespace: ws[0].Namespace}, c.App.Writer, c.App.ErrWriter)
	var firstErr error
	for _, w := range ws {
		if err := judgeRules(w, cfg, rep); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		rep.event("preflight", "%d workload(s) in %s pass", len(ws), file)
	}
	return rep.finish(firstErr)
}
