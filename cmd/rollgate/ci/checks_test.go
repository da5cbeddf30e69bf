package ci

import (
	"math"
	"strings"
	"testing"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/promql"
)

func tally(name string, outcomes ...promql.Outcome) *analysis.CheckTally {
	t := &analysis.CheckTally{Name: name}
	for _, o := range outcomes {
		t.Add(promql.Measurement{Outcome: o})
	}
	return t
}

func TestCheckVerdict(t *testing.T) {
	P, F, I, E := promql.Pass, promql.Fail, promql.Inconclusive, promql.Error
	tests := []struct {
		name    string
		outcome analysis.Outcome
		rule    string
		checks  []*analysis.CheckTally
		want    []Verdict
	}{
		{"the check named by a failed analysis fails, the others pass", analysis.Failed, "b failed 2 of 2 intervals > failureLimit 1",
			[]*analysis.CheckTally{tally("a", P, F), tally("b", F, F)}, []Verdict{Passed, Failed}},
		{"a failure within the limit still passes when the analysis passed", analysis.Passed, "a passed 1 of 2",
			[]*analysis.CheckTally{tally("a", P, F)}, []Verdict{Passed}},
		{"a check whose name prefixes another's is not blamed for it", analysis.Failed, "error-rate failed 2 of 2 intervals > failureLimit 1",
			[]*analysis.CheckTally{tally("error", F, P), tally("error-rate", F, F)}, []Verdict{Passed, Failed}},
		{"too little data is inconclusive: skipped", analysis.Inconclusive, "a was inconclusive 2 of 2 intervals > inconclusiveLimit 1",
			[]*analysis.CheckTally{tally("a", I, I)}, []Verdict{Skipped}},
		{"too many query errors is an error", analysis.Inconclusive, "a had 3 consecutive query errors > consecutiveErrorLimit 2 (is Prometheus reachable?)",
			[]*analysis.CheckTally{tally("a", E, E, E)}, []Verdict{Errored}},
		{"an interrupted analysis blames the checks that never passed", analysis.Inconclusive, "analysis interrupted",
			[]*analysis.CheckTally{tally("a", P), tally("b", I)}, []Verdict{Passed, Skipped}},
		{"a failed analysis naming no check blames the checks that failed an interval", analysis.Failed, "",
			[]*analysis.CheckTally{tally("a", P), tally("b", F)}, []Verdict{Passed, Failed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := analysis.Rule{Text: tt.rule}
			if name, _, ok := strings.Cut(tt.rule, " "); ok && tt.rule != "analysis interrupted" {
				rule.Check = name // the engine names the check whose limit fired
			}
			a := &analysis.Result{Outcome: tt.outcome, Rule: rule, Checks: tt.checks}
			for i, c := range tt.checks {
				if got := CheckVerdict(a, c); got != tt.want[i] {
					t.Errorf("%s: %s, want %s", c.Name, got, tt.want[i])
				}
			}
		})
	}
}

// series builds measurements at 30 s intervals; NaN stands for an interval
// without a canary value, and stable values are optional.
func series(canary []float64, stable []float64) []promql.Measurement {
	out := make([]promql.Measurement, len(canary))
	for i, v := range canary {
		out[i] = promql.Measurement{At: reports.At(30 * i), Outcome: promql.Pass}
		if !math.IsNaN(v) {
			out[i].Canary = reports.Samples(v)
		}
		if i < len(stable) && !math.IsNaN(stable[i]) {
			out[i].Stable = reports.Samples(stable[i])
		}
	}
	return out
}

func TestChart(t *testing.T) {
	nan := math.NaN()
	many := make([]float64, 250)
	for i := range many {
		many[i] = float64(i % 10)
	}
	tests := []struct {
		name  string
		tally *analysis.CheckTally
		ok    bool
		want  []string
	}{
		{"a max threshold is a flat red line after the canary", &analysis.CheckTally{Name: "errors", Max: reports.Float(0.01), Measurements: series([]float64{0.001, 0.02}, nil)},
			true, []string{`x-axis "time (UTC)" ["10:00:00", "10:00:30"]`, "line [0.001, 0.02]\n    line [0.01, 0.01]", "🔵 canary · 🔴 max 0.01", `"plotColorPalette": "#2563eb, #dc2626"`}},
		{"a ratio threshold follows the stable line", &analysis.CheckTally{Name: "p99", MaxRatio: reports.Float(1.5), Measurements: series([]float64{3, 4}, []float64{2, 2})},
			true, []string{"line [3, 4]\n    line [2, 2]\n    line [3, 3]", "🔵 canary · 🟢 stable · 🔴 stable × 1.5"}},
		{"a delta threshold adds to the stable line", &analysis.CheckTally{Name: "d", MaxDelta: reports.Float(0.5), Measurements: series([]float64{1}, []float64{2})},
			true, []string{"line [2.5]", "🔴 stable + 0.5"}},
		{"gaps are drawn at the previous value and counted", &analysis.CheckTally{Name: "gaps", Measurements: series([]float64{nan, 1, nan, 3}, nil)},
			true, []string{"line [1, 1, 1, 3]", "(2 missing values drawn at the previous one)"}},
		{"min and max both get lines, the second in orange", &analysis.CheckTally{Name: "band", Max: reports.Float(10), Min: reports.Float(1), Measurements: series([]float64{5}, nil)},
			true, []string{"🔴 max 10 · 🟠 min 1"}},
		{"tiny values are plain decimals mermaid can parse", &analysis.CheckTally{Name: "tiny", Measurements: series([]float64{0.00001234}, nil)},
			true, []string{"line [0.00001234]"}},
		{"a long run is drawn in buckets at their worst value, counting intervals", &analysis.CheckTally{Name: "long", Max: reports.Float(5), Measurements: series(many, nil)},
			true, []string{`x-axis "interval from 10:00:00 UTC" 1 --> 84`, "line [2, 5, 8, 9, 4,", "(250 intervals, drawn in 84 buckets at their worst value)"}},
		{"a check that never measured a value has no chart", &analysis.CheckTally{Name: "down", Measurements: series([]float64{nan, nan}, nil)}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Chart(tt.tally)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v\n%s", ok, tt.ok, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("chart lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestPointsTakeTheWorstOfSeveralSeries(t *testing.T) {
	m := promql.Measurement{Canary: reports.Samples(97, 99.5, math.NaN())}
	high := Points(&analysis.CheckTally{Max: reports.Float(1), Measurements: []promql.Measurement{m}})
	low := Points(&analysis.CheckTally{Min: reports.Float(99), Measurements: []promql.Measurement{m}})
	if *high[0].Canary != 99.5 || *low[0].Canary != 97 {
		t.Errorf("worst under max %v, under min %v; want 99.5 and 97", *high[0].Canary, *low[0].Canary)
	}
}
