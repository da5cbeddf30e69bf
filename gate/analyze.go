package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// analyze is the metric phase of a run; without checks a ready rollout
// passes. outcome is how the readiness phase ended: complete for a
// completed rollout, whose stable pods are gone. a is the gate file's
// analysis, or a copy with a canary step's length.
func (r *run) analyze(ctx, parent context.Context, outcome workload.Outcome, a analysis.Settings) (Verdict, string, error) {
	if len(a.Checks) == 0 {
		return VerdictPassed, "ready; no analysis checks configured", nil
	}
	if r.pin == nil {
		return "", "", fmt.Errorf("%s: the revision under gate was never pinned, so there is nothing to analyse", r.s.Target.Describe())
	}
	vars := workload.VarsFor(r.s.Target, r.pin)
	r.event(PhaseAnalysis, "canary pods =~ %s, stable pods =~ %s; %s every %s", vars.CanaryPods, vars.StablePods, a.Length(), a.Interval)
	var baselineAt time.Time
	if outcome == workload.OutcomeComplete && a.HasBaseline() {
		baselineAt = r.rolloutBegan()
		r.event(PhaseAnalysis, "the rollout is complete, so the stable pods are gone: baselines are evaluated at %s, when revision %d began rolling out",
			baselineAt.Format(time.RFC3339), r.pin.Revision)
	}
	unjudged := noConcurrentStable(r.s, r.pin, outcome == workload.OutcomeComplete)
	if unjudged != "" && a.HasSequential() {
		r.event(PhaseAnalysis, "sequential checks cannot be judged: %s", unjudged)
	}
	res, err := r.analyzeWatched(ctx, a, analysis.Options{Querier: r.e.Querier, Vars: vars, BaselineAt: baselineAt, Now: r.e.Now,
		Unjudged: unjudged, Notice: r.notice, Carry: r.carry,
		Observe: func(m promql.Measurement) {
			r.obs.Measured(m, a.Intervals())
			r.event(PhaseAnalysis, "%s", MeasurementLine(m))
			r.stage(StageAnalysis)
		}})
	r.rep.Analysis = &res
	if err != nil {
		switch {
		case errors.Is(err, workload.ErrSuperseded):
			return "", "", err
		case parent.Err() != nil:
			return VerdictCancelled, err.Error(), nil
		case errors.Is(context.Cause(ctx), ErrTimeout):
			return VerdictInconclusive, fmt.Sprintf("the gate's clock (timeout %s) ran out during analysis", r.s.Timeout), nil
		}
		return "", "", err
	}
	r.rep.DecidedBy = PhaseAnalysis
	switch res.Outcome {
	case analysis.Passed:
		return VerdictPassed, "analysis passed: " + res.Rule.Text, nil
	case analysis.Failed:
		return VerdictFailed, "analysis failed: " + res.Rule.Text, nil
	}
	return VerdictInconclusive, "analysis inconclusive: " + res.Rule.Text, nil
}

// analyzeWatched analyses while watching for a newer release, which ends
// the analysis at once (exit 6, a watch, not polling).
func (r *run) analyzeWatched(ctx context.Context, a analysis.Settings, o analysis.Options) (analysis.Result, error) {
	actx, stop := context.WithCancelCause(ctx)
	watched := make(chan error, 1)
	go func() {
		err := workload.WatchSuperseded(actx, r.w, r.pin)
		if errors.Is(err, workload.ErrSuperseded) {
			stop(err)
		}
		watched <- err
	}()
	res, err := analysis.Analyze(actx, a, o)
	stop(nil)
	if werr := <-watched; errors.Is(werr, workload.ErrSuperseded) {
		return res, werr
	} else if werr != nil {
		r.warn("could not watch for a newer revision during the analysis: %v", werr)
	}
	return res, err
}

// MeasurementLine is one measurement as a timeline line.
func MeasurementLine(m promql.Measurement) string {
	s := fmt.Sprintf("%s %s: %s", m.Check, upper(string(m.Outcome)), m.Reason)
	if m.Samples != nil {
		s += fmt.Sprintf(" (samples %.4g)", *m.Samples)
	}
	for _, w := range m.Warnings {
		s += " [prometheus warning: " + w + "]"
	}
	return s
}

// rolloutBegan is when the stable pods last served all traffic: the
// creation of the revision's ReplicaSet, unless that ReplicaSet is older
// than this gate's whole clock (a revert or rollback reuses one that may be
// months old): then the pin, taken right after the pipeline's apply.
func (r *run) rolloutBegan() time.Time {
	p := r.pin
	if p.Created.IsZero() || p.Created.Before(r.rep.StartedAt.Add(-r.s.Timeout)) {
		return p.At
	}
	return p.Created
}

// noConcurrentStable says why no stable pods serve alongside the canary,
// "" when they may: a sequential check compares the two sides in the same
// window and cannot be judged without them. gone is true when the stable
// pods are known to be gone (a completed Deployment rollout).
func noConcurrentStable(s Settings, pin *workload.Pin, gone bool) string {
	const fix = "a sequential check compares canary and stable pods serving side by side " +
		"(analyse while both serve: an Argo Rollout canary step or a Deployment paused mid-rollout; or use a static check with a baseline)"
	switch {
	case pin.Stable == nil:
		return "there is no stable revision to compare with; " + fix
	case s.Target.Kind != workload.KindDeployment:
		return ""
	case gone:
		return "the rollout is complete, so the stable pods are gone; " + fix
	case pin.Stable.Pods == 0:
		return fmt.Sprintf("the stable ReplicaSet %s has no pods (the rollout completed); %s", pin.Stable.ReplicaSet, fix)
	}
	return ""
}

// notice puts the analysis' own lines (the sequential plans) on the
// timeline; one that says the analysis cannot catch a useful regression
// is a warning.
func (r *run) notice(msg string, warn bool) {
	if warn {
		r.warn("%s", msg)
		return
	}
	r.event(PhaseAnalysis, "%s", msg)
}
