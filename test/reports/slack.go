// Package reports holds the gate reports that several packages' tests
// render (Slack messages in notify, CI files in cmd/rollgate/ci): one place
// builds each, so every renderer is tested against the same runs.
package reports

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/quota"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

var T0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// ciEnv is a GitHub Actions run's environment.
var CIEnv = map[string]string{
	"GITHUB_RUN_ID": "7311", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "shop/api",
	"GITHUB_ACTOR": "octocat", "GITHUB_SHA": "4f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
}

func Lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// started is a run of deployment/api revision 3 over stable revision 2.
func Started() *gate.Report {
	return &gate.Report{
		Command: "run", Target: workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: "shop"}, Context: "kind-ci",
		StartedAt: T0,
		Pin: &workload.Pin{Revision: 3, TemplateHash: "5d8f9c", Images: []string{"api=registry.example.com/shop/api:v3", "envoy=envoyproxy/envoy:v1.30"},
			Stable: &workload.Stable{ReplicaSet: "api-7c6b5", Revision: 2, Images: []string{"api=registry.example.com/shop/api:v2", "envoy=envoyproxy/envoy:v1.30"}}},
		Timeline: []gate.Event{{At: T0, Phase: "pin", Message: "under gate: revision 3"}},
	}
}

func Finished(decision, reason string) *gate.Report {
	r := Started()
	r.Decision, r.Reason, r.FinishedAt = decision, reason, T0.Add(4*time.Minute+12*time.Second)
	return r
}

func Measurement(check string, i int, o promql.Outcome, reason string, canary float64, stable ...float64) promql.Measurement {
	m := promql.Measurement{Check: check, At: T0.Add(time.Duration(i) * 30 * time.Second), Outcome: o, Reason: reason,
		Query:  `sum(rate(http_requests_total{namespace="shop",pod=~"api-5d8f9c-.*",code=~"5.."}[1m])) / sum(rate(http_requests_total{namespace="shop",pod=~"api-5d8f9c-.*"}[1m]))`,
		Canary: []promql.Sample{{Value: canary}}}
	if len(stable) > 0 {
		m.Baseline = `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{pod=~"api-7c6b5-.*"}[1m])))`
		m.Stable = []promql.Sample{{Value: stable[0]}}
	}
	return m
}

// analysisOf has an error-rate check with the given outcomes and a passing
// latency comparison.
func Analysis(outcome analysis.Outcome, rule string, errorRate ...promql.Outcome) *analysis.Result {
	er := &analysis.CheckTally{Name: "error-rate", Threshold: "<= 0.01"}
	lat := &analysis.CheckTally{Name: "p99-vs-stable", Threshold: "ratio <= 1.2"}
	for i, o := range errorRate {
		v, reason := 0.002, "0.002 <= max 0.01"
		switch o {
		case promql.Fail:
			v, reason = 0.034, "0.034 > max 0.01"
			er.Failed++
		case promql.Inconclusive:
			v, reason = 0, "only 12 samples, minSamples 100: not enough data"
			er.Inconclusive++
		default:
			er.Passed++
		}
		er.Measurements = append(er.Measurements, Measurement("error-rate", i, o, reason, v))
		lat.Measurements = append(lat.Measurements, Measurement("p99-vs-stable", i, promql.Pass, "canary 0.22 / stable 0.2 = 1.1 <= maxRatio 1.2", 0.22, 0.2))
		lat.Passed++
	}
	r := analysis.Rule{Text: rule}
	if outcome == analysis.Failed || outcome == analysis.Inconclusive {
		r.Check = "error-rate" // every rule of these fixtures names it
	}
	return &analysis.Result{Outcome: outcome, Rule: r, Checks: []*analysis.CheckTally{er, lat}}
}

const (
	P = promql.Pass
	F = promql.Fail
	I = promql.Inconclusive
)

var HoldCommands = []string{
	"rollgate promote deployment/api -n shop --context kind-ci",
	"rollgate rollback deployment/api -n shop --context kind-ci",
}

func Promoted() *gate.Report {
	r := Finished(gate.DecisionPromoted, "analysis passed: error-rate passed 3 of 3; p99-vs-stable passed 3 of 3")
	r.Analysis, r.DecidedBy = Analysis(analysis.Passed, "error-rate passed 3 of 3; p99-vs-stable passed 3 of 3", P, P, P), gate.PhaseAnalysis
	r.Action = &gate.ActionResult{Action: workload.ActionPromote, Applied: true, Message: "resumed the deployment"}
	return r
}

func HeldWithCommands() *gate.Report {
	r := Finished(gate.DecisionHeld, "error-rate failed 2 of 3 intervals > failureLimit 1; policy.onFailure is hold")
	r.Analysis, r.DecidedBy = Analysis(analysis.Failed, "error-rate failed 2 of 3 intervals > failureLimit 1", P, F, F), gate.PhaseAnalysis
	r.Action = &gate.ActionResult{Action: workload.ActionHold, Applied: true, Message: "paused the deployment at revision 3", Commands: HoldCommands}
	return r
}

func Inconclusive() *gate.Report {
	r := Finished(gate.DecisionHeld, "error-rate was inconclusive 2 of 2 intervals > inconclusiveLimit 1 (not enough data)")
	r.Analysis, r.DecidedBy = Analysis(analysis.Inconclusive, "error-rate was inconclusive 2 of 2 intervals > inconclusiveLimit 1 (not enough data)", I, I), gate.PhaseAnalysis
	r.Action = &gate.ActionResult{Action: workload.ActionHold, Applied: true, Message: "paused the deployment at revision 3", Commands: HoldCommands}
	return r
}

func RolledBack() *gate.Report {
	r := Finished(gate.DecisionRolledBack, "error-rate failed 2 of 3 intervals > failureLimit 1")
	r.Analysis, r.DecidedBy = Analysis(analysis.Failed, "error-rate failed 2 of 3 intervals > failureLimit 1", P, F, F), gate.PhaseAnalysis
	r.Action = &gate.ActionResult{Action: workload.ActionRollback, Applied: true, Message: "rolled back to revision 2 (api-7c6b5)",
		Verify: &readiness.Result{Progress: workload.Progress{Done: true, Message: `deployment "api" successfully rolled out`}}}
	return r
}

func DryRun() *gate.Report {
	r := RolledBack()
	r.DryRun, r.Action.Applied, r.Action.Message, r.Action.Verify = true, false, "would roll back to revision 2 (api-7c6b5)", nil
	return r
}

func FailedRollback() *gate.Report {
	r := RolledBack()
	r.Decision, r.Reason = gate.DecisionError, "rollback of deployment shop/api failed: admission webhook \"policy.example.com\" denied the request"
	r.DecidedBy = "" // the failed action decides now: the analysis rule is shown beside it
	r.Action = &gate.ActionResult{Action: workload.ActionRollback, Applied: false,
		Error: `deployment shop/api: patch: admission webhook "policy.example.com" denied the request: <image> must be signed & pinned`}
	return r
}

func RuntimeError() *gate.Report {
	return Finished(gate.DecisionError, `list/watch pods in shop: forbidden: User "system:serviceaccount:ci:deployer" cannot watch resource "pods"; grant it with examples/rbac.yaml`)
}

func Cancelled() *gate.Report {
	r := Finished(gate.DecisionCancelled, "cancelled by SIGTERM during analysis after 2 of 10 intervals; policy.onCancel is hold")
	r.Analysis = Analysis("", "", P, P)
	r.Action = &gate.ActionResult{Action: workload.ActionHold, Applied: true, Message: "paused the deployment at revision 3", Commands: HoldCommands}
	return r
}

func Superseded() *gate.Report {
	return Finished(gate.DecisionSuperseded, "superseded: deployment shop/api moved to revision 4 while revision 3 was under gate")
}

func ReadinessFailure() *gate.Report {
	exit := int32(1)
	crash := readiness.PodProblem{Pod: "api-5d8f9c-x2x7q", Container: "api", Reason: "CrashLoopBackOff", ExitCode: &exit, Restarts: 4, Doomed: true,
		Message: "back-off 40s restarting failed container"}
	r := Finished(gate.DecisionRolledBack, "deployment shop/api revision 3 failed: "+crash.String())
	r.Readiness = &readiness.Result{Progress: workload.Progress{Failed: true, Message: "1 of 3 updated replicas are available"},
		Problems: []readiness.PodProblem{crash},
		Diagnosis: []readiness.PodDiagnosis{
			{Object: "replicaset/api-5d8f9c", Events: []string{"SuccessfulCreate: Created pod: api-5d8f9c-x2x7q"}},
			{Object: "pod/api-5d8f9c-x2x7q", Problems: []readiness.PodProblem{crash},
				Events: []string{"Pulled: Container image \"registry.example.com/shop/api:v3\" already present", "BackOff: Back-off restarting failed container api (x4)"},
				Logs:   []string{"2026-11-27T10:01:02Z starting api v3", "2026-11-27T10:01:02Z config: DATABASE_URL is not set", "panic: missing configuration <DATABASE_URL>"}},
		}}
	r.Action = &gate.ActionResult{Action: workload.ActionRollback, Applied: true, Message: "rolled back to revision 2 (api-7c6b5)",
		Verify: &readiness.Result{Progress: workload.Progress{Done: true, Message: `deployment "api" successfully rolled out`}}}
	return r
}

func QuotaFailure() *gate.Report {
	r := Finished(gate.DecisionFailed, "quota shop/compute: requests.cpu: rollout needs 2 more, 500m left")
	r.Quota = &quota.Result{Shortfalls: []quota.Shortfall{{Quota: "shop/compute", Resource: corev1.ResourceRequestsCPU,
		Need: resource.MustParse("2"), Left: resource.MustParse("500m")}}}
	r.Preflight = []preflight.Finding{{Rule: "mutableImage", Level: preflight.LevelWarn, Container: "envoy", Message: "ok", Fix: "-"}}
	return r
}

func Analysing() *gate.Report {
	r := Started()
	r.Analysis = Analysis("", "", P, F)
	r.Timeline = append(r.Timeline, gate.Event{At: T0.Add(time.Minute), Phase: "analysis", Message: "error-rate: fail: 0.034 > max 0.01"})
	return r
}
