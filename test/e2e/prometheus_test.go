package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// profile is what one fake pod serves: requests per second, the share of
// them that fail with 500, and their latency.
type profile struct {
	RPS        float64
	ErrorRatio float64
	Latency    time.Duration
}

// exporter is a small app-metrics endpoint: http_requests_total{namespace,
// pod, code} and http_request_duration_seconds{namespace, pod}, driven by
// per-pod profiles the test changes at run time.
type exporter struct {
	mu       sync.Mutex
	profiles map[[2]string]profile // {namespace, pod}
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	addr     string
}

func startExporter(t testing.TB) *exporter {
	t.Helper()
	e := &exporter{profiles: map[[2]string]profile{}}
	reg := prometheus.NewRegistry()
	e.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "requests"}, []string{"namespace", "pod", "code"})
	e.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "latency",
		Buckets: []float64{.005, .01, .025, .05, .1, .15, .2, .25, .3, .4, .5, .75, 1, 2.5}}, []string{"namespace", "pod"})
	reg.MustRegister(e.requests, e.latency)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	ctx, stop := context.WithCancel(context.Background())
	go e.serve(ctx)
	t.Cleanup(func() { stop(); _ = srv.Close() })
	return e
}

func (e *exporter) set(ns, pod string, p profile) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.profiles[[2]string{ns, pod}] = p
}

// serve "handles" requests every 100ms according to the profiles.
func (e *exporter) serve(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	carry := map[[2]string]float64{}
	served := map[[2]string]int{}
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
				served[k]++
				code := "200"
				// a deterministic spread: ErrorRatio x 100 of every 100 requests fail
				if float64(served[k]%100) < p.ErrorRatio*100 {
					code = "500"
				}
				e.requests.WithLabelValues(k[0], k[1], code).Inc()
				e.latency.WithLabelValues(k[0], k[1]).Observe(p.Latency.Seconds())
			}
		}
		e.mu.Unlock()
	}
}

// promServer is a real Prometheus (Debian package) on 127.0.0.1 scraping
// the exporter every second.
type promServer struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startPrometheus(t testing.TB, target string) *promServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("the prometheus binary is not installed (apt-get install prometheus; .ci/run does it): %v", err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n- job_name: app\n  static_configs: [{targets: [%q]}]\n", target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	p := &promServer{URL: "http://" + addr, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--web.enable-remote-write-receiver")
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	waitFor(t, 30*time.Second, "prometheus ready", func() bool {
		resp, err := http.Get(p.URL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

func (p *promServer) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitScraped waits until Prometheus has the exporter's series for ns.
func (p *promServer) waitScraped(t testing.TB, ns string) {
	t.Helper()
	q := fmt.Sprintf(`count(http_requests_total{namespace=%q})`, ns)
	waitFor(t, 60*time.Second, "prometheus to scrape "+ns, func() bool {
		resp, err := http.Get(p.URL + "/api/v1/query?query=" + urlQuery(q))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b [512]byte
		n, _ := resp.Body.Read(b[:])
		return resp.StatusCode == 200 && !containsEmptyResult(string(b[:n]))
	})
}
