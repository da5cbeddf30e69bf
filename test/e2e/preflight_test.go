package e2e

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// hygienic is a Deployment no preflight rule complains about.
func hygienic(name string) *appsv1.Deployment {
	d := deployment(name, 2, "registry.local/"+name+":v1")
	no := false
	d.Spec.Template.Spec.AutomountServiceAccountToken = &no
	c := &d.Spec.Template.Spec.Containers[0]
	c.Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
	}
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}}
	return d
}

func createPDB(t testing.TB, ns, app string, minAvailable intstr.IntOrString) {
	t.Helper()
	p := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: app},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &minAvailable, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}}
	if _, err := cluster(t).PolicyV1().PodDisruptionBudgets(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pdb: %v", err)
	}
}

const allRulesWarn = `preflight: {mutableImage: warn, missingRequests: warn, missingLimits: warn, missingReadinessProbe: warn,
  livenessWithoutReadiness: warn, missingPDB: warn, serviceAccountToken: warn, replicasForHA: warn}`

func TestPreflightRulesOnTheCluster(t *testing.T) {
	ns := namespace(t)
	gateFile := writeGate(t, allRulesWarn)
	tests := []struct {
		name    string
		change  func(*appsv1.Deployment)
		pdb     *intstr.IntOrString
		mention []string // "" rule: no finding at all
	}{
		{"clean", nil, &intstr.IntOrString{Type: intstr.Int, IntVal: 1}, []string{"Deployment clean: no findings"}},
		{"latest", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/latest:latest" }, nil,
			[]string{"warn mutableImage: container app image registry.local/latest:latest", "fix: give container app an immutable tag"}},
		{"norequests", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Resources.Requests = nil }, nil,
			[]string{"warn missingRequests: container app has no cpu request", "fix: add resources.requests.cpu to container app"}},
		{"nolimits", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Resources.Limits = nil }, nil,
			[]string{"warn missingLimits: container app has no memory limit", "fix: add resources.limits.memory to container app"}},
		{"noprobe", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].ReadinessProbe = nil }, nil,
			[]string{"warn missingReadinessProbe: container app has no readiness probe", "fix: add a readinessProbe to container app"}},
		{"livenessonly", func(d *appsv1.Deployment) {
			c := &d.Spec.Template.Spec.Containers[0]
			c.LivenessProbe, c.ReadinessProbe = c.ReadinessProbe, nil
		}, nil, []string{"warn livenessWithoutReadiness: container app has a liveness probe but no readiness probe"}},
		{"nopdb", nil, nil,
			[]string{"warn missingPDB: no PodDisruptionBudget selects the pods of Deployment nopdb", "fix: add a PodDisruptionBudget"}},
		{"tightpdb", nil, &intstr.IntOrString{Type: intstr.String, StrVal: "100%"},
			[]string{"warn missingPDB: PodDisruptionBudget tightpdb allows no disruption with 2 replicas"}},
		{"token", func(d *appsv1.Deployment) { d.Spec.Template.Spec.AutomountServiceAccountToken = nil }, nil,
			[]string{"warn serviceAccountToken: every pod of Deployment token mounts an API token of service account default",
				"fix: set automountServiceAccountToken: false"}},
		{"single", func(d *appsv1.Deployment) { one := int32(1); d.Spec.Replicas = &one }, &intstr.IntOrString{Type: intstr.Int, IntVal: 0},
			[]string{"warn replicasForHA: Deployment single runs a single replica"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := hygienic(tt.name)
			if tt.change != nil {
				tt.change(d)
			}
			if tt.pdb != nil {
				createPDB(t, ns, tt.name, *tt.pdb)
			}
			create(t, ns, d)
			r := rollgate(t, env.kubeconfig, "check", "--preflight-only", "deployment/"+tt.name, "-n", ns, "-f", gateFile)
			r.expect(t, 0, tt.mention...)
		})
	}
}

func TestPreflightLatestFailsByDefaultAndChangesNothing(t *testing.T) {
	ns := namespace(t)
	d := hygienic("api")
	d.Spec.Template.Spec.Containers[0].Image = "registry.local/api:latest"
	create(t, ns, d)
	waitAvailable(t, ns, "api")
	before := getDeployment(t, ns, "api")

	r := rollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns)
	r.expect(t, 1, "fail mutableImage: container app image registry.local/api:latest", "preflight: Deployment api")
	after := getDeployment(t, ns, "api")
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("the deployment changed (resourceVersion %s -> %s)", before.ResourceVersion, after.ResourceVersion)
	}

	// The same gate with the rule at warn passes and shows the warning.
	r = rollgate(t, env.kubeconfig, "check", "deployment/api", "-n", ns, "-f", writeGate(t, "preflight: {mutableImage: warn}"))
	r.expect(t, 0, "warn mutableImage: container app image registry.local/api:latest", "successfully rolled out")
}
