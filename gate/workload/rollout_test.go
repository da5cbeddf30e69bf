package workload

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func rolloutFrom(t *testing.T, y string) RolloutStatus {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	// The unstructured decoder keeps integers as int64, as the dynamic client does.
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	return ReadRolloutStatus(u)
}

func TestRolloutProgress(t *testing.T) {
	const meta = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {generation: 2}\nspec: {strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}, {setWeight: 50}]}}}\n"
	tests := []struct {
		name       string
		status     string
		done, fail bool
		outcome    Outcome
		msg        string
	}{
		{"an unobserved generation waits even when healthy",
			`status: {observedGeneration: "1", phase: Healthy}`, false, false, "", "spec update to be observed"},
		{"healthy is complete",
			`status: {observedGeneration: "2", phase: Healthy, replicas: 3, availableReplicas: 3}`, true, false, "", "rollout healthy (3 of 3"},
		{"paused at a canary step is ready for analysis",
			`status: {observedGeneration: "2", phase: Paused, currentStepIndex: 1, pauseConditions: [{reason: CanaryPauseStep}]}`,
			true, false, OutcomeStep, "paused at step 2 of 3"},
		{"paused by an inconclusive analysis is a hold",
			`status: {observedGeneration: "2", phase: Paused, pauseConditions: [{reason: InconclusiveAnalysis}]}`,
			true, false, OutcomeInconclusive, "inconclusive"},
		{"controller pause without conditions is unpausing, not ready",
			`status: {observedGeneration: "2", phase: Paused, controllerPause: true}`, false, false, "", "unpausing"},
		{"degraded is a failure with Argo's message",
			`status: {observedGeneration: "2", phase: Degraded, message: "ProgressDeadlineExceeded: ReplicaSet has timed out progressing."}`,
			false, true, "", "ProgressDeadlineExceeded"},
		{"aborted is a failure",
			`status: {observedGeneration: "2", phase: Degraded, abort: true, message: "RolloutAborted"}`, false, true, "", "rollout aborted"},
		{"progressing waits",
			`status: {observedGeneration: "2", phase: Progressing, message: "more replicas need to be updated", updatedReplicas: 1, availableReplicas: 0}`,
			false, false, "", "more replicas need to be updated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := RolloutProgress(rolloutFrom(t, meta+tt.status))
			outcome := p.Outcome
			if p.Done != tt.done || p.Failed != tt.fail || outcome != tt.outcome || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("got %+v outcome %q; want done=%v failed=%v outcome %q message containing %q", p, outcome, tt.done, tt.fail, tt.outcome, tt.msg)
			}
		})
	}
}
