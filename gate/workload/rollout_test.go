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
		{"paused by an inconclusive analysis run is a hold (Argo's reason InconclusiveAnalysisRun)",
			`status: {observedGeneration: "2", phase: Paused, pauseConditions: [{reason: InconclusiveAnalysisRun}]}`,
			true, false, OutcomeInconclusive, "inconclusive"},
		{"paused by an inconclusive experiment is a hold",
			`status: {observedGeneration: "2", phase: Paused, pauseConditions: [{reason: InconclusiveExperiment}]}`,
			true, false, OutcomeInconclusive, "InconclusiveExperiment"},
		{"a blue-green preview waiting for promotion is ready for analysis",
			`status: {observedGeneration: "2", phase: Paused, pauseConditions: [{reason: BlueGreenPause}]}`,
			true, false, OutcomePreview, "preview"},
		{"a pause reason rollgate does not know waits on a human and is named",
			`status: {observedGeneration: "2", phase: Paused, pauseConditions: [{reason: SomethingNew}]}`,
			true, false, OutcomeWaiting, "SomethingNew"},
		{"a manual pause (spec.paused) waits, it is not ready",
			`status: {observedGeneration: "2", phase: Paused, message: manually paused}`, false, false, "", "manually paused"},
		{"an observedGeneration that is not a number counts as observed (rolloututil.go)",
			`status: {observedGeneration: "", phase: Healthy}`, true, false, "", "healthy"},
		{"an observedGeneration ahead of the generation counts as observed",
			`status: {observedGeneration: "3", phase: Healthy}`, true, false, "", "healthy"},
		{"unpausing is not ready even when the phase still says Healthy",
			`status: {observedGeneration: "2", phase: Healthy, controllerPause: true}`, false, false, "", "unpausing"},
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

func TestATimedPauseStepIsAnalysedButLeftForArgoToEnd(t *testing.T) {
	const meta = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {generation: 2}\nspec: {strategy: {canary: {steps: [{setWeight: 20}, {pause: {duration: 40s}}, {setWeight: 50}, {pause: {}}]}}}\n"
	timed := RolloutProgress(rolloutFrom(t, meta+`status: {observedGeneration: "2", phase: Paused, currentStepIndex: 1, pauseConditions: [{reason: CanaryPauseStep}]}`))
	if !timed.Done || timed.Outcome != OutcomeTimedStep || timed.Step != 1 {
		t.Errorf("a pause with a duration: %+v, want done at step 1 with outcome %q", timed, OutcomeTimedStep)
	}
	open := RolloutProgress(rolloutFrom(t, meta+`status: {observedGeneration: "2", phase: Paused, currentStepIndex: 3, pauseConditions: [{reason: CanaryPauseStep}]}`))
	if !open.Done || open.Outcome != OutcomeStep || open.Step != 3 {
		t.Errorf("an indefinite pause: %+v, want done at step 3 with outcome %q", open, OutcomeStep)
	}
}
