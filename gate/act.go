package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
)

// actBudget bounds the patches of an action; verifying a rollback gets
// readiness.progressTimeout on top.
const actBudget = 30 * time.Second

// act applies the policy to the verdict, verifies a rollback, and records
// the outcome with its exit code. The error is trouble only.
func (r *run) act(ctx context.Context, v Verdict, why string) error {
	plan := PlanFor(v, r.s.Policy)
	r.event(PhaseDecide, "%s → %s (policy for %s)", why, plan.Action, v)
	// A cancelled job still gets its onCancel action: the signal ended the
	// waiting, not the acting.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), actBudget)
	defer cancel()
	g, err := r.guard(actx, why)
	if err != nil {
		return err
	}
	res, err := r.apply(actx, plan.Action, g)
	if err == nil {
		r.notePaused(&res)
	}
	r.rep.Action, r.rep.Decision = &res, plan.Decision
	if err == nil && res.Applied && v != VerdictCancelled {
		err = r.verify(ctx, &res)
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("%w: %s; %s; cancelled while verifying it: not verified", ErrCancelled, why, res.Message)
		}
	}
	switch {
	case errors.Is(err, workload.ErrSuperseded):
		// A newer release won the race: nothing was changed (exit 6).
		r.rep.Decision = DecisionSuperseded
		return fmt.Errorf("%s; not acting: %w", why, err)
	case err != nil:
		res.Error = err.Error()
		r.rep.Decision = DecisionError
		return fmt.Errorf("%s; %s FAILED, the workload is as reported: %w", why, plan.Action, err)
	}
	r.rep.ExitCode, r.rep.Reason = int(plan.Code), why+"; "+res.Message
	return nil
}

// guard checks, right before an action, that the action is still this
// gate's to take: the lease is still held, and the workload still asks for
// the template judged (a newer deploy supersedes the gate, exit 6, and is
// left alone). The generation read then guards the patch itself.
func (r *run) guard(ctx context.Context, why string) (workload.Guard, error) {
	g := workload.Guard{DryRun: r.s.DryRun}
	if r.lock != nil {
		if err := r.lock.Lost(); err != nil {
			return g, fmt.Errorf("%s; not acting: the lock on %s could not be renewed, another gate may hold it now: %w", why, r.s.Target, err)
		}
	}
	st, err := r.observed(ctx)
	if err != nil {
		return g, err
	}
	if !st.Observed {
		return g, fmt.Errorf("%w: %s has a newer spec (generation %d) its controller has not observed yet; nothing was changed",
			workload.ErrSuperseded, r.s.Target, st.Generation)
	}
	if r.pin != nil {
		if newer := r.w.SupersededBy(st, r.pin); newer != "" {
			return g, fmt.Errorf("%w: %s moved to %s while revision %d was under gate; nothing was changed",
				workload.ErrSuperseded, r.s.Target, newer, r.pin.Revision)
		}
	}
	g.Generation, g.Read = st.Generation, st
	return g, nil
}

// apply performs one action on the workload and shows what it did.
func (r *run) apply(ctx context.Context, a workload.Action, g workload.Guard) (ActionResult, error) {
	var (
		c   workload.Change
		err error
	)
	switch a {
	case workload.ActionNone:
		c = workload.Change{Action: a, Message: fmt.Sprintf("policy: leave %s as it is", r.s.Target)}
	case workload.ActionHold:
		c, err = r.w.Hold(ctx, g)
	case workload.ActionPromote:
		c, err = r.w.Promote(ctx, r.pin, false, g)
	default:
		c, err = r.w.Rollback(ctx, r.pin, r.restore, g)
	}
	res := resultOf(c)
	if a == workload.ActionHold {
		res.Commands = r.followUps()
	}
	r.show(res)
	return res, err
}

// notePaused tells, on the action and so in the reason and every report,
// that a hold (or no action) leaves the Deployment paused at a canary step.
func (r *run) notePaused(res *ActionResult) {
	if r.step == nil || (res.Action != workload.ActionHold && res.Action != workload.ActionNone) {
		return
	}
	if res.Action == workload.ActionHold && res.Applied {
		r.step.paused = true // a hold while growing towards the step
	}
	if note := r.pausedNote(); note != "" {
		res.Message += "; " + note
		r.event(PhaseNext, "%s", note)
	}
}

// show puts an action's message and follow-ups on the timeline.
func (r *run) show(res ActionResult) {
	if res.Message != "" {
		r.event(Phase(res.Action), "%s", res.Message)
	}
	for _, c := range res.Commands {
		r.event(PhaseNext, "%s", c)
	}
}

// verify watches the workload after a rollback or abort until it serves
// the restored version, and after a promote that resumed a Deployment.
func (r *run) verify(ctx context.Context, res *ActionResult) error {
	switch res.Action {
	case workload.ActionRollback, workload.ActionPromote, workload.ActionPromoteFull, workload.ActionRetry, workload.ActionAbort:
	default:
		return nil
	}
	r.event(PhaseVerify, "watching %s until it is ready after the %s", r.s.Target, res.Action)
	vctx, cancel := r.progressClock(ctx)
	defer cancel()
	vr, err := r.watchVerify(vctx, res.Action)
	res.Verify = &vr
	r.obs.Diagnosis(vr.Diagnosis)
	if err == nil && vr.Verdict != readiness.Ready {
		err = fmt.Errorf("%s", vr.Reason)
	}
	if err != nil {
		return fmt.Errorf("the %s did not become healthy: %w", res.Action, err)
	}
	res.Message += "; verified: " + vr.Progress.Message
	return nil
}

// watchVerify waits for what the action should bring: the stable pods
// again after an abort, otherwise a completed rollout.
func (r *run) watchVerify(ctx context.Context, a workload.Action) (readiness.Result, error) {
	if stable := r.w.VerifyStable(); a == workload.ActionAbort && stable != nil {
		p, err := stable(ctx)
		res := readiness.Result{Progress: p, Verdict: readiness.Ready}
		if !p.Done {
			res.Verdict = readiness.TimedOut
			res.Reason = p.Message
		}
		return res, err
	}
	h := readiness.Hooks{Now: r.e.Now, Event: func(_, msg string) {
		r.event(PhaseVerify, "%s", strings.Replace(msg, "under gate: ", "now: ", 1))
	}}
	if a == workload.ActionPromoteFull {
		// Only a completed rollout verifies a full promotion: the status
		// read right after the patch may still show the step it skipped.
		h.Skip = func(p workload.Progress) bool { return p.Outcome != workload.OutcomeComplete }
	}
	return readiness.Watch(ctx, r.e.Cluster, r.w, r.s.Readiness, h, nil)
}

func upper(s string) string { return strings.ToUpper(s) }

// observed reads the workload, giving its controller a moment to observe a
// spec changed just now (its status follows within milliseconds) before the
// guard judges it.
func (r *run) observed(ctx context.Context) (*workload.State, error) {
	for i := 0; ; i++ {
		st, err := r.w.Get(ctx)
		if err != nil || st.Observed || i == 10 {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}
