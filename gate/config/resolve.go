package config

import (
	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/notify"
)

// Settings turns a defaulted, validated gate file into the engine's plain
// settings. t is the target, settled by the caller (its namespace too).
func (c *Config) Settings(t workload.Target) gate.Settings {
	a := c.Analysis
	as := analysis.Settings{InitialDelay: a.InitialDelay.Duration, Interval: a.Interval.Duration, Duration: a.Duration.Duration,
		Limits: analysis.Limits{Failure: *a.FailureLimit, Inconclusive: *a.InconclusiveLimit, ConsecutiveError: *a.ConsecutiveErrorLimit},
		Vars:   a.Vars, Checks: a.Checks}
	if a.Count != nil {
		as.Count = *a.Count
	}
	return gate.Settings{
		Target:  t,
		Timeout: c.Timeout.Duration,
		Readiness: readiness.Settings{ProgressTimeout: c.Readiness.ProgressTimeout.Duration,
			MaxRestarts: int32(*c.Readiness.MaxRestarts), Grace: c.Readiness.Grace.Duration,
			UnschedulableGrace: c.Readiness.UnschedulableGrace.Duration},
		Quota:     *c.Quota.Preflight,
		Preflight: c.Preflight,
		Analysis:  as,
		Canary:    c.steps(),
		Policy:    c.Policy,
	}
}

func (c *Config) steps() []workload.Step {
	var out []workload.Step
	for _, s := range c.Canary.Steps {
		st := workload.Step{Analysis: s.Analysis.Duration}
		if s.Replicas != nil {
			st.Replicas = int32(*s.Replicas)
		}
		if s.Percent != nil {
			st.Percent = int32(*s.Percent)
		}
		out = append(out, st)
	}
	return out
}

// TargetOf is the file's target (after a TARGET argument was laid over
// it); ok is false when none is named.
func (c *Config) TargetOf() (workload.Target, bool) {
	if c.Target.Name == "" {
		return workload.Target{}, false
	}
	kind := workload.KindDeployment
	if c.Target.Kind != "" {
		kind, _ = workload.ParseKind(c.Target.Kind) // validated
	}
	return workload.Target{Kind: kind, Name: c.Target.Name, Namespace: c.Target.Namespace}, true
}

// SlackSettings is who is told, nil when nobody is.
func (c *Config) SlackSettings() *notify.Slack {
	s := c.Notify.Slack
	if s == nil {
		return nil
	}
	return &notify.Slack{Channel: s.Channel, TokenEnv: s.TokenEnv, WebhookEnv: s.WebhookEnv, APIURL: s.APIURL,
		Events: s.Events, MentionOnFailure: s.MentionOnFailure, UpdateInterval: s.UpdateInterval.Duration}
}
