package promql

import (
	"testing"
	"time"
)

// FuzzJudge: whatever Prometheus answers (NaN, Inf, several series, none),
// the reducer gives one of the four outcomes with a reason, never a panic.
func FuzzJudge(f *testing.F) {
	f.Add(0.01, 0.02, 100.0, 2, true, false)
	f.Add(0.0, 0.0, 0.0, 0, false, true)
	f.Fuzz(func(t *testing.T, canary, stable, samples float64, series int, baseline, each bool) {
		max, ratio, minSamples := 0.05, 1.2, 10.0
		s := Spec{Name: "c", Query: "q", Max: &max, MinSamples: &minSamples, NoData: Inconclusive, EachSeries: each, SampleQuery: "s"}
		in := Inputs{Samples: Result{Samples: []Sample{{Value: samples}}}}
		for i := 0; i < series%5; i++ {
			in.Canary.Samples = append(in.Canary.Samples, Sample{Value: canary + float64(i)})
		}
		if baseline {
			s.Baseline, s.MaxRatio = "b", &ratio
			in.Baseline.Samples = []Sample{{Value: stable}}
		}
		m := Judge(s, in, time.Unix(0, 0))
		switch m.Outcome {
		case Pass, Fail, Inconclusive, Error:
		default:
			t.Fatalf("outcome %q", m.Outcome)
		}
		if m.Reason == "" {
			t.Fatal("a verdict without a reason")
		}
	})
}
