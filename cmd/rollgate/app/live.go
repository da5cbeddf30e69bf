package app

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// liveView redraws a block under the timeline on a terminal: each
// ReplicaSet's counts, the new pods' states and the elapsed time. Plain
// (non-TTY) output never gets it: CI logs keep only timestamped lines.
type liveView struct {
	w     io.Writer
	start time.Time
	snap  *readiness.Snapshot
	lines int // height of the block drawn last
	// checks is the analysis so far: each check's last measurement.
	checks    []promql.Measurement
	intervals int // planned
	measured  map[string]int
}

// newLiveView returns nil unless w is a terminal.
func newLiveView(w io.Writer, env Env) *liveView {
	if !isTerminal(w, env) {
		return nil
	}
	return &liveView{w: w, start: time.Now()}
}

// isTerminal says whether w is a terminal a person watches: not a file or
// pipe, and not a CI job's pseudo-terminal.
func isTerminal(w io.Writer, env Env) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	_, ci := env.Lookup("CI")
	return !ci
}

// clear erases the block so a timeline line can be printed in its place.
func (l *liveView) clear() {
	if l.lines > 0 {
		fmt.Fprintf(l.w, "\x1b[%dA\x1b[J", l.lines)
		l.lines = 0
	}
}

func (l *liveView) update(s readiness.Snapshot) {
	l.snap = &s
	l.clear()
	l.draw()
}

// measure shows a check's latest measurement under the rollout's state.
func (l *liveView) measure(m promql.Measurement, intervals int) {
	if l.measured == nil {
		l.measured = map[string]int{}
	}
	l.intervals = intervals
	l.measured[m.Check]++
	for i := range l.checks {
		if l.checks[i].Check == m.Check {
			l.checks[i] = m
			return
		}
	}
	l.checks = append(l.checks, m)
}

func (l *liveView) draw() {
	if l.snap == nil && len(l.checks) == 0 {
		return
	}
	snap := readiness.Snapshot{Progress: workload.Progress{Message: "analysis"}}
	if l.snap != nil {
		snap = *l.snap
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  ── %s elapsed · %s\n", time.Since(l.start).Round(time.Second), snap.Progress.Message)
	for _, m := range l.checks {
		fmt.Fprintf(&b, "  check %-24s %-12s interval %d of %d · %s\n", m.Check, strings.ToUpper(string(m.Outcome)),
			l.measured[m.Check], l.intervals, m.Reason)
	}
	for _, rs := range snap.ReplicaSets {
		tag := "old"
		if rs.New {
			tag = "new"
		}
		fmt.Fprintf(&b, "  %s rs %-32s rev %-3d desired %d ready %d available %d\n", tag, rs.Name, rs.Revision, rs.Desired, rs.Ready, rs.Available)
	}
	for _, p := range snap.Pods {
		state := string(p.Phase)
		if p.Ready {
			state += ", ready"
		}
		if p.Problem != "" {
			state += ", " + p.Problem
		}
		if p.Restarts > 0 {
			state += fmt.Sprintf(", %d restarts", p.Restarts)
		}
		fmt.Fprintf(&b, "    pod %-40s %s\n", p.Name, state)
	}
	out := b.String()
	l.lines = strings.Count(out, "\n")
	fmt.Fprint(l.w, out)
}
