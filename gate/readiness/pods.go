package readiness

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// PodProblem is why one pod of the revision under gate is not becoming ready.
type PodProblem struct {
	Pod       string `json:"pod"`
	Container string `json:"container,omitempty"`
	Reason    string `json:"reason"`
	Message   string `json:"message,omitempty"`
	ExitCode  *int32 `json:"exitCode,omitempty"`
	Restarts  int32  `json:"restarts,omitempty"`
	// Doomed problems fail the gate at once; the others are transient and
	// fail it only when they last longer than readiness.grace.
	Doomed bool `json:"doomed"`
	// Since is when the state began, as far as the API says; zero when
	// unknown (the watcher then counts from when it first saw the state).
	Since time.Time `json:"since,omitzero"`
}

func (p PodProblem) key() string { return p.Pod + "/" + p.Container + "/" + p.Reason }

// String is the one-line diagnosis of the problem.
func (p PodProblem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pod %s", p.Pod)
	if p.Container != "" {
		fmt.Fprintf(&b, " container %s", p.Container)
	}
	fmt.Fprintf(&b, ": %s", p.Reason)
	if p.ExitCode != nil {
		fmt.Fprintf(&b, " (exit code %d)", *p.ExitCode)
	}
	if p.Restarts > 0 {
		fmt.Fprintf(&b, ", %d restarts", p.Restarts)
	}
	if p.Message != "" {
		fmt.Fprintf(&b, ": %s", p.Message)
	}
	return b.String()
}

// DiagnosePod applies the fail-fast rules (krane's doomed-pod detection,
// extended) to one pod of the new revision:
//
//   - doomed at once: CrashLoopBackOff; restarts above maxRestarts;
//     OOMKilled; CreateContainerConfigError (a missing ConfigMap, Secret or
//     key) except the transient "failed to sync" cache error; an image that
//     does not exist or cannot be named (InvalidImageName, ErrImageNeverPull,
//     ErrImagePull/ImagePullBackOff saying "not found", "manifest unknown" or
//     "unauthorized"); pod phase Failed unless Evicted, Preempting or Shutdown
//     (the node's doing, and the controller replaces the pod).
//   - transient (doomed after readiness.grace): other image pull errors
//     (registries flake), Unschedulable (an autoscaler may add a node),
//     CreateContainerError and RunContainerError.
func DiagnosePod(pod *corev1.Pod, maxRestarts int32) []PodProblem {
	name := pod.Name
	if pod.Status.Phase == corev1.PodFailed {
		switch pod.Status.Reason {
		case "Evicted", "Preempting", "Shutdown", "Terminated", "NodeShutdown":
		default:
			reason := pod.Status.Reason
			if reason == "" {
				reason = "Failed"
			}
			return append(containerProblems(pod, maxRestarts),
				PodProblem{Pod: name, Reason: "pod " + reason, Message: pod.Status.Message, Doomed: true})
		}
	}
	var out []PodProblem
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			out = append(out, PodProblem{Pod: name, Reason: "Unschedulable", Message: c.Message, Since: c.LastTransitionTime.Time})
		}
	}
	return append(out, containerProblems(pod, maxRestarts)...)
}

func containerProblems(pod *corev1.Pod, maxRestarts int32) []PodProblem {
	var out []PodProblem
	all := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, cs := range all {
		if p, ok := containerProblem(pod.Name, cs, maxRestarts); ok {
			out = append(out, p)
		}
	}
	return out
}

func containerProblem(pod string, cs corev1.ContainerStatus, maxRestarts int32) (PodProblem, bool) {
	p := PodProblem{Pod: pod, Container: cs.Name, Restarts: cs.RestartCount}
	if t := cs.LastTerminationState.Terminated; t != nil {
		p.ExitCode = &t.ExitCode
		if t.Reason == "OOMKilled" {
			p.Reason, p.Message, p.Doomed = "OOMKilled", "the container exceeded its memory limit", true
			return p, true
		}
	}
	if t := cs.State.Terminated; t != nil && t.Reason == "OOMKilled" {
		p.ExitCode = &t.ExitCode
		p.Reason, p.Message, p.Doomed = "OOMKilled", "the container exceeded its memory limit", true
		return p, true
	}
	if w := cs.State.Waiting; w != nil {
		p.Reason, p.Message = w.Reason, w.Message
		switch w.Reason {
		case "CrashLoopBackOff":
			p.Doomed = true
			return p, true
		case "CreateContainerConfigError":
			p.Doomed = !strings.Contains(w.Message, "failed to sync")
			return p, true
		case "InvalidImageName", "ErrImageNeverPull":
			p.Doomed = true
			return p, true
		case "ErrImagePull", "ImagePullBackOff":
			p.Doomed = permanentPullError(w.Message)
			return p, true
		case "CreateContainerError", "RunContainerError":
			return p, true
		}
	}
	if cs.RestartCount > maxRestarts {
		p.Reason = "TooManyRestarts"
		p.Message = fmt.Sprintf("restarted %d times, more than readiness.maxRestarts %d", cs.RestartCount, maxRestarts)
		p.Doomed = true
		return p, true
	}
	return PodProblem{}, false
}

// permanentPullError tells a missing or forbidden image, which retries will
// not fix, from a registry hiccup.
func permanentPullError(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"not found", "manifest unknown", "unauthorized", "denied", "no such host", "invalid reference"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
