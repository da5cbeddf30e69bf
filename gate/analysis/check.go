package analysis

import (
	"fmt"

	"github.com/rollgate/rollgate/promql"
)

// NoData policies: what a check gives when its query returns nothing.
const (
	NoDataPass         = "pass"
	NoDataFail         = "fail"
	NoDataInconclusive = "inconclusive"
)

// Series policies for a query that returns several series.
const (
	SeriesSingle = "single" // more than one series is an error
	SeriesEach   = "each"   // every series must pass
)

// Judges: how a check's measurements become verdicts.
const (
	JudgeStatic     = "static"
	JudgeSequential = "sequential"
)

// Check is one metric evaluated every interval, as the gate file writes it.
// The threshold pointers are optional limits (nil: no such limit).
type Check struct {
	Name string `json:"name"`
	// Use names a ready-made check (success-rate, latency-p99) whose queries
	// are filled from Vars.
	Use         string            `json:"use"`
	Vars        map[string]string `json:"vars"`
	Query       string            `json:"query"`
	Max         *float64          `json:"max"`
	Min         *float64          `json:"min"`
	Baseline    string            `json:"baseline"`
	MaxRatio    *float64          `json:"maxRatio"`
	MaxDelta    *float64          `json:"maxDelta"`
	SampleQuery string            `json:"sampleQuery"`
	MinSamples  *float64          `json:"minSamples"`
	NoData      string            `json:"noData"`
	Series      string            `json:"series"`
	// Judge is "" or static (thresholds, above) or sequential: canary
	// against stable counts with an anytime-valid test (seqcheck.go).
	Judge string `json:"judge"`
	Sequential
}

// IsSequential says whether the check is judged by the sequential test.
func (c Check) IsSequential() bool { return c.Judge == JudgeSequential }

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
