package promql

import (
	"fmt"
	"math"
	"strings"
)

// SequentialEvidence is what a judge: sequential check knows after an
// interval (design/sequential-judge.md): the counts per side since the
// analysis start, the traffic share, the estimated canary/stable ratio
// with its anytime-valid confidence interval, and both e-values against
// ln(1/alpha). Values that are undefined (no events yet) or unbounded (no
// stable events) are nil: JSON has no NaN or Inf.
type SequentialEvidence struct {
	// Bound is the latency bucket bound (seconds) for a latency check.
	Bound *float64 `json:"bound,omitempty"`
	// Counts since the analysis start: requests and events (errors, or
	// requests slower than Bound) on each side.
	CanaryRequests int64 `json:"canaryRequests"`
	CanaryEvents   int64 `json:"canaryEvents"`
	StableRequests int64 `json:"stableRequests"`
	StableEvents   int64 `json:"stableEvents"`
	// Share is the canary's share of the requests.
	Share *float64 `json:"share,omitempty"`
	// Ratio is the estimated canary/stable event-rate ratio; Low and High
	// bound it with 1-alpha confidence at every interval (High nil: not
	// bounded yet).
	Ratio *float64 `json:"ratio,omitempty"`
	Low   *float64 `json:"low,omitempty"`
	High  *float64 `json:"high,omitempty"`
	// LnFail and LnPass are ln of the e-values for "regression" and "no
	// regression beyond Tolerance"; either reaching Threshold = ln(1/alpha)
	// settles the check.
	LnFail    float64 `json:"lnFail"`
	LnPass    float64 `json:"lnPass"`
	Threshold float64 `json:"threshold"`
	Alpha     float64 `json:"alpha"`
	Tolerance float64 `json:"tolerance"`
	// SettledAt is the 1-based interval that settled the verdict.
	SettledAt int `json:"settledAt,omitempty"`
	// Bounds are the per-bound evidence of a latency check with several
	// bounds; the fields above are then the first bound's, with the
	// combined e-values.
	Bounds []SequentialEvidence `json:"bounds,omitempty"`
}

// Finite is a pointer to v, or nil when v is NaN or infinite.
func Finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// Explain is the evidence as people read it:
// "canary 12/2400 errors, stable 40/9600 (canary share 0.2), ratio 1.2
// [0.41, 3.4] at 99 %; evidence fail 0.31, pass 1.1 of 4.61 needed".
func (e SequentialEvidence) Explain(events string) string {
	var b strings.Builder
	if e.Bound != nil {
		fmt.Fprintf(&b, "above %ss: ", num(*e.Bound))
	}
	fmt.Fprintf(&b, "canary %d/%d %s, stable %d/%d", e.CanaryEvents, e.CanaryRequests, events, e.StableEvents, e.StableRequests)
	if e.Share != nil {
		fmt.Fprintf(&b, " (canary share %s)", num(*e.Share))
	}
	b.WriteString(", ratio " + e.RatioText())
	fmt.Fprintf(&b, "; ln e-value fail %s, pass %s of %s needed", num(e.LnFail), num(e.LnPass), num(e.Threshold))
	return b.String()
}

// RatioText is "1.2 [0.41, 3.4] at 99 %", or "unknown" before any event.
func (e SequentialEvidence) RatioText() string {
	r := "unknown"
	switch {
	case e.Ratio != nil:
		r = num(*e.Ratio)
	case e.CanaryEvents > 0 && e.StableEvents == 0:
		r = "+Inf"
	}
	lo, hi := "0", "+Inf"
	if e.Low != nil {
		lo = num(*e.Low)
	}
	if e.High != nil {
		hi = num(*e.High)
	}
	return fmt.Sprintf("%s [%s, %s] at %s %%", r, lo, hi, num(100*(1-e.Alpha)))
}
