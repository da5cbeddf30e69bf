package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// analysisFixture is a Deployment released v1 -> v2 on the cluster, an
// exporter serving metrics for pods of both ReplicaSets and a real
// Prometheus scraping it.
type analysisFixture struct {
	ns             string
	canary, stable []string // pod names matching each ReplicaSet's regex
	exp            *exporter
	prom           *promServer
}

func newAnalysisFixture(t testing.TB) *analysisFixture {
	t.Helper()
	ns := namespace(t)
	create(t, ns, deployment("api", 2, "registry.local/api:v1"))
	waitAvailable(t, ns, "api")
	release(t, ns, "api", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2" })
	waitAvailable(t, ns, "api")
	f := &analysisFixture{ns: ns}
	rss, err := cluster(t).AppsV1().ReplicaSets(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range rss.Items {
		pods := []string{rs.Name + "-a1b2c", rs.Name + "-d3e4f"}
		if rs.Annotations["deployment.kubernetes.io/revision"] == "2" {
			f.canary = pods
		} else {
			f.stable = pods
		}
	}
	if f.canary == nil || f.stable == nil {
		t.Fatalf("want a canary and a stable ReplicaSet, got %d ReplicaSets", len(rss.Items))
	}
	f.exp = startExporter(t)
	f.prom = startPrometheus(t, f.exp.addr)
	return f
}

func (f *analysisFixture) serve(pods []string, p profile) {
	for _, pod := range pods {
		f.exp.set(f.ns, pod, p)
	}
}

// gate writes a gate file around the given checks, analysing every 2s.
func (f *analysisFixture) gate(t testing.TB, analysis string) string {
	t.Helper()
	return writeGate(t, fmt.Sprintf("analysis:\n  prometheus: {url: %q, timeout: 2s}\n  initialDelay: 6s\n  interval: 2s\n%s", f.prom.URL, analysis))
}

const errorRateCheck = `
    - name: error-rate
      query: (sum(rate(http_requests_total{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}",code=~"5.."}[5s])) or on() vector(0)) / sum(rate(http_requests_total{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[5s]))
      max: 0.05
      sampleQuery: sum(increase(http_requests_total{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[5s]))
      minSamples: 20`

const p99Check = `
    - name: p99-vs-stable
      query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[5s])))
      baseline: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{.Namespace}}",pod=~"{{.StablePods}}"}[5s])))
      max: 1
      maxRatio: 1.2`

func (f *analysisFixture) analyze(t testing.TB, gateFile string, extra ...string) result {
	t.Helper()
	return rollgate(t, env.kubeconfig, append([]string{"analyze", "deployment/api", "-n", f.ns, "-f", gateFile}, extra...)...)
}

func TestAnalyzeHealthyCanaryPasses(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.canary, profile{RPS: 20, ErrorRatio: 0.01, Latency: 40 * time.Millisecond})
	f.serve(f.stable, profile{RPS: 20, ErrorRatio: 0.01, Latency: 40 * time.Millisecond})
	f.prom.waitScraped(t, f.ns)
	r := f.analyze(t, f.gate(t, "  count: 3\n  checks:"+errorRateCheck+p99Check))
	r.expect(t, 0, "error-rate PASS", "p99-vs-stable PASS", "<= maxRatio 1.2", "error-rate passed 3 of 3")
}

func TestAnalyzeErrorRateFailsAfterFailureLimitPlusOne(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.canary, profile{RPS: 20, ErrorRatio: 0.2, Latency: 40 * time.Millisecond})
	f.prom.waitScraped(t, f.ns)
	r := f.analyze(t, f.gate(t, "  count: 10\n  failureLimit: 1\n  checks:"+errorRateCheck))
	// Stopped at the second bad interval of ten, not at the end.
	r.expect(t, 1, "error-rate FAIL", "> max 0.05", "analysis failed: error-rate failed 2 of 2 intervals > failureLimit 1")
	if n := strings.Count(r.stdout, "error-rate FAIL"); n != 2 {
		t.Errorf("%d failed intervals printed, want exactly failureLimit+1 = 2", n)
	}
}

func TestAnalyzeNoTrafficIsInconclusive(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.stable, profile{RPS: 20, Latency: 40 * time.Millisecond}) // only the stable pods get traffic
	f.prom.waitScraped(t, f.ns)
	r := f.analyze(t, f.gate(t, "  count: 3\n  checks:"+errorRateCheck))
	r.expect(t, 3, "error-rate INCONCLUSIVE", "analysis inconclusive")
	if strings.Contains(r.stdout, "error-rate PASS") || strings.Contains(r.stdout, "error-rate FAIL") {
		t.Errorf("no traffic must be neither pass nor fail\n%s", r)
	}
}

func TestAnalyzePrometheusStoppedIsInconclusiveNeverPass(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.canary, profile{RPS: 20, ErrorRatio: 0.01, Latency: 40 * time.Millisecond})
	f.prom.waitScraped(t, f.ns)
	run := startRollgate(t, env.kubeconfig, "analyze", "deployment/api", "-n", f.ns, "-f",
		f.gate(t, "  count: 12\n  consecutiveErrorLimit: 2\n  checks:"+errorRateCheck))
	run.waitOutput(t, "error-rate PASS") // mid-analysis
	f.prom.stop()
	r := run.wait(t)
	r.expect(t, 3, "error-rate PASS", "error-rate ERROR", "consecutive query errors > consecutiveErrorLimit 2")
}

func TestAnalyzeCanaryLatencyAgainstStable(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.canary, profile{RPS: 20, Latency: 290 * time.Millisecond})
	f.serve(f.stable, profile{RPS: 20, Latency: 190 * time.Millisecond})
	f.prom.waitScraped(t, f.ns)
	// p99 is under the absolute max of 1s, but 1.5x the stable pods'.
	r := f.analyze(t, f.gate(t, "  count: 3\n  checks:"+p99Check))
	r.expect(t, 1, "p99-vs-stable FAIL", "> maxRatio 1.2")
}

func TestAnalyzeSeveralSeriesIsAnErrorNamingTheLabels(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.canary, profile{RPS: 20, Latency: 40 * time.Millisecond})
	f.prom.waitScraped(t, f.ns)
	check := `
    - name: per-pod
      query: sum by (pod) (rate(http_requests_total{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[5s]))
      min: 1`
	r := f.analyze(t, f.gate(t, "  count: 3\n  consecutiveErrorLimit: 1\n  checks:"+check))
	r.expect(t, 3, "per-pod ERROR", "2 series where one was expected", fmt.Sprintf("{pod=%q}", f.canary[0]))
}

func TestAnalyzeReplayReproducesTheLiveVerdict(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.canary, profile{RPS: 20, ErrorRatio: 0.2, Latency: 40 * time.Millisecond})
	f.prom.waitScraped(t, f.ns)
	gateFile := f.gate(t, "  count: 4\n  failureLimit: 1\n  checks:"+errorRateCheck)
	report := t.TempDir() + "/live.json"
	live := f.analyze(t, gateFile, "--report", report)
	live.expect(t, 1, "error-rate failed 2 of 2 intervals > failureLimit 1")
	// Replay the instants the live run measured, from the stored samples.
	var rep analysisReport
	mustJSON(t, readFile(t, report), &rep)
	ms := rep.Analysis.Checks[0].Measurements
	from, to := ms[0].At.Format(time.RFC3339Nano), ms[len(ms)-1].At.Format(time.RFC3339Nano)
	replay := f.analyze(t, gateFile, "--from", from, "--to", to, "--report", report)
	replay.expect(t, 1, "replaying", "error-rate failed 2 of 2 intervals > failureLimit 1")
	var again analysisReport // a fresh value: decoding into rep would reuse ms's array
	mustJSON(t, readFile(t, report), &again)
	for i, m := range again.Analysis.Checks[0].Measurements {
		if !m.At.Equal(ms[i].At) || m.Outcome != ms[i].Outcome {
			t.Errorf("replayed measurement %d = %v %s, live was %v %s", i, m.At, m.Outcome, ms[i].At, ms[i].Outcome)
		}
	}
}

// analysisReport is the part of the JSON report the replay test compares.
type analysisReport struct {
	Analysis struct {
		Checks []struct {
			Measurements []struct {
				At      time.Time
				Outcome string
			}
		}
	}
}

func TestAnalyzeReadyMadeChecks(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.canary, profile{RPS: 40, ErrorRatio: 0.2, Latency: 40 * time.Millisecond})
	f.prom.waitScraped(t, f.ns)
	checks := `
    - {name: success, use: success-rate, vars: {window: 5s}, minSamples: 20}
    - {name: latency, use: latency-p99, vars: {window: 5s}}`
	// About 80% success is under the default min of 99%; a 40ms p99 is under 500ms.
	r := f.analyze(t, f.gate(t, "  count: 3\n  checks:"+checks))
	r.expect(t, 1, "success FAIL: ", "< min 99", "latency PASS: ", "<= max 500", "analysis failed: success failed 1 of 1 intervals > failureLimit 0")
}
