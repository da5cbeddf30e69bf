package gate

import (
	"time"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
)

// Settings are everything a gate run is told, as plain values: resolved
// once from flags, environment and the gate file (config.Resolve), never
// re-read by the engine.
type Settings struct {
	Target workload.Target
	// Timeout is the gate's own wall clock for the whole run.
	Timeout   time.Duration
	Readiness readiness.Settings
	// Quota turns the ResourceQuota headroom preflight on.
	Quota     bool
	Preflight preflight.Settings
	Analysis  analysis.Settings
	// Canary are a plain Deployment's canary steps; none: the rollout is
	// judged once, complete.
	Canary []workload.Step
	Policy Policy
	// DryRun decides and reports, and writes nothing to the cluster (no
	// Lease either).
	DryRun bool
	// Holder names this gate in its Lease, so a second pipeline knows whom
	// it waits for.
	Holder string
	// Context is the --context given, for the copy-paste commands; "" when
	// the kubeconfig's current context applies.
	Context string
	// KubeContext is the kubeconfig context in use, for the report.
	KubeContext string
	// Warnings are troubles met while resolving the settings (a Slack
	// misconfiguration): recorded on the report first, never a verdict.
	Warnings []string
}

// Policy maps each verdict to an action.
type Policy struct {
	OnSuccess      workload.Action `json:"onSuccess"`
	OnFailure      workload.Action `json:"onFailure"`
	OnInconclusive workload.Action `json:"onInconclusive"`
	OnCancel       workload.Action `json:"onCancel"`
	// Release is what one target's failure does to the others when a run
	// gates several (RunRelease); atomic when unset.
	Release ReleasePolicy `json:"release,omitempty"`
}

// Default fills the policy's unset actions: promote on success, roll back
// on failure, hold when inconclusive or cancelled.
func (p *Policy) Default() {
	for _, f := range []struct {
		dst *workload.Action
		v   workload.Action
	}{{&p.OnSuccess, workload.ActionPromote}, {&p.OnFailure, workload.ActionRollback},
		{&p.OnInconclusive, workload.ActionHold}, {&p.OnCancel, workload.ActionHold}} {
		if *f.dst == "" {
			*f.dst = f.v
		}
	}
	if p.Release == "" {
		p.Release = ReleaseAtomic
	}
}
