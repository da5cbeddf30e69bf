package analysis

import (
	"fmt"
	"strings"

	"github.com/rollgate/rollgate/promql"
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
	// Judge is "sequential" for a sequential check, whose intervals may be
	// Pending and whose Plan says what it can detect.
	Judge   string `json:"judge,omitempty"`
	Pending int    `json:"pending,omitempty"`
	Plan    string `json:"plan,omitempty"`
}

// Sequential says whether the check is judged by the sequential test.
func (t *CheckTally) Sequential() bool { return t.Judge == JudgeSequential }

// last is the latest measurement, nil before any.
func (t *CheckTally) last() *promql.Measurement {
	if len(t.Measurements) == 0 {
		return nil
	}
	return &t.Measurements[len(t.Measurements)-1]
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
	case promql.Pending:
		t.Pending++
	case promql.Error:
		t.Errors++
		t.ConsecutiveErrors++
		return
	}
	t.ConsecutiveErrors = 0
}

// Intervals is how many intervals the check was measured.
func (t *CheckTally) Intervals() int { return len(t.Measurements) }

// Summary says how the intervals came out, for people: "2 pass, 1 fail of 3".
func (t *CheckTally) Summary() string {
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{{t.Passed, "pass"}, {t.Failed, "fail"}, {t.Pending, "pending"}, {t.Inconclusive, "inconclusive"}, {t.Errors, "error"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(parts) == 0 {
		return "no intervals"
	}
	return fmt.Sprintf("%s of %d", strings.Join(parts, ", "), t.Intervals())
}
