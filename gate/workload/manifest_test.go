package workload

import (
	"strings"
	"testing"

	"github.com/rollgate/rollgate/gate/preflight"
)

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
	fs := preflight.Evaluate(ws[0], preflight.Settings{MutableImage: preflight.LevelFail, ServiceAccountToken: preflight.LevelWarn, MissingPDB: preflight.LevelWarn})
	if len(fs) != 1 || fs[0].Rule != preflight.MutableImage {
		t.Errorf("findings = %v, want only mutableImage (token off via the manifest's ServiceAccount, PDBs unknown)", fs)
	}
}

func TestParseManifestRejectsUnknownDeploymentFields(t *testing.T) {
	_, err := ParseManifest([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {replica: 2}\n"))
	if err == nil || !strings.Contains(err.Error(), "document 1: deployment api") {
		t.Fatalf("err = %v, want the document and deployment named", err)
	}
}

func TestAWorkloadRefRolloutIsCheckedWithItsDeploymentsTemplate(t *testing.T) {
	manifest := `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 4
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web-template}
  strategy: {canary: {steps: [{setWeight: 20}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-template}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "registry.local/web:latest"}]}
`
	ws, err := ParseManifest([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[1].Kind != "Rollout" || ws[1].Replicas != 4 || len(ws[1].Template.Spec.Containers) != 1 {
		t.Fatalf("workloads = %+v; want the Rollout with the Deployment's template", ws)
	}
	if fs := preflight.Evaluate(ws[1], preflight.Settings{MutableImage: preflight.LevelFail}); len(fs) != 1 || fs[0].Rule != preflight.MutableImage {
		t.Errorf("findings = %v; want mutableImage on the referenced template's :latest", fs)
	}
	alone, err := ParseManifest([]byte(manifest[:strings.Index(manifest, "---")]))
	if err != nil || len(alone) != 1 || !strings.Contains(alone[0].NotChecked, `Deployment "web-template"`) {
		t.Errorf("a workloadRef to a Deployment the manifest lacks: %+v %v, want it not checked, naming the Deployment", alone, err)
	}
}
