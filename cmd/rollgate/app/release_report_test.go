package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/notify"
	"github.com/rollgate/rollgate/promql"
	"github.com/rollgate/rollgate/test/golden"
	"github.com/rollgate/rollgate/test/reports"
)

func targetsOf(rel *gate.ReleaseReport) []workload.Target {
	var ts []workload.Target
	for _, t := range rel.Targets {
		ts = append(ts, t.Target)
	}
	return ts
}

// replay feeds each target's timeline to the reporter, as the engine
// would, targets interleaved.
func replay(rr *releaseReporter, rel *gate.ReleaseReport) {
	for i := 0; ; i++ {
		more := false
		for _, t := range rel.Targets {
			if i < len(t.Timeline) {
				rr.observer(t.Target).Event(t.Timeline[i])
				more = true
			}
		}
		if !more {
			return
		}
	}
}

func TestAReleaseUnderGitHubActions(t *testing.T) {
	dir := t.TempDir()
	output, summary := filepath.Join(dir, "github_output"), filepath.Join(dir, "step_summary")
	env := newEnv([]string{"GITHUB_ACTIONS=true", "CI=true", "GITHUB_OUTPUT=" + output, "GITHUB_STEP_SUMMARY=" + summary, "RUNNER_TEMP=" + dir,
		"PROM_TOKEN=prom-s3cret", "OTHER_TOKEN=other-s3cret"})
	shared := &config.Config{Analysis: config.Analysis{Prometheus: config.Prometheus{BearerTokenEnv: "PROM_TOKEN"}}}
	own := &config.Config{Analysis: config.Analysis{Prometheus: config.Prometheus{BearerTokenEnv: "OTHER_TOKEN"}}}
	rel := reports.ReleaseAtomic()
	var stdout bytes.Buffer
	o := Options{Output: OutputText, JUnit: filepath.Join(dir, "junit.xml"), Dotenv: filepath.Join(dir, "gate.env")}
	rr := newReleaseReporter(o, env, []*config.Config{shared, own, shared}, targetsOf(rel), &stdout, &bytes.Buffer{})
	for _, t := range rel.Targets {
		t.Timeline = reports.CIRolledBack().Timeline // resolve to action, a phase or two apart
	}
	replay(rr, rel)
	err := rr.finish(rel)
	if code, printed := exitCodeOf(err); code != gate.ExitFailed || !printed {
		t.Errorf("exit %d (printed %v), want 1 with the verdict already printed", code, printed)
	}
	log := stdout.String()
	if !strings.HasPrefix(log, "::add-mask::other-s3cret\n::add-mask::prom-s3cret\n") {
		t.Errorf("the log must start with every target's secrets masked:\n%s", log)
	}
	group, end := strings.Index(log, "::group::rollgate resolve"), strings.LastIndex(log, "::endgroup::")
	verdict := strings.Index(log, "verdict: release           rolled-back (exit 1)")
	if group < 0 || !(group < end && end < verdict) {
		t.Errorf("want the timeline folded in groups that close before the verdict lines:\n%s", log)
	}
	if strings.Count(log, "::group::rollgate readiness") != 1 {
		t.Errorf("interleaved targets must not flap the groups:\n%s", log)
	}
	if !strings.Contains(log, "::error title=rollgate run release of 3 targets%3A rolled-back::3 of 3 targets did not pass") {
		t.Errorf("no annotation for the release's verdict:\n%s", log)
	}
	for _, want := range []string{"verdict: deployment/api    rolled-back (exit 1)", "verdict: deployment/worker held (exit 3)"} {
		if !strings.Contains(log, want) {
			t.Errorf("no %q line:\n%s", want, log)
		}
	}
	report := filepath.Join(dir, "rollgate-run-release.json")
	var back gate.ReleaseReport
	if err := json.Unmarshal([]byte(readFile(t, report)), &back); err != nil || len(back.Targets) != 3 {
		t.Errorf("the default report: %v, %d targets", err, len(back.Targets))
	}
	if outputs := readFile(t, output); !strings.Contains(outputs, "\n"+report+"\n") || !strings.Contains(outputs, "deployment-worker-decision<<") {
		t.Errorf("GITHUB_OUTPUT:\n%s", outputs)
	}
	if md := readFile(t, summary); !strings.HasPrefix(md, "## ❌ rollgate run: release of 3 targets: rolled-back") {
		t.Errorf("step summary:\n%s", md)
	}
	checkDotenvFile(t, filepath.Join(dir, "gate.env"), map[string]string{"ROLLGATE_DECISION": "rolled-back", "ROLLGATE_DEPLOYMENT_WEB_DECISION": "rolled-back"})
	if !strings.Contains(readFile(t, filepath.Join(dir, "junit.xml")), `<testsuite name="shop/deployment/worker"`) {
		t.Error("no JUnit suite for worker")
	}
}

func TestAReleaseEnds(t *testing.T) {
	tests := []struct {
		name       string
		release    func() *gate.ReleaseReport
		output     string
		junit      string
		wantCode   gate.ExitCode
		wantPrint  bool
		wantErrSub string
	}{
		{"a release that passed exits 0", reports.ReleasePromoted, OutputText, "", gate.ExitPassed, false, ""},
		{"a release that passed but could not write its JUnit says so", reports.ReleasePromoted, OutputText, "/nonexistent/junit.xml", gate.ExitBadInput, false, "--junit /nonexistent/junit.xml"},
		{"a failed release keeps its code whatever the files", reports.ReleaseIndependent, OutputText, "/nonexistent/junit.xml", gate.ExitFailed, true, ""},
		{"in json mode the verdict was not printed", reports.ReleaseIndependent, OutputJSON, "", gate.ExitFailed, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := tt.release()
			var stdout, stderr bytes.Buffer
			rr := newReleaseReporter(Options{Output: tt.output, JUnit: tt.junit}, Env{}, nil, targetsOf(rel), &stdout, &stderr)
			err := rr.finish(rel)
			code, printed := exitCodeOf(err)
			if code != tt.wantCode || printed != tt.wantPrint || tt.wantErrSub != "" && !strings.Contains(err.Error(), tt.wantErrSub) {
				t.Errorf("exit %d printed %v (%v), want %d %v %q", code, printed, err, tt.wantCode, tt.wantPrint, tt.wantErrSub)
			}
			if tt.output == OutputJSON {
				var back gate.ReleaseReport
				if err := json.Unmarshal(stdout.Bytes(), &back); err != nil || back.Decision != rel.Decision {
					t.Errorf("stdout is not the release report: %v\n%s", err, stdout.String())
				}
			}
		})
	}
}

// recorder is a Notifier that keeps what it was told.
type recorder struct {
	mu     sync.Mutex
	events []notify.Event
}

func (r *recorder) Notify(_ context.Context, ev notify.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func TestAReleaseIsToldAsOneMessage(t *testing.T) {
	rel := reports.ReleaseAtomic()
	rr := newReleaseReporter(Options{Output: OutputJSON}, Env{}, nil, targetsOf(rel), &bytes.Buffer{}, &bytes.Buffer{})
	rec := &recorder{}
	rr.teller = newTeller(rec)
	for _, t := range []*gate.Report{rel.Targets[2], rel.Targets[0], rel.Targets[1]} {
		rr.observer(t.Target).Stage(gate.StageStart, reports.Retarget(reports.Started(), t.Target.Name))
		time.Sleep(20 * time.Millisecond) // let the teller send each
	}
	_ = rr.finish(rel)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var stages []string
	for _, ev := range rec.events {
		if ev.Report != nil || ev.Release == nil || len(ev.Release.Targets) != 3 {
			t.Fatalf("told %+v, want the whole release each time", ev)
		}
		stages = append(stages, string(ev.Stage))
	}
	if got := strings.Join(stages, " "); !strings.HasPrefix(got, "start preflight") || !strings.HasSuffix(got, "verdict") || strings.Count(got, "start") != 1 {
		t.Errorf("told %q: want one start, the other targets' starts as progress, then the verdict", got)
	}
	if first := rec.events[0].Release.Targets; first[0].Timeline != nil || first[2].Target.Name != "worker" || first[2].Timeline == nil {
		t.Errorf("the first message must have worker started and the others waiting, in the report's order")
	}
}

func TestTheLiveViewDrawsALinePerTarget(t *testing.T) {
	rel := reports.ReleaseAtomic()
	var out bytes.Buffer
	now := reports.T0
	l := newReleaseLive(&out, targetsOf(rel), targetNames(targetsOf(rel)), func() time.Time { return now })
	api, web := rel.Targets[0].Target, rel.Targets[1].Target
	l.event(api, gate.Event{Phase: gate.PhaseReadiness, Message: "waiting: 1 of 3 updated replicas are available"})
	l.snapshot(api, readiness.Snapshot{Progress: workload.Progress{Message: "1 of 3 updated replicas are available"},
		ReplicaSets: []readiness.ReplicaSetView{{Name: "api-old", Desired: 0, Ready: 3}, {Name: "api-new", New: true, Desired: 3, Ready: 1}}})
	l.event(web, gate.Event{Phase: gate.PhaseAnalysis, Message: "error-rate PASS: 0.002 <= max 0.01 " + strings.Repeat("and a long tail ", 10)})
	l.measure(web, promql.Measurement{Check: "error-rate"}, 10)
	l.measure(web, promql.Measurement{Check: "p99"}, 10)
	l.measure(web, promql.Measurement{Check: "error-rate"}, 10)
	now = now.Add(95 * time.Second)
	l.clear()
	l.draw()
	golden.Check(t, "release-live.txt", out.Bytes())
	if l.lines != 4 {
		t.Errorf("the block is %d lines, want the elapsed line and one per target", l.lines)
	}
	var plain *releaseLive // plain output: every call does nothing
	plain.event(api, gate.Event{})
	plain.clear()
	plain.draw()
}

func TestPhaseRankFollowsTheRun(t *testing.T) {
	if !(phaseRank(gate.PhaseResolve) < phaseRank(gate.PhaseReadiness) && phaseRank(gate.PhaseReadiness) < phaseRank(gate.PhaseAnalysis) &&
		phaseRank("rollback") == phaseRank(gate.PhaseAction) && phaseRank(gate.PhaseWarning) < 0) {
		t.Error("phases out of order")
	}
}

// unreachable is a Slack that never answers.
type unreachable struct{}

func (unreachable) Notify(context.Context, notify.Event) error {
	return errors.New("no answer within the budget")
}

func TestASlackTroubleIsAWarningOfTheRelease(t *testing.T) {
	rel := reports.ReleasePromoted()
	var stdout bytes.Buffer
	rr := newReleaseReporter(Options{Output: OutputText}, Env{}, nil, targetsOf(rel), &stdout, &bytes.Buffer{})
	rr.teller = newTeller(unreachable{})
	rr.warn("slack: notify.slack.tokenEnv: $SLACK_BOT_TOKEN is not set")
	if err := rr.finish(rel); err != nil {
		t.Fatalf("a Slack trouble changed the exit status: %v", err)
	}
	if len(rel.Warnings) != 2 || !strings.Contains(rel.Warnings[1], "no answer within the budget") {
		t.Errorf("warnings %q, want the setup's and the verdict's", rel.Warnings)
	}
	if !strings.Contains(stdout.String(), "release           warning   slack: no answer within the budget") {
		t.Errorf("the warning was not printed:\n%s", stdout.String())
	}
}

func TestTargetNamesSayTheNamespaceOnlyWhenTheyDiffer(t *testing.T) {
	api := workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: "shop"}
	other := workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: "shop-canary"}
	web := workload.Target{Kind: workload.KindRollout, Name: "web", Namespace: "shop"}
	tests := []struct {
		name    string
		targets []workload.Target
		want    string
	}{
		{"one namespace: kind/name", []workload.Target{api, web}, "deployment/api rollout/web"},
		{"two namespaces: namespace/kind/name, so two apis differ", []workload.Target{api, other}, "shop/deployment/api shop-canary/deployment/api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := targetNames(tt.targets)
			var got []string
			for _, target := range tt.targets {
				got = append(got, names[target])
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("%q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}
