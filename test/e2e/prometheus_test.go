package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollgate/rollgate/test/fakeapp"
)

type profile = fakeapp.Profile

// exporter is the simulated app's metrics endpoint on 127.0.0.1.
type exporter struct {
	*fakeapp.Exporter
	addr string
}

func startExporter(t testing.TB) *exporter {
	t.Helper()
	e := &exporter{Exporter: fakeapp.New()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	srv := &http.Server{Handler: e.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	ctx, stop := context.WithCancel(context.Background())
	go e.Run(ctx)
	t.Cleanup(func() { stop(); _ = srv.Close() })
	return e
}

func (e *exporter) set(ns, pod string, p profile) { e.Set(ns, pod, p) }

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
	p.waitQuery(t, fmt.Sprintf(`count(http_requests_total{namespace=%q})`, ns))
}

// waitQuery waits until q returns a non-empty result.
func (p *promServer) waitQuery(t testing.TB, q string) {
	t.Helper()
	waitFor(t, 60*time.Second, "prometheus to answer "+q, func() bool {
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
