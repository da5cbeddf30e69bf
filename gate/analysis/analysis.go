// Package analysis is the metric phase: every interval it renders and
// evaluates each check's Prometheus queries (promql judges one
// measurement), counts the outcomes against the failure, inconclusive and
// consecutive-error limits, and ends with a Result whose Rule says, as
// data, what decided it.
package analysis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rollgate/rollgate/promql"
)

// Settings are the analysis as resolved from the gate file and flags.
type Settings struct {
	InitialDelay time.Duration
	Interval     time.Duration
	// Duration / Interval intervals are measured unless Count is set.
	Duration time.Duration
	Count    int
	Limits   Limits
	// Vars are the gate file's own template variables.
	Vars   map[string]string
	Checks []Check
}

// Intervals is how many measurements a live analysis makes.
func (s Settings) Intervals() int { return s.intervals(time.Time{}, time.Time{}) }

// intervals is how many measurements a run makes: count, or duration /
// interval, or for a replay as many as fit between from and to.
func (s Settings) intervals(from, to time.Time) int {
	if !from.IsZero() {
		return int(to.Sub(from)/s.Interval) + 1
	}
	if s.Count > 0 {
		return s.Count
	}
	return max(1, int(s.Duration/s.Interval))
}

// Length says how long the analysis runs, for people.
func (s Settings) Length() string {
	if s.Count > 0 {
		return fmt.Sprintf("%d intervals", s.Count)
	}
	return "for " + s.Duration.String()
}

// HasBaseline says whether a check compares with the stable pods.
func (s Settings) HasBaseline() bool {
	for _, c := range s.Checks {
		if c.Baseline != "" {
			return true
		}
	}
	return false
}

// HasSequential says whether a check is judged by the sequential test.
func (s Settings) HasSequential() bool {
	for _, c := range s.Checks {
		if c.IsSequential() {
			return true
		}
	}
	return false
}

// Result is the outcome of the metric phase, with every measurement.
type Result struct {
	Outcome Outcome       `json:"outcome"`
	Rule    Rule          `json:"rule"`
	Checks  []*CheckTally `json:"checks"`
}

// ErrInvalidCheck marks a check that cannot be rendered (a template
// naming an unknown variable): bad input.
var ErrInvalidCheck = errors.New("invalid check")

// Options configure one analysis run.
type Options struct {
	Querier promql.Querier
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
	// Unjudged, when set, is why no stable pods serve alongside the canary:
	// sequential checks, which compare the two, are then Inconclusive with
	// it instead of judging nothing.
	Unjudged string
	// Notice receives the analysis' own lines before the first interval
	// (each sequential check's plan); warn marks one people must heed.
	Notice func(msg string, warn bool)
	// Carry, when set, keeps the sequential checks' evidence from one
	// Analyze of a revision to the next (a canary's steps): one test from
	// the first step to the end, never restarted.
	Carry *Carry
	Now   func() time.Time
}

// Carry holds sequential checks between analyses of the same revision.
type Carry struct{ checks map[string]*seqCheck }

// NewCarry starts an empty one.
func NewCarry() *Carry { return &Carry{checks: map[string]*seqCheck{}} }

// Analyze evaluates every check each interval until a limit is exceeded, a
// sequential check proves a regression, or the intervals run out. An error
// is trouble (a check that cannot be rendered) or the context ending
// (wrapping its cause); the outcome so far is returned with it.
func Analyze(ctx context.Context, s Settings, o Options) (Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	n := s.intervals(o.From, o.To)
	start := o.Now().Add(s.InitialDelay)
	planAt := o.Now()
	if !o.From.IsZero() {
		start, planAt = o.From, o.From
	}
	evals, tallies, err := prepare(s, o, start.Add(-s.Interval))
	if err != nil {
		return Result{}, err
	}
	announcePlans(ctx, o, evals, tallies, planAt, s, n)
	res := Result{Checks: tallies}
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * s.Interval)
		if o.From.IsZero() {
			if err := sleepUntil(ctx, at, o.Now); err != nil {
				res.Outcome = Inconclusive
				res.Rule = Rule{Limit: RuleInterrupted, Intervals: i, Text: "analysis interrupted"}
				return res, fmt.Errorf("analysis stopped after %d of %d intervals: %w", i, n, context.Cause(ctx))
			}
		}
		for j, e := range evals {
			m := e.measure(ctx, o.Querier, at)
			tallies[j].Add(m)
			if o.Observe != nil {
				o.Observe(m)
			}
		}
		if outcome, rule := Decide(tallies, s.Limits, i == n-1); outcome != "" {
			res.Outcome, res.Rule = outcome, rule
			return res, nil
		}
	}
	res.Outcome, res.Rule = Decide(tallies, s.Limits, true)
	return res, nil
}

// prepare renders every check and starts its tally; t0 anchors the
// sequential checks' windows.
func prepare(s Settings, o Options, t0 time.Time) ([]evaluator, []*CheckTally, error) {
	evals := make([]evaluator, len(s.Checks))
	tallies := make([]*CheckTally, len(s.Checks))
	for i, c := range s.Checks {
		invalid := func(err error) error {
			return fmt.Errorf("%w: analysis.checks[%d] (%s): %v", ErrInvalidCheck, i, c.Name, err)
		}
		if c.IsSequential() {
			sp, err := c.seqSpec(o.Vars, s.Vars)
			if err != nil {
				return nil, nil, invalid(err)
			}
			sc, err := o.Carry.seqCheck(c.Name, func() (*seqCheck, error) { return newSeqCheck(sp, t0, o.Unjudged) })
			if err != nil {
				return nil, nil, invalid(err)
			}
			p := sp.params
			evals[i] = sc
			tallies[i] = &CheckTally{Name: c.Name, Judge: JudgeSequential, Measurements: []promql.Measurement{},
				Threshold: fmt.Sprintf("sequential: alpha %s, ratio > %s fails, < %s passes", num(p.Alpha), num(p.FailRatio), num(p.Tolerance))}
			continue
		}
		sp, err := c.Spec(o.Vars, s.Vars)
		if err != nil {
			return nil, nil, invalid(err)
		}
		evals[i] = staticCheck{spec: sp, baselineAt: o.BaselineAt}
		tallies[i] = &CheckTally{Name: c.Name, Threshold: threshold(sp), Measurements: []promql.Measurement{},
			Max: sp.Max, Min: sp.Min, MaxRatio: sp.MaxRatio, MaxDelta: sp.MaxDelta}
	}
	return evals, tallies, nil
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

// seqCheck is the check carried from an earlier analysis, or a new one.
func (c *Carry) seqCheck(name string, start func() (*seqCheck, error)) (*seqCheck, error) {
	if c == nil {
		return start()
	}
	if sc, ok := c.checks[name]; ok {
		return sc, nil
	}
	sc, err := start()
	if err == nil {
		c.checks[name] = sc
	}
	return sc, err
}
