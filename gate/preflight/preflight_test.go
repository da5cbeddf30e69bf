package preflight

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rollgate/rollgate/gate"
)

func TestParseImage(t *testing.T) {
	tests := []struct {
		ref  string
		want Image
	}{
		{"nginx", Image{Repository: "nginx"}},
		{"nginx:1.27", Image{Repository: "nginx", Tag: "1.27"}},
		{"registry.example/team/api:v2", Image{Repository: "registry.example/team/api", Tag: "v2"}},
		{"host:5000/app", Image{Repository: "host:5000/app"}},
		{"host:5000/app:v1", Image{Repository: "host:5000/app", Tag: "v1"}},
		{"app@sha256:abc", Image{Repository: "app", Digest: "sha256:abc"}},
		{"app:latest@sha256:abc", Image{Repository: "app", Tag: "latest", Digest: "sha256:abc"}},
		{"host:5000/app@sha256:abc", Image{Repository: "host:5000/app", Digest: "sha256:abc"}},
	}
	for _, tt := range tests {
		if got := ParseImage(tt.ref); got != tt.want {
			t.Errorf("ParseImage(%q) = %+v, want %+v", tt.ref, got, tt.want)
		}
	}
}

// every rule at level warn, so each test sees exactly what it triggers.
var allWarn = gate.Preflight{MutableImage: gate.LevelWarn, MissingRequests: gate.LevelWarn, MissingLimits: gate.LevelWarn,
	MissingReadinessProbe: gate.LevelWarn, LivenessWithoutReadiness: gate.LevelWarn, MissingPDB: gate.LevelWarn,
	ServiceAccountToken: gate.LevelWarn, ReplicasForHA: gate.LevelWarn}

// clean is a workload no rule complains about; each case breaks one thing.
func clean() Workload {
	no := false
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}}
	res := func() corev1.ResourceRequirements { // a fresh copy per container
		return corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
		}
	}
	one := intstr.FromInt32(1)
	return Workload{
		Kind: "Deployment", Name: "api", Namespace: "shop", Replicas: 3,
		Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}},
			Spec: corev1.PodSpec{
				AutomountServiceAccountToken: &no,
				InitContainers:               []corev1.Container{{Name: "migrate", Image: "registry.example/migrate:v3@sha256:4f2a", Resources: res()}},
				Containers:                   []corev1.Container{{Name: "app", Image: "registry.example/api:v3", Resources: res(), ReadinessProbe: probe}},
			},
		},
		PDBs: []policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop"},
			Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}}},
	}
}

func TestEvaluate(t *testing.T) {
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	num := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	tests := []struct {
		name   string
		change func(*Workload, *gate.Preflight)
		rule   string // "" for no finding
		text   string
	}{
		{"a clean workload has no findings", func(*Workload, *gate.Preflight) {}, "", ""},
		{"the latest tag is mutable", func(w *Workload, _ *gate.Preflight) { w.Template.Spec.Containers[0].Image = "api:latest" },
			MutableImage, "container app image api:latest uses the mutable tag latest"},
		{"an untagged image is mutable", func(w *Workload, _ *gate.Preflight) { w.Template.Spec.Containers[0].Image = "api" },
			MutableImage, "has no tag"},
		{"a registry port is not a tag", func(w *Workload, _ *gate.Preflight) { w.Template.Spec.Containers[0].Image = "host:5000/api" },
			MutableImage, "image host:5000/api has no tag"},
		{"an init container's image counts", func(w *Workload, _ *gate.Preflight) { w.Template.Spec.InitContainers[0].Image = "migrate:latest" },
			MutableImage, "container migrate"},
		{"a digest pins even the latest tag", func(w *Workload, _ *gate.Preflight) {
			w.Template.Spec.Containers[0].Image = "api:latest@sha256:0123"
		}, "", ""},
		{"requireDigest wants a digest on a tagged image", func(w *Workload, p *gate.Preflight) { p.RequireDigest = true },
			MutableImage, "has no digest (requireDigest)"},
		{"missing memory request names container and fix", func(w *Workload, _ *gate.Preflight) {
			delete(w.Template.Spec.Containers[0].Resources.Requests, corev1.ResourceMemory)
		}, MissingRequests, "add resources.requests.memory to container app"},
		{"an init container without requests is reported", func(w *Workload, _ *gate.Preflight) {
			delete(w.Template.Spec.InitContainers[0].Resources.Requests, corev1.ResourceCPU)
		}, MissingRequests, "container migrate has no cpu request"},
		{"a missing memory limit", func(w *Workload, _ *gate.Preflight) { w.Template.Spec.Containers[0].Resources.Limits = nil },
			MissingLimits, "add resources.limits.memory to container app"},
		{"no readiness probe", func(w *Workload, _ *gate.Preflight) { w.Template.Spec.Containers[0].ReadinessProbe = nil },
			MissingReadinessProbe, "add a readinessProbe to container app"},
		{"liveness without readiness", func(w *Workload, p *gate.Preflight) {
			c := &w.Template.Spec.Containers[0]
			c.LivenessProbe, c.ReadinessProbe = c.ReadinessProbe, nil
			p.MissingReadinessProbe = gate.LevelOff
		}, LivenessWithoutReadiness, "has a liveness probe but no readiness probe"},
		{"no PDB selects the pods", func(w *Workload, _ *gate.Preflight) { w.PDBs = []policyv1.PodDisruptionBudget{} },
			MissingPDB, "no PodDisruptionBudget selects the pods of Deployment api"},
		{"a PDB of another app does not count", func(w *Workload, _ *gate.Preflight) {
			w.PDBs[0].Spec.Selector.MatchLabels = map[string]string{"app": "web"}
		}, MissingPDB, "no PodDisruptionBudget"},
		{"a PDB with minAvailable equal to replicas blocks drains", func(w *Workload, _ *gate.Preflight) {
			w.PDBs[0].Spec.MaxUnavailable, w.PDBs[0].Spec.MinAvailable = nil, num(3)
		}, MissingPDB, "PodDisruptionBudget api allows no disruption with 3 replicas"},
		{"a PDB with minAvailable 100% blocks drains", func(w *Workload, _ *gate.Preflight) {
			w.PDBs[0].Spec.MaxUnavailable, w.PDBs[0].Spec.MinAvailable = nil, pct("100%")
		}, MissingPDB, "allows no disruption"},
		{"a PDB with minAvailable 50% of 3 allows one", func(w *Workload, _ *gate.Preflight) {
			w.PDBs[0].Spec.MaxUnavailable, w.PDBs[0].Spec.MinAvailable = nil, pct("50%")
		}, "", ""},
		{"unknown PDBs (manifest mode) are not guessed at", func(w *Workload, _ *gate.Preflight) { w.PDBs = nil }, "", ""},
		{"a mounted token", func(w *Workload, _ *gate.Preflight) { w.Template.Spec.AutomountServiceAccountToken = nil },
			ServiceAccountToken, "mounts an API token of service account default"},
		{"the service account can turn the token off", func(w *Workload, _ *gate.Preflight) {
			no := false
			w.Template.Spec.AutomountServiceAccountToken = nil
			w.ServiceAccount = &corev1.ServiceAccount{AutomountServiceAccountToken: &no}
		}, "", ""},
		{"the pod setting wins over the service account", func(w *Workload, _ *gate.Preflight) {
			yes, no := true, false
			w.Template.Spec.AutomountServiceAccountToken = &yes
			w.ServiceAccount = &corev1.ServiceAccount{AutomountServiceAccountToken: &no}
		}, ServiceAccountToken, "mounts an API token"},
		{"one replica under a PDB", func(w *Workload, p *gate.Preflight) { w.Replicas = 1; p.MissingPDB = gate.LevelOff },
			ReplicasForHA, "runs a single replica and a PodDisruptionBudget protects it"},
		{"one replica with requireHA", func(w *Workload, p *gate.Preflight) {
			w.Replicas, w.PDBs, p.RequireHA, p.MissingPDB = 1, nil, true, gate.LevelOff
		}, ReplicasForHA, "requireHA is set"},
		{"one replica without a PDB or requireHA is fine", func(w *Workload, p *gate.Preflight) {
			w.Replicas, w.PDBs = 1, nil
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, cfg := clean(), allWarn
			tt.change(&w, &cfg)
			got := Evaluate(w, cfg)
			if tt.rule == "" {
				if len(got) != 0 {
					t.Fatalf("want no findings, got %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Rule != tt.rule || !strings.Contains(got[0].Message+" "+got[0].Fix, tt.text) {
				t.Fatalf("want one %s finding containing %q, got %v", tt.rule, tt.text, got)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	w := clean()
	w.Template.Spec.Containers[0].Image = "api:latest"
	cfg := allWarn
	if fs := Evaluate(w, cfg); len(fs) != 1 || len(gate.FailedFindings(fs)) != 0 {
		t.Errorf("at warn: %v; want one warning", fs)
	}
	cfg.MutableImage = gate.LevelFail
	if fs := Evaluate(w, cfg); len(gate.FailedFindings(fs)) != 1 {
		t.Errorf("at fail: %v does not fail", fs)
	}
	cfg.MutableImage = gate.LevelOff
	if fs := Evaluate(w, cfg); len(fs) != 0 {
		t.Errorf("off: %v", fs)
	}
}

func TestParseManifest(t *testing.T) {
	manifest := `
apiVersion: v1
kind: ServiceAccount
metadata: {name: api}
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      containers: [{name: app, image: "api:latest"}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:v1"}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
`
	ws, err := ParseManifest([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Kind != "Deployment" || ws[0].Replicas != 2 || ws[1].Kind != "Rollout" || ws[1].Replicas != 1 {
		t.Fatalf("workloads = %+v", ws)
	}
	if ws[0].ServiceAccount == nil || ws[0].PDBs != nil {
		t.Errorf("deployment: service account %v (want the manifest's), PDBs %v (want unknown)", ws[0].ServiceAccount, ws[0].PDBs)
	}
	fs := Evaluate(ws[0], gate.Preflight{MutableImage: gate.LevelFail, ServiceAccountToken: gate.LevelWarn, MissingPDB: gate.LevelWarn})
	if len(fs) != 1 || fs[0].Rule != MutableImage {
		t.Errorf("findings = %v, want only mutableImage (token off via the manifest's ServiceAccount, PDBs unknown)", fs)
	}
}

func TestParseManifestRejectsUnknownDeploymentFields(t *testing.T) {
	_, err := ParseManifest([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {replica: 2}\n"))
	if err == nil || !strings.Contains(err.Error(), "document 1: deployment api") {
		t.Fatalf("err = %v, want the document and deployment named", err)
	}
}
