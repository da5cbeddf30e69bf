package workload

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// RolloutGVR is the Argo Rollouts resource, read through the dynamic client
// so rollgate needs neither the argo-rollouts Go module nor its CRDs to build.
var RolloutGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}

// RolloutPodHashLabel is the label Argo puts on a Rollout's ReplicaSets and pods.
const RolloutPodHashLabel = "rollouts-pod-template-hash"

// Argo's pause reasons (argo-rollouts pkg/apis/rollouts/v1alpha1/types.go,
// PauseReason*): a wrong constant here is a wrong action.
const (
	PauseInconclusiveAnalysis   = "InconclusiveAnalysisRun"
	PauseInconclusiveExperiment = "InconclusiveExperiment"
	PauseCanaryStep             = "CanaryPauseStep"
	PauseBlueGreen              = "BlueGreenPause"
)

// RolloutStatus is the part of an Argo Rollout's status a gate reads.
type RolloutStatus struct {
	Generation         int64  `json:"generation"`
	ObservedGeneration string `json:"observedGeneration"`
	// Observed: the controller observed the current spec, as argo-rollouts
	// utils/rollout/rolloututil.go isGenerationObserved reads the string
	// field (empty or not a number counts as observed).
	Observed         bool     `json:"observed"`
	Phase            string   `json:"phase"`
	Message          string   `json:"message,omitempty"`
	CurrentStepIndex *int64   `json:"currentStepIndex,omitempty"`
	Steps            int      `json:"steps"`
	PauseReasons     []string `json:"pauseReasons,omitempty"`
	ControllerPause  bool     `json:"controllerPause,omitempty"`
	Abort            bool     `json:"abort,omitempty"`
	CanaryHash       string   `json:"canaryHash,omitempty"`
	StableHash       string   `json:"stableHash,omitempty"`
	Replicas         int64    `json:"replicas"`
	Updated          int64    `json:"updatedReplicas"`
	Available        int64    `json:"availableReplicas"`
	// TimedPause: the current canary step is a pause with a duration,
	// which Argo ends by itself.
	TimedPause bool `json:"timedPause,omitempty"`
	// BlueGreen: the strategy is blueGreen.
	BlueGreen bool `json:"blueGreen,omitempty"`
	// SpecPaused is spec.paused (kubectl argo rollouts pause).
	SpecPaused bool `json:"specPaused,omitempty"`
	// Canary: the strategy is canary.
	Canary bool `json:"canary,omitempty"`
	// StepAnalysis is the phase of the current step's AnalysisRun
	// (status.canary.currentStepAnalysisRunStatus.status).
	StepAnalysis string `json:"stepAnalysis,omitempty"`
}

// ReadRolloutStatus extracts the status fields from an unstructured Rollout.
// status.observedGeneration is a string in Argo's API.
func ReadRolloutStatus(u *unstructured.Unstructured) RolloutStatus {
	st := RolloutStatus{Generation: u.GetGeneration()}
	obj := u.Object
	st.ObservedGeneration, _, _ = unstructured.NestedString(obj, "status", "observedGeneration")
	st.Observed = generationObserved(st.ObservedGeneration, st.Generation)
	st.Phase, _, _ = unstructured.NestedString(obj, "status", "phase")
	st.Message, _, _ = unstructured.NestedString(obj, "status", "message")
	if i, ok, _ := unstructured.NestedInt64(obj, "status", "currentStepIndex"); ok {
		st.CurrentStepIndex = &i
	}
	steps, _, _ := unstructured.NestedSlice(obj, "spec", "strategy", "canary", "steps")
	st.Steps = len(steps)
	if i := st.CurrentStepIndex; i != nil && *i >= 0 && int(*i) < len(steps) {
		if step, ok := steps[*i].(map[string]any); ok {
			_, st.TimedPause, _ = unstructured.NestedFieldNoCopy(step, "pause", "duration")
		}
	}
	_, st.BlueGreen, _ = unstructured.NestedMap(obj, "spec", "strategy", "blueGreen")
	_, st.Canary, _ = unstructured.NestedMap(obj, "spec", "strategy", "canary")
	st.StepAnalysis, _, _ = unstructured.NestedString(obj, "status", "canary", "currentStepAnalysisRunStatus", "status")
	st.SpecPaused, _, _ = unstructured.NestedBool(obj, "spec", "paused")
	conds, _, _ := unstructured.NestedSlice(obj, "status", "pauseConditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			if r, ok := m["reason"].(string); ok {
				st.PauseReasons = append(st.PauseReasons, r)
			}
		}
	}
	st.ControllerPause, _, _ = unstructured.NestedBool(obj, "status", "controllerPause")
	st.Abort, _, _ = unstructured.NestedBool(obj, "status", "abort")
	st.CanaryHash, _, _ = unstructured.NestedString(obj, "status", "currentPodHash")
	st.StableHash, _, _ = unstructured.NestedString(obj, "status", "stableRS")
	st.Replicas, _, _ = unstructured.NestedInt64(obj, "status", "replicas")
	st.Updated, _, _ = unstructured.NestedInt64(obj, "status", "updatedReplicas")
	st.Available, _, _ = unstructured.NestedInt64(obj, "status", "availableReplicas")
	return st
}

// generationObserved is argo-rollouts utils/rollout/rolloututil.go
// isGenerationObserved: a status.observedGeneration that is not a number
// (empty, or a v0.9 hash) counts as observed; a number counts when it is
// not behind metadata.generation.
func generationObserved(observed string, generation int64) bool {
	n, err := strconv.ParseInt(observed, 10, 64)
	if err != nil {
		return true
	}
	return n >= generation
}

// RolloutProgress maps an Argo Rollout's status to a readiness verdict the
// way argo-rollouts utils/rollout/rolloututil.go GetRolloutPhase reads it:
// nothing counts before the controller observed the current spec or while
// it is unpausing (controllerPause without pause conditions). A Paused
// rollout is then refined by its pause reasons: a canary step or a
// blue-green preview is ready for analysis, Argo's inconclusive analysis or
// experiment waits on a human, an unknown reason too (named).
func RolloutProgress(st RolloutStatus) Progress {
	if !st.Observed {
		return Progress{Message: "waiting for the rollout spec update to be observed"}
	}
	if st.ControllerPause && len(st.PauseReasons) == 0 {
		return Progress{Message: "rollout is unpausing"}
	}
	if st.Abort {
		return Progress{Failed: true, Message: "rollout aborted: " + st.Message}
	}
	switch st.Phase {
	case "Healthy":
		return Progress{Done: true, Message: fmt.Sprintf("rollout healthy (%d of %d replicas available)", st.Available, st.Replicas)}
	case "Degraded":
		return Progress{Failed: true, Message: "rollout degraded: " + st.Message}
	case "Paused":
		return pausedProgress(st)
	}
	msg := "rollout progressing"
	if st.Message != "" {
		msg += ": " + st.Message
	}
	return Progress{Message: fmt.Sprintf("%s (%d of %d replicas updated, %d available)", msg, st.Updated, st.Replicas, st.Available)}
}

// pausedProgress reads a Paused rollout's reasons; one rollgate does not
// know ends the watch waiting on a human, never a failure.
func pausedProgress(st RolloutStatus) Progress {
	for _, r := range st.PauseReasons {
		switch r {
		case PauseInconclusiveAnalysis, PauseInconclusiveExperiment:
			return Progress{Done: true, Message: fmt.Sprintf("rollout paused (%s): Argo's own analysis was inconclusive", r), Outcome: OutcomeInconclusive}
		}
	}
	for _, r := range st.PauseReasons {
		switch r {
		case PauseCanaryStep:
			p := Progress{Done: true, Message: fmt.Sprintf("rollout paused at step %s of %d: canary ready for analysis", stepText(st), st.Steps),
				Outcome: OutcomeStep, Step: stepIndex(st)}
			if st.TimedPause {
				p.Outcome, p.Message = OutcomeTimedStep, p.Message+" (a timed pause: Argo resumes it)"
			}
			return p
		case PauseBlueGreen:
			return Progress{Done: true, Message: "blue-green preview ready and waiting for promotion: ready for analysis", Outcome: OutcomePreview}
		}
	}
	if len(st.PauseReasons) > 0 {
		return Progress{Done: true, Message: fmt.Sprintf("rollout paused (%v): %s", st.PauseReasons, st.Message), Outcome: OutcomeWaiting}
	}
	return Progress{Message: fmt.Sprintf("rollout paused (spec.paused: %v): %s", st.SpecPaused, st.Message)}
}

func stepIndex(st RolloutStatus) int {
	if st.CurrentStepIndex == nil {
		return -1
	}
	return int(*st.CurrentStepIndex)
}
func stepText(st RolloutStatus) string {
	if st.CurrentStepIndex == nil {
		return "?"
	}
	return strconv.FormatInt(*st.CurrentStepIndex+1, 10)
}
