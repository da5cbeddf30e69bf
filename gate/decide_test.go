package gate

import (
	"testing"

	. "github.com/rollgate/rollgate/gate/workload"
)

func TestPlanFor(t *testing.T) {
	def := Policy{OnSuccess: ActionPromote, OnFailure: ActionRollback, OnInconclusive: ActionHold, OnCancel: ActionHold}
	none := Policy{OnSuccess: ActionNone, OnFailure: ActionNone, OnInconclusive: ActionNone, OnCancel: ActionNone}
	tests := []struct {
		name     string
		verdict  Verdict
		policy   Policy
		action   Action
		code     ExitCode
		decision string
	}{
		{"a passed gate is promoted and exits 0", VerdictPassed, def, ActionPromote, ExitPassed, DecisionPromoted},
		{"a failed gate is rolled back and exits 1", VerdictFailed, def, ActionRollback, ExitFailed, DecisionRolledBack},
		{"an inconclusive gate is held and exits 3", VerdictInconclusive, def, ActionHold, ExitHeld, DecisionHeld},
		{"a cancelled gate is held and exits 5", VerdictCancelled, def, ActionHold, ExitCancelled, DecisionCancelled},
		{"a cancelled gate rolled back by policy still exits 5", VerdictCancelled, Policy{OnCancel: ActionRollback}, ActionRollback, ExitCancelled, DecisionCancelled},
		{"a failure held by policy exits 3", VerdictFailed, Policy{OnFailure: ActionHold}, ActionHold, ExitHeld, DecisionHeld},
		{"a pass held by policy exits 3", VerdictPassed, Policy{OnSuccess: ActionHold}, ActionHold, ExitHeld, DecisionHeld},
		{"an inconclusive gate promoted by policy exits 0", VerdictInconclusive, Policy{OnInconclusive: ActionPromote}, ActionPromote, ExitPassed, DecisionPromoted},
		{"an inconclusive gate rolled back by policy exits 1", VerdictInconclusive, Policy{OnInconclusive: ActionRollback}, ActionRollback, ExitFailed, DecisionRolledBack},
		{"a failure left alone (onFailure none) still exits 1", VerdictFailed, none, ActionNone, ExitFailed, DecisionFailed},
		{"a pass left alone exits 0", VerdictPassed, none, ActionNone, ExitPassed, "passed"},
		{"an inconclusive gate left alone exits 3", VerdictInconclusive, none, ActionNone, ExitHeld, DecisionInconclusive},
		{"a rollout waiting on a human is held whatever the policy says", VerdictWaiting, Policy{OnInconclusive: ActionRollback, OnFailure: ActionRollback}, ActionHold, ExitHeld, DecisionHeld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanFor(tt.verdict, tt.policy)
			if p.Action != tt.action || p.Code != tt.code || p.Decision != tt.decision {
				t.Errorf("PlanFor(%s) = %s/%d/%s, want %s/%d/%s", tt.verdict, p.Action, p.Code, p.Decision, tt.action, tt.code, tt.decision)
			}
		})
	}
}
