package promql

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Outcome is what one check gives for one interval.
type Outcome string

const (
	Pass         Outcome = "pass"
	Fail         Outcome = "fail"
	Inconclusive Outcome = "inconclusive" // not enough data: no series, NaN, too few samples
	Error        Outcome = "error"        // a query failed
	// Pending is a sequential check that has proven neither a regression
	// nor its absence yet; it counts toward no limit.
	Pending Outcome = "pending"
)

// severity orders outcomes for "every series must pass": the worst wins.
var severity = map[Outcome]int{Pass: 0, Pending: 1, Inconclusive: 1, Fail: 2, Error: 3}

// Spec is one check with its queries rendered.
type Spec struct {
	Name        string
	Query       string
	Baseline    string
	SampleQuery string
	Max, Min    *float64
	MaxRatio    *float64
	MaxDelta    *float64
	MinSamples  *float64
	NoData      Outcome // Pass, Fail or Inconclusive
	EachSeries  bool    // every series must pass; otherwise more than one is an error
}

// Inputs are one interval's query results; an unused query has a zero
// Result and nil error.
type Inputs struct {
	Canary, Baseline, Samples          Result
	CanaryErr, BaselineErr, SamplesErr error
}

// Measurement is one check's verdict for one interval, with everything
// needed to explain it.
type Measurement struct {
	Check    string    `json:"check"`
	At       time.Time `json:"at"`
	Outcome  Outcome   `json:"outcome"`
	Reason   string    `json:"reason"`
	Query    string    `json:"query"`
	Baseline string    `json:"baseline,omitempty"`
	Canary   []Sample  `json:"canary"`
	Stable   []Sample  `json:"stable,omitempty"`
	Samples  *float64  `json:"samples,omitempty"`
	Warnings []string  `json:"warnings,omitempty"`
	// Sequential is the evidence of a judge: sequential check.
	Sequential *SequentialEvidence `json:"sequential,omitempty"`
}

// Judge evaluates one interval of one check. It is pure: the verdict
// arithmetic is table-tested without Prometheus.
func Judge(s Spec, in Inputs, at time.Time) Measurement {
	m := Measurement{Check: s.Name, At: at, Query: s.Query, Baseline: s.Baseline,
		Canary: in.Canary.Samples, Stable: in.Baseline.Samples}
	m.Warnings = append(append(append(m.Warnings, in.Canary.Warnings...), in.Baseline.Warnings...), in.Samples.Warnings...)
	m.Outcome, m.Reason = judge(s, in, &m)
	return m
}

func judge(s Spec, in Inputs, m *Measurement) (Outcome, string) {
	for _, q := range []struct {
		name string
		err  error
	}{{"query", in.CanaryErr}, {"baseline", in.BaselineErr}, {"sampleQuery", in.SamplesErr}} {
		if q.err != nil {
			if errors.Is(q.err, ErrBadQuery) {
				return Error, fmt.Sprintf("%s rejected by Prometheus: %v", q.name, q.err)
			}
			return Error, fmt.Sprintf("%s failed: %v", q.name, q.err)
		}
	}
	if s.SampleQuery != "" {
		n, reason, ok := single(in.Samples, "sampleQuery")
		if !ok {
			return Inconclusive, reason
		}
		m.Samples = &n
		if s.MinSamples != nil && n < *s.MinSamples {
			return Inconclusive, fmt.Sprintf("only %s samples, minSamples %s: not enough data", num(n), num(*s.MinSamples))
		}
	}
	samples := in.Canary.Samples
	if len(samples) == 0 {
		return s.NoData, fmt.Sprintf("the query returned no series (noData: %s)", s.NoData)
	}
	if len(samples) > 1 && !s.EachSeries {
		labels := make([]string, len(samples))
		for i, x := range samples {
			labels[i] = LabelString(x.Labels)
		}
		return Error, fmt.Sprintf("the query returned %d series where one was expected: %s; aggregate it (sum, max by ()) or set series: each",
			len(samples), strings.Join(labels, ", "))
	}
	var stable *float64
	if s.Baseline != "" {
		v, reason, ok := single(in.Baseline, "baseline")
		if !ok {
			return Inconclusive, reason + " (stable pods without traffic?)"
		}
		stable = &v
	}
	worst, reasons := Pass, []string{}
	for _, x := range samples {
		o, reason := threshold(s, x.Value, stable)
		if len(samples) > 1 {
			reason = LabelString(x.Labels) + " " + reason
		}
		if severity[o] > severity[worst] {
			worst, reasons = o, []string{reason}
		} else if o == worst {
			reasons = append(reasons, reason)
		}
	}
	return worst, strings.Join(reasons, "; ")
}

// single reads a query that must give one finite number.
func single(r Result, what string) (float64, string, bool) {
	switch {
	case len(r.Samples) == 0:
		return 0, what + " returned no series", false
	case len(r.Samples) > 1:
		return 0, fmt.Sprintf("%s returned %d series where one was expected", what, len(r.Samples)), false
	case !finite(r.Samples[0].Value):
		return 0, fmt.Sprintf("%s is %s", what, num(r.Samples[0].Value)), false
	}
	return r.Samples[0].Value, "", true
}

// threshold judges one value against the absolute thresholds and the
// baseline comparison.
func threshold(s Spec, v float64, stable *float64) (Outcome, string) {
	if !finite(v) {
		return Inconclusive, fmt.Sprintf("value is %s (no traffic?)", num(v))
	}
	var ok []string
	if s.Max != nil {
		if v > *s.Max {
			return Fail, fmt.Sprintf("%s > max %s", num(v), num(*s.Max))
		}
		ok = append(ok, fmt.Sprintf("%s <= max %s", num(v), num(*s.Max)))
	}
	if s.Min != nil {
		if v < *s.Min {
			return Fail, fmt.Sprintf("%s < min %s", num(v), num(*s.Min))
		}
		ok = append(ok, fmt.Sprintf("%s >= min %s", num(v), num(*s.Min)))
	}
	if stable != nil {
		if s.MaxDelta != nil {
			d := v - *stable
			if d > *s.MaxDelta {
				return Fail, fmt.Sprintf("canary %s - stable %s = %s > maxDelta %s", num(v), num(*stable), num(d), num(*s.MaxDelta))
			}
			ok = append(ok, fmt.Sprintf("canary %s - stable %s = %s <= maxDelta %s", num(v), num(*stable), num(d), num(*s.MaxDelta)))
		}
		if s.MaxRatio != nil {
			switch {
			case *stable == 0 && v == 0:
				ok = append(ok, "canary and stable are both 0")
			case *stable == 0:
				if s.MaxDelta == nil {
					return Inconclusive, fmt.Sprintf("stable is 0, canary %s: the ratio is undefined (add maxDelta)", num(v))
				}
			default:
				r := v / *stable
				if r > *s.MaxRatio {
					return Fail, fmt.Sprintf("canary %s / stable %s = %s > maxRatio %s", num(v), num(*stable), num(r), num(*s.MaxRatio))
				}
				ok = append(ok, fmt.Sprintf("canary %s / stable %s = %s <= maxRatio %s", num(v), num(*stable), num(r), num(*s.MaxRatio)))
			}
		}
	}
	return Pass, strings.Join(ok, ", ")
}

// num formats a value compactly: 0.0123, 1.5e+06, NaN, +Inf.
func num(v float64) string { return fmt.Sprintf("%.4g", v) }
