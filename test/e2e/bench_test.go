package e2e

import (
	"testing"
	"time"
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
