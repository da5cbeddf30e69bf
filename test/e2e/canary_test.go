package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/workload"
)

// newCanaryFixture is a runFixture whose Deployment has 4 replicas, rolls
// one pod at a time (maxSurge 1, maxUnavailable 0) and counts a pod
// available 3 s after it is ready: the controller cannot outrun the
// gate's first pause, as a real app's minReadySeconds ensures.
func newCanaryFixture(t testing.TB) *runFixture {
	t.Helper()
	f := &runFixture{ns: namespace(t)}
	d := deployment("api", 4, "registry.local/api:v1")
	d.Spec.Template.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "FEATURE", Value: "v1"}}
	surge, unavailable := intstr.FromInt32(1), intstr.FromInt32(0)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}}
	create(t, f.ns, d)
	f.exp = startExporter(t)
	f.prom = startPrometheus(t, f.exp.addr)
	waitAvailable(t, f.ns, "api")
	f.serveRevision(t, "1", healthy)
	return f
}

// slowStart sets minReadySeconds (no new revision: it is not the template).
func (f *runFixture) slowStart(t testing.TB) {
	t.Helper()
	release(t, f.ns, "api", func(d *appsv1.Deployment) { d.Spec.MinReadySeconds = 3 })
	// The controller's status write follows; a release right after it
	// would race it (a conflict).
	waitFor(t, 30*time.Second, "minReadySeconds observed", func() bool {
		d := getDeployment(t, f.ns, "api")
		return d.Status.ObservedGeneration >= d.Generation
	})
}

// canaryGate is a gate file with steps of 1 pod and 50%, each analysed
// stepAnalysis (the final analysis: two 2 s intervals).
func (f *runFixture) canaryGate(t testing.TB, stepAnalysis string) string {
	t.Helper()
	return writeGate(t, fmt.Sprintf(`readiness: {progressTimeout: 90s}
analysis:
  prometheus: {url: %q, timeout: 2s}
  initialDelay: 2s
  interval: 2s
  count: 2
  checks:%s
canary:
  steps:
  - {replicas: 1%s}
  - {percent: 50%s}
`, f.prom.URL, errorRateCheck, stepAnalysis, stepAnalysis))
}

// mostPods watches the namespace's ReplicaSets and returns, when called,
// the most pods (status.replicas) each one ever had, by revision.
func mostPods(t testing.TB, ns string) func() map[string]int32 {
	t.Helper()
	w, err := cluster(t).AppsV1().ReplicaSets(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	most := map[string]int32{}
	go func() {
		for e := range w.ResultChan() {
			if rs, ok := e.Object.(*appsv1.ReplicaSet); ok {
				mu.Lock()
				rev := rs.Annotations[workload.RevisionAnnotation]
				most[rev] = max(most[rev], rs.Status.Replicas, *rs.Spec.Replicas)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(w.Stop)
	return func() map[string]int32 {
		mu.Lock()
		defer mu.Unlock()
		return map[string]int32{"1": most["1"], "2": most["2"], "3": most["3"]}
	}
}

func TestRunCanaryStepsAHealthyDeploymentToComplete(t *testing.T) {
	t.Parallel()
	f := newCanaryFixture(t)
	f.slowStart(t)
	f.release(t, "v2", healthy)
	report := filepath.Join(t.TempDir(), "report.json")
	r := rollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", f.canaryGate(t, ", analysis: 4s"), "--report", report)
	r.expect(t, 0, "pause deployment "+f.ns+"/api at canary step 1/2", "canary step 2/2", "2 canary step(s) passed", "promote revision 2")
	rep := readReport(t, report)
	if len(rep.Canary) != 2 {
		t.Fatalf("report canary steps %+v, want 2", rep.Canary)
	}
	// Each step's analysis saw the step's new pods (within maxSurge 1 of
	// the bound) and old pods serving beside them.
	for i, want := range []int32{1, 2} {
		s := rep.Canary[i]
		if s.NewAvailable < want || s.NewAvailable > want+1 || s.OldAvailable == 0 || s.Verdict != gate.VerdictPassed {
			t.Errorf("step %s: %+v; want %d (+1) new pods beside old ones, passed", s.Step, s, want)
		}
		t.Logf("step %s: %d new, %d old pods available", s.Step, s.NewAvailable, s.OldAvailable)
	}
	d := getDeployment(t, f.ns, "api")
	if d.Spec.Paused || d.Annotations[workload.AnnotationCanaryStep] != "" || d.Status.UpdatedReplicas != 4 || d.Annotations[workload.AnnotationVerifiedRevision] != "2" {
		t.Errorf("after the run: paused %v, annotations %v, status %+v", d.Spec.Paused, d.Annotations, d.Status)
	}
}

func TestRunCanaryBadFirstStepIsRolledBackWithOneNewPod(t *testing.T) {
	t.Parallel()
	f := newCanaryFixture(t)
	f.release(t, "v2", healthy)
	waitAvailable(t, f.ns, "api")
	v2 := getDeployment(t, f.ns, "api").Spec.Template
	f.slowStart(t)
	most := mostPods(t, f.ns)
	f.release(t, "v3", profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond})
	r := rollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", f.canaryGate(t, ""))
	r.expect(t, 1, "canary step 1/2 (1 new, 4 old pods): analysis failed", "roll back deployment", "to the template of revision 2", "verified")
	d := getDeployment(t, f.ns, "api")
	if !apiequality.Semantic.DeepEqual(withoutHash(d.Spec.Template), withoutHash(v2)) || d.Spec.Paused || d.Annotations[workload.AnnotationCanaryStep] != "" {
		t.Errorf("after the rollback: paused %v, annotations %v, template\n%+v\nwant v2's\n%+v", d.Spec.Paused, d.Annotations, d.Spec.Template, v2)
	}
	if n := most()["3"]; n != 1 {
		t.Errorf("the bad release's ReplicaSet had up to %d pods, want 1", n)
	}
}

func TestRunCanaryInconclusiveStepIsHeldThenPromotedStepByStep(t *testing.T) {
	t.Parallel()
	f := newCanaryFixture(t)
	f.slowStart(t)
	f.release(t, "v2", profile{}) // no traffic
	r := rollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", f.canaryGate(t, ""))
	r.expect(t, 3, "analysis inconclusive", "paused at canary step 1/2: resume with rollgate promote deployment/api -n "+f.ns)
	if d := getDeployment(t, f.ns, "api"); !d.Spec.Paused || d.Annotations[workload.AnnotationCanaryStep] != "1/2" {
		t.Fatalf("held: paused %v, annotations %v; want paused at step 1/2", d.Spec.Paused, d.Annotations)
	}
	rollgate(t, env.kubeconfig, "promote", "deployment/api", "-n", f.ns).expect(t, 0, "to canary step 2/2", "paused at canary step 2/2")
	d := getDeployment(t, f.ns, "api")
	if rs := newReplicaSet(t, f.ns, "2"); !d.Spec.Paused || d.Annotations[workload.AnnotationCanaryStep] != "2/2" || rs.Status.AvailableReplicas < 2 || rs.Status.AvailableReplicas > 3 {
		t.Fatalf("after promote: paused %v, annotations %v, new pods available %d; want paused at step 2/2 with 2 (+1)", d.Spec.Paused, d.Annotations, rs.Status.AvailableReplicas)
	}
	rollgate(t, env.kubeconfig, "promote", "deployment/api", "-n", f.ns, "--full").expect(t, 0, "resume the paused deployment", "verified")
	d = getDeployment(t, f.ns, "api")
	if d.Spec.Paused || d.Annotations[workload.AnnotationCanaryStep] != "" || d.Status.UpdatedReplicas != 4 {
		t.Errorf("after promote --full: paused %v, annotations %v, status %+v", d.Spec.Paused, d.Annotations, d.Status)
	}
}

func TestRunCanarySIGTERMAtAStepHoldsAndSaysSo(t *testing.T) {
	t.Parallel()
	f := newCanaryFixture(t)
	f.slowStart(t)
	f.release(t, "v2", healthy)
	report := filepath.Join(t.TempDir(), "report.json")
	run := startRollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", f.canaryGate(t, ", analysis: 200s"), "--report", report)
	run.waitOutput(t, "error-rate PASS")
	if err := run.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	note := "paused at canary step 1/2: resume with rollgate promote deployment/api -n " + f.ns
	run.wait(t).expect(t, 5, "cancelled", note)
	if d := getDeployment(t, f.ns, "api"); !d.Spec.Paused || d.Annotations[workload.AnnotationCanaryStep] != "1/2" {
		t.Errorf("after SIGTERM: paused %v, annotations %v; want paused at step 1/2", d.Spec.Paused, d.Annotations)
	}
	rep := readReport(t, report)
	if rep.Decision != gate.DecisionCancelled || rep.ExitCode != 5 || !strings.Contains(rep.Reason, note) || rep.Action == nil || !strings.Contains(rep.Action.Message, note) {
		t.Errorf("report after SIGTERM: decision %q exit %d reason %q action %+v", rep.Decision, rep.ExitCode, rep.Reason, rep.Action)
	}
}

func newReplicaSet(t testing.TB, ns, rev string) *appsv1.ReplicaSet {
	t.Helper()
	rss, err := cluster(t).AppsV1().ReplicaSets(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rss.Items {
		if rss.Items[i].Annotations[workload.RevisionAnnotation] == rev {
			return &rss.Items[i]
		}
	}
	t.Fatalf("no ReplicaSet of revision %s in %s", rev, ns)
	return nil
}
