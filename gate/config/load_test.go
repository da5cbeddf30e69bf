package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/workload"
)

const header = "apiVersion: rollgate.dev/v1alpha1\nkind: Gate\n"

const promOK = "analysis:\n  prometheus: {url: http://prom:9090}\n  checks:\n"

func problemsOf(t *testing.T, yml string) []string {
	t.Helper()
	cfg, err := Parse([]byte(yml))
	if err != nil {
		ps, ok := err.(Problems)
		if !ok {
			t.Fatalf("Parse returned %T %v, want Problems", err, err)
		}
		return lines(ps)
	}
	cfg.Default()
	return lines(cfg.Validate())
}

func lines(ps Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestParseAndValidateReportEveryProblemWithItsPath(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		want []string // each must appear in some problem, in any order
	}{
		{"an unknown field names its path and the known fields",
			header + "readiness: {progressTimeout: 1m, maxRestart: 2}\n",
			[]string{"readiness.maxRestart: unknown field (known: grace, maxRestarts, progressTimeout, unschedulableGrace)"}},
		{"an unknown top-level field is an error too",
			header + "target_s: {name: api}\n", []string{"target_s: unknown field"}},
		{"a bad duration names the field and the value",
			header + "timeout: 15 minutes\n", []string{`timeout: must be a duration like 30s or 5m, not "15 minutes"`}},
		{"a number where a duration belongs is refused",
			header + "timeout: 15\n", []string{"timeout: must be a duration like 30s or 5m, not the number 15"}},
		{"a string threshold in the second check",
			header + promOK + "    - {name: a, query: up, max: 1}\n    - {name: b, query: up, max: high}\n",
			[]string{`analysis.checks[1].max: must be a number, not the string "high"`}},
		{"a negative unschedulableGrace",
			header + "readiness: {unschedulableGrace: -1s}\n",
			[]string{"readiness.unschedulableGrace: must not be negative, not -1s"}},
		{"a negative limit",
			header + promOK + "    - {name: a, query: up, max: 1}\n  failureLimit: -1\n",
			[]string{"analysis.failureLimit: must not be negative, not -1"}},
		{"a fractional count is not a whole number",
			header + promOK + "    - {name: a, query: up, max: 1}\n  count: 2.5\n",
			[]string{"analysis.count: must be a whole number, not the number 2.5"}},
		{"a missing query",
			header + promOK + "    - {name: errors, max: 0.01}\n",
			[]string{"analysis.checks[0].query: is required"}},
		{"several problems are all reported",
			header + "timeout: -5s\nreadiness: {maxRestarts: -1}\npolicy: {onFailure: explode}\n",
			[]string{"timeout: must be a positive duration, not -5s", "readiness.maxRestarts: must not be negative",
				`policy.onFailure: must be one of rollback, hold, none, not "explode"`}},
		{"the wrong apiVersion and kind",
			"apiVersion: v1\nkind: Pod\n", []string{`apiVersion: must be rollgate.dev/v1alpha1, not "v1"`, `kind: must be Gate, not "Pod"`}},
		{"checks without a Prometheus URL",
			header + "analysis:\n  checks:\n    - {name: a, query: up, max: 1}\n", []string{"analysis.prometheus.url: is required"}},
		{"a Prometheus URL with credentials in it",
			header + "analysis:\n  prometheus: {url: 'http://u:p@prom:9090'}\n  checks:\n    - {name: a, query: up, max: 1}\n",
			[]string{"analysis.prometheus.url: must not carry credentials"}},
		{"a check without any threshold",
			header + promOK + "    - {name: a, query: up}\n", []string{"analysis.checks[0]: needs a threshold"}},
		{"a baseline without a ratio or delta",
			header + promOK + "    - {name: a, query: up, baseline: up}\n", []string{"analysis.checks[0].baseline: needs maxRatio and/or maxDelta"}},
		{"minSamples without a sample query",
			header + promOK + "    - {name: a, query: up, max: 1, minSamples: 10}\n", []string{"analysis.checks[0].sampleQuery: is required when minSamples is set"}},
		{"duplicate check names",
			header + promOK + "    - {name: a, query: up, max: 1}\n    - {name: a, query: up, max: 2}\n",
			[]string{`analysis.checks[1].name: "a" is already the name of analysis.checks[0]`}},
		{"an unknown noData policy",
			header + promOK + "    - {name: a, query: up, max: 1, noData: ignore}\n", []string{`analysis.checks[0].noData: must be one of pass, fail, inconclusive`}},
		{"a preflight level that is not off, warn or fail",
			header + "preflight: {mutableImage: error}\n", []string{`preflight.mutableImage: must be off, warn or fail, not "error"`}},
		{"a secret written where an env var name belongs",
			header + "notify:\n  slack: {channel: '#d', tokenEnv: 'xoxb-123-abc'}\n", []string{"notify.slack.tokenEnv: looks like a Slack token, not the name of an environment variable"}},
		{"slack with neither token nor webhook",
			header + "notify:\n  slack: {channel: '#d'}\n", []string{"notify.slack: needs tokenEnv"}},
		{"a bot token without a channel",
			header + "notify:\n  slack: {tokenEnv: SLACK_BOT_TOKEN, webhookEnv: SLACK_WEBHOOK_URL}\n", []string{"notify.slack.channel: is required with tokenEnv"}},
		{"a list where a mapping belongs",
			header + "target: [api]\n", []string{"target: must be a mapping, not a list"}},
		{"an invalid target name",
			header + "target: {name: Api_1}\n", []string{"target.name: \"Api_1\" is not a valid name: use lowercase letters"}},
		{"a PromQL syntax error names the field and the parser's position",
			header + promOK + "    - {name: a, query: 'sum(rate(x[1m])', max: 1}\n", []string{"analysis.checks[0].query: PromQL: 1:16: parse error: unclosed left parenthesis"}},
		{"an unknown template variable is named",
			header + promOK + "    - {name: a, query: 'x{pod=~\"{{.CanaryPod}}\"}', max: 1}\n", []string{`analysis.checks[0].query: template:`, `"CanaryPod"`}},
		{"a bad baseline is reported on the baseline",
			header + promOK + "    - {name: a, query: x, baseline: 'x{', maxRatio: 1.2}\n", []string{"analysis.checks[0].baseline: PromQL:"}},
		{"an unknown ready-made check",
			header + promOK + "    - {name: a, use: error-budget}\n", []string{`analysis.checks[0].use: unknown ready-made check "error-budget" (known: latency-p99, success-rate)`}},
		{"a variable shadowing a built-in",
			header + promOK + "    - {name: a, query: up, max: 1}\n  vars: {Namespace: x}\n", []string{"analysis.vars.Namespace: is a built-in variable"}},
		{"canary steps that do not grow",
			header + "canary:\n  steps:\n  - {replicas: 2}\n  - {replicas: 2}\n", []string{"canary.steps[1].replicas: must be more than the step before (2)"}},
		{"a canary percent over 100",
			header + "canary:\n  steps:\n  - {percent: 120}\n", []string{"canary.steps[0].percent: must be 1 to 100, not 120"}},
		{"a canary step with both replicas and percent",
			header + "canary:\n  steps:\n  - {replicas: 1, percent: 10}\n", []string{"canary.steps[0]: needs replicas or percent, exactly one of them"}},
		{"a canary step with neither replicas nor percent",
			header + "canary:\n  steps:\n  - {analysis: 2m}\n", []string{"canary.steps[0]: needs replicas or percent"}},
		{"canary steps on an Argo Rollout",
			header + "target: {kind: Rollout, name: web}\ncanary:\n  steps:\n  - {replicas: 1}\n", []string{"canary: applies to plain Deployments only: an Argo Rollout has its own steps"}},
		{"target and targets together",
			header + "target: {name: api}\ntargets:\n- {name: web}\n", []string{"targets: set target (one workload) or targets (a release), not both"}},
		{"a target of the list without a name",
			header + "targets:\n- {name: api}\n- {kind: rollout}\n", []string{"targets[1].name: is required"}},
		{"the same workload twice in the list",
			header + "targets:\n- {name: api}\n- {kind: deployment, name: api}\n", []string{"targets[1]: names the same workload as targets[0]"}},
		{"a per-target check is validated under its own path",
			header + promOK + "    - {name: a, query: up, max: 1}\ntargets:\n- name: api\n  analysis:\n    checks:\n    - {name: b, query: 'sum(up', max: 1}\n",
			[]string{"targets[0].analysis.checks[0].query: PromQL:"}},
		{"a per-target policy action that does not exist",
			header + "targets:\n- {name: api, policy: {onFailure: explode}}\n", []string{`targets[0].policy.onFailure: must be one of rollback, hold, none, not "explode"`}},
		{"the release policy is the file's, not a target's",
			header + "targets:\n- {name: api, policy: {release: independent}}\n", []string{"targets[0].policy.release: is the whole release's"}},
		{"an unknown release policy",
			header + "policy: {release: sometimes}\n", []string{`policy.release: must be atomic (one target failing rolls back the release) or independent, not "sometimes"`}},
		{"not YAML at all",
			"a: [b\n", []string{"not valid YAML"}},
		{"an empty file",
			"", []string{"the file is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.yml)
			if len(got) == 0 {
				t.Fatalf("no problems reported, want %q", tt.want)
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w)
				}
				if !found {
					t.Errorf("no problem contains %q; got:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
		})
	}
}

func TestMinimalFileGetsDefaults(t *testing.T) {
	cfg, err := Parse([]byte(header))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Default()
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatalf("minimal file invalid: %v", ps)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"timeout", cfg.Timeout.Duration, 15 * time.Minute},
		{"progressTimeout", cfg.Readiness.ProgressTimeout.Duration, 10 * time.Minute},
		{"maxRestarts", *cfg.Readiness.MaxRestarts, 2},
		{"unschedulableGrace is grace when unset", cfg.Readiness.UnschedulableGrace.Duration, 30 * time.Second},
		{"quota preflight", *cfg.Quota.Preflight, true},
		{"mutableImage", cfg.Preflight.MutableImage, preflight.LevelFail},
		{"missingPDB", cfg.Preflight.MissingPDB, preflight.LevelWarn},
		{"consecutiveErrorLimit", *cfg.Analysis.ConsecutiveErrorLimit, 4},
		{"onFailure", cfg.Policy.OnFailure, workload.ActionRollback},
		{"onCancel", cfg.Policy.OnCancel, workload.ActionHold},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestUnquotedOffIsALevel(t *testing.T) {
	cfg, err := Parse([]byte(header + "preflight: {mutableImage: off, missingPDB: fail}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Preflight.MutableImage != preflight.LevelOff || cfg.Preflight.MissingPDB != preflight.LevelFail {
		t.Errorf("levels = %q, %q; want off, fail", cfg.Preflight.MutableImage, cfg.Preflight.MissingPDB)
	}
	if got := problemsOf(t, header+"preflight: {mutableImage: on}\n"); len(got) != 1 || !strings.Contains(got[0], "preflight.mutableImage: must be off, warn or fail, not true") {
		t.Errorf("on: %v", got)
	}
}

func TestExplicitZeroIsNotOverwrittenByDefaults(t *testing.T) {
	cfg, err := Parse([]byte(header + "readiness: {maxRestarts: 0}\nquota: {preflight: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Default()
	if *cfg.Readiness.MaxRestarts != 0 || *cfg.Quota.Preflight {
		t.Errorf("explicit values lost: maxRestarts=%d preflight=%v", *cfg.Readiness.MaxRestarts, *cfg.Quota.Preflight)
	}
}

func TestUnschedulableGraceFollowsGraceUnlessSet(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		want time.Duration
	}{
		{"unset, it is the file's grace", "readiness: {grace: 45s}", 45 * time.Second},
		{"set, it is its own", "readiness: {grace: 45s, unschedulableGrace: 10m}", 10 * time.Minute},
		{"an explicit 0 fails an unschedulable pod at once", "readiness: {grace: 45s, unschedulableGrace: 0s}", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(header + tt.yml + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Default()
			s := cfg.Settings(workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: "shop"})
			if s.Readiness.UnschedulableGrace != tt.want {
				t.Errorf("readiness.Settings.UnschedulableGrace = %s, want %s", s.Readiness.UnschedulableGrace, tt.want)
			}
		})
	}
}

func TestEveryExampleValidates(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "kind: Gate") {
			continue // RBAC manifests and CI pipelines live there too
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Default()
			if ps := cfg.Validate(); len(ps) > 0 {
				t.Fatalf("invalid:\n%v", ps)
			}
		})
	}
	if n == 0 {
		t.Fatal("no gate examples found under examples/")
	}
}

func TestSlackWithBothATokenAndAWebhookIsValid(t *testing.T) {
	got := problemsOf(t, header+"notify:\n  slack: {channel: '#deploys', tokenEnv: SLACK_BOT_TOKEN, webhookEnv: SLACK_WEBHOOK_URL}\n")
	if len(got) > 0 {
		t.Errorf("problems %q, want none: both are sent", got)
	}
}

func TestTheYAMLTreeCatchesWhatTheJSONViewLoses(t *testing.T) {
	tests := []struct {
		name, file string
		want       Problem
	}{
		{"a duplicate key names both lines", "apiVersion: rollgate.dev/v1alpha1\nkind: Gate\ntimeout: 5m\ntimeout: 10m\n",
			Problem{Path: "timeout", Line: 4, Msg: "duplicate key (first at line 3)"}},
		{"a second document is an error, not ignored", "apiVersion: rollgate.dev/v1alpha1\nkind: Gate\n---\napiVersion: rollgate.dev/v1alpha1\nkind: Gate\n",
			Problem{Line: 4, Msg: "a second YAML document"}},
		{"a tab gets its own hint, at its line", "apiVersion: rollgate.dev/v1alpha1\nkind: Gate\nreadiness:\n\tmaxRestarts: 2\n",
			Problem{Line: 4, Msg: "YAML indents with spaces only"}},
		{"another Kubernetes object says what it is", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x}\n",
			Problem{Path: "kind", Line: 2, Msg: "this is a Role (rbac.authorization.k8s.io/v1), not a rollgate Gate"}},
		{"a type problem carries its line", "apiVersion: rollgate.dev/v1alpha1\nkind: Gate\nanalysis:\n  checks:\n  - name: a\n    max: high\n",
			Problem{Path: "analysis.checks[0].max", Line: 6, Msg: "must be a number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.file))
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("Parse error %v (%T), want Problems", err, err)
			}
			for _, p := range ps {
				if p.Path == tt.want.Path && p.Line == tt.want.Line && strings.Contains(p.Msg, tt.want.Msg) {
					return
				}
			}
			t.Errorf("problems %+v; want %+v", ps, tt.want)
		})
	}
}

func TestValidateProblemsCarryTheirLine(t *testing.T) {
	c, err := Parse([]byte("apiVersion: rollgate.dev/v1alpha1\nkind: Gate\nanalysis:\n  failureLimit: -2\n  prometheus: {url: http://p:9090}\n  checks: [{name: a, query: up, max: 1}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.Default()
	for _, p := range c.Validate() {
		if p.Path == "analysis.failureLimit" && p.Line == 4 {
			return
		}
	}
	t.Errorf("problems %+v; want analysis.failureLimit at line 4", c.Validate())
}

func TestTargetsListGivesEachTargetItsOverrides(t *testing.T) {
	cfg, err := Parse([]byte(header + promOK + "    - {name: errors, query: up, max: 1}\n" +
		"policy: {onFailure: hold}\n" +
		"targets:\n- {name: api}\n- name: worker\n  namespace: jobs\n  policy: {onFailure: rollback}\n" +
		"  analysis:\n    checks:\n    - {name: queue, query: 'queue_depth', max: 100}\n- {kind: rollout, name: web}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Default()
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatal(ps)
	}
	ts, cs, err := cfg.Release("shop")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 || ts[0].String() != "deployment/api" || ts[0].Namespace != "shop" || ts[1].Namespace != "jobs" || ts[2].String() != "rollout/web" {
		t.Fatalf("targets = %+v", ts)
	}
	for i, want := range []struct {
		check     string
		onFailure string
	}{{"errors", "hold"}, {"queue", "rollback"}, {"errors", "hold"}} {
		s := cs[i].Settings(ts[i])
		if len(s.Analysis.Checks) != 1 || s.Analysis.Checks[0].Name != want.check || string(s.Policy.OnFailure) != want.onFailure {
			t.Errorf("%s: checks %v, onFailure %s; want %s, %s", ts[i], s.Analysis.Checks, s.Policy.OnFailure, want.check, want.onFailure)
		}
		if s.Policy.Release != gate.ReleaseAtomic {
			t.Errorf("%s: release policy %q, want the default atomic", ts[i], s.Policy.Release)
		}
	}
}

func TestAnExplicitZeroGraceIsKept(t *testing.T) {
	for _, tc := range []struct {
		yml         string
		grace, unsc time.Duration
	}{
		{"readiness: {grace: 0s}\n", 0, 0},
		{"readiness: {}\n", 30 * time.Second, 30 * time.Second},
		{"readiness: {grace: 0s, unschedulableGrace: 2m}\n", 0, 2 * time.Minute},
	} {
		cfg, err := Parse([]byte(header + tc.yml))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Default()
		s := cfg.Settings(workload.Target{Kind: workload.KindDeployment, Name: "api"})
		if s.Readiness.Grace != tc.grace || s.Readiness.UnschedulableGrace != tc.unsc {
			t.Errorf("%q: grace %s, unschedulable %s; want %s, %s", tc.yml, s.Readiness.Grace, s.Readiness.UnschedulableGrace, tc.grace, tc.unsc)
		}
	}
}
