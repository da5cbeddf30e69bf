package ci

import (
	"encoding/xml"
	"fmt"
	"time"

	"github.com/rollgate/rollgate/gate"
)

// The JUnit schema as GitLab, Jenkins and the GitHub test-report actions
// read it: suites of cases, each case passed or holding one failure, error
// or skipped element.
type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

// junitCounts are the attributes suites and the document share.
type junitCounts struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

func countsOf(c Counts, took time.Duration) junitCounts {
	return junitCounts{Tests: c.Tests, Failures: c.Failures, Errors: c.Errors, Skipped: c.Skipped, Time: seconds(took)}
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitProblem `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnit renders the report as JUnit XML: one test suite per phase that ran
// (preflight, quota, readiness, analysis, action, and the gate's verdict),
// one test case per check, preflight finding, quota, readiness condition
// and pod problem. The explanation is the failure text.
func JUnit(rep *gate.Report) ([]byte, error) {
	phases := Phases(rep)
	doc := junitSuites{Name: fmt.Sprintf("rollgate %s %s", rep.Command, rep.Target),
		junitCounts: countsOf(Count(phases...), rep.FinishedAt.Sub(rep.StartedAt))}
	for _, p := range phases {
		s := junitSuite{Name: string(p.Name), junitCounts: countsOf(Count(p), p.Took)}
		if start := p.Start; !start.IsZero() || !rep.StartedAt.IsZero() {
			if start.IsZero() {
				start = rep.StartedAt
			}
			s.Timestamp = start.UTC().Format("2006-01-02T15:04:05")
		}
		for _, it := range p.Items {
			s.Cases = append(s.Cases, junitCaseOf(string(p.Name), it))
		}
		doc.Suites = append(doc.Suites, s)
	}
	return doc.marshal()
}

func (doc junitSuites) marshal() ([]byte, error) {
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("junit: %w", err)
	}
	return append(append([]byte(xml.Header), out...), '\n'), nil
}

func junitCaseOf(phase string, it Item) junitCase {
	c := junitCase{Name: it.Name, Classname: "rollgate." + phase, Time: "0"}
	text := it.Message
	if it.Detail != "" {
		text += "\n" + it.Detail
	}
	problem := &junitProblem{Message: it.Message, Type: it.Verdict.String(), Text: text}
	switch it.Verdict {
	case Failed:
		c.Failure = problem
	case Errored:
		c.Error = problem
	case Skipped:
		c.Skipped = problem
	default:
		c.SystemOut = text
		if it.Warn {
			c.SystemOut = "warning: " + text
		}
	}
	return c
}

func seconds(d time.Duration) string {
	s := d.Seconds()
	if s < 0 {
		s = 0
	}
	return fmt.Sprintf("%.3f", s)
}
