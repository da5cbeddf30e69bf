// Package fakeapp simulates the request metrics of an app's pods, the way
// an instrumented HTTP service exports them: http_requests_total{namespace,
// pod, code} and http_request_duration_seconds{namespace, pod}. Each pod's
// traffic, error ratio and latency is a Profile the caller sets and changes
// at run time. The e2e tests and `make demo` point a real Prometheus at it.
package fakeapp

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Profile is what one pod serves: requests per second, the share of them
// that fail with 500, and their latency.
type Profile struct {
	RPS        float64
	ErrorRatio float64
	Latency    time.Duration
}

// Exporter holds the profiles and the metrics they produce.
type Exporter struct {
	mu       sync.Mutex
	profiles map[[2]string]Profile // {namespace, pod}
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns an exporter with no pods.
func New() *Exporter {
	e := &Exporter{profiles: map[[2]string]Profile{}, reg: prometheus.NewRegistry()}
	e.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "HTTP requests served."},
		[]string{"namespace", "pod", "code"})
	e.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "HTTP request latency.",
		Buckets: []float64{.005, .01, .025, .05, .1, .15, .2, .25, .3, .4, .5, .75, 1, 2.5}}, []string{"namespace", "pod"})
	e.reg.MustRegister(e.requests, e.latency)
	return e
}

// Set gives a pod a profile (a zero Profile serves no traffic).
func (e *Exporter) Set(ns, pod string, p Profile) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.profiles[[2]string{ns, pod}] = p
}

// Delete stops a pod's traffic; its counters stay, as a scrape of a gone
// pod's last values would.
func (e *Exporter) Delete(ns, pod string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.profiles, [2]string{ns, pod})
}

// Handler serves the metrics.
func (e *Exporter) Handler() http.Handler { return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}) }

// Run "handles" requests every 100 ms according to the profiles until ctx ends.
func (e *Exporter) Run(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	carry := map[[2]string]float64{}
	errCarry := map[[2]string]float64{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		e.mu.Lock()
		for k, p := range e.profiles {
			carry[k] += p.RPS / 10
			n := int(carry[k])
			carry[k] -= float64(n)
			for range n {
				code := "200"
				// a deterministic, even spread at exactly ErrorRatio: 0.005
				// fails one request in 200, 0.3 three in ten
				if errCarry[k] += p.ErrorRatio; errCarry[k] >= 1 {
					errCarry[k]--
					code = "500"
				}
				e.requests.WithLabelValues(k[0], k[1], code).Inc()
				e.latency.WithLabelValues(k[0], k[1]).Observe(p.Latency.Seconds())
			}
		}
		e.mu.Unlock()
	}
}
