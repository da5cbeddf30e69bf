package workload

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func TestRollbackAnnotationsFollowKubectl(t *testing.T) {
	deployment := map[string]string{
		"kubectl.kubernetes.io/last-applied-configuration": "{applied}",
		RevisionAnnotation:                          "3",
		"deployment.kubernetes.io/desired-replicas": "2",
		"team":                     "from-deployment",
		AnnotationVerifiedRevision: "1",
	}
	rs := map[string]string{
		RevisionAnnotation:         "2",
		"team":                     "from-replicaset",
		"change-cause":             "v2",
		AnnotationVerifiedRevision: "0",
	}
	got := rollbackAnnotations(deployment, rs)
	want := map[string]string{
		"kubectl.kubernetes.io/last-applied-configuration": "{applied}",
		RevisionAnnotation:                          "3",
		"deployment.kubernetes.io/desired-replicas": "2",
		"team":                     "from-replicaset",
		"change-cause":             "v2",
		AnnotationVerifiedRevision: "1",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func rolloutDoc(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(append(j[:len(j)-1], []byte(`,"kind":"Rollout","apiVersion":"argoproj.io/v1alpha1"}`)...)); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPromotePatchesAreTheCLIs(t *testing.T) {
	const steps = "spec: {strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}, {setWeight: 60}]}}%s}\n"
	tests := []struct {
		name                  string
		doc                   string
		full                  bool
		spec, status, unified string
	}{
		{"a canary paused at its pause step clears the pause conditions",
			strings.Replace(steps, "%s", "", 1) + "status: {currentStepIndex: 1, pauseConditions: [{reason: CanaryPauseStep}], currentPodHash: b, stableRS: a}",
			false, "", clearPauseConditionsPatch, unpauseAndClearPausePatch},
		{"a paused spec is unpaused as well",
			strings.Replace(steps, "%s", ", paused: true", 1) + "status: {currentStepIndex: 1, pauseConditions: [{reason: CanaryPauseStep}]}",
			false, unpausePatch, clearPauseConditionsPatch, unpauseAndClearPausePatch},
		{"a canary without pause conditions advances one step",
			strings.Replace(steps, "%s", "", 1) + "status: {currentStepIndex: 1}",
			false, "", `{"status":{"pauseConditions":null, "currentStepIndex":2}}`, `{"spec":{"paused":false},"status":{"pauseConditions":null, "currentStepIndex":2}}`},
		{"an inconclusive analysis pause clears controllerPause and advances",
			strings.Replace(steps, "%s", "", 1) + "status: {currentStepIndex: 1, controllerPause: true, pauseConditions: [{reason: InconclusiveAnalysis}], canary: {currentStepAnalysisRunStatus: {status: Inconclusive}}}",
			false, "", `{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":2}}`, unpauseAndClearPausePatch},
		{"full promotion sets promoteFull when canary and stable differ",
			strings.Replace(steps, "%s", "", 1) + "status: {currentPodHash: b, stableRS: a}",
			true, "", promoteFullPatch, unpauseAndPromoteFullPatch},
		{"full promotion of a healthy rollout sends no status patch",
			strings.Replace(steps, "%s", "", 1) + "status: {currentPodHash: a, stableRS: a}",
			true, "", "", unpauseAndPromoteFullPatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := promotePatches(ReadRolloutStatus(rolloutDoc(t, tt.doc)), tt.full)
			if p.spec != tt.spec || p.status != tt.status || p.unified != tt.unified {
				t.Errorf("patches = %+v\nwant spec %s status %s unified %s", p, tt.spec, tt.status, tt.unified)
			}
		})
	}
}
