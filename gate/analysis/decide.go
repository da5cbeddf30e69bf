package analysis

import (
	"fmt"
	"strings"

	"github.com/rollgate/rollgate/promql"
)

// Outcome is how an analysis ended.
type Outcome string

const (
	Passed       Outcome = "passed"
	Failed       Outcome = "failed"
	Inconclusive Outcome = "inconclusive"
)

// Limits are the analysis limits. Each is exceeded when the count is
// strictly greater (Argo Rollouts' semantics, argo-rollouts
// utils/analysis/helpers.go): failureLimit 1 tolerates one failed interval
// and fails on the second.
type Limits struct {
	Failure, Inconclusive, ConsecutiveError int
}

// The rules that end an analysis, as Rule.Limit names them.
const (
	RuleFailureLimit          = "failureLimit"
	RuleInconclusiveLimit     = "inconclusiveLimit"
	RuleConsecutiveErrorLimit = "consecutiveErrorLimit"
	RuleNeverPassed           = "neverPassed"
	RuleAllPassed             = "allPassed"
	RuleInterrupted           = "interrupted"
	// A sequential check proved a regression (no limit applies), or was
	// still pending at the end.
	RuleRegressionProven  = "regressionProven"
	RuleSequentialPending = "sequentialPending"
)

// Rule is the rule that decided an analysis, as data: the check it
// concerns ("" for every check), the limit, the count that exceeded it,
// out of how many intervals, and the sentence people read.
type Rule struct {
	Check     string `json:"check,omitempty"`
	Limit     string `json:"limit"`
	Count     int    `json:"count"`
	Intervals int    `json:"intervals"`
	Threshold int    `json:"threshold"`
	Text      string `json:"text"`
}

func (r Rule) String() string { return r.Text }

// Decide applies the limits to the tallies. done is false while intervals
// remain: then only an exceeded limit ends the analysis (at once, without
// waiting for the end). At the end a check that never passed makes the
// analysis inconclusive: errors and missing data are never a pass. The
// zero Outcome means "go on".
func Decide(tallies []*CheckTally, l Limits, done bool) (Outcome, Rule) {
	for _, t := range tallies {
		if t.Sequential() {
			if t.Failed > 0 {
				return Failed, Rule{Check: t.Name, Limit: RuleRegressionProven, Count: t.Failed, Intervals: t.Intervals(),
					Text: t.Name + ": " + t.last().Reason}
			}
			continue
		}
		if t.Failed > l.Failure {
			return Failed, Rule{Check: t.Name, Limit: RuleFailureLimit, Count: t.Failed, Intervals: t.Intervals(), Threshold: l.Failure,
				Text: fmt.Sprintf("%s failed %d of %d intervals > failureLimit %d", t.Name, t.Failed, t.Intervals(), l.Failure)}
		}
	}
	for _, t := range tallies {
		if t.Inconclusive > l.Inconclusive && !t.Sequential() {
			return Inconclusive, Rule{Check: t.Name, Limit: RuleInconclusiveLimit, Count: t.Inconclusive, Intervals: t.Intervals(), Threshold: l.Inconclusive,
				Text: fmt.Sprintf("%s was inconclusive %d of %d intervals > inconclusiveLimit %d (not enough data)", t.Name, t.Inconclusive, t.Intervals(), l.Inconclusive)}
		}
		if t.ConsecutiveErrors > l.ConsecutiveError {
			return Inconclusive, Rule{Check: t.Name, Limit: RuleConsecutiveErrorLimit, Count: t.ConsecutiveErrors, Intervals: t.Intervals(), Threshold: l.ConsecutiveError,
				Text: fmt.Sprintf("%s had %d consecutive query errors > consecutiveErrorLimit %d (is Prometheus reachable?)", t.Name, t.ConsecutiveErrors, l.ConsecutiveError)}
		}
	}
	if !done {
		return "", Rule{}
	}
	var parts []string
	for _, t := range tallies {
		if t.Sequential() {
			m := t.last()
			if m == nil || m.Outcome != promql.Pass {
				return Inconclusive, pendingRule(t)
			}
			at := t.Intervals() - t.Passed + 1
			if m.Sequential != nil {
				at = m.Sequential.SettledAt
			}
			parts = append(parts, fmt.Sprintf("%s settled pass at interval %d of %d", t.Name, at, t.Intervals()))
			continue
		}
		if t.Passed == 0 {
			return Inconclusive, Rule{Check: t.Name, Limit: RuleNeverPassed, Intervals: t.Intervals(),
				Text: fmt.Sprintf("%s never passed in %d intervals (%d inconclusive, %d errors)", t.Name, t.Intervals(), t.Inconclusive, t.Errors)}
		}
		parts = append(parts, fmt.Sprintf("%s passed %d of %d", t.Name, t.Passed, t.Intervals()))
	}
	return Passed, Rule{Limit: RuleAllPassed, Text: strings.Join(parts, "; ")}
}

// pendingRule ends an analysis whose sequential check proved neither a
// regression nor its absence, with the evidence so far.
func pendingRule(t *CheckTally) Rule {
	r := Rule{Check: t.Name, Limit: RuleSequentialPending, Count: t.Pending, Intervals: t.Intervals()}
	for i := len(t.Measurements) - 1; i >= 0; i-- {
		if m := t.Measurements[i]; m.Outcome == promql.Pending {
			r.Text = fmt.Sprintf("%s still pending after %d intervals, neither a regression nor its absence proven: %s",
				t.Name, t.Intervals(), strings.TrimPrefix(m.Reason, "pending: "))
			return r
		}
	}
	r.Text = t.Name + " was never measured"
	if m := t.last(); m != nil {
		r.Text = fmt.Sprintf("%s was not judged: %s", t.Name, m.Reason)
	}
	return r
}
