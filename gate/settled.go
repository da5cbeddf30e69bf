package gate

import (
	"context"
	"fmt"

	"github.com/rollgate/rollgate/gate/workload"
)

// alreadyDone recognises a rerun after rollgate already promoted or rolled
// back this template: it reports the state and acts no second time. The
// workload's status counts only when its controller observed the current
// spec (a fresh apply right after a promotion is gated, not reported done).
func (r *run) alreadyDone(ctx context.Context, st *workload.State) (bool, error) {
	rec := workload.RecordOf(st)
	if rec.RolledBackTo == "" && rec.VerifiedHash == "" {
		return false, nil // rollgate never acted on it
	}
	_, pin, err := workload.CurrentPin(ctx, r.w)
	if err != nil {
		return false, nil // not observed yet: gate it
	}
	switch {
	case rec.RolledBackTo != "" && rec.RolledBackTo == pin.TemplateHash:
		r.setPin(pin)
		return true, r.settled(DecisionRolledBack, workload.ActionRollback, fmt.Sprintf(
			"revision %s was already rolled back by rollgate to pod-template-hash %s (now revision %d): nothing to do",
			rec.RolledBackFrom, pin.TemplateHash, pin.Revision))
	case rec.VerifiedHash == pin.TemplateHash && r.w.Progress(st).Done:
		r.setPin(pin)
		return true, r.settled(DecisionPromoted, workload.ActionPromote, fmt.Sprintf(
			"%s revision %d (pod-template-hash %s) is already verified and promoted: nothing to do", r.s.Target, pin.Revision, pin.TemplateHash))
	}
	return false, nil
}

// settled records a state rollgate already brought about. A rerun after a
// rollback exits 1: a retried CI job must not turn green while the bad
// release is gone.
func (r *run) settled(decision string, a workload.Action, msg string) error {
	r.rep.Decision, r.rep.Reason, r.rep.DecidedBy = decision, msg, PhaseState
	r.rep.Action = &ActionResult{Action: a, Message: msg}
	r.event(PhaseState, "%s", msg)
	if decision == DecisionRolledBack {
		r.rep.ExitCode = int(ExitFailed)
	}
	return nil
}
