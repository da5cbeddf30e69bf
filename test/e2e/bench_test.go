package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rollgate/rollgate/gate/workload"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkErrorRegressionToFailVerdict measures the seconds from injecting
// an error-rate regression into the exporter to rollgate's Fail verdict,
// with Prometheus scraping every 1s and the analysis interval at 5s. It
// times, it does not assert: run it with `make bench`.
func BenchmarkErrorRegressionToFailVerdict(b *testing.B) {
	for range b.N {
		f := newAnalysisFixture(b)
		f.serve(f.canary, profile{RPS: 20, ErrorRatio: 0.01, Latency: 40 * time.Millisecond})
		f.prom.waitScraped(b, f.ns)
		gateFile := writeGate(b, "analysis:\n  prometheus: {url: \""+f.prom.URL+"\"}\n  initialDelay: 5s\n  interval: 5s\n  count: 30\n  failureLimit: 0\n  checks:"+errorRateCheck)
		injected := make(chan time.Time, 1)
		go func() {
			time.Sleep(12 * time.Second) // two healthy intervals first
			f.serve(f.canary, profile{RPS: 20, ErrorRatio: 0.3, Latency: 40 * time.Millisecond})
			injected <- time.Now()
		}()
		r := f.analyze(b, gateFile)
		if r.code != 1 {
			b.Fatalf("rollgate exited %d, want 1 (fail)\n%s", r.code, r)
		}
		b.ReportMetric(r.finished.Sub(<-injected).Seconds(), "s-to-fail-verdict")
	}
}

// exposure integrates the ready pods of revision rev's ReplicaSet over time
// (pod-seconds a bad release served) until stop is called.
func exposure(b testing.TB, ns, rev string) (stop func() float64) {
	done := make(chan struct{})
	total := make(chan float64, 1)
	go func() {
		var sum float64
		last := time.Now()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				total <- sum
				return
			case <-tick.C:
			}
			now := time.Now()
			rss, err := cluster(b).AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{})
			if err == nil {
				for _, rs := range rss.Items {
					if rs.Annotations[workload.RevisionAnnotation] == rev {
						sum += float64(rs.Status.ReadyReplicas) * now.Sub(last).Seconds()
					}
				}
			}
			last = now
		}
	}()
	return func() float64 { close(done); return <-total }
}

// BenchmarkBadReleaseExposure: pod-seconds a regressing release serves
// before the old version is back, the step canary (`rollgate run` with
// steps 1 pod, 50 %) against the usual pipeline without one (`kubectl
// rollout status` until the release is complete, the same analysis on it,
// then the rollback). Same cluster, same metrics, run side by side.
func BenchmarkBadReleaseExposure(b *testing.B) {
	bad := profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond}
	for range b.N {
		canary, plain := newCanaryFixture(b), newCanaryFixture(b)
		canary.slowStart(b)
		plain.slowStart(b)
		var stepPods, plainPods float64
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			stop := exposure(b, canary.ns, "2")
			canary.release(b, "v2", bad)
			rollgate(b, env.kubeconfig, "run", "deployment/api", "-n", canary.ns, "-f", canary.canaryGate(b, ", analysis: 4s"))
			waitAvailable(b, canary.ns, "api")
			stepPods = stop()
		}()
		go func() {
			defer wg.Done()
			stop := exposure(b, plain.ns, "2")
			plain.release(b, "v2", bad)
			waitAvailable(b, plain.ns, "api") // kubectl rollout status: complete
			gateFile := writeGate(b, fmt.Sprintf("analysis:\n  prometheus: {url: %q, timeout: 2s}\n  initialDelay: 2s\n  interval: 2s\n  count: 2\n  checks:%s\n", plain.prom.URL, errorRateCheck))
			rollgate(b, env.kubeconfig, "analyze", "deployment/api", "-n", plain.ns, "-f", gateFile)
			rollgate(b, env.kubeconfig, "rollback", "deployment/api", "-n", plain.ns) // kubectl rollout undo
			waitAvailable(b, plain.ns, "api")
			plainPods = stop()
		}()
		wg.Wait()
		b.ReportMetric(stepPods, "step-canary-pod-s")
		b.ReportMetric(plainPods, "status+analyze+undo-pod-s")
		if stepPods > 0 {
			b.ReportMetric(plainPods/stepPods, "x-less-exposure")
		}
	}
}
