// Package e2e proves rollgate against a real control plane: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler built from their
// Go modules, kwok fake nodes and the Argo Rollouts controller, all started
// on 127.0.0.1 by hack/cluster.sh. Set ROLLGATE_E2E=0 to skip.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

var env struct {
	skip       string // why e2e tests are skipped, "" when they run
	kubeconfig string
	auditLog   string // the apiserver's audit log (hack/cluster.sh exports it)
	binary     string
	rest       *rest.Config
	client     kubernetes.Interface
}

func TestMain(m *testing.M) {
	os.Exit(setup(m))
}

func setup(m *testing.M) int {
	if os.Getenv("ROLLGATE_E2E") == "0" {
		env.skip = "ROLLGATE_E2E=0: end-to-end tests against the local control plane are skipped"
		return m.Run()
	}
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "rollgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := startCluster(root); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: local control plane:", err)
		return 1
	}
	env.binary = filepath.Join(tmp, "rollgate")
	build := exec.Command("go", "build", "-o", env.binary, "./cmd/rollgate")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build rollgate:", err)
		return 1
	}
	code := m.Run()
	if !sweep.report() && code == 0 {
		code = 1
	}
	return code
}

// startCluster starts the local control plane, or reuses the running one.
func startCluster(root string) error {
	cmd := exec.Command("bash", filepath.Join(root, "hack", "cluster.sh"), "up")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("hack/cluster.sh up: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines {
		if p, ok := strings.CutPrefix(l, "export ROLLGATE_AUDIT_LOG="); ok {
			env.auditLog = p
		}
	}
	last := lines[len(lines)-1]
	path, ok := strings.CutPrefix(last, "export KUBECONFIG=")
	if !ok {
		return fmt.Errorf("hack/cluster.sh up printed %q, want export KUBECONFIG=...", last)
	}
	env.kubeconfig = path
	rc, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 50, 100
	env.rest = rc
	env.client, err = kubernetes.NewForConfig(rc)
	return err
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "hack", "cluster.sh")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (go.mod with hack/cluster.sh)")
		}
		dir = parent
	}
}

// cluster returns the admin client, skipping the test when e2e is off.
func cluster(t testing.TB) kubernetes.Interface {
	t.Helper()
	if env.skip != "" {
		t.Skip(env.skip)
	}
	return env.client
}

// namespace creates a namespace of the test's own, deleted when it ends.
func namespace(t testing.TB) string {
	t.Helper()
	c := cluster(t)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := strings.ToLower(fmt.Sprintf("e2e-%.30s-%s", sanitize(t.Name()), hex.EncodeToString(b)))
	ctx := context.Background()
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		_ = c.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	waitFor(t, 30*time.Second, "default ServiceAccount in "+name, func() bool {
		_, err := c.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	return name
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// waitFor polls cond for test setup only (rollgate itself never polls).
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// result is one finished rollgate process.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	finished       time.Time
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s\n--- stdout\n%s--- stderr\n%s", r.code, r.elapsed.Round(time.Millisecond), r.stdout, r.stderr)
}

// rollgate runs the built binary against the local cluster.
func rollgate(t testing.TB, kubeconfig string, args ...string) result {
	t.Helper()
	return startRollgate(t, kubeconfig, args...).wait(t)
}

// running is a rollgate process started in the background, whose output a
// test can watch while it runs (to act at the right moment, not after a sleep).
type running struct {
	test   string
	args   []string
	extra  []string
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	start  time.Time
	done   chan error
	cancel context.CancelFunc
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func startRollgate(t testing.TB, kubeconfig string, args ...string) *running {
	t.Helper()
	return startRollgateEnv(t, kubeconfig, nil, args...)
}

// rollgateEnv runs the binary with extra environment variables (secrets).
func rollgateEnv(t testing.TB, kubeconfig string, extra []string, args ...string) result {
	t.Helper()
	return startRollgateEnv(t, kubeconfig, extra, args...).wait(t)
}

func startRollgateEnv(t testing.TB, kubeconfig string, extra []string, args ...string) *running {
	t.Helper()
	return startRollgateEnvInput(t, kubeconfig, extra, "", args...)
}

// startRollgateEnvInput is startRollgateEnv with stdin as the standard
// input ("" for none).
func startRollgateEnvInput(t testing.TB, kubeconfig string, extra []string, stdin string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	r := &running{test: t.Name(), args: args, extra: extra, done: make(chan error, 1), cancel: cancel}
	r.cmd = exec.CommandContext(ctx, env.binary, args...)
	// Secret markers first: the test's own variables win over them.
	sweep.secretsIn(t.Name(), extra)
	r.cmd.Env = append(append(append(os.Environ(), sweep.markerEnv(extra)...), "KUBECONFIG="+kubeconfig), extra...)
	r.cmd.Stdout, r.cmd.Stderr = lockedWriter{&r.mu, &r.stdout}, lockedWriter{&r.mu, &r.stderr}
	if stdin != "" {
		r.cmd.Stdin = strings.NewReader(stdin)
	}
	r.start = time.Now()
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start rollgate: %v", err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	return r
}

// waitOutput returns once stdout contains s (test setup only).
func (r *running) waitOutput(t testing.TB, s string) {
	t.Helper()
	waitFor(t, time.Minute, fmt.Sprintf("rollgate to print %q", s), func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return strings.Contains(r.stdout.String(), s)
	})
}

// wait returns the finished process's result.
func (r *running) wait(t testing.TB) result {
	t.Helper()
	err := <-r.done
	r.cancel()
	r.mu.Lock()
	res := result{stdout: r.stdout.String(), stderr: r.stderr.String(), elapsed: time.Since(r.start), finished: time.Now()}
	r.mu.Unlock()
	sweep.record(r.test, r.args, r.extra, res.stdout, res.stderr)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run rollgate: %v", err)
	}
	t.Logf("rollgate %s: %s", strings.Join(r.args, " "), res)
	return res
}

func (r result) expect(t testing.TB, code int, contains ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("rollgate exited %d, want %d\n%s", r.code, code, r)
	}
	all := r.stdout + r.stderr
	for _, s := range contains {
		if !strings.Contains(all, s) {
			t.Errorf("output does not mention %q\n%s", s, r)
		}
	}
}
