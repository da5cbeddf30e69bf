package gate

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
)

// Run is `rollgate run`: the idempotency check, the lock, readiness (with
// the preflight at pin time), analysis, the canary-step loop, the decision
// and the action. The error is trouble (exit 2, 4, 5, 6 by CodeOf); a
// verdict is on the report with its exit code.
func (e *Engine) Run(ctx context.Context, s Settings) (*Report, error) {
	r, err := e.start("run", s)
	if err != nil {
		return r.finish(err)
	}
	r.event(PhaseResolve, "%s in namespace %s, context %q", s.Target, s.Target.Namespace, s.KubeContext)
	return r.finish(r.gate(ctx))
}

func (r *run) gate(ctx context.Context) error {
	st, err := r.w.Get(ctx)
	if err != nil {
		return err
	}
	if done, err := r.alreadyDone(ctx, st); done || err != nil {
		if done && r.rel != nil {
			r.rel.ended(r.idx, targetOutcome{done: true, verdict: VerdictPassed})
		}
		return err
	}
	if r.rel != nil {
		if err := r.rel.turn(ctx, r.idx); err != nil {
			return err
		}
	}
	release, err := r.acquire(ctx, st.Generation)
	if r.rel != nil {
		r.rel.pastLock(r.idx) // the next target's turn for its Lease
	}
	if err != nil {
		return err
	}
	defer release()
	if held, err := r.unblock(ctx, st); held || err != nil {
		if held && r.rel != nil {
			r.rel.ended(r.idx, targetOutcome{verdict: VerdictWaiting})
		}
		return err
	}
	r.carry = analysis.NewCarry() // one revision per run: its evidence carries across steps
	r.stage(StageStart)
	gctx, cancel := context.WithTimeoutCause(ctx, r.s.Timeout, fmt.Errorf("%w after %s (the gate's own clock)", ErrTimeout, r.s.Timeout))
	defer cancel()
	judge := r.judge
	if len(r.s.Canary) > 0 {
		judge = r.canary
	}
	jctx := gctx
	// A target already rolled out when the run began is not part of what
	// the run gates: an atomic failure leaves it as it is.
	rolledOut := st.Observed && r.w.Progress(st).Done
	if r.rel != nil {
		var jcancel context.CancelCauseFunc
		jctx, jcancel = context.WithCancelCause(gctx)
		defer jcancel(nil)
		r.rel.judging(r.idx, jcancel)
	}
	v, why, err := judge(jctx, ctx)
	if r.rel != nil {
		var d released
		d, err = r.rel.decide(jctx, r.idx, member{pinned: r.pin != nil, rolledOut: rolledOut}, v, why, err)
		v, why, r.rep.ReleaseCause = d.verdict, d.why, d.cause
		if d.leave {
			r.s.Policy.OnInconclusive = workload.ActionNone // left as it is: no hold, no rollback
		}
	}
	if err != nil {
		return err
	}
	return r.act(ctx, v, why)
}

// maxSteps bounds the canary-step loop.
const maxSteps = 100

// judge runs readiness and analysis until a verdict. A Rollout with canary
// steps is judged and promoted step by step until it is Healthy (a timed
// pause step is analysed and left for Argo to end); the verdict returned is
// the one the policy acts on. Errors that are not verdicts (superseded,
// runtime trouble) end the run without an action.
func (r *run) judge(ctx, parent context.Context) (Verdict, string, error) {
	var passed string // the steps passed so far, for the final reason
	skip := -1        // a timed step already judged: wait for Argo to end it
	for step := 0; step < maxSteps; step++ {
		res, err := r.watch(ctx, skip)
		if v, why, stop, err := r.readied(res, err, parent); stop {
			return v, why, err
		}
		outcome := res.Progress.Outcome
		if passed != "" && outcome == workload.OutcomeComplete {
			return VerdictPassed, passed + "; the rollout is healthy", nil
		}
		v, why, err := r.analyze(ctx, parent, outcome, r.s.Analysis)
		stepping := outcome == workload.OutcomeStep || outcome == workload.OutcomeTimedStep
		if err != nil || v != VerdictPassed || !stepping {
			return v, why, err
		}
		passed = fmt.Sprintf("%d canary step(s) passed (last: %s)", step+1, why)
		if outcome == workload.OutcomeTimedStep {
			// A timed pause is never cut short: Argo resumes it.
			r.event(PhaseAnalysis, "step %d passed (%s); Argo ends its timed pause", res.Progress.Step+1, why)
			skip = res.Progress.Step
			continue
		}
		if r.s.Policy.OnSuccess != workload.ActionPromote || r.s.DryRun {
			return v, why, nil
		}
		if err := r.promoteStep(ctx, why); err != nil {
			return "", "", err
		}
		skip = -1
	}
	return "", "", fmt.Errorf("%s: gave up after %d canary steps", r.s.Target, maxSteps)
}

// promoteStep promotes a Rollout past a canary step that passed, with the
// same guards as the final action (lease, template, generation). The
// verified annotation waits for the last step (the final promote).
func (r *run) promoteStep(ctx context.Context, why string) error {
	g, err := r.guard(ctx, why)
	if err != nil {
		return err
	}
	c, err := r.w.Promote(ctx, nil, false, g)
	r.event(Phase(workload.ActionPromote), "step passed (%s): %s", why, c.Message)
	return err
}

// readied records how a readiness phase ended; stop is true when that is
// the verdict (v, why) or trouble (err), false when analysis may follow.
func (r *run) readied(res readiness.Result, err error, parent context.Context) (v Verdict, why string, stop bool, _ error) {
	r.rep.Readiness = &res
	r.obs.Diagnosis(res.Diagnosis)
	if v, why, ok := readinessVerdict(res, err, parent); ok {
		r.rep.DecidedBy = PhaseReadiness
		return v, why, true, nil
	}
	return "", "", err != nil, err
}

// readinessVerdict turns how the readiness phase ended into a verdict:
// failures and timeouts are failed, a cancel is cancelled, Argo's
// inconclusive pause is inconclusive. ok is false when analysis may follow
// or err is trouble.
func readinessVerdict(res readiness.Result, err error, parent context.Context) (Verdict, string, bool) {
	if err != nil {
		if parent.Err() != nil || errors.Is(err, readiness.ErrCancelled) {
			return VerdictCancelled, err.Error(), true
		}
		return "", "", false
	}
	switch {
	case res.Verdict == readiness.TimedOut && res.Paused:
		// Waiting on a human is not a failure.
		return VerdictWaiting, "the rollout is paused and waits for a person to resume it: " + res.Reason, true
	case res.Verdict == readiness.Failed || res.Verdict == readiness.TimedOut:
		return VerdictFailed, res.Reason, true
	case res.Progress.Outcome == workload.OutcomeInconclusive, res.Progress.Outcome == workload.OutcomeWaiting:
		return VerdictWaiting, res.Progress.Message + ": a person decides", true
	}
	return "", "", false
}

// watch is the readiness phase; the pin is taken (and what a rollback
// would restore read, and the preflight run) the moment the revision under
// gate is known, once per run: not again at each canary step.
func (r *run) watch(ctx context.Context, skipStep int) (readiness.Result, error) {
	rctx, cancel := r.progressClock(ctx)
	defer cancel()
	return readiness.Watch(rctx, r.e.Cluster, r.w, r.s.Readiness, r.hooks(skipStep), r.pin)
}

// hooks are the readiness phase's hooks: the timeline, the live view, and
// the pin (with the preflight) when the revision under gate is not known
// yet.
func (r *run) hooks(skipStep int) readiness.Hooks {
	h := readiness.Hooks{
		Event: func(phase, msg string) {
			r.event(Phase(phase), "%s", msg)
			r.stage(StageReadiness)
		},
		Snapshot: r.obs.Snapshot, Now: r.e.Now,
	}
	if skipStep >= 0 {
		h.Skip = func(p workload.Progress) bool { return p.Outcome == workload.OutcomeTimedStep && p.Step == skipStep }
	}
	if r.pin == nil {
		h.Pinned = func(ctx context.Context, st *workload.State, owned []*appsv1.ReplicaSet, pin *workload.Pin) (string, error) {
			if err := r.pinned(ctx, st, pin); err != nil {
				return "", err
			}
			return r.preflight(ctx, st, owned, pin)
		}
	}
	return h
}

// progressClock bounds one wait for a workload by readiness.progressTimeout.
func (r *run) progressClock(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, r.s.Readiness.ProgressTimeout,
		fmt.Errorf("%w: readiness.progressTimeout %s", ErrTimeout, r.s.Readiness.ProgressTimeout))
}

// pinned records the revision under gate and what a rollback restores.
func (r *run) pinned(ctx context.Context, st *workload.State, pin *workload.Pin) error {
	r.setPin(pin)
	to, err := r.w.Restore(ctx, st, pin)
	if err != nil {
		return err
	}
	r.restore = to
	r.event(PhasePin, "%s", r.w.RollbackPlan(pin, to))
	return nil
}

// preflight is the quota headroom and the hygiene rules, through one call;
// the failure it returns ends the readiness watch before any waiting.
func (r *run) preflight(ctx context.Context, st *workload.State, owned []*appsv1.ReplicaSet, pin *workload.Pin) (string, error) {
	defer r.stage(StagePreflight)
	in, err := workload.PreflightInput(r.w, st, owned, pin, r.s.Quota)
	if err != nil {
		return "", err
	}
	res, err := preflight.Run(ctx, r.e.Cluster, in, r.s.Preflight)
	if err != nil {
		return "", err
	}
	r.record(in.Workload, res)
	return res.Failed, nil
}

// record puts a preflight result on the report and the timeline.
func (r *run) record(w preflight.Workload, res preflight.Result) {
	if res.Quota != nil {
		r.rep.Quota = res.Quota
		for _, line := range preflight.QuotaSummary(*res.Quota) {
			r.event(PhaseQuota, "%s", line)
		}
		if !res.Quota.OK() {
			return
		}
	}
	r.rep.Preflight = append(r.rep.Preflight, res.Findings...)
	for _, f := range res.Findings {
		r.event(PhasePreflight, "%s %s: %s", w.Kind, w.Name, f)
	}
	if len(res.Findings) == 0 {
		r.event(PhasePreflight, "%s %s: no findings", w.Kind, w.Name)
	}
}

// unblock handles a workload paused before the template in its spec could
// roll out (a newer release applied onto a held Deployment): rollgate's
// own hold is lifted and the newer template gated; a pause someone else
// made ends the run held, nothing changed, the way to resume it printed.
func (r *run) unblock(ctx context.Context, st *workload.State) (held bool, err error) {
	if !st.Paused {
		return false, nil
	}
	rss, err := workload.ReplicaSets(ctx, r.w, st)
	if err != nil {
		return false, err
	}
	blocked, ours := r.w.Blocked(st, r.w.Owned(st, rss))
	switch {
	case !blocked:
		return false, nil
	case ours:
		c, err := r.w.Resume(ctx, workload.Guard{DryRun: r.s.DryRun, Generation: st.Generation})
		r.show(resultOf(c))
		return false, err
	}
	t := r.s.Target
	msg := fmt.Sprintf("%s is paused and the template in its spec has not rolled out; the pause is not rollgate's, so it stays: resume it to let the rollout go on", t)
	res := ActionResult{Action: workload.ActionNone, Message: msg,
		Commands: []string{fmt.Sprintf("kubectl rollout resume %s -n %s", t, t.Namespace), "then run this gate again"}}
	r.rep.Action, r.rep.Decision, r.rep.Reason, r.rep.DecidedBy = &res, DecisionHeld, msg, PhaseState
	r.rep.ExitCode = int(ExitHeld)
	r.show(res)
	return true, nil
}
