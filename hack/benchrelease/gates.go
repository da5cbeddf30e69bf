package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate"
)

func (b *bench) rollgateRun(ns string, names []string, applied time.Time) (gated, error) {
	report := filepath.Join(b.dir, ns+".json")
	argv := []string{b.rollgate, "run", "-n", ns, "-l", partOf + "=relbench", "-f", b.gateFile, "--report", report}
	ps, err := runAll(b.rg.kubeconfig, [][]string{argv})
	if err != nil {
		return gated{}, err
	}
	p := ps[0]
	g := gated{wall: p.end.Sub(p.start), rssKiB: p.maxRSSKiB, maxRSSKiB: p.maxRSSKiB, doomedCode: p.code}
	raw, err := os.ReadFile(report)
	if err != nil {
		return g, fmt.Errorf("no report: %s", p.failure())
	}
	if b.reports != "" {
		if err := os.WriteFile(filepath.Join(b.reports, filepath.Base(report)), raw, 0o644); err != nil {
			return g, err
		}
	}
	var rep gate.ReleaseReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		return g, fmt.Errorf("report %s: %w", report, err)
	}
	decisions := map[string]int{}
	for _, t := range rep.Targets {
		decisions[t.Decision]++
		at := firstEvent(t, gate.PhaseDecide)
		if at.IsZero() {
			continue
		}
		if t.Target.Name == doomed {
			g.doomed = at.Sub(applied)
			lock, pin := firstEvent(t, gate.PhaseLock), firstEvent(t, gate.PhasePin)
			if !lock.IsZero() && !pin.IsZero() {
				g.split = [3]time.Duration{lock.Sub(applied), pin.Sub(lock), at.Sub(pin)}
			}
		} else {
			g.healthy = max(g.healthy, at.Sub(p.start))
		}
	}
	if g.doomed == 0 {
		return g, fmt.Errorf("the report has no verdict on %s: %s", doomed, p.failure())
	}
	g.outcome = fmt.Sprintf("exit %d: %s", p.code, tally(decisions))
	return g, nil
}

// firstEvent is when the target first reached phase: for decide, its
// verdict (a later one would follow a canary step).
func firstEvent(t *gate.Report, phase gate.Phase) time.Time {
	for _, e := range t.Timeline {
		if e.Phase == phase {
			return e.At
		}
	}
	return time.Time{}
}

func tally(m map[string]int) string {
	var parts []string
	for _, d := range []string{gate.DecisionPromoted, gate.DecisionRolledBack} {
		if m[d] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[d], d))
		}
		delete(m, d)
	}
	for d, c := range m {
		parts = append(parts, fmt.Sprintf("%d %s", c, d))
	}
	return strings.Join(parts, ", ")
}

func (b *bench) kubectlRun(ns string, names []string, applied time.Time) (gated, error) {
	var cmds [][]string
	for _, n := range names {
		cmds = append(cmds, []string{b.kubectl, "--cache-dir", b.cacheDir(), "-n", ns, "rollout", "status", "deployment/" + n, "--timeout", "5m"})
	}
	ps, err := runAll(b.kc.kubeconfig, cmds)
	if err != nil {
		return gated{}, err
	}
	var g gated
	first, last := ps[0].start, ps[0].end
	ok := 0
	var failed []string
	for i, p := range ps {
		first, last = minTime(first, p.start), maxTime(last, p.end)
		g.rssKiB += p.maxRSSKiB
		g.maxRSSKiB = max(g.maxRSSKiB, p.maxRSSKiB)
		if names[i] == doomed {
			g.doomed, g.doomedCode = p.end.Sub(applied), p.code
			continue
		}
		if p.code != 0 {
			failed = append(failed, fmt.Sprintf("%s exit %d (%s)", names[i], p.code, lastLine(p.stderr.String())))
			continue
		}
		ok++
		g.healthy = max(g.healthy, p.end.Sub(ps[0].start))
	}
	g.wall = last.Sub(first)
	g.outcome = fmt.Sprintf("%d exit 0, %s exit %d", ok, doomed, g.doomedCode)
	if len(failed) > 0 {
		g.outcome += "; healthy but failed: " + strings.Join(failed, ", ")
	}
	return g, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
