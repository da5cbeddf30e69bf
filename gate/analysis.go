package gate

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rollgate/rollgate/promql"
)

// Analysis outcomes.
const (
	AnalysisPassed       = "passed"
	AnalysisFailed       = "failed"
	AnalysisInconclusive = "inconclusive"
)

// CheckTally counts one check's outcomes across intervals.
type CheckTally struct {
	Name string `json:"name"`
	// Threshold is what the check is held to, for people: "<= 0.01",
	// ">= 99", "ratio <= 1.2".
	Threshold         string               `json:"threshold,omitempty"`
	Passed            int                  `json:"passed"`
	Failed            int                  `json:"failed"`
	Inconclusive      int                  `json:"inconclusive"`
	Errors            int                  `json:"errors"`
	ConsecutiveErrors int                  `json:"consecutiveErrors"`
	Measurements      []promql.Measurement `json:"measurements"`
	// Max, Min, MaxRatio and MaxDelta are the numbers behind Threshold, for
	// charts that draw the threshold line next to the measured values.
	Max      *float64 `json:"max,omitempty"`
	Min      *float64 `json:"min,omitempty"`
	MaxRatio *float64 `json:"maxRatio,omitempty"`
	MaxDelta *float64 `json:"maxDelta,omitempty"`
}

// Add counts one measurement; any non-error resets the consecutive errors.
func (t *CheckTally) Add(m promql.Measurement) {
	t.Measurements = append(t.Measurements, m)
	switch m.Outcome {
	case promql.Pass:
		t.Passed++
	case promql.Fail:
		t.Failed++
	case promql.Inconclusive:
		t.Inconclusive++
	case promql.Error:
		t.Errors++
		t.ConsecutiveErrors++
		return
	}
	t.ConsecutiveErrors = 0
}

func (t *CheckTally) intervals() int { return len(t.Measurements) }

// Summary says how the intervals came out, for people: "2 pass, 1 fail of 3".
func (t *CheckTally) Summary() string {
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{{t.Passed, "pass"}, {t.Failed, "fail"}, {t.Inconclusive, "inconclusive"}, {t.Errors, "error"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(parts) == 0 {
		return "no intervals"
	}
	return fmt.Sprintf("%s of %d", strings.Join(parts, ", "), t.intervals())
}

// Limits are the analysis limits. Each is exceeded when the count is
// strictly greater (Argo Rollouts' semantics): failureLimit 1 tolerates one
// failed interval and fails on the second.
type Limits struct {
	Failure, Inconclusive, ConsecutiveError int
}

// Decide applies the limits to the tallies. done is false while intervals
// remain: then only an exceeded limit ends the analysis (at once, without
// waiting for the end). At the end a check that never passed makes the
// analysis inconclusive: errors and missing data are never a pass.
func Decide(tallies []*CheckTally, l Limits, done bool) (outcome, rule string) {
	for _, t := range tallies {
		if t.Failed > l.Failure {
			return AnalysisFailed, fmt.Sprintf("%s failed %d of %d intervals > failureLimit %d", t.Name, t.Failed, t.intervals(), l.Failure)
		}
	}
	for _, t := range tallies {
		if t.Inconclusive > l.Inconclusive {
			return AnalysisInconclusive, fmt.Sprintf("%s was inconclusive %d of %d intervals > inconclusiveLimit %d (not enough data)",
				t.Name, t.Inconclusive, t.intervals(), l.Inconclusive)
		}
		if t.ConsecutiveErrors > l.ConsecutiveError {
			return AnalysisInconclusive, fmt.Sprintf("%s had %d consecutive query errors > consecutiveErrorLimit %d (is Prometheus reachable?)",
				t.Name, t.ConsecutiveErrors, l.ConsecutiveError)
		}
	}
	if !done {
		return "", ""
	}
	var parts []string
	for _, t := range tallies {
		if t.Passed == 0 {
			return AnalysisInconclusive, fmt.Sprintf("%s never passed in %d intervals (%d inconclusive, %d errors)", t.Name, t.intervals(), t.Inconclusive, t.Errors)
		}
		parts = append(parts, fmt.Sprintf("%s passed %d of %d", t.Name, t.Passed, t.intervals()))
	}
	return AnalysisPassed, strings.Join(parts, "; ")
}

// AnalysisResult is the outcome of the metric phase, with every measurement.
type AnalysisResult struct {
	Outcome string        `json:"outcome"`
	Rule    string        `json:"rule"`
	Checks  []*CheckTally `json:"checks"`
}

// AnalysisOptions configure one analysis run.
type AnalysisOptions struct {
	Querier promql.Querier
	Config  Analysis // defaulted
	Vars    promql.Vars
	// Observe receives each measurement as it is made.
	Observe func(promql.Measurement)
	// From and To replay a past window: measurements at From, From +
	// interval, ... up to To, without waiting. Zero From means live.
	From, To time.Time
	// BaselineAt, when set, evaluates the baseline queries at that instant
	// instead of each interval's: after a Deployment's full rollout the
	// stable pods are gone, and the moment the rollout began is when they
	// last served all traffic.
	BaselineAt time.Time
	Now        func() time.Time
}

// Analyze evaluates every check each interval until a limit is exceeded or
// the intervals run out.
func Analyze(ctx context.Context, o AnalysisOptions) (AnalysisResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	a := o.Config
	specs := make([]promql.Spec, len(a.Checks))
	tallies := make([]*CheckTally, len(a.Checks))
	for i, c := range a.Checks {
		s, err := c.Spec(o.Vars, a.Vars)
		if err != nil {
			return AnalysisResult{}, Errorf(ExitBadInput, "analysis.checks[%d] (%s): %w", i, c.Name, err)
		}
		specs[i], tallies[i] = s, &CheckTally{Name: c.Name, Threshold: threshold(s), Measurements: []promql.Measurement{}}
	}
	limits := Limits{Failure: *a.FailureLimit, Inconclusive: *a.InconclusiveLimit, ConsecutiveError: *a.ConsecutiveErrorLimit}
	n := intervals(a, o.From, o.To)
	start := o.Now().Add(a.InitialDelay.Duration)
	if !o.From.IsZero() {
		start = o.From
	}
	for i, s := range specs {
		tallies[i].Max, tallies[i].Min, tallies[i].MaxRatio, tallies[i].MaxDelta = s.Max, s.Min, s.MaxRatio, s.MaxDelta
	}
	res := AnalysisResult{Checks: tallies}
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * a.Interval.Duration)
		if o.From.IsZero() {
			if err := sleepUntil(ctx, at, o.Now); err != nil {
				res.Outcome, res.Rule = AnalysisInconclusive, "analysis interrupted"
				return res, ctxError(ctx, fmt.Sprintf("analysis stopped after %d of %d intervals", i, n))
			}
		}
		for j, s := range specs {
			m := measure(ctx, o.Querier, s, at, o.BaselineAt)
			tallies[j].Add(m)
			if o.Observe != nil {
				o.Observe(m)
			}
		}
		if outcome, rule := Decide(tallies, limits, i == n-1); outcome != "" {
			res.Outcome, res.Rule = outcome, rule
			return res, nil
		}
	}
	res.Outcome, res.Rule = Decide(tallies, limits, true)
	return res, nil
}

// threshold describes a rendered check's limits the way a person reads
// them; ready-made checks have their defaults filled in by then.
func threshold(s promql.Spec) string {
	var parts []string
	for _, l := range []struct {
		v    *float64
		desc string
	}{{s.Min, ">= "}, {s.Max, "<= "}, {s.MaxRatio, "ratio <= "}, {s.MaxDelta, "delta <= "}} {
		if l.v != nil {
			parts = append(parts, l.desc+strconv.FormatFloat(*l.v, 'g', -1, 64))
		}
	}
	return strings.Join(parts, ", ")
}

// Intervals is how many measurements a live analysis makes.
func (a Analysis) Intervals() int { return intervals(a, time.Time{}, time.Time{}) }

// intervals is how many measurements a run makes: count, or duration /
// interval, or for a replay as many as fit between from and to.
func intervals(a Analysis, from, to time.Time) int {
	if !from.IsZero() {
		return int(to.Sub(from)/a.Interval.Duration) + 1
	}
	if a.Count != nil {
		return *a.Count
	}
	return max(1, int(a.Duration.Duration/a.Interval.Duration))
}

func sleepUntil(ctx context.Context, at time.Time, now func() time.Time) error {
	d := at.Sub(now())
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// measure runs one check's queries at one instant and judges them.
func measure(ctx context.Context, q promql.Querier, s promql.Spec, at, baselineAt time.Time) promql.Measurement {
	var in promql.Inputs
	in.Canary, in.CanaryErr = q.Query(ctx, s.Query, at)
	if s.Baseline != "" {
		if baselineAt.IsZero() {
			baselineAt = at
		}
		in.Baseline, in.BaselineErr = q.Query(ctx, s.Baseline, baselineAt)
	}
	if s.SampleQuery != "" {
		in.Samples, in.SamplesErr = q.Query(ctx, s.SampleQuery, at)
	}
	return promql.Judge(s, in, at)
}

// Spec renders a configured check into what promql judges: ready-made
// checks expanded, templates filled with the run's variables.
func (c Check) Spec(v promql.Vars, fileVars map[string]string) (promql.Spec, error) {
	user := map[string]string{}
	for k, val := range fileVars {
		user[k] = val
	}
	for k, val := range c.Vars {
		user[k] = val
	}
	query, sample := c.Query, c.SampleQuery
	s := promql.Spec{Name: c.Name, Max: c.Max, Min: c.Min, MaxRatio: c.MaxRatio, MaxDelta: c.MaxDelta, MinSamples: c.MinSamples,
		NoData: promql.Outcome(c.NoData), EachSeries: c.Series == SeriesEach}
	if c.Use != "" {
		rm, merged, err := promql.Lookup(c.Use, user)
		if err != nil {
			return promql.Spec{}, err
		}
		user, query, sample = merged, rm.Query, rm.SampleQuery
		if s.Min == nil && s.Max == nil {
			s.Min, s.Max = rm.Min, rm.Max
		}
	}
	v.User = user
	var err error
	for _, q := range []struct {
		dst  *string
		src  string
		name string
	}{{&s.Query, query, "query"}, {&s.Baseline, c.Baseline, "baseline"}, {&s.SampleQuery, sample, "sampleQuery"}} {
		if q.src == "" {
			continue
		}
		if *q.dst, err = promql.Render(q.src, v); err != nil {
			return promql.Spec{}, fmt.Errorf("%s: %w", q.name, err)
		}
	}
	return s, nil
}
