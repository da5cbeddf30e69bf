package gate

import "fmt"

// Verdict is what a gate concluded about the revision under gate, before
// the policy turns it into an action.
type Verdict string

const (
	VerdictPassed       Verdict = "passed"
	VerdictFailed       Verdict = "failed"
	VerdictInconclusive Verdict = "inconclusive"
	VerdictCancelled    Verdict = "cancelled"
)

// DecisionInconclusive is the decision when an inconclusive gate was left
// as it is (onInconclusive: none).
const DecisionInconclusive = "inconclusive"

// Plan is what to do about a verdict: the action, the exit code of the CI
// contract and the decision reported.
type Plan struct {
	Verdict  Verdict
	Action   string
	Code     ExitCode
	Decision string
}

// PlanFor applies the policy to a verdict. The exit code follows what the
// workload is left running: promoted 0, rolled back (or failed and left
// alone) 1, held 3; a cancelled gate always exits 5 whatever onCancel did.
func PlanFor(v Verdict, p Policy) Plan {
	var action string
	switch v {
	case VerdictPassed:
		action = p.OnSuccess
	case VerdictFailed:
		action = p.OnFailure
	case VerdictInconclusive:
		action = p.OnInconclusive
	case VerdictCancelled:
		return Plan{Verdict: v, Action: p.OnCancel, Code: ExitCancelled, Decision: DecisionCancelled}
	default:
		panic(fmt.Sprintf("gate: unknown verdict %q", v))
	}
	plan := Plan{Verdict: v, Action: action}
	switch action {
	case ActionPromote:
		plan.Code, plan.Decision = ExitPassed, DecisionPromoted
	case ActionRollback:
		plan.Code, plan.Decision = ExitFailed, DecisionRolledBack
	case ActionHold:
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
