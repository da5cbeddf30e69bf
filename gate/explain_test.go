package gate

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/promql"
	"github.com/rollgate/rollgate/test/golden"
)

// explainedRun is a fixed analysis: one check failing its limit, one
// comparing against the stable pods, with Prometheus warnings and samples.
func explainedRun() analysis.Result {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	n := 350.0
	ms := func(outcomes ...promql.Measurement) []promql.Measurement { return outcomes }
	errorRate := &analysis.CheckTally{Name: "error-rate", Passed: 1, Failed: 2, Measurements: ms(
		promql.Measurement{Check: "error-rate", At: at, Outcome: promql.Pass, Reason: "0.002 <= max 0.01", Query: `sum(rate(x{pod=~"api-5d8-[a-z0-9]+"}[1m]))`, Canary: []promql.Sample{{Value: 0.002}}, Samples: &n},
		promql.Measurement{Check: "error-rate", At: at.Add(30 * time.Second), Outcome: promql.Fail, Reason: "0.034 > max 0.01", Query: `sum(rate(x{pod=~"api-5d8-[a-z0-9]+"}[1m]))`, Canary: []promql.Sample{{Value: 0.034}}, Samples: &n,
			Warnings: []string{"PromQL info: metric might not be a counter"}},
		promql.Measurement{Check: "error-rate", At: at.Add(time.Minute), Outcome: promql.Fail, Reason: "0.05 > max 0.01", Query: `sum(rate(x{pod=~"api-5d8-[a-z0-9]+"}[1m]))`, Canary: []promql.Sample{{Value: 0.05}}, Samples: &n},
	)}
	latency := &analysis.CheckTally{Name: "p99-vs-stable", Passed: 2, Inconclusive: 1, Measurements: ms(
		promql.Measurement{Check: "p99-vs-stable", At: at, Outcome: promql.Pass, Reason: "canary 0.21 / stable 0.2 = 1.05 <= maxRatio 1.2", Query: "q", Baseline: "b",
			Canary: []promql.Sample{{Value: 0.21}}, Stable: []promql.Sample{{Value: 0.2}}},
		promql.Measurement{Check: "p99-vs-stable", At: at.Add(30 * time.Second), Outcome: promql.Inconclusive, Reason: "baseline returned no series (stable pods without traffic?)", Query: "q", Baseline: "b",
			Canary: []promql.Sample{{Value: 0.22}}},
		promql.Measurement{Check: "p99-vs-stable", At: at.Add(time.Minute), Outcome: promql.Pass, Reason: "canary 0.22 / stable 0.2 = 1.1 <= maxRatio 1.2", Query: "q", Baseline: "b",
			Canary: []promql.Sample{{Value: 0.22}}, Stable: []promql.Sample{{Value: 0.2}}},
	)}
	return analysis.Result{Outcome: analysis.Failed, Rule: analysis.Rule{Check: "error-rate", Limit: analysis.RuleFailureLimit, Count: 2, Intervals: 3, Threshold: 1, Text: "error-rate failed 2 of 3 intervals > failureLimit 1"}, Checks: []*analysis.CheckTally{errorRate, latency}}
}

func TestAnalysisExplanationText(t *testing.T) {
	var b bytes.Buffer
	res := explainedRun()
	for i := range res.Checks[0].Measurements {
		for _, c := range res.Checks {
			b.WriteString(MeasurementLine(c.Measurements[i]) + "\n")
		}
	}
	b.WriteString(analysisReason(res) + "\n")
	golden.Check(t, "analysis.txt.golden", b.Bytes())
}

func TestAnalysisExplanationJSON(t *testing.T) {
	res := explainedRun()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "analysis.json.golden", b.Bytes())
}
