package e2e

import (
	"fmt"
	"testing"
	"time"
)

func TestCheckHealthyDeploymentPassesSoonAfterAvailable(t *testing.T) {
	ns := namespace(t)
	// The read-only Role of examples/rbac.yaml: check passing under it proves
	// check writes nothing and that the documented Role is enough.
	kc := serviceAccountKubeconfig(t, ns, "reader", exampleRole(t, "rollgate-check"))
	create(t, ns, deployment("api", 3, "registry.local/api:v1"))
	before := getDeployment(t, ns, "api").ResourceVersion

	run := startRollgate(t, kc, "check", "deployment/api", "-n", ns, "--timeout", "2m")
	available := waitAvailable(t, ns, "api")
	r := run.wait(t)
	r.expect(t, 0, "successfully rolled out", "3 of 3 updated replicas available")
	t.Logf("rollgate exited %s after the test saw the Deployment available", r.finished.Sub(available).Round(time.Millisecond))

	if after := getDeployment(t, ns, "api"); after.Generation != 1 {
		t.Errorf("deployment generation %d after check, want 1 (resourceVersion %s -> %s): check must not change the spec",
			after.Generation, before, after.ResourceVersion)
	}
}

func TestCheckUnschedulableFailsOnProgressDeadline(t *testing.T) {
	ns := namespace(t)
	d := deployment("stuck", 2, "registry.local/stuck:v1")
	deadline := int32(10)
	d.Spec.ProgressDeadlineSeconds = &deadline
	d.Spec.Template.Spec.NodeSelector = map[string]string{"rollgate.dev/no-such-node": "true"}
	create(t, ns, d)
	r := rollgate(t, env.kubeconfig, "check", "deploy/stuck", "-n", ns, "--timeout", "2m")
	r.expect(t, 1, "ProgressDeadlineExceeded", fmt.Sprintf("deployment %s/stuck revision 1 failed", ns))
}

func TestCheckMissingDeploymentIsBadInput(t *testing.T) {
	ns := namespace(t)
	r := rollgate(t, env.kubeconfig, "check", "deployment/nope", "-n", ns)
	r.expect(t, 2, "deployments.apps nope not found", fmt.Sprintf("namespace %q", ns))
}

func TestCheckWithoutReadRightsNamesVerbAndResource(t *testing.T) {
	ns := namespace(t)
	create(t, ns, deployment("api", 1, "registry.local/api:v1"))
	kc := serviceAccountKubeconfig(t, ns, "nobody", nil)
	r := rollgate(t, kc, "check", "deployment/api", "-n", ns)
	r.expect(t, 4, "permission denied: cannot get deployments.apps api", `grant "get" on "deployments.apps"`)
}

func TestCheckJSONReportIsOneDocument(t *testing.T) {
	ns := namespace(t)
	create(t, ns, deployment("api", 1, "registry.local/api:v1"))
	report := t.TempDir() + "/report.json"
	r := rollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns, "-o", "json", "--report", report)
	r.expect(t, 0)
	var stdout, file map[string]any
	mustJSON(t, r.stdout, &stdout)
	mustJSON(t, readFile(t, report), &file)
	for _, doc := range []map[string]any{stdout, file} {
		if doc["decision"] != "passed" || doc["exitCode"] != float64(0) || doc["command"] != "check" {
			t.Errorf("report decision/exitCode/command = %v/%v/%v, want passed/0/check", doc["decision"], doc["exitCode"], doc["command"])
		}
	}
}
