package readiness

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

func TestReplicaSetProblem(t *testing.T) {
	rs := func(conds ...appsv1.ReplicaSetCondition) *appsv1.ReplicaSet {
		r := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "api-7d9"}}
		r.Status.Conditions = conds
		return r
	}
	failure := func(reason, msg string) appsv1.ReplicaSetCondition {
		return appsv1.ReplicaSetCondition{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: reason, Message: msg}
	}
	tests := []struct {
		name    string
		rs      *appsv1.ReplicaSet
		problem bool
		doomed  bool
		text    string
	}{
		{"no ReplicaSet yet is no problem", nil, false, false, ""},
		{"a ReplicaSet creating its pods is no problem", rs(), false, false, ""},
		{"a cleared ReplicaFailure is no problem", rs(appsv1.ReplicaSetCondition{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionFalse}), false, false, ""},
		{"an exceeded quota is transient: terminating pods release it and the controller retries",
			rs(failure("FailedCreate", `pods "api-7d9-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3`)),
			true, false, "replicaset api-7d9 cannot create pods: FailedCreate: pods"},
		{"a PodSecurity violation is doomed at once",
			rs(failure("FailedCreate", `pods "api-7d9-x" is forbidden: violates PodSecurity "restricted:latest": privileged`)),
			true, true, "violates PodSecurity"},
		{"an admission webhook denial is doomed at once",
			rs(failure("FailedCreate", `admission webhook "policy.example.com" denied the request: no latest tags`)),
			true, true, "denied the request"},
		{"a quota that demands limits is doomed: retries send the same pod",
			rs(failure("FailedCreate", `pods "api-7d9-x" is forbidden: failed quota: compute: must specify limits.cpu`)),
			true, true, "must specify limits.cpu"},
		{"a failed delete names the verb", rs(failure("FailedDelete", "etcd timeout")), true, true, "cannot delete pods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := ReplicaSetProblem(tt.rs)
			if ok != tt.problem {
				t.Fatalf("problem = %v, want %v (%v)", ok, tt.problem, p)
			}
			if !ok {
				return
			}
			if p.Doomed != tt.doomed || !contains(p.String(), tt.text) {
				t.Errorf("got %q doomed=%v, want doomed=%v containing %q", p, p.Doomed, tt.doomed, tt.text)
			}
		})
	}
}

func TestReplaced(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	pod := func(uid string, created time.Time, phase corev1.PodPhase) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: k8stypes.UID(uid), CreationTimestamp: metav1.NewTime(created)}}
		p.Status.Phase = phase
		return p
	}
	rejected := pod("a", at, corev1.PodFailed)
	tests := []struct {
		name     string
		siblings []*corev1.Pod
		want     bool
	}{
		{"a rejected pod alone is not replaced", []*corev1.Pod{rejected}, false},
		{"a newer running pod replaces it", []*corev1.Pod{rejected, pod("b", at.Add(time.Second), corev1.PodRunning)}, true},
		{"a newer pod still pending does not", []*corev1.Pod{rejected, pod("b", at.Add(time.Second), corev1.PodPending)}, false},
		{"a newer pod rejected too does not", []*corev1.Pod{rejected, pod("b", at.Add(time.Second), corev1.PodFailed)}, false},
		{"an older running pod does not", []*corev1.Pod{rejected, pod("b", at.Add(-time.Second), corev1.PodRunning)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Replaced(rejected, tt.siblings); got != tt.want {
				t.Errorf("Replaced = %v, want %v", got, tt.want)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
