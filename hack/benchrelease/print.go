package main

import (
	"fmt"
	"io"
	"time"
)

func (b *bench) print(w io.Writer, rows []row) {
	fmt.Fprintf(w, "# one release of N Deployments (%d replicas each, %s crash-looping) gated by one `rollgate run` (policy.release independent)\n", b.replicas, doomed)
	fmt.Fprintf(w, "# and by N concurrent `kubectl rollout status`; the two one after the other, each alone with the controllers on the cluster\n")
	fmt.Fprintf(w, "# wall: gate start to last exit; healthy: to the last healthy target's verdict; doomed: %s's apply (the first) to the verdict on it\n", doomed)
	fmt.Fprintf(w, "#   (kubectl's is its progressDeadlineSeconds, %ds on its doomed copy, running out; every other Deployment has %ds; rollgate's doomed target takes the last Lease of the fixed order)\n", b.deadline, b.healthyDeadline)
	fmt.Fprintf(w, "# RSS: peak resident set (getrusage), kubectl's summed over its N processes; requests: the gate's own, as the apiserver counted them\n")
	fmt.Fprintf(w, "#   (apiserver_flowcontrol_dispatched_requests_total of a FlowSchema matching only the gate's ServiceAccount; kubectl's discovery cache is warm)\n")
	fmt.Fprintf(w, "# cluster: apiserver_request_total's rise over the same window, every client: controllers, kwok, the bench's N patches (the metric cannot tell clients apart)\n")
	fmt.Fprintf(w, "%5s  %-27s %7s %8s %8s %10s %9s %7s %8s   %s\n", "N", "gate", "wall", "healthy", "doomed", "peak RSS", "requests", "/target", "cluster", "outcome")
	for _, r := range rows {
		kname := fmt.Sprintf("kubectl rollout status x%d", r.n)
		b.line(w, r.n, "rollgate run", r.rollgate)
		b.line(w, r.n, kname, r.kubectl)
		fmt.Fprintf(w, "%5s  %-27s %7s %8s %8s %10s %9s\n", "", "ratio kubectl/rollgate",
			ratio(r.kubectl.wall.Seconds(), r.rollgate.wall.Seconds()), ratioIf(r.n > 1, r.kubectl.healthy.Seconds(), r.rollgate.healthy.Seconds()),
			ratio(r.kubectl.doomed.Seconds(), r.rollgate.doomed.Seconds()), ratio(float64(r.kubectl.rssKiB), float64(r.rollgate.rssKiB)),
			ratio(r.kubectl.requests, r.rollgate.requests))
		sp := r.rollgate.split
		fmt.Fprintf(w, "%5s  doomed: the deployment controller made its new ReplicaSet %s and wrote observedGeneration %s after the apply (kubectl's run: %s, %s);\n", "",
			secs(r.rollgate.made), secs(r.rollgate.observed), secs(r.kubectl.made), secs(r.kubectl.observed))
		fmt.Fprintf(w, "%5s    rollgate's %s: %s to its Lease, %s more to its pin (it waits for observedGeneration), %s from the pin to the verdict\n",
			"", secs(r.rollgate.doomed), secs(sp[0]), secs(sp[1]), secs(sp[2]))
	}
	if len(rows) < 2 {
		return
	}
	lo, hi := rows[0], rows[len(rows)-1]
	k := float64(hi.n) / float64(lo.n)
	fmt.Fprintf(w, "# N %d -> %d (x%.0f targets):\n", lo.n, hi.n, k)
	for _, s := range []struct {
		name   string
		lo, hi gated
	}{{"rollgate run", lo.rollgate, hi.rollgate}, {"kubectl", lo.kubectl, hi.kubectl}} {
		fmt.Fprintf(w, "#   %-12s requests %.0f -> %.0f (x%.1f), peak RSS %s -> %s (x%.1f), doomed verdict %s -> %s (after observedGeneration: %s -> %s)\n", s.name,
			s.lo.requests, s.hi.requests, s.hi.requests/s.lo.requests, mib(s.lo.rssKiB), mib(s.hi.rssKiB),
			float64(s.hi.rssKiB)/float64(s.lo.rssKiB), secs(s.lo.doomed), secs(s.hi.doomed), secs(s.lo.doomed-s.lo.observed), secs(s.hi.doomed-s.hi.observed))
	}
}

func (b *bench) line(w io.Writer, n int, name string, g gated) {
	healthy := "-"
	if n > 1 {
		healthy = secs(g.healthy)
	}
	rss := mib(g.rssKiB)
	fmt.Fprintf(w, "%5d  %-27s %7s %8s %8s %10s %9.0f %7.1f %8.0f   %s\n", n, name, secs(g.wall), healthy, secs(g.doomed), rss,
		g.requests, g.requests/float64(n), g.clusterReqs, g.outcome)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func mib(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }

func ratio(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fx", a/b)
}

func ratioIf(ok bool, a, b float64) string {
	if !ok {
		return "-"
	}
	return ratio(a, b)
}
