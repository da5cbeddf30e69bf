package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/workload"
)

// pausedFixture is a Deployment paused mid-rollout: v1 with 4 replicas,
// maxSurge 1 and maxUnavailable 0, then v2, whose one new pod never
// becomes available (minReadySeconds 1h), so the old ReplicaSet keeps its
// 4 pods; then paused for good measure. The exporter serves one canary pod
// and four stable pods, named like the two ReplicaSets' pods.
type pausedFixture struct {
	ns             string
	canary, stable []string
	exp            *exporter
	prom           *promServer
}

// seqRPS per pod: the canary serves 1/5 of the traffic, ~400 of 2000
// requests per 2 s interval.
const seqRPS = 200

var seqBase = profile{RPS: seqRPS, ErrorRatio: 0.005, Latency: 20 * time.Millisecond}

func newPausedFixture(t testing.TB) *pausedFixture {
	t.Helper()
	f := &pausedFixture{ns: namespace(t)}
	d := deployment("api", 4, "registry.local/api:v1")
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &one, MaxUnavailable: &zero}}
	create(t, f.ns, noDeadline(d))
	waitAvailable(t, f.ns, "api")
	release(t, f.ns, "api", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2"
		d.Spec.MinReadySeconds = 3600
		deadline := int32(7200)
		d.Spec.ProgressDeadlineSeconds = &deadline
	})
	waitFor(t, 60*time.Second, "the new ReplicaSet's first pod", func() bool {
		f.canary, f.stable = f.replicaSets(t)
		return len(f.canary) == 1 && len(f.stable) == 4
	})
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d := getDeployment(t, f.ns, "api")
		d.Spec.Paused = true
		_, err := cluster(t).AppsV1().Deployments(f.ns).Update(context.Background(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("pause the rollout: %v", err)
	}
	f.exp = startExporter(t)
	f.prom = startPrometheus(t, f.exp.addr)
	f.serve(seqBase, seqBase)
	// a window of one interval needs two scrapes of both sides
	f.prom.waitQuery(t, fmt.Sprintf(`sum(increase(http_requests_total{namespace=%q,pod=~%q}[2s]))`, f.ns, workloadPods(f.canary)))
	return f
}

// replicaSets names one exporter pod per pod of each ReplicaSet.
func (f *pausedFixture) replicaSets(t testing.TB) (canary, stable []string) {
	t.Helper()
	rss, err := cluster(t).AppsV1().ReplicaSets(f.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	suffixes := []string{"a1b2c", "d3e4f", "g5h6i", "j7k8l", "m9n0p"}
	for _, rs := range rss.Items {
		var pods []string
		for i := range min(int(rs.Status.Replicas), len(suffixes)) {
			pods = append(pods, rs.Name+"-"+suffixes[i])
		}
		if rs.Annotations[workload.RevisionAnnotation] == "2" {
			canary = pods
		} else {
			stable = pods
		}
	}
	return canary, stable
}

// serve sets both sides' profiles and lets one interval pass, so that
// the next analysis window sees only the new traffic.
func (f *pausedFixture) serve(canary, stable profile) {
	for _, p := range f.canary {
		f.exp.set(f.ns, p, canary)
	}
	for _, p := range f.stable {
		f.exp.set(f.ns, p, stable)
	}
	time.Sleep(3 * time.Second)
}

const seqErrors = `
    - name: error-ratio
      judge: sequential
      errors: http_requests_total{namespace="{{.Namespace}}",pod=~"{{.Pods}}",code=~"5.."}
      requests: http_requests_total{namespace="{{.Namespace}}",pod=~"{{.Pods}}"}`

const seqLatency = `
    - name: slow-requests
      judge: sequential
      latency: {histogram: http_request_duration_seconds, selector: '{namespace="{{.Namespace}}",pod=~"{{.Pods}}"}', above: [0.25, 0.5]}`

func (f *pausedFixture) gate(t testing.TB, count int, checks string) string {
	t.Helper()
	return writeGate(t, fmt.Sprintf("analysis:\n  prometheus: {url: %q, timeout: 2s}\n  interval: 2s\n  count: %d\n  checks:%s",
		f.prom.URL, count, checks))
}

// analyze runs rollgate analyze and returns its result and JSON report.
func (f *pausedFixture) analyze(t testing.TB, gateFile string, extra ...string) (result, gate.Report) {
	t.Helper()
	report := t.TempDir() + "/report.json"
	r := rollgate(t, env.kubeconfig, append([]string{"analyze", "deployment/api", "-n", f.ns, "-f", gateFile, "--report", report}, extra...)...)
	return r, readReport(t, report)
}

// settledAt is the interval a check's verdict settled at, 0 if pending.
func settledAt(rep gate.Report, check int) int {
	ms := rep.Analysis.Checks[check].Measurements
	if len(ms) == 0 || ms[len(ms)-1].Sequential == nil {
		return 0
	}
	return ms[len(ms)-1].Sequential.SettledAt
}

func TestSequentialJudgeOnAPausedRollout(t *testing.T) {
	f := newPausedFixture(t)
	began := time.Now()
	t.Run("A/A traffic passes or stays pending, never fails, across repeated runs", func(t *testing.T) {
		gateFile := f.gate(t, 10, seqErrors)
		r, rep := f.analyze(t, gateFile)
		if r.code != 0 && r.code != 3 {
			t.Fatalf("A/A exit %d, want 0 or 3:\n%s", r.code, r)
		}
		r.expect(t, r.code, "error-ratio: with ~", "requests/interval at", "canary share 0.")
		t.Logf("live A/A: exit %d after %s, settled at interval %d: %s", r.code, r.elapsed.Round(time.Millisecond), settledAt(rep, 0), rep.Reason)
		// Replay the live instants, then shifted windows of the same traffic.
		ms := rep.Analysis.Checks[0].Measurements
		for shift := range 4 { // later starts, the same end: nothing from the future
			from, to := ms[0].At.Add(time.Duration(shift)*time.Second), ms[len(ms)-1].At
			rr, again := f.analyze(t, gateFile, "--from", from.Format(time.RFC3339Nano), "--to", to.Format(time.RFC3339Nano))
			if rr.code != 0 && rr.code != 3 {
				t.Errorf("A/A replay %d: exit %d, want 0 or 3:\n%s", shift, rr.code, rr)
			}
			if shift == 0 {
				sameMeasurements(t, rep, again)
			}
			t.Logf("A/A replay shifted %ds: exit %d, settled at %d", shift, rr.code, settledAt(again, 0))
		}
	})
	t.Run("A/A traffic with enough errors settles pass", func(t *testing.T) {
		busy := profile{RPS: seqRPS, ErrorRatio: 0.05, Latency: 20 * time.Millisecond}
		f.serve(busy, busy)
		r, rep := f.analyze(t, f.gate(t, 8, seqErrors))
		r.expect(t, 0, "error-ratio PASS: no regression beyond 1.5x proven at interval", "error-ratio settled pass at interval")
		t.Logf("A/A at 5 %%: passed, settled at interval %d, after %s", settledAt(rep, 0), r.elapsed.Round(time.Millisecond))
	})
	t.Run("a 3x error regression on the canary at 0.5 % base fails within a few intervals", func(t *testing.T) {
		f.serve(profile{RPS: seqRPS, ErrorRatio: 0.015, Latency: 20 * time.Millisecond}, seqBase)
		r, rep := f.analyze(t, f.gate(t, 15, seqErrors))
		r.expect(t, 1, "error-ratio FAIL: regression proven at interval", "analysis failed: error-ratio: regression proven")
		if n := settledAt(rep, 0); n < 1 || n > 8 {
			t.Errorf("failed at interval %d, want within a few (<= 8)", n)
		}
		t.Logf("3x at 0.5 %%: failed at interval %d after %s: %s", settledAt(rep, 0), r.elapsed.Round(time.Millisecond), rep.Reason)
	})
	t.Run("a 30 % error canary fails at the first interval", func(t *testing.T) {
		f.serve(profile{RPS: seqRPS, ErrorRatio: 0.3, Latency: 20 * time.Millisecond}, seqBase)
		r, rep := f.analyze(t, f.gate(t, 10, seqErrors))
		r.expect(t, 1, "regression proven at interval 1 ")
		t.Logf("30 %%: failed at interval %d after %s", settledAt(rep, 0), r.elapsed.Round(time.Millisecond))
	})
	t.Run("a latency shift above the bounds fails", func(t *testing.T) {
		f.serve(profile{RPS: seqRPS, ErrorRatio: 0.005, Latency: 600 * time.Millisecond}, seqBase)
		r, rep := f.analyze(t, f.gate(t, 10, seqLatency))
		r.expect(t, 1, "slow-requests FAIL: regression proven", "above 0.25s: canary", "above 0.5s: canary")
		t.Logf("latency 600 ms vs 20 ms: failed at interval %d after %s", settledAt(rep, 0), r.elapsed.Round(time.Millisecond))
	})
	t.Logf("all scenarios took %s", time.Since(began).Round(time.Second))
}

// sameMeasurements compares a replay with the live run it replays: same
// instants, outcomes and explanations.
func sameMeasurements(t *testing.T, live, replay gate.Report) {
	t.Helper()
	a, b := live.Analysis.Checks[0].Measurements, replay.Analysis.Checks[0].Measurements
	if len(a) != len(b) {
		t.Fatalf("replay made %d measurements, live %d", len(b), len(a))
	}
	for i := range a {
		if !a[i].At.Equal(b[i].At) || a[i].Outcome != b[i].Outcome || a[i].Reason != b[i].Reason {
			t.Errorf("interval %d: replay %s %s %q, live %s %s %q", i+1, b[i].At, b[i].Outcome, b[i].Reason, a[i].At, a[i].Outcome, a[i].Reason)
		}
	}
}

func TestSequentialAfterACompletedRolloutIsInconclusiveNamingWhy(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	create(t, ns, deployment("api", 2, "registry.local/api:v1"))
	waitAvailable(t, ns, "api")
	release(t, ns, "api", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2" })
	waitFor(t, 60*time.Second, "the old ReplicaSet to have no pods", func() bool {
		rss, err := cluster(t).AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil || len(rss.Items) != 2 {
			return false
		}
		for _, rs := range rss.Items {
			if rs.Annotations[workload.RevisionAnnotation] == "1" && rs.Status.Replicas != 0 {
				return false
			}
		}
		return true
	})
	// No Prometheus: nothing may be queried for a check that cannot be judged.
	gateFile := writeGate(t, "analysis:\n  prometheus: {url: \"http://127.0.0.1:9\", timeout: 1s}\n  interval: 1s\n  count: 2\n  checks:"+seqErrors)
	r := rollgate(t, env.kubeconfig, "analyze", "deployment/api", "-n", ns, "-f", gateFile)
	r.expect(t, 3, "has no pods (the rollout completed)", "error-ratio was not judged")
	if strings.Contains(r.String(), "query") && strings.Contains(r.String(), "failed") {
		t.Errorf("a check that cannot be judged queried Prometheus:\n%s", r)
	}
}

// workloadPods is a regex of the exporter's pod names.
func workloadPods(pods []string) string { return strings.Join(pods, "|") }
