package ci

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/test/golden"
)

func TestSummaryGolden(t *testing.T) {
	for _, fx := range reports.CIFixtures {
		t.Run(fx.Name, func(t *testing.T) {
			golden.Check(t, fx.Name+".summary.md", []byte(Summary(fx.Report())))
		})
	}
}

func TestSummaryShowsChecksChartsAndTimeline(t *testing.T) {
	md := Summary(reports.CIRolledBack())
	for _, want := range []string{
		"## ❌ rollgate run `deployment/api`: rolled-back",
		"| `error-rate` | 0.05 | – | &lt;= 0.01 | 1 pass, 2 fail of 3 | ❌ failed |",
		"| `p99-vs-stable` | 0.22 | 0.2 | ratio &lt;= 1.2 | 2 pass, 1 inconclusive of 3 | ✅ passed |",
		"```mermaid\n", "xychart-beta\n", "    line [0.002, 0.034, 0.05]\n", "    line [0.01, 0.01, 0.01]\n",
		"🔵 canary · 🟢 stable · 🔴 stable × 1.2",
		"| 10:02:01 | action | rolled back to revision 3 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

// timelineOf returns a report whose timeline has n events of ~100 bytes.
func timelineOf(n int) *gate.Report {
	rep := reports.CIRolledBack()
	rep.Timeline = nil
	for i := range n {
		rep.Timeline = append(rep.Timeline, reports.Ev(i, "readiness", fmt.Sprintf("event %06d: %s", i, strings.Repeat("x", 80))))
	}
	return rep
}

func TestSummaryStaysUnderItsLimit(t *testing.T) {
	tests := []struct {
		name     string
		report   *gate.Report
		limit    int
		wantNote string
	}{
		{"a short run is whole", reports.CIRolledBack(), SummaryLimit, ""},
		{"a timeline too long for a small limit is cut with a note", timelineOf(200), 8000, "timeline events left out"},
		{"a huge timeline is cut under GitHub's 1 MiB", timelineOf(20000), SummaryLimit, "timeline events left out"},
		{"when even the charts do not fit, they go too, each section saying so", timelineOf(10), 2500, "charts left out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := summaryWithin(tt.report, tt.limit, 0)
			if len(md) > tt.limit {
				t.Errorf("summary is %d bytes, limit %d", len(md), tt.limit)
			}
			if tt.wantNote == "" && strings.Contains(md, "left out") {
				t.Errorf("nothing should be cut:\n%s", md)
			}
			if tt.wantNote != "" && !strings.Contains(md, tt.wantNote) {
				t.Errorf("summary lacks the note %q:\n%s", tt.wantNote, md)
			}
			if strings.Count(md, "<details") != strings.Count(md, "</details>") || strings.Count(md, "```")%2 != 0 {
				t.Errorf("a cut left a block open:\n%s", md)
			}
		})
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct {
		name, in, want string
		f              func(string) string
	}{
		{"a pipe cannot split a table cell", "a|b", `a\|b`, cell},
		{"tags are shown, not interpreted", "<script>", "&lt;script&gt;", cell},
		{"line breaks stay inside the cell", "one\ntwo", "one<br>two", cell},
		{"a code span survives backticks inside it", "a`b", "``a`b``", code},
		{"a fence is longer than any backtick run in its body", "```x```", "````text\n```x```\n````\n", func(s string) string { return fence("text", s) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
