package gate

import (
	"context"
	"fmt"

	"github.com/rollgate/rollgate/gate/workload"
)

// Manual is a person's follow-up to a held gate: promote (full: every
// remaining step), hold or rollback of what runs now, through the same
// actions, lock and report as Run.
func (e *Engine) Manual(ctx context.Context, s Settings, a workload.Action, full bool) (*Report, error) {
	r, err := e.start(string(a), s)
	if err != nil {
		return r.finish(err)
	}
	r.event(PhaseResolve, "%s in namespace %s, context %q", s.Target, s.Target.Namespace, s.KubeContext)
	return r.finish(r.manual(ctx, a, full))
}

var manualDecisions = map[workload.Action]string{
	workload.ActionPromote: DecisionPromoted, workload.ActionHold: DecisionHeld, workload.ActionRollback: DecisionRolledBack,
}

func (r *run) manual(ctx context.Context, a workload.Action, full bool) error {
	decision, ok := manualDecisions[a]
	if !ok {
		return BadInput("unknown action %q: use promote, hold or rollback", a)
	}
	st, pin, err := workload.CurrentPin(ctx, r.w)
	if err != nil {
		return err
	}
	release, err := r.acquire(ctx, st.Generation)
	if err != nil {
		return err
	}
	defer release()
	r.setPin(pin)
	r.event(PhaseResolve, "%s", pin)
	if s, m, ok := r.atStep(st); ok && a == workload.ActionPromote && !full && !m.Last() {
		return r.nextStep(ctx, s, m)
	}
	res, err := r.manualAct(ctx, st, a, full)
	r.rep.Action, r.rep.Decision = &res, decision
	if err == nil && res.Applied {
		if err = r.verify(ctx, &res); err != nil && ctx.Err() != nil {
			return fmt.Errorf("%w: %s; cancelled while verifying it: not verified", ErrCancelled, res.Message)
		}
	}
	if err != nil {
		res.Error = err.Error()
		r.rep.Decision = DecisionError
		return err
	}
	r.rep.Reason = res.Message
	return nil
}

func (r *run) manualAct(ctx context.Context, st *workload.State, a workload.Action, full bool) (ActionResult, error) {
	switch a {
	case workload.ActionPromote:
		c, err := r.w.Promote(ctx, r.pin, full, workload.Guard{DryRun: r.s.DryRun, Generation: st.Generation})
		res := resultOf(c)
		r.show(res)
		return res, err
	case workload.ActionHold:
		return r.apply(ctx, a, workload.Guard{DryRun: r.s.DryRun, Generation: st.Generation})
	}
	// A rollback of a workload rollgate already rolled back to what runs
	// now is done.
	if rec := workload.RecordOf(st); rec.RolledBackTo != "" && rec.RolledBackTo == r.pin.TemplateHash {
		res := ActionResult{Action: workload.ActionRollback,
			Message: fmt.Sprintf("%s was already rolled back by rollgate from revision %s: nothing to do", r.s.Target, rec.RolledBackFrom)}
		r.show(res)
		return res, nil
	}
	to, err := r.w.Restore(ctx, st, r.pin)
	if err != nil {
		return ActionResult{Action: a}, err
	}
	r.restore = to
	return r.apply(ctx, a, workload.Guard{DryRun: r.s.DryRun, Generation: st.Generation})
}
