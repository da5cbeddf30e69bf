package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rollgate/rollgate/gate/workload"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

const rolloutYAML = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 3
  progressDeadlineSeconds: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "registry.local/web:v1"}]}
  strategy:
    canary:
      steps: [{setWeight: 34}, {pause: {}}, {setWeight: 67}, {pause: {}}]
`

func dyn(t testing.TB) dynamic.NamespaceableResourceInterface {
	t.Helper()
	cluster(t)
	d, err := dynamic.NewForConfig(env.rest)
	if err != nil {
		t.Fatal(err)
	}
	return d.Resource(workload.RolloutGVR)
}

func createRollout(t testing.TB, ns string, deadline int) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(fmt.Appendf(nil, rolloutYAML, deadline), &u.Object); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn(t).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create rollout (is the Argo Rollouts controller running?): %v", err)
	}
}

// updateRollout changes the Rollout's pod template, as a pipeline would.
func updateRollout(t testing.TB, ns string, image string, labels map[string]string) {
	t.Helper()
	r := dyn(t).Namespace(ns)
	u, err := r.Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	containers[0].(map[string]any)["image"] = image
	_ = unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers")
	for k, v := range labels {
		_ = unstructured.SetNestedField(u.Object, v, "spec", "template", "metadata", "labels", k)
	}
	if _, err := r.Update(context.Background(), u, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update rollout: %v", err)
	}
}

func rolloutPhase(t testing.TB, ns string) string {
	u, err := dyn(t).Namespace(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return workload.ReadRolloutStatus(u).Phase
}

func TestCheckRolloutHealthy(t *testing.T) {
	ns := namespace(t)
	createRollout(t, ns, 600)
	r := rollgate(t, env.kubeconfig, "check", "rollout/web", "-n", ns, "--timeout", "2m")
	r.expect(t, 0, "rollout healthy (3 of 3 replicas available)")
}

func TestCheckRolloutPausedAtStepIsReadyForAnalysis(t *testing.T) {
	ns := namespace(t)
	createRollout(t, ns, 600)
	waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, ns) == "Healthy" })
	updateRollout(t, ns, "registry.local/web:v2", nil)
	r := rollgate(t, env.kubeconfig, "check", "rollouts.argoproj.io/web", "-n", ns, "--timeout", "2m")
	r.expect(t, 0, "paused at step 2 of 4: canary ready for analysis", "under gate: revision 2")
}

func TestCheckRolloutDegradedFails(t *testing.T) {
	ns := namespace(t)
	createRollout(t, ns, 5)
	waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, ns) == "Healthy" })
	updateRollout(t, ns, "registry.local/web:v2", map[string]string{"rollgate.dev/sim": "crashloop"})
	// Let Argo itself call it: Degraded after its 5 s progress deadline.
	waitFor(t, time.Minute, "rollout degraded", func() bool { return rolloutPhase(t, ns) == "Degraded" })
	r := rollgate(t, env.kubeconfig, "check", "ro/web", "-n", ns, "--timeout", "2m")
	r.expect(t, 1, "rollout degraded")
}

func TestCheckRolloutCrashLoopFailsFast(t *testing.T) {
	ns := namespace(t)
	createRollout(t, ns, 600)
	waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, ns) == "Healthy" })
	updateRollout(t, ns, "registry.local/web:v2", map[string]string{"rollgate.dev/sim": "crashloop"})
	r := rollgate(t, env.kubeconfig, "check", "rollout/web", "-n", ns, "--timeout", "2m")
	r.expect(t, 1, "CrashLoopBackOff", fmt.Sprintf("rollout %s/web revision 2 failed", ns))
}

func TestCheckRolloutCanaryQuotaPreflight(t *testing.T) {
	ns := namespace(t)
	createRollout(t, ns, 600)
	waitFor(t, time.Minute, "rollout healthy", func() bool { return rolloutPhase(t, ns) == "Healthy" })
	// Exactly the three stable pods fit: the canary's surge pod does not.
	createQuota(t, ns, "pods", corev1.ResourceList{corev1.ResourcePods: resource.MustParse("3")})
	updateRollout(t, ns, "registry.local/web:v2", nil)
	r := rollgate(t, env.kubeconfig, "check", "rollout/web", "-n", ns, "--timeout", "2m")
	r.expect(t, 1, "quota preflight", fmt.Sprintf("quota %s/pods: pods: rollout needs 1 more, 0 left", ns))
}
