package readiness

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// PodProblem is why one pod of the revision under gate is not becoming ready.
type PodProblem struct {
	Pod string `json:"pod,omitempty"`
	// ReplicaSet is set instead of Pod when the ReplicaSet cannot create
	// pods at all (ReplicaSetProblem).
	ReplicaSet string `json:"replicaSet,omitempty"`
	Container  string `json:"container,omitempty"`
	Reason     string `json:"reason"`
	Message    string `json:"message,omitempty"`
	ExitCode   *int32 `json:"exitCode,omitempty"`
	Restarts   int32  `json:"restarts,omitempty"`
	// Doomed problems fail the gate at once; the others are transient and
	// fail it only when they last longer than readiness.grace.
	Doomed bool `json:"doomed"`
	// Since is when the state began, as far as the API says; zero when
	// unknown (the watcher then counts from when it first saw the state).
	Since time.Time `json:"since,omitzero"`
	// rejected marks a kubelet admission rejection: the controller replaces
	// the pod, so the rejection is judged per ReplicaSet, not per pod.
	rejected bool
}

// key identifies a problem across evaluations; admission rejections share
// one per reason, so that a string of replacements rejected one after the
// other runs one grace period, not one each.
func (p PodProblem) key() string {
	if p.rejected {
		return "rejected/" + p.Reason
	}
	if p.ReplicaSet != "" {
		return "replicaset/" + p.ReplicaSet + "/" + p.Reason
	}
	return p.Pod + "/" + p.Container + "/" + p.Reason
}

// String is the one-line diagnosis of the problem.
func (p PodProblem) String() string {
	var b strings.Builder
	if p.ReplicaSet != "" {
		verb := "create"
		if p.Reason == "FailedDelete" {
			verb = "delete"
		}
		fmt.Fprintf(&b, "replicaset %s cannot %s pods: %s: %s", p.ReplicaSet, verb, p.Reason, p.Message)
		return b.String()
	}
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

// Baseline is what a pod's history looked like when the revision under gate
// was pinned. A rollback or a revert reuses a ReplicaSet whose pods may have
// restarted or been OOM-killed last week: only what happens after the pin
// says anything about this rollout.
type Baseline struct {
	// At is when the revision was pinned; an OOM kill that finished before
	// it is history. Zero counts every termination.
	At time.Time
	// Restarts is each container's restartCount at the pin, by name
	// (container names are unique across init and app containers); a pod
	// created after the pin has none and starts from zero.
	Restarts map[string]int32
}

// DiagnosePod applies the fail-fast rules (krane's doomed-pod detection,
// extended) to one pod of the new revision, counting restarts and OOM kills
// from base:
//
//   - doomed at once: CrashLoopBackOff; restarts since the pin above
//     maxRestarts; an OOMKilled termination that finished after the pin;
//     CreateContainerConfigError (a missing ConfigMap, Secret or key) except
//     the transient "failed to sync" cache error; an image that does not
//     exist or cannot be named (InvalidImageName, ErrImageNeverPull,
//     ErrImagePull/ImagePullBackOff saying "not found", "manifest unknown" or
//     "unauthorized"); pod phase Failed unless the node did it (Evicted,
//     Preempting, Shutdown...: the controller replaces the pod).
//   - transient (doomed after readiness.grace): other image pull errors,
//     DNS failures among them (registries and resolvers flake),
//     Unschedulable (an autoscaler may add a node; its own
//     readiness.unschedulableGrace), CreateContainerError and
//     RunContainerError, and a Failed pod the kubelet rejected at admission
//     (OutOfcpu, NodeAffinity...: the controller creates a replacement).
func DiagnosePod(pod *corev1.Pod, maxRestarts int32, base Baseline) []PodProblem {
	name := pod.Name
	if pod.Status.Phase == corev1.PodFailed {
		if p, ok := failedPod(pod); ok {
			return append(containerProblems(pod, maxRestarts, base), p)
		}
	}
	var out []PodProblem
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			out = append(out, PodProblem{Pod: name, Reason: ReasonUnschedulable, Message: c.Message, Since: c.LastTransitionTime.Time})
		}
	}
	return append(out, containerProblems(pod, maxRestarts, base)...)
}

// ReasonUnschedulable is the PodScheduled=False reason the scheduler sets.
const ReasonUnschedulable = corev1.PodReasonUnschedulable

// failedPod judges a pod in phase Failed; ok is false when the node, not
// the release, failed it and the controller simply replaces it.
func failedPod(pod *corev1.Pod) (PodProblem, bool) {
	reason := pod.Status.Reason
	switch {
	case nodeFailed(reason):
		return PodProblem{}, false
	case admissionRejected(reason):
		return PodProblem{Pod: pod.Name, Reason: "pod " + reason, Message: pod.Status.Message,
			Since: pod.CreationTimestamp.Time, rejected: true}, true
	case reason == "":
		reason = "Failed"
	}
	return PodProblem{Pod: pod.Name, Reason: "pod " + reason, Message: pod.Status.Message, Doomed: true}, true
}

// nodeFailed are the Failed reasons of pods the node took away: eviction
// (pkg/kubelet/eviction), preemption, node shutdown (pkg/kubelet/nodeshutdown).
func nodeFailed(reason string) bool {
	switch reason {
	case "Evicted", "Preempting", "Shutdown", "Terminated", "NodeShutdown":
		return true
	}
	return false
}

// admissionRejected are the reasons the kubelet gives a pod it refuses to
// admit (k8s.io/kubernetes pkg/kubelet/lifecycle/predicate.go: OutOf<resource>
// for InsufficientResourceError, the predicate's name such as NodeAffinity,
// UnexpectedAdmissionError and friends). The scheduler and the kubelet
// disagreed about the node for a moment; the ReplicaSet controller creates
// a replacement, so only a rejection that lasts is a failure.
func admissionRejected(reason string) bool {
	if strings.HasPrefix(reason, "OutOf") { // InsufficientResourcePrefix
		return true
	}
	switch reason {
	case "NodeAffinity", "NodeName", "NodePorts", "TaintToleration", "PodOSSelectorNodeLabelDoesNotMatch",
		"UnexpectedAdmissionError", "UnknownReason", "UnexpectedPredicateFailureType", "InvalidNodeInfo":
		return true
	}
	return false
}

func containerProblems(pod *corev1.Pod, maxRestarts int32, base Baseline) []PodProblem {
	var out []PodProblem
	all := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, cs := range all {
		if p, ok := containerProblem(pod.Name, cs, maxRestarts, base); ok {
			out = append(out, p)
		}
	}
	return out
}

func containerProblem(pod string, cs corev1.ContainerStatus, maxRestarts int32, base Baseline) (PodProblem, bool) {
	p := PodProblem{Pod: pod, Container: cs.Name, Restarts: cs.RestartCount}
	for _, t := range []*corev1.ContainerStateTerminated{cs.LastTerminationState.Terminated, cs.State.Terminated} {
		if t != nil && t.Reason == "OOMKilled" && !t.FinishedAt.Time.Before(base.At) {
			p.ExitCode = &t.ExitCode
			p.Reason, p.Message, p.Doomed = "OOMKilled", "the container exceeded its memory limit", true
			return p, true
		}
	}
	if t := cs.LastTerminationState.Terminated; t != nil {
		p.ExitCode = &t.ExitCode
	}
	if w := cs.State.Waiting; w != nil {
		p.Reason, p.Message = w.Reason, w.Message
		if doomed, ok := waitingDoomed(w); ok {
			p.Doomed = doomed
			return p, true
		}
	}
	since := cs.RestartCount - base.Restarts[cs.Name]
	if since > maxRestarts {
		p.Reason = "TooManyRestarts"
		p.Message = fmt.Sprintf("restarted %d times since the revision was pinned, more than readiness.maxRestarts %d", since, maxRestarts)
		p.Doomed = true
		return p, true
	}
	return PodProblem{}, false
}

// waitingDoomed judges a waiting container: ok is false for reasons that
// are no problem (ContainerCreating, PodInitializing).
func waitingDoomed(w *corev1.ContainerStateWaiting) (doomed, ok bool) {
	switch w.Reason {
	case "CrashLoopBackOff", "InvalidImageName", "ErrImageNeverPull":
		return true, true
	case "CreateContainerConfigError":
		return !strings.Contains(w.Message, "failed to sync"), true
	case "ErrImagePull", "ImagePullBackOff":
		return permanentPullError(w.Message), true
	case "CreateContainerError", "RunContainerError":
		return false, true
	}
	return false, false
}

// permanentPullError tells a missing or forbidden image, which retries will
// not fix, from a registry or resolver hiccup. DNS failures come first: a
// resolver that says "no such host" or "server misbehaving", or times out,
// may answer the next pull.
func permanentPullError(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"no such host", "server misbehaving", "i/o timeout"} {
		if strings.Contains(m, s) {
			return false
		}
	}
	for _, s := range []string{"not found", "manifest unknown", "unauthorized", "denied", "invalid reference"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}
