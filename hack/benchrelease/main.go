// Command benchrelease is the release section of `make bench`: one
// `rollgate run` gating N Deployments (one of them crash-looping, policy
// release independent) against N concurrent `kubectl rollout status`, for
// N = 1, 10 and 100, one after the other on the same local cluster. Per N
// it prints wall time, peak RSS, the API requests each gate made and the
// seconds from the doomed Deployment's apply to the verdict on it, with
// ratios. It times, it asserts nothing.
//
// The API requests are each gate's own: the gates run as their own
// ServiceAccounts, and a FlowSchema per ServiceAccount makes the
// apiserver count their requests apart (apiserver_flowcontrol_dispatched_
// requests_total) from the controllers' and kwok's. apiserver_request_total
// has no label that tells clients apart; its rise over each run is
// printed too, for scale.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type bench struct {
	settings
	cs       kubernetes.Interface
	dir      string
	rg, kc   identity
	gateFile string
	log      io.Writer
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchrelease", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("sizes", "1,10,100", "release sizes N, comma-separated")
	rollgate := fs.String("rollgate", "bin/rollgate", "the rollgate binary")
	kubectl := fs.String("kubectl", "kubectl", "the kubectl binary")
	replicas := fs.Int("replicas", 1, "replicas of each Deployment")
	deadline := fs.Int("deadline", 25, "progressDeadlineSeconds of the doomed Deployment: when kubectl gives up on it")
	healthyDeadline := fs.Int("healthy-deadline", 300, "progressDeadlineSeconds of the healthy Deployments: more than a busy cluster needs to roll out 100")
	reports := fs.String("reports", "", "a directory to keep rollgate's JSON reports in (default: not kept)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "benchrelease: -sizes %q: want positive integers like 1,10,100\n", *sizes)
			return 2
		}
		ns = append(ns, n)
	}
	if err := bench1(ctx, ns, settings{rollgate: *rollgate, kubectl: *kubectl, replicas: int32(*replicas),
		deadline: int32(*deadline), healthyDeadline: int32(*healthyDeadline), reports: *reports}, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "benchrelease: %v\n", err)
		return 1
	}
	return 0
}

// settings are the bench's flags.
type settings struct {
	rollgate, kubectl         string
	replicas                  int32
	deadline, healthyDeadline int32
	reports                   string
}

func bench1(ctx context.Context, sizes []int, set settings, stdout, stderr io.Writer) error {
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	rc.QPS, rc.Burst = 200, 400
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	if set.rollgate, err = filepath.Abs(set.rollgate); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "benchrelease")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{settings: set, cs: cs, dir: dir, log: stderr, gateFile: filepath.Join(dir, "gate.yaml")}
	if err := os.WriteFile(b.gateFile, []byte("apiVersion: rollgate.dev/v1alpha1\nkind: Gate\ntimeout: 5m\npolicy: {release: independent}\n"), 0o600); err != nil {
		return err
	}
	ids, err := setupIdentities(ctx, cs, rc, dir, "rollgate", "kubectl")
	defer teardownIdentities(context.WithoutCancel(ctx), cs, ids)
	if err != nil {
		return err
	}
	b.rg, b.kc = ids[0], ids[1]
	// kubectl at its cheapest: its discovery cache is warm, as after the
	// first kubectl of a CI job, so its processes make no discovery calls.
	warm, err := runAll(b.kc.kubeconfig, [][]string{{b.kubectl, "--cache-dir", b.cacheDir(), "api-resources"}})
	if err != nil {
		return fmt.Errorf("warm kubectl's discovery cache: %w", err)
	}
	if warm[0].code != 0 {
		return fmt.Errorf("warm kubectl's discovery cache: %s", warm[0].failure())
	}
	var rows []row
	for _, n := range sizes {
		r, err := b.size(ctx, n)
		if err != nil {
			return fmt.Errorf("release of %d: %w", n, err)
		}
		rows = append(rows, r)
	}
	b.print(stdout, rows)
	return nil
}

// deadlineOf is the progressDeadlineSeconds of Deployment name, in
// kubectl's namespace or rollgate's.
// Only kubectl's doomed copy has the short one: kubectl has no other way
// to give up on it. rollgate finds the crash loop without it, and a short
// deadline on its copy lets a controller that is many seconds behind
// (100 rollouts at once, the local controller-manager's default 20 QPS)
// time out the rollback it watches too.
func (b *bench) deadlineOf(kubectls bool, name string) int32 {
	if name == doomed && kubectls {
		return b.deadline
	}
	return b.healthyDeadline
}

func (b *bench) cacheDir() string { return filepath.Join(b.dir, "kubectl-cache") }

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s benchrelease: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// gated is one gate's side of a release of N: the figures printed.
type gated struct {
	wall    time.Duration // first process start to last exit
	healthy time.Duration // start to the last healthy target's verdict (0: none)
	doomed  time.Duration // the doomed Deployment's apply to the verdict on it
	// split is where rollgate's doomed time went: to its Lease (they are
	// taken one after the other), on to its pin (which waits for the
	// controller's observedGeneration), and from the pin to the verdict.
	split [3]time.Duration
	// made and observed are when the doomed Deployment's new ReplicaSet
	// existed and when its controller had written that it observed the
	// new spec, after its apply: neither gate judges a revision before.
	made, observed time.Duration
	doomedCode     int
	rssKiB         int64 // summed over the processes
	maxRSSKiB      int64 // of the largest one
	requests       float64
	clusterReqs    float64 // apiserver_request_total's rise over the same window
	outcome        string
}

type row struct {
	n                 int
	rollgate, kubectl gated
}

// size gates a release of n on fresh namespaces, one per gate: rollgate
// first, then kubectl, each alone with the controllers.
func (b *bench) size(ctx context.Context, n int) (row, error) {
	names := make([]string, 0, n)
	for i := range n - 1 {
		names = append(names, fmt.Sprintf("bench-%03d", i))
	}
	names = append(names, doomed)
	nsR, nsK := fmt.Sprintf("%s-r%d", prefix, n), fmt.Sprintf("%s-k%d", prefix, n)
	defer func() {
		for _, ns := range []string{nsR, nsK} {
			_ = b.cs.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), ns, metav1.DeleteOptions{})
		}
	}()
	for _, ns := range []string{nsR, nsK} {
		if err := b.namespace(ctx, ns); err != nil {
			return row{}, err
		}
		if err := each(names, func(name string) error {
			_, err := b.cs.AppsV1().Deployments(ns).Create(ctx, deployment(ns, name, b.replicas, b.deadlineOf(ns == nsK, name), "v1", false), metav1.CreateOptions{})
			return err
		}); err != nil {
			return row{}, err
		}
	}
	b.logf("N=%d: %d Deployments x %d replicas in %s and %s, waiting for v1 to roll out", n, n, b.replicas, nsR, nsK)
	for _, ns := range []string{nsR, nsK} {
		if err := settled(ctx, b.cs, ns, b.replicas, 3*time.Minute); err != nil {
			return row{}, err
		}
	}
	r := row{n: n}
	var err error
	b.logf("N=%d: v2 (%s crash-looping), rollgate run", n, doomed)
	if r.rollgate, err = b.race(ctx, nsR, names, b.rg, b.rollgateRun); err != nil {
		return r, err
	}
	b.logf("N=%d: v2 (%s crash-looping), %d x kubectl rollout status", n, doomed, n)
	if r.kubectl, err = b.race(ctx, nsK, names, b.kc, b.kubectlRun); err != nil {
		return r, err
	}
	return r, nil
}

// namespace makes ns afresh, with its default ServiceAccount (pods wait
// for it).
func (b *bench) namespace(ctx context.Context, ns string) error {
	if err := b.cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err == nil {
		b.logf("namespace %s left by an earlier run: waiting for its deletion", ns)
		for {
			if _, err := b.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
				break
			}
			time.Sleep(time.Second)
		}
	}
	if _, err := b.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	for {
		if _, err := b.cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// race applies v2 to the release in ns, runs the gate on it and counts
// the requests the gate's identity made meanwhile.
func (b *bench) race(ctx context.Context, ns string, names []string, id identity, gateRun func(string, []string, time.Time) (gated, error)) (gated, error) {
	before, err := scrape(ctx, b.cs)
	if err != nil {
		return gated{}, err
	}
	applied, gen, err := release(ctx, b.cs, ns, names)
	if err != nil {
		return gated{}, err
	}
	lag := make(chan [2]time.Duration, 1)
	go func() {
		made, observed := controllerLag(ctx, b.cs, ns, doomed, gen, applied)
		lag <- [2]time.Duration{made, observed}
	}()
	g, err := gateRun(ns, names, applied)
	l := <-lag
	g.made, g.observed = l[0], l[1]
	if err != nil {
		return g, err
	}
	time.Sleep(time.Second) // a watch is counted in apiserver_request_total when it ends
	after, err := scrape(ctx, b.cs)
	if err != nil {
		return g, err
	}
	d := after.minus(before)
	g.requests, g.clusterReqs = d.flow[id.flowSchema()], d.total
	return g, nil
}
