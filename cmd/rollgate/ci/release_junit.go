package ci

import (
	"fmt"

	"github.com/rollgate/rollgate/gate"
)

// ReleaseJUnit renders a release as JUnit XML: one test suite per target,
// named after it, holding the test cases its own JUnit report has (a
// check, a finding, a quota, a pod, the action and the target's verdict),
// each classed by its phase.
func ReleaseJUnit(rep *gate.ReleaseReport) ([]byte, error) {
	doc := junitSuites{Name: fmt.Sprintf("rollgate %s release of %s", rep.Command, plural(len(rep.Targets), "target"))}
	var total Counts
	for _, t := range rep.Targets {
		phases := Phases(t)
		c := Count(phases...)
		total = total.add(c)
		s := junitSuite{Name: TargetName(t), junitCounts: countsOf(c, t.FinishedAt.Sub(t.StartedAt))}
		if !t.StartedAt.IsZero() {
			s.Timestamp = t.StartedAt.UTC().Format("2006-01-02T15:04:05")
		}
		for _, p := range phases {
			for _, it := range p.Items {
				s.Cases = append(s.Cases, junitCaseOf(string(p.Name), it))
			}
		}
		doc.Suites = append(doc.Suites, s)
	}
	doc.junitCounts = countsOf(total, rep.FinishedAt.Sub(rep.StartedAt))
	return doc.marshal()
}

func (c Counts) add(o Counts) Counts {
	return Counts{Tests: c.Tests + o.Tests, Failures: c.Failures + o.Failures, Errors: c.Errors + o.Errors, Skipped: c.Skipped + o.Skipped}
}
