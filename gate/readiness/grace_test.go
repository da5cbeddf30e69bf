package readiness

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/workload"
)

func TestScaleUpAfter(t *testing.T) {
	unschedulable := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	ev := func(reason, pod string, at time.Time) corev1.Event {
		return corev1.Event{Reason: reason, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod}, LastTimestamp: metav1.NewTime(at)}
	}
	tests := []struct {
		name   string
		events []corev1.Event
		want   time.Time
	}{
		{"no event is no scale-up", nil, time.Time{}},
		{"a scale-up after the pod became unschedulable counts",
			[]corev1.Event{ev("TriggeredScaleUp", "api-x", unschedulable.Add(20*time.Second))}, unschedulable.Add(20 * time.Second)},
		{"the newest of several scale-ups counts", []corev1.Event{
			ev("TriggeredScaleUp", "api-x", unschedulable.Add(20*time.Second)), ev("TriggeredScaleUp", "api-x", unschedulable.Add(70*time.Second)),
		}, unschedulable.Add(70 * time.Second)},
		{"a scale-up older than the Unschedulable condition is an earlier episode",
			[]corev1.Event{ev("TriggeredScaleUp", "api-x", unschedulable.Add(-time.Minute))}, time.Time{}},
		{"the autoscaler declining is no scale-up",
			[]corev1.Event{ev("NotTriggerScaleUp", "api-x", unschedulable.Add(time.Second))}, time.Time{}},
		{"another pod's scale-up does not count",
			[]corev1.Event{ev("TriggeredScaleUp", "api-y", unschedulable.Add(time.Second))}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ScaleUpAfter(tt.events, "api-x", unschedulable)
			if !got.Equal(tt.want) || ok == tt.want.IsZero() {
				t.Errorf("ScaleUpAfter = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

// TestDoomedGraces drives the watch's grace bookkeeping over one
// unschedulable pod or one quota-blocked ReplicaSet, on a fake clock.
func TestDoomedGraces(t *testing.T) {
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "api-7d9", Namespace: "shop", UID: "rs"}}
	pending := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api-7d9-x", Namespace: "shop", UID: "p",
		OwnerReferences: []metav1.OwnerReference{{UID: "rs", Controller: ptr(true), Kind: "ReplicaSet", Name: "api-7d9"}}}}
	pending.Status.Phase = corev1.PodPending
	pending.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: "Unschedulable", Message: "0/3 nodes are available", LastTransitionTime: metav1.NewTime(start)}}
	quotaBlocked := rs.DeepCopy()
	quotaBlocked.Status.Conditions = []appsv1.ReplicaSetCondition{{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue,
		Reason: "FailedCreate", Message: "exceeded quota: pods", LastTransitionTime: metav1.NewTime(start)}}
	scaleUp := func(at time.Duration) *corev1.Event {
		return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e" + at.String(), Namespace: "shop"}, Reason: "TriggeredScaleUp",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "api-7d9-x"}, LastTimestamp: metav1.NewTime(start.Add(at))}
	}
	tests := []struct {
		name    string
		rs      *appsv1.ReplicaSet
		pods    []*corev1.Pod
		events  []*corev1.Event
		s       Settings
		at      time.Duration // after the state began
		failing bool
	}{
		{"an unschedulable pod within its grace waits", rs, []*corev1.Pod{pending}, nil, Settings{Grace: time.Minute, UnschedulableGrace: time.Minute}, 30 * time.Second, false},
		{"an unschedulable pod past its grace without a scale-up fails", rs, []*corev1.Pod{pending}, nil, Settings{Grace: time.Minute, UnschedulableGrace: time.Minute}, 61 * time.Second, true},
		{"unschedulableGrace replaces grace for unschedulable pods", rs, []*corev1.Pod{pending}, nil,
			Settings{Grace: time.Minute, UnschedulableGrace: 5 * time.Minute}, 2 * time.Minute, false},
		{"a scale-up the autoscaler reported restarts the unschedulable grace", rs, []*corev1.Pod{pending},
			[]*corev1.Event{scaleUp(50 * time.Second)}, Settings{Grace: time.Minute, UnschedulableGrace: time.Minute}, 90 * time.Second, false},
		{"a scale-up older than the grace does not keep the pod waiting", rs, []*corev1.Pod{pending},
			[]*corev1.Event{scaleUp(10 * time.Second)}, Settings{Grace: time.Minute, UnschedulableGrace: time.Minute}, 2 * time.Minute, true},
		{"a quota rejection within grace waits for terminating pods", quotaBlocked, nil, nil, Settings{Grace: time.Minute, UnschedulableGrace: time.Minute}, 30 * time.Second, false},
		{"a quota rejection past grace fails", quotaBlocked, nil, nil, Settings{Grace: time.Minute, UnschedulableGrace: time.Minute}, 61 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset()
			for _, e := range tt.events {
				if _, err := client.CoreV1().Events("shop").Create(context.Background(), e, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			c := cluster.Cluster{Client: client}
			wl, err := workload.For(c, workload.Target{Kind: workload.KindDeployment, Name: "api", Namespace: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			pods := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
			for _, p := range tt.pods {
				_ = pods.Add(p)
			}
			now := start.Add(tt.at)
			w := &watch{c: c, w: wl, s: tt.s, pods: pods, graces: map[string]*grace{}, reported: map[string]bool{},
				h: Hooks{Now: func() time.Time { return now }}, pin: &workload.Pin{At: start, Restarts: map[k8stypes.UID]map[string]int32{}}}
			got := w.doomed(context.Background(), tt.rs)
			if (len(got) > 0) != tt.failing {
				t.Errorf("failing problems = %v, want failing=%v", got, tt.failing)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
