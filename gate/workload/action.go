package workload

import "errors"

// Action is what rollgate does to a workload.
type Action string

// The actions: the policy's four, and the Rollout's own.
const (
	ActionPromote     Action = "promote"
	ActionHold        Action = "hold"
	ActionRollback    Action = "rollback"
	ActionNone        Action = "none"
	ActionPromoteFull Action = "promote-full"
	ActionAbort       Action = "abort"
	ActionRetry       Action = "retry"
	ActionResume      Action = "resume"
)

// Guard makes an action conditional on what the gate observed.
type Guard struct {
	// DryRun decides and describes the action, and sends nothing.
	DryRun bool
	// Generation, when not zero, is metadata.generation when the gate last
	// checked the template under gate: the action applies only while the
	// object is still at it (a JSON-patch test where the kind allows one).
	Generation int64
	// Read, when set, is the object as the gate read it to check the
	// template at Generation. A kind whose patch tests the generation
	// (a Deployment's JSON patch) builds on it instead of reading again.
	Read *State
}

var (
	// ErrSuperseded: a newer revision replaced the one under gate; nothing
	// was changed (exit 6).
	ErrSuperseded = errors.New("superseded")
	// ErrCannotAct: the action is impossible in the workload's state (no
	// previous revision to roll back to, no stable ReplicaSet to abort to).
	ErrCannotAct = errors.New("cannot act")
)

// Change is what one action did (or, under dry run, would do) to the
// workload.
type Change struct {
	Action Action `json:"action"`
	// Applied is false under dry run and when the workload was already in
	// the wanted state (a rerun after a completed rollback).
	Applied bool   `json:"applied"`
	Message string `json:"message"`
}
