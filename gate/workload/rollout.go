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

// RolloutStatus is the part of an Argo Rollout's status a gate reads.
type RolloutStatus struct {
	Generation         int64    `json:"generation"`
	ObservedGeneration int64    `json:"observedGeneration"`
	Phase              string   `json:"phase"`
	Message            string   `json:"message,omitempty"`
	CurrentStepIndex   *int64   `json:"currentStepIndex,omitempty"`
	Steps              int      `json:"steps"`
	PauseReasons       []string `json:"pauseReasons,omitempty"`
	ControllerPause    bool     `json:"controllerPause,omitempty"`
	Abort              bool     `json:"abort,omitempty"`
	CanaryHash         string   `json:"canaryHash,omitempty"`
	StableHash         string   `json:"stableHash,omitempty"`
	Replicas           int64    `json:"replicas"`
	Updated            int64    `json:"updatedReplicas"`
	Available          int64    `json:"availableReplicas"`
}

// ReadRolloutStatus extracts the status fields from an unstructured Rollout.
// status.observedGeneration is a string in Argo's API.
func ReadRolloutStatus(u *unstructured.Unstructured) RolloutStatus {
	st := RolloutStatus{Generation: u.GetGeneration()}
	obj := u.Object
	og, _, _ := unstructured.NestedString(obj, "status", "observedGeneration")
	st.ObservedGeneration, _ = strconv.ParseInt(og, 10, 64)
	st.Phase, _, _ = unstructured.NestedString(obj, "status", "phase")
	st.Message, _, _ = unstructured.NestedString(obj, "status", "message")
	if i, ok, _ := unstructured.NestedInt64(obj, "status", "currentStepIndex"); ok {
		st.CurrentStepIndex = &i
	}
	steps, _, _ := unstructured.NestedSlice(obj, "spec", "strategy", "canary", "steps")
	st.Steps = len(steps)
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

// RolloutProgress maps an Argo Rollout's status to a gate verdict, gated on
// the controller having observed the current generation and not being in
// the middle of unpausing (controllerPause without pause conditions), the
// way kubectl-argo-rollouts' status command reads it.
func RolloutProgress(st RolloutStatus) Progress {
	if st.ObservedGeneration < st.Generation {
		return Progress{Message: "waiting for the rollout spec update to be observed"}
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
		if st.ControllerPause && len(st.PauseReasons) == 0 {
			return Progress{Message: "rollout is unpausing"}
		}
		for _, r := range st.PauseReasons {
			switch r {
			case "CanaryPauseStep":
				return Progress{Done: true, Message: fmt.Sprintf("rollout paused at step %s of %d: canary ready for analysis", stepText(st), st.Steps), Outcome: OutcomeStep}
			case "InconclusiveAnalysis":
				return Progress{Done: true, Message: "rollout paused: its analysis was inconclusive", Outcome: OutcomeInconclusive}
			}
		}
		return Progress{Message: fmt.Sprintf("rollout paused (%v): %s", st.PauseReasons, st.Message)}
	}
	msg := "rollout progressing"
	if st.Message != "" {
		msg += ": " + st.Message
	}
	return Progress{Message: fmt.Sprintf("%s (%d of %d replicas updated, %d available)", msg, st.Updated, st.Replicas, st.Available)}
}

func stepText(st RolloutStatus) string {
	if st.CurrentStepIndex == nil {
		return "?"
	}
	return strconv.FormatInt(*st.CurrentStepIndex+1, 10)
}
