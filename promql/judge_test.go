package promql

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func vec(vs ...float64) Result {
	r := Result{}
	for _, v := range vs {
		r.Samples = append(r.Samples, Sample{Value: v})
	}
	return r
}

func TestJudge(t *testing.T) {
	errRate := Spec{Name: "error-rate", Query: "q", Max: f(0.01), NoData: Inconclusive}
	withSamples := errRate
	withSamples.SampleQuery, withSamples.MinSamples = "n", f(100)
	vsStable := Spec{Name: "p99", Query: "q", Baseline: "b", MaxRatio: f(1.2), NoData: Inconclusive}
	each := errRate
	each.EachSeries = true
	twoSeries := Result{Samples: []Sample{{Labels: map[string]string{"pod": "api-1"}, Value: 0.001}, {Labels: map[string]string{"pod": "api-2"}, Value: 0.05}}}

	tests := []struct {
		name string
		spec Spec
		in   Inputs
		want Outcome
		text string
	}{
		{"a value under max passes", errRate, Inputs{Canary: vec(0.002)}, Pass, "0.002 <= max 0.01"},
		{"a value over max fails", errRate, Inputs{Canary: vec(0.034)}, Fail, "0.034 > max 0.01"},
		{"exactly max passes", errRate, Inputs{Canary: vec(0.01)}, Pass, "<= max"},
		{"a value under min fails", Spec{Query: "q", Min: f(0.99), NoData: Inconclusive}, Inputs{Canary: vec(0.95)}, Fail, "0.95 < min 0.99"},
		{"no series is inconclusive by default", errRate, Inputs{Canary: vec()}, Inconclusive, "no series (noData: inconclusive)"},
		{"no series follows noData pass", Spec{Query: "q", Max: f(1), NoData: Pass}, Inputs{}, Pass, "noData: pass"},
		{"no series follows noData fail", Spec{Query: "q", Max: f(1), NoData: Fail}, Inputs{}, Fail, "noData: fail"},
		{"NaN (0/0, no traffic) is inconclusive, never a pass", errRate, Inputs{Canary: vec(math.NaN())}, Inconclusive, "NaN"},
		{"+Inf is inconclusive", errRate, Inputs{Canary: vec(math.Inf(1))}, Inconclusive, "+Inf"},
		{"a failed query is an error", errRate, Inputs{CanaryErr: errors.New("connection refused")}, Error, "query failed: connection refused"},
		{"a rejected query is an error naming it", errRate, Inputs{CanaryErr: errors.Join(ErrBadQuery, errors.New("parse error"))}, Error, "rejected by Prometheus"},
		{"two series where one was expected is an error naming the labels", errRate, Inputs{Canary: twoSeries}, Error,
			`2 series where one was expected: {pod="api-1"}, {pod="api-2"}`},
		{"with series: each, every series must pass", each, Inputs{Canary: twoSeries}, Fail, `{pod="api-2"} 0.05 > max 0.01`},
		{"too few samples is inconclusive", withSamples, Inputs{Canary: vec(0.5), Samples: vec(40)}, Inconclusive, "only 40 samples, minSamples 100"},
		{"enough samples judges the value", withSamples, Inputs{Canary: vec(0.5), Samples: vec(400)}, Fail, "0.5 > max 0.01"},
		{"a missing sample count is inconclusive", withSamples, Inputs{Canary: vec(0.001)}, Inconclusive, "sampleQuery returned no series"},
		{"canary 1.5x stable fails maxRatio 1.2", vsStable, Inputs{Canary: vec(0.3), Baseline: vec(0.2)}, Fail, "canary 0.3 / stable 0.2 = 1.5 > maxRatio 1.2"},
		{"canary 1.1x stable passes", vsStable, Inputs{Canary: vec(0.22), Baseline: vec(0.2)}, Pass, "= 1.1 <= maxRatio 1.2"},
		{"an absolute threshold alone would pass what the ratio fails",
			Spec{Query: "q", Baseline: "b", Max: f(0.5), MaxRatio: f(1.2), NoData: Inconclusive}, Inputs{Canary: vec(0.3), Baseline: vec(0.2)}, Fail, "> maxRatio"},
		{"no stable series is inconclusive", vsStable, Inputs{Canary: vec(0.3)}, Inconclusive, "baseline returned no series"},
		{"a zero stable makes the ratio undefined", vsStable, Inputs{Canary: vec(0.3), Baseline: vec(0)}, Inconclusive, "ratio is undefined"},
		{"maxDelta compares the difference", Spec{Query: "q", Baseline: "b", MaxDelta: f(0.01), NoData: Inconclusive},
			Inputs{Canary: vec(0.05), Baseline: vec(0.01)}, Fail, "= 0.04 > maxDelta 0.01"},
		{"a baseline error is an error", vsStable, Inputs{Canary: vec(0.3), BaselineErr: errors.New("timeout")}, Error, "baseline failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Judge(tt.spec, tt.in, time.Unix(0, 0))
			if m.Outcome != tt.want || !strings.Contains(m.Reason, tt.text) {
				t.Errorf("got %s: %q; want %s containing %q", m.Outcome, m.Reason, tt.want, tt.text)
			}
		})
	}
}
