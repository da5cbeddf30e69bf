package analysis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rollgate/rollgate/promql"
)

func tally(name string, outcomes ...promql.Outcome) *CheckTally {
	t := &CheckTally{Name: name}
	for _, o := range outcomes {
		t.Add(promql.Measurement{Outcome: o})
	}
	return t
}

const (
	P = promql.Pass
	F = promql.Fail
	I = promql.Inconclusive
	E = promql.Error
)

func TestDecide(t *testing.T) {
	limits := Limits{Failure: 1, Inconclusive: 1, ConsecutiveError: 2}
	tests := []struct {
		name    string
		tallies []*CheckTally
		done    bool
		want    Outcome
		rule    string
	}{
		{"one failure within the limit goes on", []*CheckTally{tally("error-rate", P, F, P)}, false, "", ""},
		{"a second failure exceeds failureLimit 1 at once", []*CheckTally{tally("error-rate", P, F, F)}, false,
			Failed, "error-rate failed 2 of 3 intervals > failureLimit 1"},
		{"inconclusive over its limit ends inconclusive", []*CheckTally{tally("error-rate", I, I)}, false,
			Inconclusive, "error-rate was inconclusive 2 of 2 intervals > inconclusiveLimit 1"},
		{"consecutive errors over the limit end inconclusive, never passed", []*CheckTally{tally("error-rate", E, E, E)}, false,
			Inconclusive, "3 consecutive query errors > consecutiveErrorLimit 2"},
		{"a success resets consecutive errors", []*CheckTally{tally("error-rate", E, E, P, E, E)}, false, "", ""},
		{"failure wins over inconclusive in the same interval", []*CheckTally{tally("a", I, I), tally("b", F, F)}, false,
			Failed, "b failed 2 of 2"},
		{"all passing at the end passes and says so", []*CheckTally{tally("a", P, P), tally("b", P, F)}, true,
			Passed, "a passed 2 of 2; b passed 1 of 2"},
		{"errors within the limit at the end never pass a check that never passed", []*CheckTally{tally("a", E, E)}, true,
			Inconclusive, "a never passed in 2 intervals (0 inconclusive, 2 errors)"},
		{"no data within the limit at the end is inconclusive", []*CheckTally{tally("a", I)}, true,
			Inconclusive, "a never passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rule := Decide(tt.tallies, limits, tt.done)
			if got != tt.want || !strings.Contains(rule.Text, tt.rule) {
				t.Errorf("Decide = %q %q; want %q containing %q", got, rule, tt.want, tt.rule)
			}
		})
	}
}

// scripted answers each query with the next value of its script; an error
// value stands for an unreachable Prometheus. It is a unit-test double of our
// own one-method interface; the real Prometheus is in the e2e tests.
type scripted struct {
	values map[string][]any
	asked  []string
}

func (s *scripted) Query(_ context.Context, q string, _ time.Time) (promql.Result, error) {
	s.asked = append(s.asked, q)
	vs := s.values[q]
	if len(vs) == 0 {
		return promql.Result{}, nil
	}
	v := vs[0]
	s.values[q] = vs[1:]
	if err, ok := v.(error); ok {
		return promql.Result{}, err
	}
	return promql.Result{Samples: []promql.Sample{{Value: v.(float64)}}}, nil
}

func TestAnalyzeStopsAsSoonAsALimitIsExceeded(t *testing.T) {
	max, count, fl, il, el := 0.01, 10, 1, 0, 4
	q := &scripted{values: map[string][]any{
		`errors{ns="shop"}`: {0.001, 0.02, 0.03, 0.001, 0.001},
	}}
	cfg := Settings{Interval: time.Second, Count: count, Limits: Limits{Failure: fl, Inconclusive: il, ConsecutiveError: el},
		Checks: []Check{{Name: "error-rate", Query: `errors{ns="{{.Namespace}}"}`, Max: &max, NoData: NoDataInconclusive, Series: SeriesSingle}}}
	from := time.Unix(1700000000, 0)
	res, err := Analyze(context.Background(), cfg, Options{Querier: q, Vars: promql.Vars{Namespace: "shop"},
		From: from, To: from.Add(9 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Failed || res.Rule.Text != "error-rate failed 2 of 3 intervals > failureLimit 1" {
		t.Errorf("outcome %q rule %q", res.Outcome, res.Rule)
	}
	if len(q.asked) != 3 {
		t.Errorf("asked %d times, want 3: the analysis must stop when the limit is exceeded", len(q.asked))
	}
}

func TestAnalyzeUnreachablePrometheusIsNeverAPass(t *testing.T) {
	max, count, zero, el := 1.0, 3, 0, 4
	down := errors.New("dial tcp 127.0.0.1:9090: connection refused")
	q := &scripted{values: map[string][]any{"up": {down, down, down}}}
	cfg := Settings{Interval: time.Second, Count: count, Limits: Limits{Failure: zero, Inconclusive: zero, ConsecutiveError: el},
		Checks: []Check{{Name: "up", Query: "up", Max: &max, NoData: NoDataInconclusive, Series: SeriesSingle}}}
	from := time.Unix(1700000000, 0)
	res, err := Analyze(context.Background(), cfg, Options{Querier: q, From: from, To: from.Add(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Inconclusive || !strings.Contains(res.Rule.Text, "up never passed in 3 intervals (0 inconclusive, 3 errors)") {
		t.Errorf("outcome %q rule %q", res.Outcome, res.Rule)
	}
}

func TestCheckSpecExpandsReadyMadeChecks(t *testing.T) {
	c := Check{Name: "success", Use: "success-rate", Vars: map[string]string{"window": "2m"}, NoData: NoDataInconclusive, Series: SeriesSingle}
	s, err := c.Spec(promql.Vars{Namespace: "shop", CanaryPods: "api-5d8-[a-z0-9]+"}, map[string]string{"metric": "app_requests_total"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Query, `app_requests_total{namespace="shop",pod=~"api-5d8-[a-z0-9]+",code!~"5.."}[2m]`) {
		t.Errorf("query = %s", s.Query)
	}
	if s.Min == nil || *s.Min != 99 || s.SampleQuery == "" {
		t.Errorf("defaults not applied: min %v sampleQuery %q", s.Min, s.SampleQuery)
	}
}

func TestAnalyzeRecordsEachChecksThresholdForPeople(t *testing.T) {
	max, min, ratio, delta, count, zero, el := 0.01, 0.5, 1.2, 0.05, 1, 0, 4
	tests := []struct {
		name  string
		check Check
		want  string
	}{
		{"a max reads as at most", Check{Query: "x", Max: &max}, "<= 0.01"},
		{"min and max read lower bound first", Check{Query: "x", Min: &min, Max: &max}, ">= 0.5, <= 0.01"},
		{"a baseline comparison names the ratio and the delta", Check{Query: "x", Baseline: "y", MaxRatio: &ratio, MaxDelta: &delta},
			"ratio <= 1.2, delta <= 0.05"},
		{"a ready-made check shows its built-in threshold", Check{Use: "success-rate"}, ">= 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.check
			c.Name, c.NoData, c.Series = "c", NoDataInconclusive, SeriesSingle
			cfg := Settings{Interval: time.Second, Count: count, Limits: Limits{Failure: zero, Inconclusive: zero, ConsecutiveError: el}, Checks: []Check{c}}
			from := time.Unix(1700000000, 0)
			res, err := Analyze(context.Background(), cfg, Options{Querier: &scripted{values: map[string][]any{}}, Vars: promql.Vars{Namespace: "shop"}, From: from, To: from})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Checks[0].Threshold; got != tt.want {
				t.Errorf("Threshold = %q, want %q", got, tt.want)
			}
		})
	}
}

// instants records when each query was asked for.
type instants map[string][]time.Time

func (in instants) Query(_ context.Context, q string, at time.Time) (promql.Result, error) {
	in[q] = append(in[q], at)
	return promql.Result{Samples: []promql.Sample{{Value: 0.1}}}, nil
}

func TestAnalyzeEvaluatesTheBaselineWhenTheStablePodsLastServed(t *testing.T) {
	ratio, count, zero, el := 1.2, 2, 0, 4
	cfg := Settings{Interval: time.Second, Count: count, Limits: Limits{Failure: zero, Inconclusive: zero, ConsecutiveError: el},
		Checks: []Check{{Name: "p99", Query: "canary", Baseline: "stable", MaxRatio: &ratio, NoData: NoDataInconclusive, Series: SeriesSingle}}}
	from := time.Unix(1700000000, 0)
	began := from.Add(-time.Minute)
	q := instants{}
	if _, err := Analyze(context.Background(), cfg, Options{Querier: q, From: from, To: from.Add(time.Second), BaselineAt: began}); err != nil {
		t.Fatal(err)
	}
	for _, at := range q["stable"] {
		if !at.Equal(began) {
			t.Errorf("baseline asked at %s, want %s (when the rollout began)", at, began)
		}
	}
	if len(q["stable"]) != 2 || !q["canary"][1].Equal(from.Add(time.Second)) {
		t.Errorf("queries: %v", q)
	}
}
