package gate

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// Check is `rollgate check`: preflight, quota and readiness, no metrics,
// no actions. Ready exits 0, failed or timed out 1, Argo's inconclusive
// pause 3.
func (e *Engine) Check(ctx context.Context, s Settings) (*Report, error) {
	r, err := e.start("check", s)
	if err != nil {
		return r.finish(err)
	}
	r.event(PhaseResolve, "%s in namespace %s, context %q", s.Target, s.Target.Namespace, s.KubeContext)
	limit := min(s.Timeout, s.Readiness.ProgressTimeout)
	ctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("%w after %s (the gate's own clock)", ErrTimeout, limit))
	defer cancel()
	h := readiness.Hooks{Event: func(phase, msg string) { r.event(Phase(phase), "%s", msg) }, Snapshot: r.obs.Snapshot, Now: e.Now,
		Pinned: func(ctx context.Context, st *workload.State, owned []*appsv1.ReplicaSet, pin *workload.Pin) (string, error) {
			r.setPin(pin)
			return r.preflight(ctx, st, owned, pin)
		}}
	res, err := readiness.Watch(ctx, e.Cluster, r.w, s.Readiness, h, nil)
	r.rep.Readiness = &res
	r.obs.Diagnosis(res.Diagnosis)
	if err != nil {
		return r.finish(err)
	}
	switch {
	case res.Verdict != readiness.Ready:
		r.rep.ExitCode, r.rep.Reason = int(ExitFailed), res.Reason
	case res.Progress.Outcome == workload.OutcomeInconclusive:
		r.rep.ExitCode, r.rep.Reason = int(ExitHeld), fmt.Sprintf("%s is paused on an inconclusive analysis: a human must promote or abort it", s.Target)
	}
	return r.finish(nil)
}

// CheckPreflight is `rollgate check --preflight-only`: the quota and
// hygiene rules on the workload as it is, no waiting.
func (e *Engine) CheckPreflight(ctx context.Context, s Settings) (*Report, error) {
	r, err := e.start("check", s)
	if err != nil {
		return r.finish(err)
	}
	r.event(PhaseResolve, "%s in namespace %s, context %q", s.Target, s.Target.Namespace, s.KubeContext)
	st, err := r.w.Get(ctx)
	if err != nil {
		return r.finish(err)
	}
	rss, err := workload.ReplicaSets(ctx, r.w, st)
	if err != nil {
		return r.finish(err)
	}
	owned := r.w.Owned(st, rss)
	pin, _ := r.w.Pin(st, owned)
	failed, err := r.preflight(ctx, st, owned, pin)
	if err == nil && failed != "" {
		r.rep.ExitCode, r.rep.Reason = int(ExitFailed), failed
	}
	return r.finish(err)
}

// CheckManifest judges the hygiene rules on the workloads of a manifest,
// without a cluster, so a pipeline can stop a bad release before kubectl
// apply.
func (e *Engine) CheckManifest(ws []preflight.Workload, p preflight.Settings, file string) *Report {
	first := ws[0]
	r, _ := e.start("check", Settings{Target: workload.Target{Kind: workload.Kind(first.Kind), Name: first.Name, Namespace: first.Namespace}})
	checked := 0
	for _, w := range ws {
		if w.NotChecked != "" {
			r.event(PhasePreflight, "%s %s: not checked: %s", w.Kind, w.Name, w.NotChecked)
			continue
		}
		checked++
		fs := preflight.Evaluate(w, p)
		r.record(w, preflight.Result{Findings: fs})
		if failed := preflight.FailureOf(w, fs); failed != "" && r.rep.ExitCode == 0 {
			r.rep.ExitCode, r.rep.Reason = int(ExitFailed), failed
		}
	}
	if r.rep.ExitCode == 0 {
		r.rep.Reason = fmt.Sprintf("preflight passed: %d workload(s) in %s checked, nothing deployed", checked, file)
		if n := len(ws) - checked; n > 0 {
			// Not looked at is not passed: a person decides (exit 3).
			r.rep.ExitCode = int(ExitHeld)
			r.rep.Reason = fmt.Sprintf("preflight: %d workload(s) in %s checked, %d not checked (see above): include what they refer to, or check them on the cluster; nothing deployed", checked, file, n)
		}
		r.event(PhasePreflight, "%s", r.rep.Reason)
	}
	rep, _ := r.finish(nil)
	return rep
}

// Replay is the window `rollgate analyze --from/--to` replays; zero From
// means live.
type Replay struct{ From, To time.Time }

// Analyze is `rollgate analyze`: the checks only, live or replayed over a
// past window at the same instants. Passed exits 0, failed 1, inconclusive 3.
func (e *Engine) Analyze(ctx context.Context, s Settings, w Replay) (*Report, error) {
	r, err := e.start("analyze", s)
	if err != nil {
		return r.finish(err)
	}
	_, pin, err := workload.CurrentPin(ctx, r.w)
	if err != nil {
		return r.finish(err)
	}
	r.setPin(pin)
	vars := workload.VarsFor(s.Target, pin)
	r.event(PhaseResolve, "%s in namespace %s: %s; canary pods =~ %s, stable pods =~ %s", s.Target, s.Target.Namespace, pin, vars.CanaryPods, vars.StablePods)
	r.showQueries(vars)
	if !w.From.IsZero() {
		r.event(PhaseAnalysis, "replaying %s .. %s every %s", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339), s.Analysis.Interval)
	}
	unjudged := noConcurrentStable(s, pin, false)
	if unjudged != "" && s.Analysis.HasSequential() {
		r.event(PhaseAnalysis, "sequential checks cannot be judged: %s", unjudged)
	}
	res, err := analysis.Analyze(ctx, s.Analysis, analysis.Options{Querier: e.Querier, Vars: vars, From: w.From, To: w.To, Now: e.Now,
		Unjudged: unjudged, Notice: r.notice,
		Observe: func(m promql.Measurement) {
			if w.From.IsZero() { // a replay has no live progress to show
				r.obs.Measured(m, s.Analysis.Intervals())
			}
			r.event(PhaseAnalysis, "%s", MeasurementLine(m))
		}})
	r.rep.Analysis = &res
	for _, t := range res.Checks {
		if t.Sequential() {
			r.event(PhaseAnalysis, "%s: %s", t.Name, t.Summary())
			continue
		}
		r.event(PhaseAnalysis, "%s: %d pass, %d fail, %d inconclusive, %d error of %d intervals",
			t.Name, t.Passed, t.Failed, t.Inconclusive, t.Errors, len(t.Measurements))
	}
	if err != nil {
		return r.finish(err)
	}
	r.rep.ExitCode, r.rep.Reason = int(analysisCode(res.Outcome)), analysisReason(res)
	return r.finish(nil)
}

// analysisReason is the analysis outcome with the rule that decided it.
func analysisReason(res analysis.Result) string {
	return fmt.Sprintf("analysis %s: %s", res.Outcome, res.Rule.Text)
}

func analysisCode(o analysis.Outcome) ExitCode {
	switch o {
	case analysis.Passed:
		return ExitPassed
	case analysis.Failed:
		return ExitFailed
	}
	return ExitHeld
}

// showQueries puts each check's rendered queries on the timeline.
func (r *run) showQueries(vars promql.Vars) {
	for _, ch := range r.s.Analysis.Checks {
		if ch.IsSequential() {
			lines, _ := ch.Selectors(vars, r.s.Analysis.Vars)
			for _, l := range lines {
				r.event(PhaseAnalysis, "%s: sequential, %s", ch.Name, l)
			}
			continue
		}
		if spec, err := ch.Spec(vars, r.s.Analysis.Vars); err == nil {
			r.event(PhaseAnalysis, "%s: query %s", ch.Name, spec.Query)
			if spec.Baseline != "" {
				r.event(PhaseAnalysis, "%s: baseline %s", ch.Name, spec.Baseline)
			}
		}
	}
}
