package ci

import (
	"fmt"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/promql"
)

// sequentialChart draws a sequential check: the estimated canary/stable
// ratio per interval with its anytime-valid interval, against 1 (no
// change) and the tolerance. The evidence is cumulative, so a long run is
// drawn at each bucket's last interval. An unbounded end of the interval
// is drawn at the previous value, as a gap is.
func sequentialChart(t *analysis.CheckTally) (string, bool) {
	var evs []*promql.SequentialEvidence
	var at []time.Time
	for _, m := range t.Measurements {
		if m.Sequential != nil {
			evs, at = append(evs, m.Sequential), append(at, m.At)
		}
	}
	if size := (len(evs) + maxChartPoints - 1) / maxChartPoints; size > 1 {
		var e2 []*promql.SequentialEvidence
		var a2 []time.Time
		for i := size - 1; i < len(evs)+size-1; i += size {
			j := min(i, len(evs)-1)
			e2, a2 = append(e2, evs[j]), append(a2, at[j])
		}
		evs, at = e2, a2
	}
	series := func(f func(*promql.SequentialEvidence) *float64) ([]float64, int) {
		pts := make([]Point, len(evs))
		for i, e := range evs {
			pts[i] = Point{Canary: f(e)}
		}
		return fill(pts, func(p Point) *float64 { return p.Canary })
	}
	ratio, filled := series(func(e *promql.SequentialEvidence) *float64 { return e.Ratio })
	if ratio == nil {
		return "", false
	}
	lines := []line{{"ratio canary/stable", canaryColour, ratio}}
	for _, b := range []struct {
		label string
		f     func(*promql.SequentialEvidence) *float64
	}{{"low", func(e *promql.SequentialEvidence) *float64 { return e.Low }}, {"high", func(e *promql.SequentialEvidence) *float64 { return e.High }}} {
		if vs, n := series(b.f); vs != nil {
			lines, filled = append(lines, line{b.label + fmt.Sprintf(" (%s %% interval)", Num(100*(1-evs[0].Alpha))), stableColour, vs}), filled+n
		}
	}
	flat := func(v float64) []float64 {
		out := make([]float64, len(ratio))
		for i := range out {
			out[i] = v
		}
		return out
	}
	lines = append(lines, line{"1 (no change)", secondColour, flat(1)}, line{"tolerance " + Num(evs[0].Tolerance), thresholdColour, flat(evs[0].Tolerance)})
	var notes string
	if filled > 0 {
		notes = fmt.Sprintf(" (%d missing or unbounded values drawn at the previous one)", filled)
	}
	return drawLines(t.Name, at, lines, notes), true
}

// drawLines is a mermaid xychart-beta block of lines with its legend and
// the notes that follow it.
func drawLines(title string, at []time.Time, lines []line, notes string) string {
	var b strings.Builder
	palette := make([]string, len(lines))
	legend := make([]string, len(lines))
	for i, l := range lines {
		palette[i], legend[i] = l.colour.hex, l.colour.dot+" "+l.label
	}
	b.WriteString("```mermaid\n")
	fmt.Fprintf(&b, "%%%%{init: {\"themeVariables\": {\"xyChart\": {\"plotColorPalette\": \"%s\"}}}}%%%%\n", strings.Join(palette, ", "))
	b.WriteString("xychart-beta\n")
	fmt.Fprintf(&b, "    title %s\n", quote(title))
	b.WriteString("    x-axis " + xAxis(at) + "\n")
	for _, l := range lines {
		nums := make([]string, len(l.values))
		for i, v := range l.values {
			nums[i] = chartNum(v)
		}
		fmt.Fprintf(&b, "    line [%s]\n", strings.Join(nums, ", "))
	}
	b.WriteString("```\n\n")
	b.WriteString(strings.Join(legend, " · ") + notes + "\n")
	return b.String()
}
