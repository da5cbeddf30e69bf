package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/notify"
	"github.com/rollgate/rollgate/promql"
)

// Validate returns every problem of a defaulted config, each with its field
// path. It is the one place cross-field rules live.
func (c *Config) Validate() Problems {
	var ps Problems
	if c.APIVersion != APIVersion {
		ps.add("apiVersion", "must be %s, not %q", APIVersion, c.APIVersion)
	}
	if c.Kind != Kind {
		ps.add("kind", "must be %s, not %q", Kind, c.Kind)
	}
	c.validateTarget(&ps)
	c.validateTargets(&ps)
	positive(&ps, "timeout", c.Timeout)
	positive(&ps, "readiness.progressTimeout", c.Readiness.ProgressTimeout)
	if g := c.Readiness.Grace; g != nil {
		nonNegative(&ps, "readiness.grace", *g)
	}
	if g := c.Readiness.UnschedulableGrace; g != nil {
		nonNegative(&ps, "readiness.unschedulableGrace", *g)
	}
	nonNegativeInt(&ps, "readiness.maxRestarts", c.Readiness.MaxRestarts)
	c.validatePreflight(&ps)
	c.validateAnalysis(&ps)
	c.validateCanary(&ps)
	c.validatePolicy(&ps)
	c.validateNotify(&ps)
	return ps.at(c.lines)
}

func (c *Config) validateTarget(ps *Problems) {
	t := c.Target
	if t.Kind != "" {
		if _, err := workload.ParseKind(t.Kind); err != nil {
			ps.add("target.kind", "%v", err)
		}
	}
	if t.Name != "" {
		for _, m := range workload.ValidateName(t.Name) {
			ps.add("target.name", "%s", m)
		}
	}
	if t.Namespace != "" {
		for _, m := range workload.ValidateNamespace(t.Namespace) {
			ps.add("target.namespace", "%s", m)
		}
	}
}

func (c *Config) validatePreflight(ps *Problems) {
	p := c.Preflight
	for field, l := range map[string]preflight.Level{
		"mutableImage": p.MutableImage, "missingRequests": p.MissingRequests,
		"missingLimits": p.MissingLimits, "missingReadinessProbe": p.MissingReadinessProbe,
		"livenessWithoutReadiness": p.LivenessWithoutReadiness, "missingPDB": p.MissingPDB,
		"serviceAccountToken": p.ServiceAccountToken, "replicasForHA": p.ReplicasForHA,
	} {
		if !slices.Contains([]preflight.Level{preflight.LevelOff, preflight.LevelWarn, preflight.LevelFail}, l) {
			ps.add("preflight."+field, "must be off, warn or fail, not %q", l)
		}
	}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *Config) validateAnalysis(ps *Problems) {
	a := c.Analysis
	if len(a.Checks) == 0 {
		a.Prometheus.validateURL(ps)
		return
	}
	a.Prometheus.validate(ps)
	nonNegative(ps, "analysis.initialDelay", a.InitialDelay)
	if a.Interval.Duration < time.Second {
		ps.add("analysis.interval", "must be at least 1s, not %s", a.Interval)
	}
	if a.Count != nil {
		if *a.Count < 1 {
			ps.add("analysis.count", "must be at least 1, not %d", *a.Count)
		}
		if a.Duration.Duration != 0 {
			ps.add("analysis.duration", "set duration or count, not both")
		}
	} else if a.Duration.Duration < a.Interval.Duration {
		ps.add("analysis.duration", "must be at least one interval (%s), not %s", a.Interval, a.Duration)
	}
	nonNegativeInt(ps, "analysis.failureLimit", a.FailureLimit)
	nonNegativeInt(ps, "analysis.inconclusiveLimit", a.InconclusiveLimit)
	nonNegativeInt(ps, "analysis.consecutiveErrorLimit", a.ConsecutiveErrorLimit)
	c.validateChecks(ps)
	for k := range a.Vars {
		if slices.Contains(promql.BuiltIn, k) {
			ps.add("analysis.vars."+k, "is a built-in variable; pick another name")
		}
	}
}

// validateChecks validates each check by its judge, and the rules a
// sequential check puts on the analysis.
func (c *Config) validateChecks(ps *Problems) {
	a := c.Analysis
	seen, sequential := map[string]int{}, false
	for i, ch := range a.Checks {
		path := fmt.Sprintf("analysis.checks[%d]", i)
		if j, dup := seen[ch.Name]; dup && ch.Name != "" {
			ps.add(path+".name", "%q is already the name of analysis.checks[%d]", ch.Name, j)
		}
		seen[ch.Name] = i
		switch ch.Judge {
		case analysis.JudgeSequential:
			validateSequential(ch, ps, path, a.Vars)
			sequential = true
		case "", analysis.JudgeStatic:
			validateCheck(ch, ps, path)
			validateQueries(ch, ps, path, a.Vars)
		default:
			ps.add(path+".judge", "must be static or sequential, not %q", ch.Judge)
		}
	}
	if sequential && a.Interval.Duration%time.Second != 0 {
		ps.add("analysis.interval", "must be a whole number of seconds with a sequential check (its windows are anchored in seconds), not %s", a.Interval)
	}
}

// validateQueries renders the check with placeholder values, as a run
// would, and parses every query with Prometheus' parser: unknown
// variables and PromQL syntax errors surface here, offline.
func validateQueries(ch analysis.Check, ps *Problems, path string, fileVars map[string]string) {
	s, err := ch.Spec(promql.Placeholders(nil), fileVars)
	if err != nil {
		field, msg, ok := strings.Cut(err.Error(), ": ")
		if !ok || (field != "query" && field != "baseline" && field != "sampleQuery") {
			field, msg = "use", err.Error()
		}
		ps.add(path+"."+field, "%s", msg)
		return
	}
	for field, q := range map[string]string{"query": s.Query, "baseline": s.Baseline, "sampleQuery": s.SampleQuery} {
		if q == "" {
			continue
		}
		if err := promql.CheckSyntax(q); err != nil {
			ps.add(path+"."+field, "%v", err)
		}
	}
}

func validateCheck(ch analysis.Check, ps *Problems, path string) {
	validateName(ch, ps, path)
	for _, f := range sequentialFields(ch) {
		ps.add(path+"."+f, "is a field of a sequential check: add judge: sequential or drop %s", f)
	}
	validateThresholds(ch, ps, path)
}

func validateName(ch analysis.Check, ps *Problems, path string) {
	if ch.Name == "" {
		ps.add(path+".name", "is required")
	} else if msgs := validation.IsDNS1123Label(ch.Name); len(msgs) > 0 {
		ps.add(path+".name", "must be lowercase letters, digits and '-' (it names the check in reports), not %q", ch.Name)
	}
}

func validateThresholds(ch analysis.Check, ps *Problems, path string) {
	if ch.Use != "" {
		if ch.Query != "" || ch.SampleQuery != "" {
			ps.add(path+".use", "a ready-made check brings its own queries: drop query and sampleQuery")
		}
	} else {
		if strings.TrimSpace(ch.Query) == "" {
			ps.add(path+".query", "is required (or use a ready-made check with use:)")
		}
		if ch.Max == nil && ch.Min == nil && ch.Baseline == "" {
			ps.add(path, "needs a threshold: max, min, or baseline with maxRatio/maxDelta")
		}
	}
	if ch.Max != nil && ch.Min != nil && *ch.Min > *ch.Max {
		ps.add(path+".min", "must not be greater than max (%g > %g)", *ch.Min, *ch.Max)
	}
	if ch.Baseline != "" && ch.MaxRatio == nil && ch.MaxDelta == nil {
		ps.add(path+".baseline", "needs maxRatio and/or maxDelta to compare against")
	}
	if ch.Baseline == "" && (ch.MaxRatio != nil || ch.MaxDelta != nil) {
		ps.add(path+".baseline", "is required when maxRatio or maxDelta is set")
	}
	if ch.MaxRatio != nil && *ch.MaxRatio <= 0 {
		ps.add(path+".maxRatio", "must be greater than 0, not %g", *ch.MaxRatio)
	}
	if ch.MaxDelta != nil && *ch.MaxDelta < 0 {
		ps.add(path+".maxDelta", "must not be negative, not %g", *ch.MaxDelta)
	}
	if ch.MinSamples != nil {
		if *ch.MinSamples < 0 {
			ps.add(path+".minSamples", "must not be negative, not %g", *ch.MinSamples)
		}
		if ch.SampleQuery == "" && ch.Use == "" {
			ps.add(path+".sampleQuery", "is required when minSamples is set")
		}
	}
	oneOf(ps, path+".noData", ch.NoData, analysis.NoDataPass, analysis.NoDataFail, analysis.NoDataInconclusive)
	oneOf(ps, path+".series", ch.Series, analysis.SeriesSingle, analysis.SeriesEach)
}

// validateCanary checks the steps on their own; a step larger than
// spec.replicas, or a percent step that does not grow at the current
// replicas, is told at run time (workload.StepSizes).
func (c *Config) validateCanary(ps *Problems) {
	steps := c.Canary.Steps
	if len(steps) == 0 {
		return
	}
	if k, err := workload.ParseKind(c.Target.Kind); err == nil && k == workload.KindRollout && c.Target.Kind != "" {
		ps.add("canary", "applies to plain Deployments only: an Argo Rollout has its own steps (spec.strategy.canary.steps), which rollgate judges one by one; drop canary:")
		return
	}
	prevReplicas, prevPercent := 0, 0
	for i, s := range steps {
		path := fmt.Sprintf("canary.steps[%d]", i)
		switch {
		case (s.Replicas == nil) == (s.Percent == nil):
			ps.add(path, "needs replicas or percent, exactly one of them")
			continue
		case s.Replicas != nil && *s.Replicas < 1:
			ps.add(path+".replicas", "must be at least 1, not %d", *s.Replicas)
		case s.Percent != nil && (*s.Percent < 1 || *s.Percent > 100):
			ps.add(path+".percent", "must be 1 to 100, not %d", *s.Percent)
		case s.Replicas != nil && *s.Replicas <= prevReplicas:
			ps.add(path+".replicas", "must be more than the step before (%d): each step must grow", prevReplicas)
		case s.Percent != nil && *s.Percent <= prevPercent:
			ps.add(path+".percent", "must be more than the step before (%d%%): each step must grow", prevPercent)
		}
		if s.Replicas != nil {
			prevReplicas = max(prevReplicas, *s.Replicas)
		} else {
			prevPercent = max(prevPercent, *s.Percent)
		}
		nonNegative(ps, path+".analysis", s.Analysis)
		if s.Analysis.Duration > 0 && s.Analysis.Duration < c.Analysis.Interval.Duration {
			ps.add(path+".analysis", "must be at least one interval (%s), not %s", c.Analysis.Interval, s.Analysis)
		}
	}
}

func (c *Config) validatePolicy(ps *Problems) {
	p := c.Policy
	for _, r := range []struct {
		field   string
		v       workload.Action
		allowed []workload.Action
	}{
		{"onSuccess", p.OnSuccess, []workload.Action{workload.ActionPromote, workload.ActionHold, workload.ActionNone}},
		{"onFailure", p.OnFailure, []workload.Action{workload.ActionRollback, workload.ActionHold, workload.ActionNone}},
		{"onInconclusive", p.OnInconclusive, []workload.Action{workload.ActionHold, workload.ActionPromote, workload.ActionRollback, workload.ActionNone}},
		{"onCancel", p.OnCancel, []workload.Action{workload.ActionHold, workload.ActionRollback, workload.ActionNone}},
	} {
		if !slices.Contains(r.allowed, r.v) {
			ps.add("policy."+r.field, "must be one of %s, not %q", joinActions(r.allowed), r.v)
		}
	}
	if p.Release != gate.ReleaseAtomic && p.Release != gate.ReleaseIndependent {
		ps.add("policy.release", "must be atomic (one target failing rolls back the release) or independent, not %q", p.Release)
	}
}

func (c *Config) validateNotify(ps *Problems) {
	s := c.Notify.Slack
	if s == nil {
		return
	}
	// Both may be set: the bot message and the webhook message are both sent.
	if s.TokenEnv == "" && s.WebhookEnv == "" {
		ps.add("notify.slack", "needs tokenEnv (bot token), webhookEnv (incoming webhook) or both")
	}
	if s.TokenEnv != "" && s.Channel == "" {
		ps.add("notify.slack.channel", "is required with tokenEnv: set it, e.g. \"#deploys\" (or pass --slack-channel)")
	}
	envVar(ps, "notify.slack.tokenEnv", s.TokenEnv)
	envVar(ps, "notify.slack.webhookEnv", s.WebhookEnv)
	if s.APIURL != "" {
		if u, err := url.Parse(s.APIURL); err != nil || u.Host == "" {
			ps.add("notify.slack.apiURL", "must be a URL like https://slack.com/api/, not %q", s.APIURL)
		}
	}
	for i, e := range s.Events {
		oneOf(ps, fmt.Sprintf("notify.slack.events[%d]", i), e, notify.SlackEvents...)
	}
	positive(ps, "notify.slack.updateInterval", s.UpdateInterval)
}

func oneOf(ps *Problems, path, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		ps.add(path, "must be one of %s, not %q", strings.Join(allowed, ", "), v)
	}
}

func positive(ps *Problems, path string, d Duration) {
	if d.Duration <= 0 {
		ps.add(path, "must be a positive duration, not %s", d)
	}
}

func nonNegative(ps *Problems, path string, d Duration) {
	if d.Duration < 0 {
		ps.add(path, "must not be negative, not %s", d)
	}
}

func nonNegativeInt(ps *Problems, path string, n *int) {
	if n != nil && *n < 0 {
		ps.add(path, "must not be negative, not %d", *n)
	}
}

func joinActions(as []workload.Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
