package reports

import (
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/quota"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// The runs the CI writers (cmd/rollgate/ci) render: a run of revision 4.

func At(sec int) time.Time { return T0.Add(time.Duration(sec) * time.Second) }

func Float(v float64) *float64 { return &v }

func Samples(vs ...float64) []promql.Sample {
	out := make([]promql.Sample, len(vs))
	for i, v := range vs {
		out[i] = promql.Sample{Value: v}
	}
	return out
}

func Ev(sec int, phase, msg string) gate.Event {
	return gate.Event{At: At(sec), Phase: gate.Phase(phase), Message: msg}
}

var API = workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: "shop"}

var CIPin = &workload.Pin{Revision: 4, TemplateHash: "5d8f7c9b4", Images: []string{"app=shop/api:v4"},
	Stable: &workload.Stable{ReplicaSet: "api-6c9d8e7f5", Revision: 3, TemplateHash: "6c9d8e7f5", Images: []string{"app=shop/api:v3"}}}

// rolledBack is a run whose error rate broke its threshold: the analysis
// failed and the Deployment was rolled back; the latency check compared
// against the stable pods and passed despite one inconclusive interval.
func CIRolledBack() *gate.Report {
	errorRate := &analysis.CheckTally{Name: "error-rate", Threshold: "<= 0.01", Max: Float(0.01), Passed: 1, Failed: 2,
		Measurements: []promql.Measurement{
			{Check: "error-rate", At: At(60), Outcome: promql.Pass, Reason: "0.002 <= max 0.01", Query: `sum(rate(errors{pod=~"api-5d8f7c9b4-.*"}[1m]))`, Canary: Samples(0.002)},
			{Check: "error-rate", At: At(90), Outcome: promql.Fail, Reason: "0.034 > max 0.01", Query: `sum(rate(errors{pod=~"api-5d8f7c9b4-.*"}[1m]))`, Canary: Samples(0.034)},
			{Check: "error-rate", At: At(120), Outcome: promql.Fail, Reason: "0.05 > max 0.01", Query: `sum(rate(errors{pod=~"api-5d8f7c9b4-.*"}[1m]))`, Canary: Samples(0.05)},
		}}
	latency := &analysis.CheckTally{Name: "p99-vs-stable", Threshold: "ratio <= 1.2", MaxRatio: Float(1.2), Passed: 2, Inconclusive: 1,
		Measurements: []promql.Measurement{
			{Check: "p99-vs-stable", At: At(60), Outcome: promql.Pass, Reason: "canary 0.21 / stable 0.2 = 1.05 <= maxRatio 1.2", Query: "q", Baseline: "b", Canary: Samples(0.21), Stable: Samples(0.2)},
			{Check: "p99-vs-stable", At: At(90), Outcome: promql.Inconclusive, Reason: "baseline returned no series (stable pods without traffic?)", Query: "q", Baseline: "b", Canary: Samples(0.22)},
			{Check: "p99-vs-stable", At: At(120), Outcome: promql.Pass, Reason: "canary 0.22 / stable 0.2 = 1.1 <= maxRatio 1.2", Query: "q", Baseline: "b", Canary: Samples(0.22), Stable: Samples(0.2)},
		}}
	return &gate.Report{Command: "run", Target: API, Context: "prod", Decision: gate.DecisionRolledBack, ExitCode: 1,
		Reason:    "analysis failed: error-rate failed 2 of 3 intervals > failureLimit 1",
		StartedAt: T0, FinishedAt: At(150), Revision: "4", Pin: CIPin,
		Timeline: []gate.Event{
			Ev(0, "resolve", "deployment/api in namespace shop"),
			Ev(1, "quota", "quota shop/batch: not checked: scope PriorityClass with operator Exists"),
			Ev(1, "preflight", "Deployment api: warn missingPDB: no PodDisruptionBudget selects the pods"),
			Ev(2, "readiness", "3 of 3 updated replicas are available"),
			Ev(60, "analysis", "error-rate PASS: 0.002 <= max 0.01"),
			Ev(90, "analysis", "error-rate FAIL: 0.034 > max 0.01"),
			Ev(120, "analysis", "error-rate FAIL: 0.05 > max 0.01"),
			Ev(121, "action", "rolled back to revision 3"),
		},
		Quota:     &quota.Result{NotEvaluated: []quota.NotEvaluated{{Quota: "shop/batch", Reason: "scope PriorityClass with operator Exists"}}},
		Preflight: []preflight.Finding{{Rule: "missingPDB", Level: preflight.LevelWarn, Message: "no PodDisruptionBudget selects the pods", Fix: "add a PodDisruptionBudget"}},
		Readiness: &readiness.Result{Progress: workload.Progress{Done: true, Message: `deployment "api" successfully rolled out`}, Pin: CIPin},
		Analysis:  &analysis.Result{Outcome: analysis.Failed, Rule: analysis.Rule{Check: "error-rate", Limit: analysis.RuleFailureLimit, Count: 2, Intervals: 3, Threshold: 1, Text: "error-rate failed 2 of 3 intervals > failureLimit 1"}, Checks: []*analysis.CheckTally{errorRate, latency}},
		Action: &gate.ActionResult{Action: "rollback", Applied: true, Message: "rolled back to revision 3 (app=shop/api:v3)",
			Verify: &readiness.Result{Progress: workload.Progress{Done: true, Message: "successfully rolled out"}}},
		Warnings: []string{"slack: chat.postMessage: channel_not_found"},
	}
}

// doomed is a check whose new pods crash: readiness failed with a
// diagnosis, after a quota preflight with a shortfall-free result.
func CIDoomed() *gate.Report {
	exit := int32(1)
	crash := readiness.PodProblem{Pod: "api-5d8f7c9b4-xk2pq", Container: "app", Reason: "CrashLoopBackOff", Message: "back-off 20s restarting failed container",
		ExitCode: &exit, Restarts: 3, Doomed: true}
	pending := readiness.PodProblem{Pod: "api-5d8f7c9b4-m7wq9", Reason: "Unschedulable", Message: "0/3 nodes are available: 3 Insufficient cpu."}
	return &gate.Report{Command: "check", Target: API, Decision: "failed", ExitCode: 1,
		Reason:    "deployment shop/api revision 4 failed: pod api-5d8f7c9b4-xk2pq container app: CrashLoopBackOff (exit code 1), 3 restarts",
		StartedAt: T0, FinishedAt: At(40),
		Timeline: []gate.Event{
			Ev(0, "resolve", "deployment/api in namespace shop"),
			Ev(1, "quota", "every applicable ResourceQuota has room for the rollout's peak"),
			Ev(1, "preflight", "Deployment api: no findings"),
			Ev(3, "readiness", "waiting: 0 of 3 updated replicas are available"),
			Ev(39, "readiness", "pod api-5d8f7c9b4-xk2pq container app: CrashLoopBackOff | exit code 1"),
		},
		Quota: &quota.Result{},
		Readiness: &readiness.Result{Progress: workload.Progress{Message: "0 of 3 updated replicas are available"}, Pin: CIPin,
			Problems: []readiness.PodProblem{crash, pending},
			Diagnosis: []readiness.PodDiagnosis{
				{Object: "replicaset/api-5d8f7c9b4", Events: []string{"Normal SuccessfulCreate: Created pod: api-5d8f7c9b4-xk2pq"}},
				{Object: "pod/api-5d8f7c9b4-xk2pq", Problems: []readiness.PodProblem{crash}, Events: []string{"Warning BackOff: Back-off restarting failed container app"},
					Logs: []string{"panic: DATABASE_URL is not set", "```not a fence```"}},
			}},
	}
}

// held is an analyze whose Prometheus went away: the check that never
// passed for errors is an error, the one short of samples inconclusive.
func CIHeld() *gate.Report {
	down := "query failed: dial tcp 10.0.0.9:9090: connect: connection refused"
	up := &analysis.CheckTally{Name: "success-rate", Threshold: ">= 99", Min: Float(99), Errors: 3, ConsecutiveErrors: 3,
		Measurements: []promql.Measurement{
			{Check: "success-rate", At: At(0), Outcome: promql.Error, Reason: down, Canary: []promql.Sample{}},
			{Check: "success-rate", At: At(30), Outcome: promql.Error, Reason: down, Canary: []promql.Sample{}},
			{Check: "success-rate", At: At(60), Outcome: promql.Error, Reason: down, Canary: []promql.Sample{}},
		}}
	p99 := &analysis.CheckTally{Name: "latency-p99", Threshold: "<= 300", Max: Float(300), Passed: 1, Inconclusive: 2,
		Measurements: []promql.Measurement{
			{Check: "latency-p99", At: At(0), Outcome: promql.Pass, Reason: "212 <= max 300", Canary: Samples(212)},
			{Check: "latency-p99", At: At(30), Outcome: promql.Inconclusive, Reason: "only 12 samples, minSamples 100: not enough data", Canary: Samples(250)},
			{Check: "latency-p99", At: At(60), Outcome: promql.Inconclusive, Reason: "only 3 samples, minSamples 100: not enough data", Canary: Samples(190)},
		}}
	return &gate.Report{Command: "analyze", Target: API, Decision: "held", ExitCode: 3,
		Reason:    "analysis inconclusive: success-rate had 3 consecutive query errors > consecutiveErrorLimit 2 (is Prometheus reachable?)",
		StartedAt: T0, FinishedAt: At(61),
		Timeline: []gate.Event{Ev(0, "resolve", "deployment/api: revision 4"), Ev(0, "analysis", "success-rate ERROR: "+down)},
		Analysis: &analysis.Result{Outcome: analysis.Inconclusive, Rule: analysis.Rule{Check: "success-rate", Limit: analysis.RuleConsecutiveErrorLimit, Count: 3, Intervals: 3, Threshold: 2, Text: "success-rate had 3 consecutive query errors > consecutiveErrorLimit 2 (is Prometheus reachable?)"},
			Checks: []*analysis.CheckTally{up, p99}},
	}
}

// unreachable never got past resolving the target.
func CIUnreachable() *gate.Report {
	return &gate.Report{Command: "check", Target: API, Decision: "error", ExitCode: 4,
		Reason:    "get deployments.apps shop/api: dial tcp 127.0.0.1:6443: connect: connection refused",
		StartedAt: T0, FinishedAt: At(10), Timeline: []gate.Event{Ev(0, "resolve", "deployment/api in namespace shop")}}
}

// quotaShort failed its quota preflight before any waiting.
func CIQuotaShort() *gate.Report {
	rep := CIUnreachable()
	rep.Decision, rep.ExitCode, rep.Reason = "failed", 1, "quota preflight: quota shop/compute: requests.memory: rollout needs 768Mi more, 256Mi left"
	rep.Timeline = append(rep.Timeline, Ev(1, "quota", "quota shop/compute: requests.memory: rollout needs 768Mi more, 256Mi left"))
	rep.Quota = &quota.Result{Shortfalls: []quota.Shortfall{{Quota: "shop/compute", Resource: "requests.memory",
		Need: resource.MustParse("768Mi"), Left: resource.MustParse("256Mi")}}}
	return rep
}

// CISequential failed its sequential error-ratio check at the third
// interval; the first had no stable errors yet (an unbounded interval).
func CISequential() *gate.Report {
	evidence := func(ce, cr, se, sr int64, ratio, lo, hi *float64, lnF, lnP float64, settled int) *promql.SequentialEvidence {
		return &promql.SequentialEvidence{CanaryEvents: ce, CanaryRequests: cr, StableEvents: se, StableRequests: sr, Share: Float(0.2),
			Ratio: ratio, Low: lo, High: hi, LnFail: lnF, LnPass: lnP, Threshold: 4.605, Alpha: 0.01, Tolerance: 1.5, SettledAt: settled}
	}
	ms := []promql.Measurement{
		{Check: "error-ratio", At: At(0), Outcome: promql.Pending, Canary: []promql.Sample{}, Sequential: evidence(2, 400, 0, 1600, nil, Float(0.9), nil, 1.1, -0.5, 0),
			Reason: "pending: canary 2/400 errors, stable 0/1600 (canary share 0.2), ratio +Inf [0.9, +Inf] at 99 %; ln e-value fail 1.1, pass -0.5 of 4.605 needed"},
		{Check: "error-ratio", At: At(30), Outcome: promql.Pending, Canary: []promql.Sample{}, Sequential: evidence(12, 800, 16, 3200, Float(3), Float(0.68), Float(12.09), 2.5, -1.386, 0),
			Reason: "pending: canary 12/800 errors, stable 16/3200 (canary share 0.2), ratio 3 [0.68, 12.09] at 99 %; ln e-value fail 2.5, pass -1.386 of 4.605 needed"},
		{Check: "error-ratio", At: At(60), Outcome: promql.Fail, Canary: []promql.Sample{}, Sequential: evidence(24, 1600, 32, 6400, Float(3), Float(1.027), Float(8.328), 5.673, -2.064, 3),
			Reason: "regression proven at interval 3 (canary rate > 1 x stable, alpha 0.01): canary 24/1600 errors, stable 32/6400 (canary share 0.2), ratio 3 [1.027, 8.328] at 99 %; ln e-value fail 5.673, pass -2.064 of 4.605 needed"},
	}
	t := &analysis.CheckTally{Name: "error-ratio", Judge: analysis.JudgeSequential, Threshold: "sequential: alpha 0.01, ratio > 1 fails, < 1.5 passes",
		Failed: 1, Pending: 2, Measurements: ms,
		Plan: "error-ratio: with ~400 canary and ~1600 stable requests/interval at 0.5 % errors this analysis detects a 2.4x regression within 10 intervals with ~95 % probability"}
	rule := analysis.Rule{Check: "error-ratio", Limit: analysis.RuleRegressionProven, Count: 1, Intervals: 3, Text: "error-ratio: " + ms[2].Reason}
	return &gate.Report{Command: "analyze", Target: API, Decision: "failed", ExitCode: 1, Reason: "analysis failed: " + rule.Text,
		StartedAt: T0, FinishedAt: At(61), Timeline: []gate.Event{Ev(0, "analysis", t.Plan), Ev(60, "analysis", "error-ratio FAIL: "+ms[2].Reason)},
		Analysis: &analysis.Result{Outcome: analysis.Failed, Rule: rule, Checks: []*analysis.CheckTally{t}}}
}

var CIFixtures = []struct {
	Name   string
	Report func() *gate.Report
}{
	{"rolled-back", CIRolledBack},
	{"doomed", CIDoomed},
	{"held", CIHeld},
	{"unreachable", CIUnreachable},
	{"quota-short", CIQuotaShort},
	{"sequential", CISequential},
}
