package app

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// releaseFlags pick the workloads of a release (`run` only).
func releaseFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "selector", Aliases: []string{"l"}, Usage: withEnv("gate every Deployment and Rollout whose labels match, e.g. app.kubernetes.io/part-of=shop (like kubectl -l)", "selector")},
		&cli.BoolFlag{Name: "all-namespaces", Aliases: []string{"A"}, Usage: withEnv("with --selector: look in every namespace, not only -n's", "all-namespaces")},
	}
}

// isRelease says whether `run` gates a release (several workloads, one
// report) rather than one workload: several TARGETs, a selector, or a
// gate file with targets and no TARGET.
func isRelease(c *cli.Context, env Env) bool {
	if c.NArg() > 1 {
		return true
	}
	for _, flag := range []string{"selector", "all-namespaces"} {
		if _, _, ok := settingFrom(c, env, flag); ok {
			return true
		}
	}
	return c.NArg() == 0 && c.IsSet("config") && fileHasTargets(c.String("config"))
}

// fileHasTargets peeks at the gate file; a file that does not load is
// reported by the normal path.
func fileHasTargets(path string) bool {
	if path == "" || path == "-" {
		return false
	}
	cfg, err := config.LoadFile(path)
	return err == nil && len(cfg.Targets) > 0
}

// runRelease is `rollgate run` on a release: every workload gated
// concurrently by one engine, one report.
func runRelease(c *cli.Context, env Env) error {
	o, err := readOptions(c, env)
	if err != nil {
		return err
	}
	for _, f := range []func(*Options) error{prometheusURL(c, env), slackOptions(c, env)} {
		if err := f(&o); err != nil {
			return err
		}
	}
	selector, selSrc, bySelector := settingFrom(c, env, "selector")
	all, err := boolSetting(c, env, "all-namespaces")
	if err != nil {
		return err
	}
	if all && !bySelector {
		return usagef("--all-namespaces needs --selector (-l): it says where to look for the labelled workloads")
	}
	var sel labels.Selector
	if bySelector {
		if c.NArg() > 0 {
			return usagef("give TARGETs or %s, not both", selSrc)
		}
		if sel, err = labels.Parse(selector); err != nil || sel.Empty() {
			return usagef("%s %q: want a label selector like app.kubernetes.io/part-of=shop or 'tier in (web,api)'", selSrc, selector)
		}
	}
	args, err := parseTargets(c.Args().Slice())
	if err != nil {
		return err
	}
	cfg, err := resolveConfig(o, "")
	if err == nil {
		err = checkEnv(o, cfg, env, "run")
	}
	if err != nil {
		return err
	}
	var q promql.Querier
	if len(cfg.Analysis.Checks) > 0 || slices.ContainsFunc(cfg.Targets, func(e config.TargetEntry) bool { return e.Analysis != nil && len(e.Analysis.Checks) > 0 }) {
		if q, err = querier(cfg.Analysis.Prometheus, env); err != nil {
			return err
		}
	}
	o.Release = true
	k, err := connect(o, env)
	if err != nil {
		return err
	}
	ns := k.namespaceFor(workload.Target{Namespace: cfg.Target.Namespace})
	var targets []workload.Target
	var cfgs []*config.Config
	if !bySelector {
		if targets, cfgs, err = releaseTargets(args, cfg, ns); err != nil {
			return err
		}
	} else {
		if targets, err = selectTargets(c.Context, k, ns, all, sel); err != nil {
			return err
		}
		if len(targets) == 0 {
			where := "namespace " + ns
			if all {
				where = "any namespace"
			}
			return usagef("no Deployment or Rollout in %s matches %s %q: check the labels (kubectl get deploy,rollouts -l %q)", where, selSrc, selector, selector)
		}
	}
	rel := gate.Release{Policy: cmp.Or(cfg.Policy.Release, gate.ReleaseAtomic)}
	configs := []*config.Config{cfg}
	for i, t := range targets {
		tc := cfg
		if cfgs != nil {
			tc = cfgs[i]
			configs = append(configs, tc)
		}
		s := tc.Settings(t)
		s.DryRun, s.Holder, s.Context, s.KubeContext = o.DryRun, holderIdentity(env), o.Context, k.Context
		rel.Targets = append(rel.Targets, s)
	}
	rr := newReleaseReporter(o, env, configs, targets, c.App.Writer, c.App.ErrWriter)
	rr.policy = rel.Policy
	if werr := rr.startNotifier(cfg, env); werr != nil {
		rr.warn("slack: " + werr.Error())
	}
	rel.Observe = rr.observer
	e := &gate.Engine{Cluster: k.Cluster, Querier: q}
	rep, err := e.RunRelease(c.Context, rel)
	if err != nil {
		rr.stop()
		return err
	}
	return rr.finish(rep)
}

// parseTargets reads the TARGET arguments; their namespace is set once
// the kubeconfig's is known.
func parseTargets(args []string) ([]workload.Target, error) {
	var ts []workload.Target
	for _, a := range args {
		t, err := workload.ParseTarget(a)
		if err != nil {
			return nil, usagef("%v", err)
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// releaseTargets are the TARGETs given, else the file's targets list;
// cfgs are the per-target configs of that list (nil: the file's for all).
func releaseTargets(args []workload.Target, cfg *config.Config, ns string) ([]workload.Target, []*config.Config, error) {
	if len(args) > 0 {
		for i := range args {
			args[i].Namespace = ns
		}
		return args, nil, nil
	}
	ts, cs, err := cfg.Release(ns)
	if err != nil {
		return nil, nil, usagef("%v", err)
	}
	if len(ts) == 0 {
		return nil, nil, usagef("no target: pass TARGETs (e.g. deployment/api deployment/worker), --selector, or set targets in the gate file")
	}
	return ts, cs, nil
}

// selectTargets lists the Deployments and Rollouts a selector matches.
// A cluster without the Rollout CRD has no Rollouts.
func selectTargets(ctx context.Context, k *conn, ns string, all bool, sel labels.Selector) ([]workload.Target, error) {
	if all {
		ns = metav1.NamespaceAll
	}
	opts := metav1.ListOptions{LabelSelector: sel.String()}
	ds, err := k.Client.AppsV1().Deployments(ns).List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list deployments.apps -l %s: %w", sel, err)
	}
	var out []workload.Target
	for _, d := range ds.Items {
		out = append(out, workload.Target{Kind: workload.KindDeployment, Name: d.Name, Namespace: d.Namespace})
	}
	ros, err := k.Dynamic.Resource(workload.RolloutGVR).Namespace(ns).List(ctx, opts)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("list rollouts.argoproj.io -l %s: %w", sel, err)
	default:
		for _, r := range ros.Items {
			out = append(out, workload.Target{Kind: workload.KindRollout, Name: r.GetName(), Namespace: r.GetNamespace()})
		}
	}
	return out, nil
}
