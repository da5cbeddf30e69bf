package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/rollgate/rollgate/gate"
	kcluster "github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/workload"
)

// Never a wrong action across the workload lifecycle (issue 13): Argo's
// manual gates, held and paused Deployments, consecutive pipelines.

// applyYAML creates the objects of a multi-document manifest in ns.
func applyYAML(t testing.TB, ns, manifest string) {
	t.Helper()
	d, err := dynamic.NewForConfig(env.rest)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(manifest, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil || len(u.Object) == 0 {
			t.Fatalf("manifest document %q: %v", doc, err)
		}
		gvr := map[string]schema.GroupVersionResource{
			"Rollout":          workload.RolloutGVR,
			"AnalysisTemplate": {Group: "argoproj.io", Version: "v1alpha1", Resource: "analysistemplates"},
			"Service":          {Version: "v1", Resource: "services"},
			"Deployment":       {Group: "apps", Version: "v1", Resource: "deployments"},
		}[u.GetKind()]
		if _, err := d.Resource(gvr).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

// clusterOf is the engine's view of the local cluster.
func clusterOf(t testing.TB) kcluster.Cluster {
	t.Helper()
	d, err := dynamic.NewForConfig(env.rest)
	if err != nil {
		t.Fatal(err)
	}
	return kcluster.Cluster{Client: cluster(t), Dynamic: d}
}

func rolloutStatus(t testing.TB, ns string) workload.RolloutStatus {
	t.Helper()
	u, err := dyn(t).Namespace(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return workload.ReadRolloutStatus(u)
}

// webRollout is a two-replica Rollout "web" serving v1 with the given
// strategy (indented YAML under strategy:).
func webRollout(strategy string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "registry.local/web:v1"}]}
  strategy:
` + strategy
}

var blueGreen = `apiVersion: v1
kind: Service
metadata: {name: web-active}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-preview}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
` + webRollout("    blueGreen: {activeService: web-active, previewService: web-preview, autoPromotionEnabled: false}")

// newBlueGreen is Argo's own rollout-bluegreen example (a manual gate
// before promotion) serving v1, with a Prometheus for its preview.
func newBlueGreen(t testing.TB) *runFixture {
	t.Helper()
	f := &runFixture{ns: namespace(t)}
	f.exp = startExporter(t)
	f.prom = startPrometheus(t, f.exp.addr)
	applyYAML(t, f.ns, blueGreen)
	waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, f.ns) == "Healthy" })
	return f
}

func activeHash(t testing.TB, ns string) string {
	s, err := cluster(t).CoreV1().Services(ns).Get(context.Background(), "web-active", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s.Spec.Selector[workload.RolloutPodHashLabel]
}

func TestRunPromotesABlueGreenPreviewWaitingOnItsManualGate(t *testing.T) {
	t.Parallel()
	f := newBlueGreen(t)
	updateRollout(t, f.ns, "registry.local/web:v2", nil)
	f.serveRolloutCanary(t, healthy)
	r := rollgate(t, env.kubeconfig, "run", "rollout/web", "-n", f.ns, "-f", f.gate(t))
	r.expect(t, 0, "blue-green preview ready", "analysis passed", "promote rollout", "rollout healthy")
	st := rolloutStatus(t, f.ns)
	if st.Phase != "Healthy" || activeHash(t, f.ns) != st.CanaryHash {
		t.Errorf("after the promote: phase %s, active service selects %q, want the new hash %q", st.Phase, activeHash(t, f.ns), st.CanaryHash)
	}
}

func TestRunAbortsAFailingBlueGreenPreview(t *testing.T) {
	t.Parallel()
	f := newBlueGreen(t)
	before := activeHash(t, f.ns)
	updateRollout(t, f.ns, "registry.local/web:v2", nil)
	f.serveRolloutCanary(t, profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond})
	r := rollgate(t, env.kubeconfig, "run", "rollout/web", "-n", f.ns, "-f", f.gate(t))
	r.expect(t, 1, "blue-green preview ready", "analysis failed", "abort rollout")
	if st := rolloutStatus(t, f.ns); !st.Abort || activeHash(t, f.ns) != before {
		t.Errorf("after the abort: abort %v, active service selects %q, want the stable %q", st.Abort, activeHash(t, f.ns), before)
	}
}

// inconclusive answers Argo's web metric with a value that matches neither
// the success nor the failure condition.
func inconclusive(t testing.TB) string {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"verdict": "maybe"}`)
	}))
	srv.Start() // on 127.0.0.1, where the Argo Rollouts controller runs too
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRunHoldsARolloutArgoPausedOnAnInconclusiveAnalysis(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	applyYAML(t, ns, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: maybe}
spec:
  metrics:
  - name: verdict
    successCondition: result == "yes"
    failureCondition: result == "no"
    provider: {web: {url: %q, jsonPath: "{$.verdict}"}}
---
`+webRollout(`    canary:
      steps: [{setWeight: 50}, {analysis: {templates: [{templateName: maybe}]}}, {setWeight: 100}]`), inconclusive(t)))
	waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, ns) == "Healthy" })
	updateRollout(t, ns, "registry.local/web:v2", nil)
	r := rollgate(t, env.kubeconfig, "run", "rollout/web", "-n", ns, "-f", writeGate(t, "readiness: {progressTimeout: 90s}"))
	r.expect(t, 3, "InconclusiveAnalysisRun", "a person decides", "rollgate promote rollout/web")
	if st := rolloutStatus(t, ns); st.Abort || st.Phase != "Paused" {
		t.Errorf("the rollout was touched: abort %v phase %s, want it paused as Argo left it", st.Abort, st.Phase)
	}
}

var timedPause = webRollout(`    canary:
      steps: [{setWeight: 50}, {pause: {duration: 15s}}]`)

func TestRunLetsArgoEndATimedPause(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		p    profile
		code int
		want []string
	}{
		{"healthy", healthy, 0, []string{"a timed pause: Argo resumes it", "Argo ends its timed pause", "the rollout is healthy"}},
		{"failing", profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond}, 1, []string{"analysis failed", "abort rollout"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &runFixture{ns: namespace(t)}
			f.exp = startExporter(t)
			f.prom = startPrometheus(t, f.exp.addr)
			applyYAML(t, f.ns, timedPause)
			waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, f.ns) == "Healthy" })
			updateRollout(t, f.ns, "registry.local/web:v2", nil)
			f.serveRolloutCanary(t, tt.p)
			r := rollgate(t, env.kubeconfig, "run", "rollout/web", "-n", f.ns, "-f", f.gate(t))
			r.expect(t, tt.code, tt.want...)
			if tt.code == 0 && r.elapsed < 15*time.Second {
				t.Errorf("the run ended after %s: the 15 s pause was cut short", r.elapsed)
			}
		})
	}
}

func TestRunAfterAHoldGatesTheNewerTemplateNeverAnOlderOne(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	f.release(t, "v2", healthy)
	waitAvailable(t, f.ns, "api")
	rollgate(t, env.kubeconfig, "hold", "deployment/api", "-n", f.ns).expect(t, 0, "pause deployment")
	f.release(t, "v3", profile{}) // apply keeps spec.paused: no ReplicaSet for v3 yet
	readinessOnly := writeGate(t, "readiness: {progressTimeout: 60s}")
	r := rollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", readinessOnly)
	r.expect(t, 0, "lift rollgate's own hold", "successfully rolled out", "promote revision 3")
	d := getDeployment(t, f.ns, "api")
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.local/api:v3" || d.Spec.Paused || d.Annotations[workload.AnnotationVerifiedRevision] != "3" {
		t.Fatalf("after the run: image %s paused %v annotations %v; want v3 rolled out and verified", img, d.Spec.Paused, d.Annotations)
	}

	// Someone else pauses it (kubectl rollout pause), then v4 is applied:
	// rollgate leaves their pause and the newest template as they are.
	if _, err := cluster(t).AppsV1().Deployments(f.ns).Patch(context.Background(), "api", types.MergePatchType,
		[]byte(`{"spec":{"paused":true}}`), metav1.PatchOptions{FieldManager: "kubectl-rollout"}); err != nil {
		t.Fatal(err)
	}
	f.release(t, "v4", profile{})
	before := getDeployment(t, f.ns, "api")
	r = rollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", readinessOnly)
	r.expect(t, 3, "the pause is not rollgate's", "kubectl rollout resume deployment/api -n "+f.ns)
	unchanged(t, before, getDeployment(t, f.ns, "api"), "a run on someone else's pause")
}

func TestTwoPipelinesInARowTheNewerRevisionStands(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	a := f.analysingV2(t)
	f.release(t, "v3", healthy)
	b := startRollgate(t, env.kubeconfig, "run", "deployment/api", "-n", f.ns, "-f", f.gate(t))
	a.wait(t).expect(t, 6, "superseded", "nothing was changed")
	b.wait(t).expect(t, 0, "holding lease", "promote revision 3")
	d := getDeployment(t, f.ns, "api")
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.local/api:v3" || d.Annotations[workload.AnnotationVerifiedRevision] != "3" {
		t.Errorf("after both pipelines: image %s annotations %v; want v3 verified", img, d.Annotations)
	}
}

const workloadRef = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web-template}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "registry.local/web:v1"}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  progressDeadlineSeconds: 600
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web-template}
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]`

func TestRunGatesAWorkloadRefRollout(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	applyYAML(t, ns, workloadRef)
	waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, ns) == "Healthy" })
	setTemplate := func(image string, sim string) {
		release(t, ns, "web-template", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Image = image
			if sim != "" {
				d.Spec.Template.Labels["rollgate.dev/sim"] = sim
			}
		})
	}
	readinessOnly := writeGate(t, "readiness: {progressTimeout: 60s}")
	setTemplate("registry.local/web:v2", "")
	rollgate(t, env.kubeconfig, "run", "rollout/web", "-n", ns, "-f", readinessOnly).
		expect(t, 0, "registry.local/web:v2", "paused at step 2 of 2", "the rollout is healthy")
	setTemplate("registry.local/web:v3", "crashloop")
	rollgate(t, env.kubeconfig, "run", "rollout/web", "-n", ns, "-f", readinessOnly).
		expect(t, 1, "CrashLoopBackOff", "abort rollout")
	if st := rolloutStatus(t, ns); !st.Abort {
		t.Errorf("the bad release was not aborted: %+v", st)
	}
}

// The act path's guard on the real API server: a rollback prepared for
// revision 2 while revision 3 is applied in between patches nothing (the
// generation judged is checked, and tested again by the JSON patch) and
// says superseded (exit 6).
func TestARollbackRacingANewerApplyChangesNothing(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	create(t, ns, deployment("api", 1, "registry.local/api:v1"))
	waitAvailable(t, ns, "api")
	release(t, ns, "api", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2" })
	waitAvailable(t, ns, "api")
	w, err := workload.For(clusterOf(t), workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, pin, err := workload.CurrentPin(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	to, err := w.Restore(ctx, st, pin)
	if err != nil || to == nil {
		t.Fatalf("restore: %v %v", to, err)
	}
	release(t, ns, "api", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v3" })
	waitFor(t, 30*time.Second, "the controller to take up v3", func() bool {
		d := getDeployment(t, ns, "api")
		return d.Status.ObservedGeneration >= d.Generation && d.Annotations[workload.RevisionAnnotation] == "3"
	})
	before := getDeployment(t, ns, "api")
	_, err = w.Rollback(ctx, pin, to, workload.Guard{Generation: st.Generation})
	if !errors.Is(err, workload.ErrSuperseded) || gate.CodeOf(err) != gate.ExitSuperseded {
		t.Fatalf("rollback racing v3: %v (exit %d), want superseded (exit 6)", err, gate.CodeOf(err))
	}
	after := getDeployment(t, ns, "api")
	unchanged(t, before, after, "a rollback that lost the race")
	if img := after.Spec.Template.Spec.Containers[0].Image; img != "registry.local/api:v3" {
		t.Errorf("the template is %s, want v3 untouched", img)
	}
}
