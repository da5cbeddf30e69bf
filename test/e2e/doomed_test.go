package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestCheckQuotaFullWithMaxSurgeZeroCompletesAsOldPodsTerminate: quota
// rejection while old pods terminate (maxSurge 0, quota exactly full): the
// rollout completes, exit 0. kwok deletes a terminating pod after its
// pod-delete stage delay (1s, up to the deletionTimestamp), so each old pod
// really holds its quota for a moment and the controller's create of the
// next new pod fails "exceeded quota" until it is gone.
func TestCheckQuotaFullWithMaxSurgeZeroCompletesAsOldPodsTerminate(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	d := oneAtATime(deployment("api", 3, "registry.local/api:v1"))
	grace := int64(2)
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = &grace
	create(t, ns, noDeadline(d))
	waitAvailable(t, ns, "api")
	createQuota(t, ns, "pods", corev1.ResourceList{corev1.ResourcePods: resource.MustParse("3")})
	release(t, ns, "api", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2" })
	report := filepath.Join(t.TempDir(), "report.json")
	r := rollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns, "--timeout", "2m", "--report", report,
		"-f", writeGate(t, "readiness: {grace: 45s}"))
	r.expect(t, 0, "tight: proceeds as old pods terminate")
	rep := readReport(t, report)
	if rep.Quota == nil || len(rep.Quota.Tight) == 0 || len(rep.Quota.Shortfalls) != 0 {
		t.Errorf("report quota = %+v, want a tight note and no shortfall", rep.Quota)
	}
	if d := getDeployment(t, ns, "api"); d.Status.UpdatedReplicas != 3 || d.Status.AvailableReplicas != 3 {
		t.Errorf("rollout not complete: %+v", d.Status)
	}
}

// TestCheckRevertToATemplateWithOldRestartsIsHealthy: a revert to an older
// template whose ReplicaSet has restarted pods: verified healthy, exit 0.
// kwok's stock stages never set restartCount on a healthy pod, so the test
// writes it through the status subresource, as a kubelet would have last
// week; kwok does not rewrite the status of a pod already Ready.
func TestCheckRevertToATemplateWithOldRestartsIsHealthy(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	// One pod at a time: the revert scales v1's ReplicaSet back up while
	// one of its old pods still runs with its old restarts.
	d := oneAtATime(deployment("api", 2, "registry.local/api:v1"))
	create(t, ns, noDeadline(d))
	waitAvailable(t, ns, "api")
	restartAll(t, ns, 7) // more than readiness.maxRestarts (2), long before this gate
	// v2 never becomes ready, so one v1 pod (with its restarts) keeps running.
	release(t, ns, "api", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2"
		simulate(d, "never-ready")
	})
	waitFor(t, 30*time.Second, "a v2 pod", func() bool { return podsWithImage(t, ns, "registry.local/api:v2") > 0 })
	if n := restartedPods(t, ns); n == 0 {
		t.Fatal("no v1 pod with old restarts left to revert onto")
	}
	release(t, ns, "api", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v1"
		delete(d.Spec.Template.Labels, "rollgate.dev/sim")
	})
	r := rollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns, "--timeout", "2m", "-f", writeGate(t, "readiness: {grace: 10s}"))
	r.expect(t, 0, "revision 3")
	if strings.Contains(r.stdout, "TooManyRestarts") {
		t.Errorf("restarts from before the pin were counted\n%s", r)
	}
}

// oneAtATime is maxSurge 0, maxUnavailable 1: each new pod replaces an
// old one, and no pod beyond the replicas ever exists.
func oneAtATime(d *appsv1.Deployment) *appsv1.Deployment {
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &zero, MaxUnavailable: &one}}
	return d
}

// restartAll gives every running pod's containers n restarts, through the
// status subresource.
func restartAll(t testing.TB, ns string, n int32) {
	t.Helper()
	c := cluster(t)
	pods, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		for j := range p.Status.ContainerStatuses {
			p.Status.ContainerStatuses[j].RestartCount = n
		}
		if _, err := c.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update status of pod %s: %v", p.Name, err)
		}
	}
	waitFor(t, 10*time.Second, fmt.Sprintf("%d restarts to stick", n), func() bool { return restartedPods(t, ns) == len(pods.Items) })
}

func restartedPods(t testing.TB, ns string) int {
	t.Helper()
	pods, err := cluster(t).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].RestartCount > 2 {
			n++
		}
	}
	return n
}

func podsWithImage(t testing.TB, ns, image string) int {
	t.Helper()
	pods, err := cluster(t).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == image {
			n++
		}
	}
	return n
}
