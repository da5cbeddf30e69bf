package app

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// releaseLive redraws, under a release's timeline on a terminal, a line
// per target: its phase, its new pods ready of desired, its analysis
// interval and what it is doing. A nil *releaseLive (plain output) does
// nothing. The caller serialises the calls.
type releaseLive struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	width int
	rows  []*liveRow
	by    map[workload.Target]*liveRow
	lines int // height of the block drawn last
}

// liveRow is one target's line.
type liveRow struct {
	name           string
	phase          gate.Phase
	counts         bool
	ready, desired int32
	measured       map[string]int
	intervals      int // planned
	message        string
}

func newReleaseLive(w io.Writer, targets []workload.Target, names map[workload.Target]string, now func() time.Time) *releaseLive {
	l := &releaseLive{w: w, now: now, start: now(), by: map[workload.Target]*liveRow{}}
	for _, t := range targets {
		row := &liveRow{name: names[t], phase: "waiting", measured: map[string]int{}}
		l.rows = append(l.rows, row)
		l.by[t] = row
		l.width = max(l.width, len(row.name))
	}
	return l
}

// clear erases the block so timeline lines can be printed in its place.
func (l *releaseLive) clear() {
	if l != nil && l.lines > 0 {
		fmt.Fprintf(l.w, "\x1b[%dA\x1b[J", l.lines)
		l.lines = 0
	}
}

func (l *releaseLive) event(t workload.Target, e gate.Event) {
	if row := l.row(t); row != nil && e.Phase != gate.PhaseWarning {
		row.phase, row.message = e.Phase, e.Message
	}
}

func (l *releaseLive) snapshot(t workload.Target, s readiness.Snapshot) {
	row := l.row(t)
	if row == nil {
		return
	}
	for _, rs := range s.ReplicaSets {
		if rs.New {
			row.counts, row.ready, row.desired = true, rs.Ready, rs.Desired
		}
	}
	if s.Progress.Message != "" {
		row.message = s.Progress.Message
	}
	l.clear()
	l.draw()
}

func (l *releaseLive) measure(t workload.Target, m promql.Measurement, intervals int) {
	if row := l.row(t); row != nil {
		row.measured[m.Check]++
		row.intervals = intervals
	}
}

func (l *releaseLive) row(t workload.Target) *liveRow {
	if l == nil {
		return nil
	}
	return l.by[t]
}

// draw prints the block: the elapsed time, then a line per target, each
// cut short so a narrow terminal does not wrap it (a wrapped line would
// survive the next clear).
func (l *releaseLive) draw() {
	if l == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  ── %s elapsed · release of %d targets\n", l.now().Sub(l.start).Round(time.Second), len(l.rows))
	for _, row := range l.rows {
		var parts []string
		if row.counts {
			parts = append(parts, fmt.Sprintf("ready %d/%d", row.ready, row.desired))
		}
		if n := maxCount(row.measured); n > 0 {
			parts = append(parts, fmt.Sprintf("interval %d/%d", n, row.intervals))
		}
		if row.message != "" {
			parts = append(parts, row.message)
		}
		line := fmt.Sprintf("  %-*s %-9s %s", l.width, row.name, row.phase, strings.Join(parts, " · "))
		b.WriteString(strings.TrimRight(cutRunes(line, 100), " ") + "\n")
	}
	out := b.String()
	l.lines = strings.Count(out, "\n")
	fmt.Fprint(l.w, out)
}

func maxCount(m map[string]int) int {
	n := 0
	for _, v := range m {
		n = max(n, v)
	}
	return n
}

func cutRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
