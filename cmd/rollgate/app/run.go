package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/notify"
	"github.com/rollgate/rollgate/promql"
)

func runCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "preflight, watch readiness, analyze metrics, then promote, hold or roll back by policy",
		ArgsUsage: "TARGET",
		UsageText: "rollgate run deployment/api -n shop -f rollgate.yaml\n" +
			"rollgate run rollout/api -n shop -f rollgate.yaml --dry-run   # decide and report, change nothing\n" +
			"Exits 0 promoted, 1 rolled back (failed), 2 bad input, 3 held, 4 runtime error, 5 cancelled, 6 superseded.",
		Flags: append(append(globalFlags(),
			&cli.StringFlag{Name: "prometheus-url", Usage: withEnv("Prometheus base URL (overrides analysis.prometheus.url)", "prometheus-url")}),
			slackFlags()...),
		Action: action(func(c *cli.Context) error { return runRun(c.Context, c, env) }),
	}
}

// gateRun is one `rollgate run`: the state shared by its phases.
type gateRun struct {
	cfg     *gate.Config
	k       *cluster
	target  gate.Target
	rep     *reporter
	env     Env
	opts    Options
	querier promql.Querier
	pin     *gate.Pin
	restore *gate.Restore
	// teller tells Slack; nil when nobody is to be told.
	teller *teller
	// lease is the lock held on the target; nil under --dry-run.
	lease *gate.Lock
}

func runRun(ctx context.Context, c *cli.Context, env Env) error {
	o, cfg, target, err := prepare(c, env, prometheusURL(c, env), slackOptions(c, env))
	if err != nil {
		return err
	}
	var q promql.Querier
	if len(cfg.Analysis.Checks) > 0 {
		if q, err = querier(cfg.Analysis.Prometheus, env); err != nil {
			return err
		}
	}
	g, err := newGateRun(c, env, "run", o, cfg, target)
	if err != nil {
		return err
	}
	g.querier = q
	g.rep.event("resolve", "%s in namespace %s, %s", g.target, g.target.Namespace, g.k)
	return g.end(g.run(ctx))
}

// newGateRun attaches a run or manual action to its cluster, reporter and
// notifier.
func newGateRun(c *cli.Context, env Env, command string, o Options, cfg *gate.Config, t gate.Target) (*gateRun, error) {
	g := &gateRun{cfg: cfg, env: env, opts: o}
	var err error
	if g.k, g.target, g.rep, err = attach(c, env, command, o, cfg, t); err != nil {
		return nil, err
	}
	g.startNotifier()
	return g, nil
}

// end tells the verdict and writes the reports.
func (g *gateRun) end(err error) error {
	g.tellVerdict(err)
	return g.rep.finish(err)
}

// run is the whole gate: idempotency, lock, readiness (with preflight),
// analysis, decision, action.
func (g *gateRun) run(ctx context.Context) error {
	obj, err := getWorkload(ctx, g.k, g.target)
	if err != nil {
		return err
	}
	if done, err := g.alreadyDone(ctx, obj); done {
		return err
	}
	release, err := g.lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	g.tell(notify.StageStart)
	clock := g.cfg.Timeout.Duration
	gctx, cancel := context.WithTimeoutCause(ctx, clock, fmt.Errorf("%w after %s (the gate's own clock)", gate.ErrTimeout, clock))
	defer cancel()
	verdict, why, err := g.judge(gctx, ctx)
	if err != nil {
		return err
	}
	return g.act(ctx, verdict, why)
}

// judge runs readiness and analysis until a verdict. A Rollout with several
// canary steps is judged and promoted step by step until it is Healthy; the
// verdict returned is the one the policy acts on. Errors that are not
// verdicts (superseded, runtime trouble) end the run without an action.
func (g *gateRun) judge(ctx, parent context.Context) (gate.Verdict, string, error) {
	var promoted string
	for step := 0; ; step++ {
		res, err := g.watch(ctx)
		g.rep.report.Readiness = &res
		g.rep.diagnosis(res.Diagnosis)
		if v, why, ok := verdictOf(err, parent); ok {
			return v, why, nil
		} else if err != nil {
			return "", "", err
		}
		if res.Outcome == gate.RolloutInconclusive {
			return gate.VerdictInconclusive, "Argo Rollouts paused the rollout on an inconclusive analysis", nil
		}
		if promoted != "" && res.Outcome == "" {
			return gate.VerdictPassed, promoted + "; the rollout is healthy", nil
		}
		verdict, why, err := g.analyze(ctx, parent, res.Outcome)
		if err != nil || verdict != gate.VerdictPassed || res.Outcome != gate.RolloutReadyForAnalysis {
			return verdict, why, err
		}
		if g.cfg.Policy.OnSuccess != gate.ActionPromote || g.opts.DryRun || step > 100 {
			return verdict, why, nil
		}
		// A canary step passed: promote it and judge the next one.
		// The verified annotation waits for the last step (the final promote).
		a, err := g.rolloutActions().Promote(ctx, nil, false)
		g.rep.event("promote", "step passed (%s): %s", why, a.Message)
		if err != nil {
			return "", "", err
		}
		promoted = fmt.Sprintf("%d canary step(s) passed (last: %s)", step+1, why)
	}
}

// verdictOf turns how a phase ended into a verdict: failures and
// timeouts are failed, a cancel is cancelled. ok is false for errors that
// are not verdicts.
func verdictOf(err error, parent context.Context) (gate.Verdict, string, bool) {
	if err == nil {
		return "", "", false
	}
	switch gate.CodeOf(err) {
	case gate.ExitFailed:
		return gate.VerdictFailed, err.Error(), true
	case gate.ExitCancelled:
		return gate.VerdictCancelled, err.Error(), true
	}
	if parent.Err() != nil {
		return gate.VerdictCancelled, "cancelled: " + err.Error(), true
	}
	return "", "", false
}

// watch is the readiness phase; the pin is taken (and what a rollback
// would restore read) the moment the revision under gate is known.
func (g *gateRun) watch(ctx context.Context) (gate.ReadinessResult, error) {
	opts := readinessOptions(g.cfg)
	opts.Observe = func(phase, msg string) {
		g.rep.event(phase, "%s", msg)
		g.tell(notify.StageReadiness)
	}
	opts.Snapshot, opts.Pinned = g.rep.snapshot, g.pinned
	if g.pin == nil { // once per run, not again at each canary step
		opts.Preflight = func(ctx context.Context, obj any) error {
			err := runPreflight(ctx, g.k, g.cfg, obj, g.rep)
			g.tell(notify.StagePreflight)
			return err
		}
	}
	rctx, cancel := g.progressClock(ctx)
	defer cancel()
	return watchWorkload(rctx, g.k, g.target, opts)
}

// progressClock bounds one wait for a workload by readiness.progressTimeout.
func (g *gateRun) progressClock(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, g.cfg.Readiness.ProgressTimeout.Duration,
		fmt.Errorf("%w: readiness.progressTimeout %s", gate.ErrTimeout, g.cfg.Readiness.ProgressTimeout))
}

func (g *gateRun) pinned(ctx context.Context, pin *gate.Pin) error {
	if g.pin != nil && g.pin.TemplateHash == pin.TemplateHash {
		return nil // the next canary step of the same revision
	}
	g.pin = pin
	g.rep.report.Pin = pin
	g.rep.report.Revision = fmt.Sprint(pin.Revision)
	if g.target.Kind != gate.KindDeployment {
		return nil
	}
	r, err := gate.ReadRestore(ctx, g.k.Client, g.target.Namespace, pin)
	if err != nil {
		return err
	}
	g.restore = r
	if r == nil {
		g.rep.event("pin", "no previous revision to roll back to (first rollout, or revisionHistoryLimit 0): a failure can only be held")
	} else {
		g.rep.event("pin", "a rollback would restore the template of revision %d (replicaset %s)", r.Revision, r.ReplicaSet)
	}
	return nil
}

// analyze is the metric phase; without checks a ready rollout passes.
// readiness is how the readiness phase ended: "" for a completed rollout,
// whose stable pods are gone.
func (g *gateRun) analyze(ctx, parent context.Context, readiness string) (gate.Verdict, string, error) {
	if len(g.cfg.Analysis.Checks) == 0 {
		return gate.VerdictPassed, "ready; no analysis checks configured", nil
	}
	vars := gate.VarsFor(g.target, g.pin)
	g.rep.event("analysis", "canary pods =~ %s, stable pods =~ %s; %s every %s", vars.CanaryPods, vars.StablePods,
		analysisLength(g.cfg.Analysis), g.cfg.Analysis.Interval)
	var baselineAt time.Time
	if g.target.Kind == gate.KindDeployment && readiness == "" && g.hasBaseline() && !g.pin.Created.IsZero() {
		baselineAt = g.pin.Created
		g.rep.event("analysis", "the rollout is complete, so the stable pods are gone: baselines are evaluated at %s, when revision %d began rolling out",
			baselineAt.Format(time.RFC3339), g.pin.Revision)
	}
	// A newer release during the analysis ends it at once (exit 6).
	actx, stop := context.WithCancelCause(ctx)
	watched := make(chan error, 1)
	go func() {
		err := gate.WatchSuperseded(actx, g.k.Client, g.k.Dynamic, g.target, g.pin)
		if gate.CodeOf(err) == gate.ExitSuperseded {
			stop(err)
		}
		watched <- err
	}()
	res, err := gate.Analyze(actx, gate.AnalysisOptions{Querier: g.querier, Config: g.cfg.Analysis, Vars: vars, BaselineAt: baselineAt,
		Observe: func(m promql.Measurement) {
			g.rep.measured(m, g.cfg.Analysis.Intervals())
			g.rep.event("analysis", "%s", measurementLine(m))
			g.tell(notify.StageAnalysis)
		}})
	g.rep.report.Analysis = &res
	stop(nil)
	if werr := <-watched; gate.CodeOf(werr) == gate.ExitSuperseded {
		return "", "", werr
	} else if werr != nil {
		g.rep.warn("could not watch for a newer revision during the analysis: %v", werr)
	}
	if err != nil {
		if parent.Err() != nil {
			return gate.VerdictCancelled, err.Error(), nil
		}
		if errors.Is(context.Cause(ctx), gate.ErrTimeout) {
			return gate.VerdictInconclusive, fmt.Sprintf("the gate's clock (timeout %s) ran out during analysis", g.cfg.Timeout), nil
		}
		return "", "", err
	}
	switch res.Outcome {
	case gate.AnalysisPassed:
		return gate.VerdictPassed, "analysis passed: " + res.Rule, nil
	case gate.AnalysisFailed:
		return gate.VerdictFailed, "analysis failed: " + res.Rule, nil
	}
	return gate.VerdictInconclusive, "analysis inconclusive: " + res.Rule, nil
}

// hasBaseline says whether a check compares with the stable pods.
func (g *gateRun) hasBaseline() bool {
	for _, c := range g.cfg.Analysis.Checks {
		if c.Baseline != "" {
			return true
		}
	}
	return false
}

func analysisLength(a gate.Analysis) string {
	if a.Count != nil {
		return fmt.Sprintf("%d intervals", *a.Count)
	}
	return "for " + a.Duration.String()
}

// lock takes the target's Lease unless this is a dry run (which writes
// nothing); release gives it back.
func (g *gateRun) lock(ctx context.Context) (release func(), err error) {
	if g.opts.DryRun {
		g.rep.event("lock", "dry run: no lease taken, nothing will be written to the cluster")
		return func() {}, nil
	}
	l, err := gate.AcquireLock(ctx, g.k.Client, g.target, holderIdentity(g.env), gate.DefaultLeaseDuration, nil)
	if err != nil {
		return nil, err
	}
	g.lease = l
	g.rep.event("lock", "holding lease %s/%s", g.target.Namespace, gate.LeaseName(g.target))
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := l.Release(rctx); err != nil {
			g.rep.warn("lock: %v", err)
		}
	}, nil
}
