package readiness

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
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
	oom := running(1)
	oom.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}

	tests := []struct {
		name   string
		pod    *corev1.Pod
		want   string // reason of the single problem, "" for none
		doomed bool
		text   string
	}{
		{"a running ready pod has no problem", pod(func(s *corev1.PodStatus) {
			s.Phase = corev1.PodRunning
			s.ContainerStatuses = []corev1.ContainerStatus{running(0)}
		}), "", false, ""},
		{"a crash loop is doomed and names the exit code", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{crash}
		}), "CrashLoopBackOff", true, "container app: CrashLoopBackOff (exit code 2), 3 restarts"},
		{"restarts above the limit are doomed even while running", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{running(3)}
		}), "TooManyRestarts", true, "more than readiness.maxRestarts 2"},
		{"restarts at the limit are tolerated", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{running(2)}
		}), "", false, ""},
		{"an OOM kill is doomed", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{oom}
		}), "OOMKilled", true, "exit code 137"},
		{"an image that does not exist is doomed at once", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("ErrImagePull", `failed to pull image "api:v9": not found`)}
		}), "ErrImagePull", true, `api:v9": not found`},
		{"a flaky registry is transient", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("ImagePullBackOff", "i/o timeout")}
		}), "ImagePullBackOff", false, "i/o timeout"},
		{"a missing secret is doomed", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("CreateContainerConfigError", `secret "db-password" not found`)}
		}), "CreateContainerConfigError", true, `secret "db-password" not found`},
		{"a cache sync delay is transient", pod(func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{waiting("CreateContainerConfigError", "failed to sync configmap cache")}
		}), "CreateContainerConfigError", false, ""},
		{"an unschedulable pod is transient and quotes the scheduler", pod(func(s *corev1.PodStatus) {
			s.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
				Message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}}
		}), "Unschedulable", false, "didn't match Pod's node affinity/selector"},
		{"a failed pod is doomed", pod(func(s *corev1.PodStatus) {
			s.Phase, s.Message = corev1.PodFailed, "container exited"
		}), "pod Failed", true, "container exited"},
		{"an evicted pod is the node's doing, not the release's", pod(func(s *corev1.PodStatus) {
			s.Phase, s.Reason = corev1.PodFailed, "Evicted"
		}), "", false, ""},
		{"an init container crash loop counts", pod(func(s *corev1.PodStatus) {
			c := crash
			c.Name = "migrate"
			s.InitContainerStatuses = []corev1.ContainerStatus{c}
		}), "CrashLoopBackOff", true, "container migrate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DiagnosePod(tt.pod, 2)
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
