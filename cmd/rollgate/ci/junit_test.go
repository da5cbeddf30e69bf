package ci

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/test/golden"
)

// parsedJUnit reads JUnit XML back the way a CI server does.
type parsedJUnit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, data []byte) parsedJUnit {
	t.Helper()
	var p parsedJUnit
	if err := xml.Unmarshal(data, &p); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, data)
	}
	return p
}

func TestJUnitGolden(t *testing.T) {
	for _, fx := range reports.CIFixtures {
		t.Run(fx.Name, func(t *testing.T) {
			data, err := JUnit(fx.Report())
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, fx.Name+".junit.xml", data)
		})
	}
}

func TestJUnitCountsMatchTheReport(t *testing.T) {
	tests := []struct {
		name   string
		report func() *gate.Report
		suites string // suite names in order
		want   Counts
	}{
		{"a rollback counts a preflight warning, two quota cases, the rollout, two checks, the action and the verdict", reports.CIRolledBack,
			"preflight quota readiness analysis action gate", Counts{Tests: 8, Failures: 2, Skipped: 1}},
		{"a doomed rollout fails the rollout, its crashing pod and the verdict; the pending pod fails with it", reports.CIDoomed,
			"preflight quota readiness gate", Counts{Tests: 6, Failures: 4}},
		{"a hold skips the verdict, errors the check that never reached Prometheus and passes the other", reports.CIHeld,
			"analysis gate", Counts{Tests: 3, Errors: 1, Skipped: 1}},
		{"an early runtime error still yields one errored case", reports.CIUnreachable, "gate", Counts{Tests: 1, Errors: 1}},
		{"a quota shortfall is a failed case of the quota suite", reports.CIQuotaShort, "quota gate", Counts{Tests: 2, Failures: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := JUnit(tt.report())
			if err != nil {
				t.Fatal(err)
			}
			p := parseJUnit(t, data)
			got := Counts{Tests: p.Tests, Failures: p.Failures, Errors: p.Errors, Skipped: p.Skipped}
			if got != tt.want {
				t.Errorf("totals %+v, want %+v", got, tt.want)
			}
			var names []string
			var fromCases Counts
			for _, s := range p.Suites {
				names = append(names, s.Name)
				var c Counts
				for _, tc := range s.Cases {
					c.Tests++
					switch {
					case tc.Failure != nil:
						c.Failures++
					case tc.Error != nil:
						c.Errors++
					case tc.Skipped != nil:
						c.Skipped++
					}
				}
				if c != (Counts{Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped}) {
					t.Errorf("suite %s says %d/%d/%d/%d but holds %+v", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, c)
				}
				fromCases.Tests += c.Tests
				fromCases.Failures += c.Failures
				fromCases.Errors += c.Errors
				fromCases.Skipped += c.Skipped
			}
			if fromCases != got {
				t.Errorf("cases add up to %+v, totals say %+v", fromCases, got)
			}
			if s := strings.Join(names, " "); s != tt.suites {
				t.Errorf("suites %q, want %q", s, tt.suites)
			}
		})
	}
}

func TestJUnitKeepsTheExplanationAsFailureText(t *testing.T) {
	data, _ := JUnit(reports.CIDoomed())
	for _, want := range []string{
		`<failure message="pod api-5d8f7c9b4-xk2pq container app: CrashLoopBackOff`,
		"panic: DATABASE_URL is not set",
		"event: Warning BackOff: Back-off restarting failed container app",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JUnit lacks %q", want)
		}
	}
}
