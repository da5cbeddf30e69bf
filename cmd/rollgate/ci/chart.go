package ci

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate/analysis"
)

const (
	// maxChartPoints bounds a chart: longer runs are drawn per bucket of
	// intervals, each at its worst value.
	maxChartPoints = 120
	// timeLabels: up to this many points the x axis names each interval's
	// time; beyond, it counts intervals.
	timeLabels = 12
)

// Line colours, in mermaid's palette syntax and as the legend shows them.
var (
	canaryColour    = colour{"#2563eb", "🔵"}
	stableColour    = colour{"#16a34a", "🟢"}
	thresholdColour = colour{"#dc2626", "🔴"}
	secondColour    = colour{"#f59e0b", "🟠"} // a second threshold (min and max)
)

type colour struct{ hex, dot string }

type line struct {
	label  string
	colour colour
	values []float64
}

// Chart draws one check over the run as a mermaid xychart-beta block: the
// canary value per interval, the stable value when the check compares
// against the stable pods, and the threshold. Mermaid has no gaps, so an
// interval without a value is drawn at the previous one and the legend
// says how many were. ok is false when the check never measured a value.
func Chart(t *analysis.CheckTally) (block string, ok bool) {
	if t.Sequential() {
		return sequentialChart(t)
	}
	pts, at := bucket(Points(t), times(t), t.Min != nil && t.Max == nil)
	canary, filled := fill(pts, func(p Point) *float64 { return p.Canary })
	if canary == nil {
		return "", false
	}
	lines := []line{{"canary", canaryColour, canary}}
	stable, stableFilled := fill(pts, func(p Point) *float64 { return p.Stable })
	if stable != nil {
		lines = append(lines, line{"stable", stableColour, stable})
	}
	lines = append(lines, thresholdLines(t, stable, len(canary))...)

	var notes string
	if n := filled + stableFilled; n > 0 {
		notes += fmt.Sprintf(" (%d missing values drawn at the previous one)", n)
	}
	if len(pts) < len(t.Measurements) {
		notes += fmt.Sprintf(" (%d intervals, drawn in %d buckets at their worst value)", len(t.Measurements), len(pts))
	}
	return drawLines(t.Name, at, lines, notes), true
}

// thresholdLines are max and min as flat lines, else the baseline
// comparison drawn over the stable values (stable × maxRatio, stable +
// maxDelta).
func thresholdLines(t *analysis.CheckTally, stable []float64, n int) []line {
	flat := func(v float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	var out []line
	if t.Max != nil {
		out = append(out, line{"max " + Num(*t.Max), thresholdColour, flat(*t.Max)})
	}
	if t.Min != nil {
		c := thresholdColour
		if len(out) > 0 {
			c = secondColour
		}
		out = append(out, line{"min " + Num(*t.Min), c, flat(*t.Min)})
	}
	if len(out) > 0 || stable == nil {
		return out
	}
	over := func(label string, f func(float64) float64) []line {
		vs := make([]float64, n)
		for i, s := range stable {
			vs[i] = f(s)
		}
		return []line{{label, thresholdColour, vs}}
	}
	switch {
	case t.MaxRatio != nil:
		return over("stable × "+Num(*t.MaxRatio), func(s float64) float64 { return s * *t.MaxRatio })
	case t.MaxDelta != nil:
		return over("stable + "+Num(*t.MaxDelta), func(s float64) float64 { return s + *t.MaxDelta })
	}
	return nil
}

func times(t *analysis.CheckTally) []time.Time {
	out := make([]time.Time, len(t.Measurements))
	for i, m := range t.Measurements {
		out[i] = m.At
	}
	return out
}

// bucket reduces more than maxChartPoints points to buckets of
// consecutive intervals, each at its worst value and first time.
func bucket(pts []Point, at []time.Time, lowIsBad bool) ([]Point, []time.Time) {
	if len(pts) <= maxChartPoints {
		return pts, at
	}
	size := (len(pts) + maxChartPoints - 1) / maxChartPoints
	var outP []Point
	var outT []time.Time
	pick := func(a, b *float64) *float64 {
		if a == nil || (b != nil && ((lowIsBad && *b < *a) || (!lowIsBad && *b > *a))) {
			return b
		}
		return a
	}
	for i := 0; i < len(pts); i += size {
		var p Point
		for _, q := range pts[i:min(i+size, len(pts))] {
			p.Canary, p.Stable = pick(p.Canary, q.Canary), pick(p.Stable, q.Stable)
		}
		outP, outT = append(outP, p), append(outT, at[i])
	}
	return outP, outT
}

// fill returns one side's values with gaps carried forward (leading gaps
// take the first value), and how many were filled; nil when the side has
// no value at all.
func fill(pts []Point, side func(Point) *float64) ([]float64, int) {
	var first *float64
	for _, p := range pts {
		if first = side(p); first != nil {
			break
		}
	}
	if first == nil {
		return nil, 0
	}
	out, prev, filled := make([]float64, len(pts)), *first, 0
	for i, p := range pts {
		if v := side(p); v != nil {
			prev = *v
		} else {
			filled++
		}
		out[i] = prev
	}
	return out, filled
}

func xAxis(at []time.Time) string {
	if len(at) <= timeLabels {
		labels := make([]string, len(at))
		for i, t := range at {
			labels[i] = quote(t.UTC().Format("15:04:05"))
		}
		return `"time (UTC)" [` + strings.Join(labels, ", ") + "]"
	}
	return fmt.Sprintf(`"interval from %s UTC" 1 --> %d`, at[0].UTC().Format("15:04:05"), len(at))
}

// chartNum writes a value the way mermaid's grammar reads numbers: plain
// decimals, never an exponent.
func chartNum(v float64) string { return strconv.FormatFloat(round(v, 6), 'f', -1, 64) }

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, "'") + `"` }
