package workload

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestRolloutQuotaSurge(t *testing.T) {
	object := func(strategy map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
			"metadata": map[string]any{"name": "api", "namespace": "shop"},
			"spec": map[string]any{
				"replicas": int64(4),
				"selector": map[string]any{"matchLabels": map[string]any{"app": "api"}},
				"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "api"}},
					"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "api:v2"}}}},
				"strategy": strategy,
			},
		}}
	}
	tests := []struct {
		name     string
		strategy map[string]any
		want     int32
	}{
		{"a canary without traffic routing surges by Argo's default 25%", map[string]any{"canary": map[string]any{}}, 1},
		{"a canary's maxSurge is resolved like Argo", map[string]any{"canary": map[string]any{"maxSurge": int64(2)}}, 2},
		{"a canary with traffic routing needs up to twice the replicas: stable stays full while the canary grows",
			map[string]any{"canary": map[string]any{"maxSurge": int64(1), "trafficRouting": map[string]any{"nginx": map[string]any{"stableIngress": "api"}}}}, 4},
		{"a blue-green rollout starts a full second set", map[string]any{"blueGreen": map[string]any{"activeService": "api"}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := decodeRollout(object(tt.strategy), nil)
			if err != nil {
				t.Fatal(err)
			}
			q, err := (&rollout{}).Quota(st)
			if err != nil {
				t.Fatal(err)
			}
			if q.MaxSurge != tt.want || q.Replicas != 4 {
				t.Errorf("plan = %+v, want maxSurge %d of 4 replicas", q.Plan, tt.want)
			}
		})
	}
}
