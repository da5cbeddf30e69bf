package workload

import (
	"slices"
	"strings"
	"testing"
)

func TestStepSizes(t *testing.T) {
	tests := []struct {
		name     string
		steps    []Step
		replicas int32
		want     []int32
		err      string
	}{
		{"a replicas step is that many new pods", []Step{{Replicas: 1}, {Replicas: 3}}, 4, []int32{1, 3}, ""},
		{"a percent rounds up, so a small step still runs one pod", []Step{{Percent: 10}, {Percent: 50}}, 4, []int32{1, 2}, ""},
		{"a percent of an HPA's current replicas", []Step{{Percent: 25}, {Percent: 60}}, 10, []int32{3, 6}, ""},
		{"a step larger than spec.replicas is refused", []Step{{Replicas: 5}}, 4, nil, "more than spec.replicas 4"},
		{"percents that round to the same size do not grow", []Step{{Percent: 10}, {Percent: 20}}, 4, nil, "each step must grow"},
		{"a replicas step after a larger percent does not grow", []Step{{Percent: 50}, {Replicas: 2}}, 4, nil, "each step must grow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := StepSizes(tt.steps, tt.replicas)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("StepSizes = %v, %v; want an error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("StepSizes = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestMarkOfReadsOnlyAWellFormedRecord(t *testing.T) {
	tests := []struct {
		name string
		ann  map[string]string
		ok   bool
	}{
		{"step and sizes agree", map[string]string{AnnotationCanaryStep: "1/2", AnnotationCanarySizes: "1,2"}, true},
		{"no record", nil, false},
		{"a step beyond the sizes", map[string]string{AnnotationCanaryStep: "3/2", AnnotationCanarySizes: "1,2"}, false},
		{"sizes missing", map[string]string{AnnotationCanaryStep: "1/2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := MarkOf(&State{Annotations: tt.ann})
			if ok != tt.ok || (ok && m.annotations()[AnnotationCanaryStep] != tt.ann[AnnotationCanaryStep]) {
				t.Errorf("MarkOf = %+v, %v; want ok %v", m, ok, tt.ok)
			}
		})
	}
}
