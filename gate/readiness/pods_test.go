package readiness

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDiagnosePod(t *testing.T) {
	waiting := func(reason, msg string) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
	}
	running := func(restarts int32) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: "app", RestartCount: restarts, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	}
	pod := func(mod func(*corev1.PodStatus)) *corev1.Pod {
		p := &corev1.Pod{}
		p.Name = "api-7d9-x1"
		p.Status.Phase = corev1.PodPending
		mod(&p.Status)
		return p
	}
	crash := waiting("CrashLoopBackOff", "back-off 10s restarting failed container")
	crash.RestartCount = 3
	crash.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}
	pinned := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	oomAt := func(finished time.Time) corev1.ContainerStatus {
		c := running(1)
		c.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
			FinishedAt: metav1.NewTime(finished)}
		return c
	}
	oom := oomAt(time.Time{})
	failed := func(reason, msg string) *corev1.Pod {
		return pod(func(s *corev1.PodStatus) { s.Phase, s.Reason, s.Message = corev1.PodFailed, reason, msg })
	}
	pull := func(msg string) *corev1.Pod {
		return pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("ErrImagePull", msg)}
		})
	}
	restarted := func(n int32) *corev1.Pod {
		return pod(func(s *corev1.PodStatus) {
			s.Phase, s.ContainerStatuses = corev1.PodRunning, []corev1.ContainerStatus{running(n)}
		})
	}
	sinceLastWeek := Baseline{At: pinned, Restarts: map[string]int32{"app": 5}}

	tests := []struct {
		name   string
		pod    *corev1.Pod
		want   string // reason of the single problem, "" for none
		doomed bool
		text   string
		base   Baseline
	}{
		{"a running ready pod has no problem", pod(func(s *corev1.PodStatus) {
			s.Phase = corev1.PodRunning
			s.ContainerStatuses = []corev1.ContainerStatus{running(0)}
		}), "", false, "", Baseline{}},
		{"a crash loop is doomed and names the exit code", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{crash}
		}), "CrashLoopBackOff", true, "container app: CrashLoopBackOff (exit code 2), 3 restarts", Baseline{}},
		{"restarts above the limit are doomed even while running", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{running(3)}
		}), "TooManyRestarts", true, "more than readiness.maxRestarts 2", Baseline{}},
		{"restarts at the limit are tolerated", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{running(2)}
		}), "", false, "", Baseline{}},
		{"an OOM kill is doomed", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{oom}
		}), "OOMKilled", true, "exit code 137", Baseline{}},
		{"an image that does not exist is doomed at once", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("ErrImagePull", `failed to pull image "api:v9": not found`)}
		}), "ErrImagePull", true, `api:v9": not found`, Baseline{}},
		{"a flaky registry is transient", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("ImagePullBackOff", "i/o timeout")}
		}), "ImagePullBackOff", false, "i/o timeout", Baseline{}},
		{"a missing secret is doomed", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("CreateContainerConfigError", `secret "db-password" not found`)}
		}), "CreateContainerConfigError", true, `secret "db-password" not found`, Baseline{}},
		{"a cache sync delay is transient", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("CreateContainerConfigError", "failed to sync configmap cache")}
		}), "CreateContainerConfigError", false, "", Baseline{}},
		{"an unschedulable pod is transient and quotes the scheduler", pod(func(s *corev1.PodStatus) {
			s.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
				Message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}}
		}), "Unschedulable", false, "didn't match Pod's node affinity/selector", Baseline{}},
		{"a failed pod is doomed", pod(func(s *corev1.PodStatus) {
			s.Phase, s.Message = corev1.PodFailed, "container exited"
		}), "pod Failed", true, "container exited", Baseline{}},
		{"an evicted pod is the node's doing, not the release's", pod(func(s *corev1.PodStatus) {
			s.Phase, s.Reason = corev1.PodFailed, "Evicted"
		}), "", false, "", Baseline{}},
		{"an init container crash loop counts", pod(func(s *corev1.PodStatus) {
			c := crash
			c.Name = "migrate"
			s.InitContainerStatuses = []corev1.ContainerStatus{c}
		}), "CrashLoopBackOff", true, "container migrate", Baseline{}},
		{"restarts from before the pin are history on a reverted ReplicaSet", restarted(5), "", false, "", sinceLastWeek},
		{"restarts after the pin count from the pinned count", restarted(8), "TooManyRestarts", true,
			"restarted 3 times since the revision was pinned", sinceLastWeek},
		{"a pod created after the pin counts every restart", restarted(3), "TooManyRestarts", true,
			"restarted 3 times", Baseline{At: pinned}},
		{"an OOM kill that finished before the pin is history", pod(func(s *corev1.PodStatus) {
			s.Phase, s.ContainerStatuses = corev1.PodRunning, []corev1.ContainerStatus{oomAt(pinned.Add(-time.Hour))}
		}), "", false, "", Baseline{At: pinned, Restarts: map[string]int32{"app": 1}}},
		{"an OOM kill that finished after the pin is doomed", pod(func(s *corev1.PodStatus) {
			s.Phase, s.ContainerStatuses = corev1.PodRunning, []corev1.ContainerStatus{oomAt(pinned.Add(time.Second))}
		}), "OOMKilled", true, "exit code 137", Baseline{At: pinned}},
		{"a pod the kubelet rejected for lack of cpu is transient", failed("OutOfcpu", "Node didn't have enough resource: cpu"),
			"pod OutOfcpu", false, "enough resource: cpu", Baseline{}},
		{"a pod the kubelet rejected for lack of memory is transient", failed("OutOfmemory", "Node didn't have enough resource: memory"),
			"pod OutOfmemory", false, "memory", Baseline{}},
		{"a pod the kubelet rejected on node affinity is transient", failed("NodeAffinity", "Predicate NodeAffinity failed"),
			"pod NodeAffinity", false, "Predicate NodeAffinity failed", Baseline{}},
		{"an unexpected kubelet admission error is transient", failed("UnexpectedAdmissionError", "Allocate failed due to device plugin"),
			"pod UnexpectedAdmissionError", false, "device plugin", Baseline{}},
		{"an image pull failing on DNS (no such host) is transient",
			pull(`dial tcp: lookup registry.local on 10.96.0.10:53: no such host`), "ErrImagePull", false, "no such host", Baseline{}},
		{"an image pull failing on a misbehaving DNS server is transient",
			pull(`lookup registry.local: server misbehaving`), "ErrImagePull", false, "server misbehaving", Baseline{}},
		{"an image pull timing out is transient even when the registry said not found before",
			pull(`dial tcp 10.0.0.1:443: i/o timeout`), "ErrImagePull", false, "i/o timeout", Baseline{}},
		{"an image the registry denies is doomed", pull(`pull access denied, repository does not exist`), "ErrImagePull", true,
			"denied", Baseline{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DiagnosePod(tt.pod, 2, tt.base)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no problem, got %v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one problem %s, got %v", tt.want, got)
			}
			p := got[0]
			if p.Reason != tt.want || p.Doomed != tt.doomed || !strings.Contains(p.String(), tt.text) {
				t.Errorf("got %q (doomed=%v), want reason %s doomed=%v containing %q", p, p.Doomed, tt.want, tt.doomed, tt.text)
			}
		})
	}
}
