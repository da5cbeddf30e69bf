package workload

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// State is a workload object decoded once: what every phase reads of it.
// The kind's own object stays inside this package.
type State struct {
	UID        types.UID
	Generation int64
	// Observed: the controller has observed the current generation.
	Observed    bool
	Annotations map[string]string
	// Selector matches the object's ReplicaSets and pods.
	Selector labels.Selector
	// Replicas is spec.replicas (1 when unset, as the API defaults it).
	Replicas int32
	// Template is the pod template the object asks for now.
	Template corev1.PodTemplateSpec
	// Paused is spec.paused.
	Paused bool

	deployment *appsv1.Deployment
	rollout    *rolloutObject
}

// Progress is where a rollout stands at one moment.
type Progress struct {
	Done    bool   `json:"done"`
	Failed  bool   `json:"failed"`
	Message string `json:"message"`
	// Outcome refines a done Rollout: why it stands still.
	Outcome Outcome `json:"outcome,omitempty"`
	// Step is the canary step a Rollout stands at (OutcomeStep,
	// OutcomeTimedStep), -1 otherwise.
	Step int `json:"step,omitempty"`
}

// Outcome says why a Rollout that is not progressing stands where it is.
type Outcome string

const (
	// OutcomeComplete: nothing refines it (a completed rollout).
	OutcomeComplete Outcome = ""
	// OutcomeStep: paused at a canary step, the canary up: analyse it.
	OutcomeStep Outcome = "ready-for-analysis"
	// OutcomeTimedStep: paused at a canary step with a duration: analyse
	// it, and let Argo end the pause (never cut it short).
	OutcomeTimedStep Outcome = "timed-step"
	// OutcomePreview: a blue-green preview waits for promotion
	// (autoPromotionEnabled: false): analyse it, then promote.
	OutcomePreview Outcome = "preview"
	// OutcomeInconclusive: Argo's own analysis (or experiment) was
	// inconclusive: a human decides.
	OutcomeInconclusive Outcome = "inconclusive"
	// OutcomeWaiting: paused for a reason rollgate does not judge: a human
	// decides.
	OutcomeWaiting Outcome = "waiting"
)

func ptrOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}
