package preflight

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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
var allWarn = Settings{MutableImage: LevelWarn, MissingRequests: LevelWarn, MissingLimits: LevelWarn,
	MissingReadinessProbe: LevelWarn, LivenessWithoutReadiness: LevelWarn, MissingPDB: LevelWarn,
	ServiceAccountToken: LevelWarn, ReplicasForHA: LevelWarn}

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
		change func(*Workload, *Settings)
		rule   string // "" for no finding
		text   string
	}{
		{"a clean workload has no findings", func(*Workload, *Settings) {}, "", ""},
		{"the latest tag is mutable", func(w *Workload, _ *Settings) { w.Template.Spec.Containers[0].Image = "api:latest" },
			MutableImage, "container app image api:latest uses the mutable tag latest"},
		{"an untagged image is mutable", func(w *Workload, _ *Settings) { w.Template.Spec.Containers[0].Image = "api" },
			MutableImage, "has no tag"},
		{"a registry port is not a tag", func(w *Workload, _ *Settings) { w.Template.Spec.Containers[0].Image = "host:5000/api" },
			MutableImage, "image host:5000/api has no tag"},
		{"an init container's image counts", func(w *Workload, _ *Settings) { w.Template.Spec.InitContainers[0].Image = "migrate:latest" },
			MutableImage, "container migrate"},
		{"a digest pins even the latest tag", func(w *Workload, _ *Settings) {
			w.Template.Spec.Containers[0].Image = "api:latest@sha256:0123"
		}, "", ""},
		{"requireDigest wants a digest on a tagged image", func(w *Workload, p *Settings) { p.RequireDigest = true },
			MutableImage, "has no digest (requireDigest)"},
		{"missing memory request names container and fix", func(w *Workload, _ *Settings) {
			delete(w.Template.Spec.Containers[0].Resources.Requests, corev1.ResourceMemory)
		}, MissingRequests, "add resources.requests.memory to container app"},
		{"an init container without requests is reported", func(w *Workload, _ *Settings) {
			delete(w.Template.Spec.InitContainers[0].Resources.Requests, corev1.ResourceCPU)
		}, MissingRequests, "container migrate has no cpu request"},
		{"a missing memory limit", func(w *Workload, _ *Settings) { w.Template.Spec.Containers[0].Resources.Limits = nil },
			MissingLimits, "add resources.limits.memory to container app"},
		{"no readiness probe", func(w *Workload, _ *Settings) { w.Template.Spec.Containers[0].ReadinessProbe = nil },
			MissingReadinessProbe, "add a readinessProbe to container app"},
		{"liveness without readiness", func(w *Workload, p *Settings) {
			c := &w.Template.Spec.Containers[0]
			c.LivenessProbe, c.ReadinessProbe = c.ReadinessProbe, nil
			p.MissingReadinessProbe = LevelOff
		}, LivenessWithoutReadiness, "has a liveness probe but no readiness probe"},
		{"no PDB selects the pods", func(w *Workload, _ *Settings) { w.PDBs = []policyv1.PodDisruptionBudget{} },
			MissingPDB, "no PodDisruptionBudget selects the pods of Deployment api"},
		{"a PDB of another app does not count", func(w *Workload, _ *Settings) {
			w.PDBs[0].Spec.Selector.MatchLabels = map[string]string{"app": "web"}
		}, MissingPDB, "no PodDisruptionBudget"},
		{"a PDB with minAvailable equal to replicas blocks drains", func(w *Workload, _ *Settings) {
			w.PDBs[0].Spec.MaxUnavailable, w.PDBs[0].Spec.MinAvailable = nil, num(3)
		}, MissingPDB, "PodDisruptionBudget api allows no disruption with 3 replicas"},
		{"a PDB with minAvailable 100% blocks drains", func(w *Workload, _ *Settings) {
			w.PDBs[0].Spec.MaxUnavailable, w.PDBs[0].Spec.MinAvailable = nil, pct("100%")
		}, MissingPDB, "allows no disruption"},
		{"a PDB with minAvailable 50% of 3 allows one", func(w *Workload, _ *Settings) {
			w.PDBs[0].Spec.MaxUnavailable, w.PDBs[0].Spec.MinAvailable = nil, pct("50%")
		}, "", ""},
		{"unknown PDBs (manifest mode) are not guessed at", func(w *Workload, _ *Settings) { w.PDBs = nil }, "", ""},
		{"a mounted token", func(w *Workload, _ *Settings) { w.Template.Spec.AutomountServiceAccountToken = nil },
			ServiceAccountToken, "mounts an API token of service account default"},
		{"the service account can turn the token off", func(w *Workload, _ *Settings) {
			no := false
			w.Template.Spec.AutomountServiceAccountToken = nil
			w.ServiceAccount = &corev1.ServiceAccount{AutomountServiceAccountToken: &no}
		}, "", ""},
		{"the pod setting wins over the service account", func(w *Workload, _ *Settings) {
			yes, no := true, false
			w.Template.Spec.AutomountServiceAccountToken = &yes
			w.ServiceAccount = &corev1.ServiceAccount{AutomountServiceAccountToken: &no}
		}, ServiceAccountToken, "mounts an API token"},
		{"one replica under a PDB", func(w *Workload, p *Settings) { w.Replicas = 1; p.MissingPDB = LevelOff },
			ReplicasForHA, "runs a single replica and a PodDisruptionBudget protects it"},
		{"one replica with requireHA", func(w *Workload, p *Settings) {
			w.Replicas, w.PDBs, p.RequireHA, p.MissingPDB = 1, nil, true, LevelOff
		}, ReplicasForHA, "requireHA is set"},
		{"one replica without a PDB or requireHA is fine", func(w *Workload, p *Settings) {
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
	if fs := Evaluate(w, cfg); len(fs) != 1 || len(FailedFindings(fs)) != 0 {
		t.Errorf("at warn: %v; want one warning", fs)
	}
	cfg.MutableImage = LevelFail
	if fs := Evaluate(w, cfg); len(FailedFindings(fs)) != 1 {
		t.Errorf("at fail: %v does not fail", fs)
	}
	cfg.MutableImage = LevelOff
	if fs := Evaluate(w, cfg); len(fs) != 0 {
		t.Errorf("off: %v", fs)
	}
}
