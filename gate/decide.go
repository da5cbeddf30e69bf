package gate

import (
	"fmt"

	"github.com/rollgate/rollgate/gate/workload"
)

// Verdict is what a gate concluded about the revision under gate, before
// the policy turns it into an action.
type Verdict string

const (
	VerdictPassed       Verdict = "passed"
	VerdictFailed       Verdict = "failed"
	VerdictInconclusive Verdict = "inconclusive"
	VerdictCancelled    Verdict = "cancelled"
	// VerdictWaiting: the rollout waits on a human (a paused Deployment,
	// Argo's manual gates and inconclusive pauses): it is held whatever
	// the policy says, never rolled back or promoted.
	VerdictWaiting Verdict = "waiting"
)

// Decisions: what happened, for people and CI conditions.
const (
	DecisionPromoted     = "promoted"
	DecisionRolledBack   = "rolled-back"
	DecisionHeld         = "held"
	DecisionFailed       = "failed" // failed, and policy said not to roll back
	DecisionCancelled    = "cancelled"
	DecisionSuperseded   = "superseded"
	DecisionError        = "error"
	DecisionInconclusive = "inconclusive" // inconclusive, left as it is (onInconclusive: none)
)

// Plan is what to do about a verdict: the action, the exit code of the CI
// contract and the decision reported.
type Plan struct {
	Verdict  Verdict
	Action   workload.Action
	Code     ExitCode
	Decision string
}

// PlanFor applies the policy to a verdict. The exit code follows what the
// workload is left running: promoted 0, rolled back (or failed and left
// alone) 1, held 3; a cancelled gate always exits 5 whatever onCancel did.
func PlanFor(v Verdict, p Policy) Plan {
	var action workload.Action
	switch v {
	case VerdictPassed:
		action = p.OnSuccess
	case VerdictFailed:
		action = p.OnFailure
	case VerdictInconclusive:
		action = p.OnInconclusive
	case VerdictCancelled:
		return Plan{Verdict: v, Action: p.OnCancel, Code: ExitCancelled, Decision: DecisionCancelled}
	case VerdictWaiting:
		return Plan{Verdict: v, Action: workload.ActionHold, Code: ExitHeld, Decision: DecisionHeld}
	default:
		panic(fmt.Sprintf("gate: unknown verdict %q", v))
	}
	plan := Plan{Verdict: v, Action: action}
	switch action {
	case workload.ActionPromote:
		plan.Code, plan.Decision = ExitPassed, DecisionPromoted
	case workload.ActionRollback:
		plan.Code, plan.Decision = ExitFailed, DecisionRolledBack
	case workload.ActionHold:
		plan.Code, plan.Decision = ExitHeld, DecisionHeld
	default: // none: report the verdict, touch nothing
		switch v {
		case VerdictPassed:
			plan.Code, plan.Decision = ExitPassed, string(VerdictPassed)
		case VerdictFailed:
			plan.Code, plan.Decision = ExitFailed, DecisionFailed
		default:
			plan.Code, plan.Decision = ExitHeld, DecisionInconclusive
		}
	}
	return plan
}
