package ci

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/promql"
)

// CheckVerdict is one metric check's part in the analysis outcome. The
// analysis names the check whose limit fired in its rule; when it names
// none (an interrupted run), a failed analysis blames the checks that
// failed an interval and an inconclusive one the checks that never passed.
// A check that failed intervals within its limit still passed.
func CheckVerdict(a *analysis.Result, t *analysis.CheckTally) Verdict {
	named, anyNamed := a.Rule.Check == t.Name, a.Rule.Check != ""
	switch a.Outcome {
	case analysis.Failed:
		if named || (!anyNamed && t.Failed > 0) {
			return Failed
		}
	case analysis.Inconclusive:
		if named || (!anyNamed && t.Passed == 0) {
			if t.Errors > t.Inconclusive {
				return Errored
			}
			return Skipped
		}
	}
	return Passed
}

func analysisItems(rep *gate.Report) []Item {
	a := rep.Analysis
	if a == nil {
		return nil
	}
	items := make([]Item, 0, len(a.Checks))
	for _, t := range a.Checks {
		v := CheckVerdict(a, t)
		msg := t.Summary()
		if v != Passed && a.Rule.Check == t.Name {
			msg = a.Rule.Text
		} else if m := lastNotPassed(t); v != Passed && m != nil {
			msg = fmt.Sprintf("%s: %s", m.Outcome, m.Reason)
		}
		items = append(items, Item{Name: t.Name, Verdict: v, Message: msg, Detail: checkDetail(t)})
	}
	return items
}

func lastNotPassed(t *analysis.CheckTally) *promql.Measurement {
	for i := len(t.Measurements) - 1; i >= 0; i-- {
		if t.Measurements[i].Outcome != promql.Pass {
			return &t.Measurements[i]
		}
	}
	return nil
}

// checkDetail explains a check: its threshold, its query and every
// interval that did not pass.
func checkDetail(t *analysis.CheckTally) string {
	var b strings.Builder
	if t.Threshold != "" {
		fmt.Fprintf(&b, "threshold: %s\n", t.Threshold)
	}
	if t.Plan != "" {
		fmt.Fprintf(&b, "plan: %s\n", t.Plan)
	}
	if len(t.Measurements) > 0 {
		m := t.Measurements[0]
		for _, q := range [][2]string{{"query", m.Query}, {"baseline", m.Baseline}} {
			if q[1] != "" {
				fmt.Fprintf(&b, "%s: %s\n", q[0], q[1])
			}
		}
	}
	for _, m := range t.Measurements {
		if m.Outcome != promql.Pass {
			fmt.Fprintf(&b, "%s %s: %s\n", m.At.UTC().Format("15:04:05"), m.Outcome, m.Reason)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Point is one interval of a check as charts and tables show it; a side
// without a finite value is nil.
type Point struct {
	Canary, Stable *float64
}

// Points reads each interval's canary and stable values. With several
// series (series: each) the worst one counts: the lowest under a min-only
// threshold, else the highest.
func Points(t *analysis.CheckTally) []Point {
	lowIsBad := t.Min != nil && t.Max == nil
	out := make([]Point, len(t.Measurements))
	for i, m := range t.Measurements {
		out[i] = Point{Canary: worst(m.Canary, lowIsBad), Stable: worst(m.Stable, lowIsBad)}
	}
	return out
}

func worst(ss []promql.Sample, lowIsBad bool) *float64 {
	var w *float64
	for _, s := range ss {
		v := s.Value
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if w == nil || (lowIsBad && v < *w) || (!lowIsBad && v > *w) {
			w = &v
		}
	}
	return w
}

// Last is the latest interval with a canary value, if any.
func Last(t *analysis.CheckTally) (Point, bool) {
	ps := Points(t)
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Canary != nil {
			return ps[i], true
		}
	}
	return Point{}, false
}

// Num formats a measured value for people: 4 significant digits, no
// exponent for the everyday range.
func Num(v float64) string {
	return strconv.FormatFloat(round(v, 4), 'f', -1, 64)
}

// round keeps sig significant digits.
func round(v float64, sig int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	f, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', sig, 64), 64)
	if err != nil {
		return v
	}
	return f
}
