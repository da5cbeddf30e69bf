package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// simulate labels the pod template so a kwok Stage of hack/cluster/stages
// plays that failure, the way a kubelet would report it.
func simulate(d *appsv1.Deployment, mode string) *appsv1.Deployment {
	d.Spec.Template.Labels["rollgate.dev/sim"] = mode
	return d
}

// release applies a new template to a running Deployment, as a pipeline's
// kubectl apply would, and waits until the controller has seen it.
func release(t testing.TB, ns, name string, change func(*appsv1.Deployment)) {
	t.Helper()
	// The controller writes the status meanwhile: a conflict is read again
	// and the change applied anew, as kubectl apply retries.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d := getDeployment(t, ns, name)
		change(d)
		_, err := cluster(t).AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("update deployment: %v", err)
	}
}

// noDeadline is a progress deadline far beyond any test: a verdict that
// arrives in seconds can only come from rollgate's own fail-fast rules.
func noDeadline(d *appsv1.Deployment) *appsv1.Deployment {
	long := int32(600)
	d.Spec.ProgressDeadlineSeconds = &long
	return d
}

func TestCheckFailsFast(t *testing.T) {
	tests := []struct {
		name    string
		sim     string
		mutate  func(*appsv1.Deployment)
		mention []string
	}{
		{"an image that cannot be pulled names pod, container and reason", "imagepull", nil,
			[]string{"container app: ErrImagePull", "not found"}},
		{"a crash loop names the exit code and shows the events", "crashloop", nil,
			[]string{"container app: CrashLoopBackOff (exit code 1)", "BackOff", "FATAL required setting DATABASE_URL is empty"}},
		{"an OOM-killed container is doomed", "oomkilled", nil,
			[]string{"OOMKilled", "exit code 137"}},
		{"a failed pod is doomed", "failed", nil,
			[]string{"pod Failed"}},
		{"a missing secret is named", "missing-secret", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "db-credentials"}}}}
		}, []string{"CreateContainerConfigError", `secret "db-credentials" not found`}},
		{"an impossible nodeSelector is unschedulable, with the scheduler's message", "", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.NodeSelector = map[string]string{"rollgate.dev/no-such-node": "true"}
		}, []string{"Unschedulable", "didn't match Pod's node affinity/selector"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t)
			create(t, ns, noDeadline(deployment("api", 2, "registry.local/api:v1")))
			waitAvailable(t, ns, "api")
			release(t, ns, "api", func(d *appsv1.Deployment) {
				d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2"
				if tt.sim != "" {
					simulate(d, tt.sim)
				}
				if tt.mutate != nil {
					tt.mutate(d)
				}
			})
			r := rollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns, "--timeout", "3m", "-f", writeGate(t, "readiness: {grace: 5s}"))
			r.expect(t, 1, append([]string{fmt.Sprintf("deployment %s/api revision 2 failed", ns), "diagnosis pod/api-"}, tt.mention...)...)
			// The verdict is the pod's own failure, reached while the
			// controller still reports progress: no deadline was waited for.
			if strings.Contains(r.stdout, "ProgressDeadlineExceeded") {
				t.Errorf("verdict came from the progress deadline, not from fail-fast rules\n%s", r)
			}
			if c := progressing(getDeployment(t, ns, "api")); c == "ProgressDeadlineExceeded" {
				t.Errorf("the Deployment had already exceeded its progress deadline")
			}
		})
	}
}

func TestCheckQuotaTooSmallFailsBeforeWaiting(t *testing.T) {
	ns := namespace(t)
	d := deployment("api", 3, "registry.local/api:v1")
	d.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}
	create(t, ns, noDeadline(d))
	waitAvailable(t, ns, "api")
	// Room for the running pods and 256Mi more, then a release that doubles
	// the memory of every pod: at its peak (3 new pods of 512Mi while the
	// surge keeps one old pod of 256Mi) it adds 1Gi to today's 768Mi.
	createQuota(t, ns, "compute", corev1.ResourceList{corev1.ResourceRequestsMemory: resource.MustParse("1Gi")})
	release(t, ns, "api", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2"
		d.Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceMemory] = resource.MustParse("512Mi")
	})
	r := rollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns, "--timeout", "2m")
	r.expect(t, 1, "quota preflight", fmt.Sprintf("quota %s/compute: requests.memory: rollout needs 1Gi more, 256Mi left", ns))
	// The verdict came from rollgate's arithmetic: no pod of revision 2 exists.
	pods, err := cluster(t).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.Containers[0].Image == "registry.local/api:v2" {
			t.Errorf("pod %s of the new revision exists", p.Name)
		}
	}
}

func TestCheckQuotaLoweredDuringRolloutFailsFromFailedCreate(t *testing.T) {
	ns := namespace(t)
	createQuota(t, ns, "pods", corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")})
	d := deployment("api", 3, "registry.local/api:v1")
	create(t, ns, noDeadline(d))
	waitAvailable(t, ns, "api")
	// The preflight passes (10 pods allowed); then the quota shrinks to the
	// pods that exist, so the controller's next create fails.
	release(t, ns, "api", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2"
		simulate(d, "never-ready") // the first new pod stays unready, so the rollout needs more pods later
	})
	// An exceeded quota is transient (terminating pods release quota), so
	// it fails once it outlasts the grace: short here, nothing terminates.
	run := startRollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns, "--timeout", "2m", "-f", writeGate(t, "readiness: {grace: 3s}"))
	run.waitOutput(t, "every applicable ResourceQuota has room") // the preflight passed
	waitFor(t, 30*time.Second, "the first new pod", func() bool { return countPods(t, ns) >= 4 })
	setQuota(t, ns, "pods", corev1.ResourceList{corev1.ResourcePods: resource.MustParse("4")})
	// Nudge the controller to create another pod: scale up by one.
	release(t, ns, "api", func(d *appsv1.Deployment) { n := int32(4); d.Spec.Replicas = &n })
	r := run.wait(t)
	r.expect(t, 1, "cannot create pods", "exceeded quota")
}

func TestCheckNewerApplyDuringGateIsSuperseded(t *testing.T) {
	ns := namespace(t)
	create(t, ns, noDeadline(deployment("api", 2, "registry.local/api:v1")))
	waitAvailable(t, ns, "api")
	release(t, ns, "api", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v2"
		simulate(d, "never-ready")
	})
	run := startRollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns, "--timeout", "2m", "-f", writeGate(t, "readiness: {grace: 2m}"))
	run.waitOutput(t, "under gate: revision 2")
	release(t, ns, "api", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:v3" })
	r := run.wait(t)
	r.expect(t, 6, "superseded", "moved to revision 3 while revision 2 was under gate")
}

func progressing(d *appsv1.Deployment) string {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			return c.Reason
		}
	}
	return ""
}

func writeGate(t testing.TB, body string) string {
	t.Helper()
	path := t.TempDir() + "/gate.yaml"
	writeFile(t, path, "apiVersion: rollgate.dev/v1alpha1\nkind: Gate\n"+body+"\n")
	return path
}

func countPods(t testing.TB, ns string) int {
	t.Helper()
	pods, err := cluster(t).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && !strings.HasPrefix(string(p.Status.Phase), "Succ") {
			n++
		}
	}
	return n
}

func createQuota(t testing.TB, ns, name string, hard corev1.ResourceList) {
	t.Helper()
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
	if _, err := cluster(t).CoreV1().ResourceQuotas(ns).Create(context.Background(), q, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create quota: %v", err)
	}
	waitFor(t, 30*time.Second, "quota "+name+" status", func() bool {
		q, err := cluster(t).CoreV1().ResourceQuotas(ns).Get(context.Background(), name, metav1.GetOptions{})
		return err == nil && len(q.Status.Hard) > 0 && q.Status.Used != nil
	})
}

func setQuota(t testing.TB, ns, name string, hard corev1.ResourceList) {
	t.Helper()
	q, err := cluster(t).CoreV1().ResourceQuotas(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q.Spec.Hard = hard
	if _, err := cluster(t).CoreV1().ResourceQuotas(ns).Update(context.Background(), q, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update quota: %v", err)
	}
}
