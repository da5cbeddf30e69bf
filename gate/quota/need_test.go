package quota

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestNeed(t *testing.T) {
	pod := func(memory string) corev1.ResourceList {
		return list("pods", "1", "requests.memory", memory)
	}
	tests := []struct {
		name        string
		newPod, old corev1.ResourceList
		plan        Plan
		want        corev1.ResourceList
	}{
		{"an unchanged pod size needs the surge pods' worth",
			pod("256Mi"), pod("256Mi"), Plan{Replicas: 4, MaxSurge: 3, OldPods: 4},
			list("pods", "3", "requests.memory", "768Mi")},
		{"cpu keeps its milli format",
			list("requests.cpu", "500m"), list("requests.cpu", "500m"), Plan{Replicas: 3, MaxSurge: 3, OldPods: 3},
			list("requests.cpu", "1500m")},
		{"a rollout that already finished needs nothing",
			pod("256Mi"), pod("256Mi"), Plan{Replicas: 4, MaxSurge: 3, NewPods: 4},
			list()},
		{"a larger new pod needs every replica's growth plus the old pods the surge keeps",
			pod("512Mi"), pod("256Mi"), Plan{Replicas: 3, MaxSurge: 1, OldPods: 3},
			list("pods", "1", "requests.memory", "1Gi")},
		{"a smaller new pod needs only the surge pods of the new size",
			pod("128Mi"), pod("256Mi"), Plan{Replicas: 3, MaxSurge: 1, OldPods: 3},
			list("pods", "1", "requests.memory", "128Mi")},
		{"a surge larger than the replicas is bounded by the old pods there are",
			pod("256Mi"), pod("256Mi"), Plan{Replicas: 2, MaxSurge: 5, OldPods: 2},
			list("pods", "2", "requests.memory", "512Mi")},
		{"a first rollout with no pods yet needs every replica",
			pod("256Mi"), nil, Plan{Replicas: 3, MaxSurge: 1},
			list("pods", "3", "requests.memory", "768Mi")},
		{"a rollout caught halfway needs only what is left of it",
			pod("512Mi"), pod("256Mi"), Plan{Replicas: 4, MaxSurge: 1, OldPods: 2, NewPods: 2},
			list("pods", "1", "requests.memory", "768Mi")},
		{"Recreate needs the new pods less what the old pods free",
			pod("512Mi"), pod("256Mi"), Plan{Replicas: 3, OldPods: 3},
			list("requests.memory", "768Mi")},
		{"Recreate to a smaller pod needs nothing",
			pod("128Mi"), pod("256Mi"), Plan{Replicas: 3, OldPods: 3},
			list()},
		{"a resource only the old pods use adds nothing",
			pod("256Mi"), list("pods", "1", "requests.memory", "256Mi", "limits.cpu", "1"), Plan{Replicas: 2, MaxSurge: 1, OldPods: 2},
			list("pods", "1", "requests.memory", "256Mi")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Need(tt.newPod, tt.old, tt.plan)
			if d := diffLists(got, tt.want); d != "" {
				t.Error(d)
			}
			for name, q := range got {
				if w := tt.want[name]; q.String() != w.String() {
					t.Errorf("%s prints as %s, want %s", name, q.String(), w.String())
				}
			}
		})
	}
}
