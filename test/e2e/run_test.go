package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/workload"
)

// runFixture is a Deployment serving v1 on the cluster, with an exporter
// and a real Prometheus ready to report on whatever ReplicaSet a release
// creates.
type runFixture struct {
	ns   string
	exp  *exporter
	prom *promServer
}

var healthy = profile{RPS: 40, ErrorRatio: 0.005, Latency: 20 * time.Millisecond}

func newRunFixture(t testing.TB) *runFixture {
	t.Helper()
	f := &runFixture{ns: namespace(t)}
	d := deployment("api", 2, "registry.local/api:v1")
	d.Spec.Template.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "FEATURE", Value: "v1"}}
	create(t, f.ns, d)
	f.exp = startExporter(t)
	f.prom = startPrometheus(t, f.exp.addr)
	waitAvailable(t, f.ns, "api")
	f.serveRevision(t, "1", healthy)
	return f
}

// release applies version v (image, env and a template annotation change)
// and serves p as the metrics of its pods.
func (f *runFixture) release(t testing.TB, v string, p profile) {
	t.Helper()
	release(t, f.ns, "api", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:" + v
		d.Spec.Template.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "FEATURE", Value: v}}
		d.Spec.Template.Annotations = map[string]string{"app.example/release": v}
	})
	var rev string
	waitFor(t, 30*time.Second, "the controller to create the ReplicaSet of "+v, func() bool {
		d := getDeployment(t, f.ns, "api")
		rev = d.Annotations[workload.RevisionAnnotation]
		return d.Status.ObservedGeneration >= d.Generation
	})
	if p != (profile{}) {
		f.serveRevision(t, rev, p)
	}
}

// serveRevision serves p for two pods named like the ReplicaSet of rev.
func (f *runFixture) serveRevision(t testing.TB, rev string, p profile) {
	t.Helper()
	for _, pod := range f.podsOf(t, rev) {
		f.exp.set(f.ns, pod, p)
	}
}

// podsOf names two pods of the ReplicaSet of rev (the exporter's, not
// kwok's: only the name must match the ReplicaSet's pod regex).
func (f *runFixture) podsOf(t testing.TB, rev string) []string {
	t.Helper()
	rss, err := cluster(t).AppsV1().ReplicaSets(f.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range rss.Items {
		if rs.Annotations[workload.RevisionAnnotation] == rev {
			return []string{rs.Name + "-a1b2c", rs.Name + "-d3e4f"}
		}
	}
	t.Fatalf("no ReplicaSet of revision %s in %s", rev, f.ns)
	return nil
}

// gate is a gate file: three 2 s intervals after a 4 s delay, failureLimit
// 1, and whatever more is given (notify:...).
func (f *runFixture) gate(t testing.TB, more ...string) string {
	t.Helper()
	return writeGate(t, fmt.Sprintf(`readiness: {progressTimeout: 90s}
analysis:
  prometheus: {url: %q, timeout: 2s}
  initialDelay: 4s
  interval: 2s
  count: 3
  failureLimit: 1
  checks:%s
%s`, f.prom.URL, errorRateCheck, strings.Join(more, "\n")))
}

func (f *runFixture) run(t testing.TB, kubeconfig string, extra ...string) result {
	t.Helper()
	return rollgate(t, kubeconfig, append([]string{"run", "deployment/api", "-n", f.ns, "-f", f.gate(t)}, extra...)...)
}

func readReport(t testing.TB, path string) gate.Report {
	t.Helper()
	var r gate.Report
	mustJSON(t, readFile(t, path), &r)
	return r
}

func TestRunGoodReleaseIsPromotedUnderTheRunRole(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	kc := serviceAccountKubeconfig(t, f.ns, "deployer", exampleRole(t, "rollgate-run"))
	// A gate that crashed earlier left its lease behind: it has expired.
	stale := time.Now().Add(-2 * time.Minute)
	dur := int32(30)
	holder := "rollgate on a crashed runner"
	_, err := cluster(t).CoordinationV1().Leases(f.ns).Create(context.Background(), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "rollgate-deployment-api"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur,
			AcquireTime: &metav1.MicroTime{Time: stale}, RenewTime: &metav1.MicroTime{Time: stale}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.release(t, "v2", healthy)
	report := filepath.Join(t.TempDir(), "report.json")
	f.run(t, kc, "--report", report).expect(t, 0, "analysis passed", "promote revision 2")

	d := getDeployment(t, f.ns, "api")
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.local/api:v2" {
		t.Errorf("serving %s, want v2", img)
	}
	if got := d.Annotations[workload.AnnotationVerifiedRevision]; got != "2" {
		t.Errorf("verified-revision annotation = %q, want 2", got)
	}
	rep := readReport(t, report)
	if rep.Decision != gate.DecisionPromoted || rep.Action == nil || !rep.Action.Applied || rep.Pin == nil || rep.Pin.Revision != 2 {
		t.Errorf("report: decision %q action %+v pin %+v", rep.Decision, rep.Action, rep.Pin)
	}
	lease, err := cluster(t).CoordinationV1().Leases(f.ns).Get(context.Background(), "rollgate-deployment-api", metav1.GetOptions{})
	if err != nil || (lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "") {
		t.Errorf("the lease was not released: %+v, %v", lease.Spec, err)
	}

	// A rerun of the same job reports the state and does nothing twice.
	f.run(t, kc).expect(t, 0, "already verified and promoted: nothing to do")
	unchanged(t, d, getDeployment(t, f.ns, "api"), "the rerun")
}

func TestRunBadReleaseIsRolledBackToTheExactTemplate(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	kc := serviceAccountKubeconfig(t, f.ns, "deployer", exampleRole(t, "rollgate-run"))
	f.release(t, "v2", healthy)
	waitAvailable(t, f.ns, "api")
	v2 := getDeployment(t, f.ns, "api").Spec.Template
	f.release(t, "v3", profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond})
	report := filepath.Join(t.TempDir(), "report.json")
	f.run(t, kc, "--report", report).expect(t, 1, "analysis failed", "error-rate failed 2 of 2 intervals > failureLimit 1",
		"roll back deployment", "to the template of revision 2", "verified")

	d := getDeployment(t, f.ns, "api")
	if !apiequality.Semantic.DeepEqual(withoutHash(d.Spec.Template), withoutHash(v2)) {
		t.Errorf("after the rollback the template is\n%+v\nwant v2's\n%+v", d.Spec.Template, v2)
	}
	if d.Status.AvailableReplicas != 2 || d.Status.UpdatedReplicas != 2 {
		t.Errorf("rollback not healthy: %+v", d.Status)
	}
	rep := readReport(t, report)
	if rep.Decision != gate.DecisionRolledBack || rep.Action == nil || rep.Action.Verify == nil || !rep.Action.Verify.Progress.Done {
		t.Errorf("report: decision %q action %+v", rep.Decision, rep.Action)
	}
	// The analysis stopped as soon as failureLimit+1 intervals failed.
	if n := len(rep.Analysis.Checks[0].Measurements); n != 2 {
		t.Errorf("analysis measured %d intervals, want failureLimit+1 = 2", n)
	}

	f.run(t, kc).expect(t, 1, "already rolled back by rollgate")
	unchanged(t, d, getDeployment(t, f.ns, "api"), "the rerun")

	// The next good release is gated as usual and clears the rollback's record.
	f.release(t, "v4", healthy)
	f.run(t, kc).expect(t, 0, "promote revision 5")
	if ann := getDeployment(t, f.ns, "api").Annotations; ann[workload.AnnotationRolledBackTo] != "" || ann[workload.AnnotationVerifiedRevision] != "5" {
		t.Errorf("after promoting v4: annotations %v", ann)
	}
}

// unchanged fails when anything but the controller's status changed: the
// spec (generation) and the metadata rollgate writes.
func unchanged(t testing.TB, before, after *appsv1.Deployment, who string) {
	t.Helper()
	if after.Generation != before.Generation || after.Spec.Paused != before.Spec.Paused ||
		!apiequality.Semantic.DeepEqual(after.Annotations, before.Annotations) {
		t.Errorf("%s wrote to the deployment: generation %d -> %d, annotations %v -> %v", who,
			before.Generation, after.Generation, before.Annotations, after.Annotations)
	}
}

func withoutHash(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	c := *t.DeepCopy()
	delete(c.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return c
}

func TestRunNoTrafficIsHeldThenPromotedByHand(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	f.release(t, "v2", profile{}) // no traffic at all
	r := f.run(t, env.kubeconfig)
	r.expect(t, 3, "analysis inconclusive", "pause deployment", fmt.Sprintf("rollgate promote deployment/api -n %s", f.ns),
		fmt.Sprintf("rollgate rollback deployment/api -n %s", f.ns))
	if !getDeployment(t, f.ns, "api").Spec.Paused {
		t.Fatal("the held deployment is not paused")
	}
	kc := serviceAccountKubeconfig(t, f.ns, "oncall", exampleRole(t, "rollgate-actions"))
	rollgate(t, kc, "promote", "deployment/api", "-n", f.ns).expect(t, 0, "resume the paused deployment")
	d := getDeployment(t, f.ns, "api")
	if d.Spec.Paused || d.Annotations[workload.AnnotationVerifiedRevision] != "2" {
		t.Errorf("after promote: paused %v, verified-revision %q", d.Spec.Paused, d.Annotations[workload.AnnotationVerifiedRevision])
	}
}

func TestRunDryRunUnderTheReadOnlyRoleWritesNothing(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	kc := serviceAccountKubeconfig(t, f.ns, "viewer", exampleRole(t, "rollgate-check"))
	f.release(t, "v2", profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond})
	waitAvailable(t, f.ns, "api")
	before := getDeployment(t, f.ns, "api")
	f.run(t, kc, "--dry-run").expect(t, 1, "analysis failed", "would roll back deployment")
	unchanged(t, before, getDeployment(t, f.ns, "api"), "--dry-run")
	if _, err := cluster(t).CoordinationV1().Leases(f.ns).Get(context.Background(), "rollgate-deployment-api", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("--dry-run took a lease: %v", err)
	}
	// Without --dry-run the read-only Role is not enough, and the error says what to grant.
	f.run(t, kc).expect(t, 4, "permission denied", `grant "get" on "leases.coordination.k8s.io"`)
	unchanged(t, before, getDeployment(t, f.ns, "api"), "a run without rights")
}

func TestRunSecondGateOnTheSameTargetFailsAtOnceAndSIGTERMHolds(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	f.release(t, "v2", healthy)
	long := writeGate(t, fmt.Sprintf(`analysis:
  prometheus: {url: %q, timeout: 2s}
  initialDelay: 2s
  interval: 2s
  count: 100
  checks:%s
`, f.prom.URL, errorRateCheck))
	report := filepath.Join(t.TempDir(), "report.json")
	first := startRollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", long, "--report", report)
	first.waitOutput(t, "error-rate PASS")

	second := rollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", long)
	second.expect(t, 4, "another gate holds lease", "rollgate on ")
	if second.elapsed > 20*time.Second {
		t.Logf("the second gate took %s to refuse", second.elapsed) // logged, not asserted: speed lives in benchmarks
	}

	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := first.wait(t)
	r.expect(t, 5, "cancelled", "pause deployment")
	if !getDeployment(t, f.ns, "api").Spec.Paused {
		t.Error("the cancelled gate did not hold (pause) the deployment")
	}
	rep := readReport(t, report)
	if rep.Decision != gate.DecisionCancelled || rep.ExitCode != 5 || rep.Analysis == nil {
		t.Errorf("report after SIGTERM: decision %q exit %d analysis %v", rep.Decision, rep.ExitCode, rep.Analysis != nil)
	}
}

// serveRolloutCanary serves p for the pods of the Rollout's current canary ReplicaSet.
func (f *runFixture) serveRolloutCanary(t testing.TB, p profile) {
	t.Helper()
	var hash string
	waitFor(t, 30*time.Second, "the rollout's new pod hash", func() bool {
		u, err := dyn(t).Namespace(f.ns).Get(context.Background(), "web", metav1.GetOptions{})
		if err != nil {
			return false
		}
		st := workload.ReadRolloutStatus(u)
		hash = st.CanaryHash
		return st.CanaryHash != "" && st.CanaryHash != st.StableHash
	})
	f.exp.set(f.ns, "web-"+hash+"-a1b2c", p)
}

func newRolloutFixture(t testing.TB) *runFixture {
	t.Helper()
	f := &runFixture{ns: namespace(t)}
	f.exp = startExporter(t)
	f.prom = startPrometheus(t, f.exp.addr)
	createRollout(t, f.ns, 600)
	waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, f.ns) == "Healthy" })
	return f
}

func TestRunRolloutCanaryIsPromotedStepByStepOnHealthyMetrics(t *testing.T) {
	t.Parallel()
	f := newRolloutFixture(t)
	updateRollout(t, f.ns, "registry.local/web:v2", nil)
	f.serveRolloutCanary(t, healthy)
	kc := serviceAccountKubeconfig(t, f.ns, "deployer", exampleRole(t, "rollgate-run"))
	r := rollgate(t, kc, "run", "rollout/web", "-n", f.ns, "-f", f.gate(t))
	r.expect(t, 0, "paused at step 2 of 4", "promote rollout", "the rollout is healthy")
	if p := rolloutPhase(t, f.ns); p != "Healthy" {
		t.Errorf("rollout phase %s, want Healthy", p)
	}
}

func TestRunRolloutBadCanaryIsAbortedAndStableServes(t *testing.T) {
	t.Parallel()
	f := newRolloutFixture(t)
	updateRollout(t, f.ns, "registry.local/web:v2", nil)
	f.serveRolloutCanary(t, profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond})
	r := rollgate(t, env.kubeconfig, "run", "rollout/web", "-n", f.ns, "-f", f.gate(t))
	r.expect(t, 1, "analysis failed", "abort rollout", "3 of 3 replicas available")
	u, err := dyn(t).Namespace(f.ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st := workload.ReadRolloutStatus(u); !st.Abort {
		t.Errorf("rollout not aborted: %+v", st)
	}
}

func TestPromoteFullSkipsTheRemainingSteps(t *testing.T) {
	t.Parallel()
	f := newRolloutFixture(t)
	updateRollout(t, f.ns, "registry.local/web:v2", nil)
	waitFor(t, time.Minute, "rollout paused at its first pause step", func() bool { return rolloutPhase(t, f.ns) == "Paused" })
	rollgate(t, env.kubeconfig, "promote", "rollout/web", "-n", f.ns, "--full").expect(t, 0, "fully promote rollout", "rollout healthy")
	if p := rolloutPhase(t, f.ns); p != "Healthy" {
		t.Errorf("rollout phase %s, want Healthy", p)
	}
}

func TestRunNewerReleaseDuringAnalysisIsSupersededAndLeftAlone(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	run := f.analysingV2(t)
	f.release(t, "v3", healthy)
	r := run.wait(t)
	r.expect(t, 6, "superseded", "revision 3", "nothing was changed")
	d := getDeployment(t, f.ns, "api")
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.local/api:v3" || d.Spec.Paused || d.Annotations[workload.AnnotationVerifiedRevision] != "" {
		t.Errorf("the superseding release was touched: image %s, paused %v, annotations %v", img, d.Spec.Paused, d.Annotations)
	}
}

func TestRollbackWithoutHistoryRefusesToGuess(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	d := deployment("api", 1, "registry.local/api:v1")
	zero := int32(0)
	d.Spec.RevisionHistoryLimit = &zero
	create(t, ns, d)
	waitAvailable(t, ns, "api")
	release(t, ns, "api", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2" })
	waitAvailable(t, ns, "api")
	waitFor(t, 30*time.Second, "the controller to delete the old ReplicaSet", func() bool {
		rss, err := cluster(t).AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{})
		return err == nil && len(rss.Items) == 1
	})
	before := getDeployment(t, ns, "api")
	rollgate(t, env.kubeconfig, "rollback", "deployment/api", "-n", ns).expect(t, 4, "cannot roll back", "revisionHistoryLimit 0")
	unchanged(t, before, getDeployment(t, ns, "api"), "a refused rollback")
}

func TestRunRolloutWithoutTrafficIsHeldThenPromotedByHand(t *testing.T) {
	t.Parallel()
	f := newRolloutFixture(t)
	updateRollout(t, f.ns, "registry.local/web:v2", nil) // no metrics for the canary at all
	r := rollgate(t, env.kubeconfig, "run", "rollout/web", "-n", f.ns, "-f", f.gate(t))
	r.expect(t, 3, "analysis inconclusive", "stays paused at step 2 of 4", "rollgate promote rollout/web -n "+f.ns)
	if p := rolloutPhase(t, f.ns); p != "Paused" {
		t.Fatalf("the held rollout is %s, want Paused", p)
	}
	// A person promotes: the rollout leaves the hold and moves to its next step.
	rollgate(t, env.kubeconfig, "promote", "rollout/web", "-n", f.ns).expect(t, 0, "promote rollout", "paused at step 4 of 4")
}

func TestRunComparesWithTheStablePodsAsTheyServedBeforeTheRollout(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t) // v1 serves at 20 ms
	// Prometheus has had the stable pods' latency for a while before the
	// release (offset: the ReplicaSet's creation time is whole seconds).
	f.prom.waitQuery(t, fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace=%q}[5s] offset 3s))) > 0`, f.ns))
	f.release(t, "v2", profile{RPS: 40, ErrorRatio: 0, Latency: 300 * time.Millisecond})
	waitAvailable(t, f.ns, "api")
	for _, pod := range f.podsOf(t, "1") {
		f.exp.Delete(f.ns, pod) // the v1 pods are gone: no traffic from now on
	}
	gateFile := writeGate(t, fmt.Sprintf("analysis:\n  prometheus: {url: %q, timeout: 2s}\n  initialDelay: 6s\n  interval: 2s\n  count: 2\n  checks:%s\n",
		f.prom.URL, p99Check))
	r := rollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", gateFile)
	r.expect(t, 1, "baselines are evaluated at", "p99-vs-stable FAIL", "> maxRatio 1.2", "roll back deployment")
}

// analysingV2 releases v2 and starts a run of it with a long analysis,
// returning once its first interval passed.
func (f *runFixture) analysingV2(t testing.TB) *running {
	t.Helper()
	f.release(t, "v2", healthy)
	long := writeGate(t, fmt.Sprintf("analysis:\n  prometheus: {url: %q, timeout: 2s}\n  initialDelay: 2s\n  interval: 2s\n  count: 100\n  checks:%s\n", f.prom.URL, errorRateCheck))
	run := startRollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", long)
	run.waitOutput(t, "error-rate PASS")
	return run
}
