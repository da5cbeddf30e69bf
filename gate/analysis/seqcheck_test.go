package analysis

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollgate/rollgate/promql"
)

// side is one side's traffic, per interval of the analysis.
type sideTraffic struct {
	requests  int
	errorRate float64
}

// traffic is a Prometheus double for counters: it draws each interval's
// requests and errors per side once (seeded), then answers
// sum(increase(SELECTOR[Ws])) at t with the counts of the intervals that
// end in (t-W, t], as an exact, scrape-aligned Prometheus would. Any other
// query answers from static.
type traffic struct {
	t0     time.Time // the end of interval 0 minus one interval
	step   time.Duration
	counts map[string][]int // "canary/requests" -> per interval
	static map[string]float64
	asked  []string
}

func newTraffic(t0 time.Time, step time.Duration, n int, seed uint64, canary, stable func(i int) sideTraffic) *traffic {
	r := rand.New(rand.NewPCG(seed, 1))
	tr := &traffic{t0: t0, step: step, counts: map[string][]int{}, static: map[string]float64{}}
	for i := range n + 1 { // one more for the plan's look back
		for _, sd := range []struct {
			name string
			f    func(int) sideTraffic
		}{{"canary", canary}, {"stable", stable}} {
			name, s := sd.name, sd.f(i)
			errs := 0
			for range s.requests {
				if r.Float64() < s.errorRate {
					errs++
				}
			}
			tr.counts[name+"/requests"] = append(tr.counts[name+"/requests"], s.requests)
			tr.counts[name+"/errors"] = append(tr.counts[name+"/errors"], errs)
		}
	}
	return tr
}

var increaseRE = regexp.MustCompile(`^sum\(increase\((.*)\[(\d+)s\]\)\)$`)

func (tr *traffic) Query(_ context.Context, q string, at time.Time) (promql.Result, error) {
	tr.asked = append(tr.asked, q)
	if v, ok := tr.static[q]; ok {
		return promql.Result{Samples: []promql.Sample{{Value: v}}}, nil
	}
	m := increaseRE.FindStringSubmatch(q)
	if m == nil {
		return promql.Result{}, nil
	}
	side, kind := "stable", "requests"
	if strings.Contains(m[1], "new") {
		side = "canary"
	}
	if strings.Contains(m[1], "5..") {
		kind = "errors"
	}
	secs, _ := strconv.Atoi(m[2])
	from := at.Add(-time.Duration(secs) * time.Second)
	var sum int
	for i, c := range tr.counts[side+"/"+kind] {
		end := tr.t0.Add(time.Duration(i+1) * tr.step) // interval i ends here
		if end.After(from) && !end.After(at) {
			sum += c
		}
	}
	return promql.Result{Samples: []promql.Sample{{Value: float64(sum)}}}, nil
}

var seqVars = promql.Vars{Namespace: "shop", CanaryPods: "api-new-.*", StablePods: "api-old-.*"}

func errorRatio() Check {
	return Check{Name: "error-ratio", Judge: JudgeSequential, Sequential: Sequential{
		Errors:   `http_requests_total{namespace="{{.Namespace}}",pod=~"{{.Pods}}",code=~"5.."}`,
		Requests: `http_requests_total{namespace="{{.Namespace}}",pod=~"{{.Pods}}"}`}}
}

var replayFrom = time.Unix(1700000000, 0)

// replay analyses n 10 s intervals from replayFrom over tr.
func replay(t *testing.T, tr *traffic, n int, limits Limits, checks ...Check) Result {
	t.Helper()
	s := Settings{Interval: 10 * time.Second, Count: n, Limits: limits, Checks: checks}
	res, err := Analyze(context.Background(), s, Options{Querier: tr, Vars: seqVars,
		From: replayFrom, To: replayFrom.Add(time.Duration(n-1) * 10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func steady(requests int, rate float64) func(int) sideTraffic {
	return func(int) sideTraffic { return sideTraffic{requests, rate} }
}

// trafficFor draws n intervals that end at replayFrom, replayFrom + 10 s, ...
func trafficFor(n int, seed uint64, canary, stable func(int) sideTraffic) *traffic {
	return newTraffic(replayFrom.Add(-20*time.Second), 10*time.Second, n, seed, canary, stable)
}

var strict = Limits{Failure: 0, Inconclusive: 0, ConsecutiveError: 4}

func TestSequentialCheckFailsAtTheFirstIntervalOnA30PercentErrorCanary(t *testing.T) {
	tr := trafficFor(10, 1, steady(500, 0.30), steady(2000, 0.01))
	res := replay(t, tr, 10, Limits{Failure: 5, Inconclusive: 5, ConsecutiveError: 4}, errorRatio())
	ch := res.Checks[0]
	if res.Outcome != Failed || res.Rule.Limit != RuleRegressionProven || ch.Intervals() != 1 {
		t.Fatalf("outcome %s after %d intervals, rule %+v; want failed at once whatever failureLimit says", res.Outcome, ch.Intervals(), res.Rule)
	}
	ev := ch.Measurements[0].Sequential
	if ev == nil || ev.Ratio == nil || *ev.Ratio < 10 || ev.Low == nil || *ev.Low <= 1 || ev.LnFail < ev.Threshold {
		t.Errorf("evidence %+v: want a ratio near 30 with its interval above 1", ev)
	}
	if !strings.Contains(res.Rule.Text, "error-ratio: regression proven at interval 1") || !strings.Contains(res.Rule.Text, "canary share 0.2") {
		t.Errorf("rule text %q", res.Rule.Text)
	}
}

func TestSequentialCheckSettlesPassOnAATrafficWithEnoughCounts(t *testing.T) {
	tr := trafficFor(20, 2, steady(2000, 0.02), steady(8000, 0.02))
	res := replay(t, tr, 20, strict, errorRatio())
	ch := res.Checks[0]
	if res.Outcome != Passed || ch.Failed != 0 || ch.Passed == 0 || ch.Intervals() != 20 {
		t.Fatalf("outcome %s, %s; rule %q", res.Outcome, ch.Summary(), res.Rule.Text)
	}
	if !strings.Contains(res.Rule.Text, "error-ratio settled pass at interval") {
		t.Errorf("rule %q", res.Rule.Text)
	}
	// Settled means settled: once passed, nothing is queried any more and
	// every later interval repeats the evidence that decided it.
	settled := ch.Measurements[ch.Intervals()-1].Sequential.SettledAt
	queries := 3 + 4*settled // the plan's three, then four per interval until settled
	if len(tr.asked) != queries {
		t.Errorf("asked %d queries, want %d (settled at interval %d)", len(tr.asked), queries, settled)
	}
	if ch.Plan == "" || !strings.Contains(ch.Plan, "this analysis detects a") {
		t.Errorf("plan %q", ch.Plan)
	}
}

func TestSequentialCheckOnSparseTrafficStaysPendingThenIsInconclusiveWithItsInterval(t *testing.T) {
	tr := trafficFor(10, 3, steady(5, 0.01), steady(20, 0.01))
	res := replay(t, tr, 10, strict, errorRatio())
	ch := res.Checks[0]
	if res.Outcome != Inconclusive || res.Rule.Limit != RuleSequentialPending || ch.Pending != 10 {
		t.Fatalf("outcome %s rule %+v, %s", res.Outcome, res.Rule, ch.Summary())
	}
	// inconclusiveLimit 0 and failureLimit 0 never counted the pending intervals
	if !strings.Contains(res.Rule.Text, "still pending after 10 intervals") || !strings.Contains(res.Rule.Text, "at 99 %") {
		t.Errorf("rule %q: want the confidence sequence in it", res.Rule.Text)
	}
}

func TestSequentialAndStaticChecksMix(t *testing.T) {
	max := 0.05
	static := Check{Name: "error-rate", Query: "errors", Max: &max, NoData: NoDataInconclusive, Series: SeriesSingle}
	tests := []struct {
		name   string
		canary float64
		static float64
		want   Outcome
		rule   string
	}{
		{"both passing pass", 0.02, 0.02, Passed, "error-rate passed 20 of 20; error-ratio settled pass"},
		{"the sequential regression fails at once though the static check passes", 0.3, 0.02, Failed, "error-ratio: regression proven at interval 1"},
		{"the static check keeps its failureLimit", 0.02, 0.2, Failed, "error-rate failed 2 of 2 intervals > failureLimit 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := trafficFor(20, 4, steady(2000, tc.canary), steady(8000, 0.02))
			tr.static["errors"] = tc.static
			res := replay(t, tr, 20, Limits{Failure: 1, Inconclusive: 0, ConsecutiveError: 4}, static, errorRatio())
			if res.Outcome != tc.want || !strings.Contains(res.Rule.Text, tc.rule) {
				t.Errorf("outcome %s rule %q; want %s containing %q", res.Outcome, res.Rule.Text, tc.want, tc.rule)
			}
		})
	}
}

func TestSequentialReplayIsDeterministicAndMatchesTheLiveRun(t *testing.T) {
	a := replay(t, trafficFor(8, 5, steady(300, 0.03), steady(1200, 0.02)), 8, strict, errorRatio())
	b := replay(t, trafficFor(8, 5, steady(300, 0.03), steady(1200, 0.02)), 8, strict, errorRatio())
	calls := 0
	now := func() time.Time { // the start, then always past every interval: no sleeping
		if calls++; calls <= 2 {
			return replayFrom
		}
		return replayFrom.Add(24 * time.Hour)
	}
	s := Settings{Interval: 10 * time.Second, Count: 8, Limits: strict, Checks: []Check{errorRatio()}}
	live, err := Analyze(context.Background(), s, Options{Querier: trafficFor(8, 5, steady(300, 0.03), steady(1200, 0.02)), Vars: seqVars, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	jl, _ := json.Marshal(live)
	if string(ja) != string(jb) || string(ja) != string(jl) {
		t.Errorf("replays and the live run differ: %q, %q, %q", a.Rule.Text, b.Rule.Text, live.Rule.Text)
	}
}

func TestSequentialEvidenceHasNoNaNOrInfInJSON(t *testing.T) {
	// the canary errs, the stable pods never do: the ratio estimate is +Inf
	tr := trafficFor(3, 6, steady(100, 0.5), steady(400, 0))
	res := replay(t, tr, 3, strict, errorRatio())
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	ev := res.Checks[0].Measurements[0].Sequential
	if ev.Ratio != nil || ev.High != nil || strings.Contains(string(js), `"ratio"`) {
		t.Errorf("an infinite ratio must be absent: %+v", ev)
	}
	if !strings.Contains(res.Checks[0].Measurements[0].Reason, "ratio +Inf [") {
		t.Errorf("reason %q", res.Checks[0].Measurements[0].Reason)
	}
}

func TestSequentialCheckWithoutStablePodsIsInconclusiveWithTheReason(t *testing.T) {
	tr := trafficFor(3, 7, steady(100, 0.3), steady(0, 0))
	s := Settings{Interval: 10 * time.Second, Count: 3, Limits: strict, Checks: []Check{errorRatio()}}
	why := "the rollout is complete, so the stable pods are gone"
	res, err := Analyze(context.Background(), s, Options{Querier: tr, Vars: seqVars, From: replayFrom, To: replayFrom.Add(20 * time.Second), Unjudged: why})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Inconclusive || res.Rule.Text != "error-ratio was not judged: "+why || len(tr.asked) != 0 {
		t.Errorf("outcome %s rule %q, %d queries", res.Outcome, res.Rule.Text, len(tr.asked))
	}
}

func TestDecideCountsNoPendingIntervalsAgainstTheLimits(t *testing.T) {
	seq := func(outcomes ...promql.Outcome) *CheckTally {
		t := tally("error-ratio", outcomes...)
		t.Judge = JudgeSequential
		return t
	}
	Pe := promql.Pending
	tests := []struct {
		name    string
		tallies []*CheckTally
		done    bool
		want    Outcome
		rule    string
	}{
		{"many pending intervals with zero limits go on", []*CheckTally{seq(Pe, Pe, Pe, Pe)}, false, "", ""},
		{"pending at the end is inconclusive", []*CheckTally{seq(Pe, Pe)}, true, Inconclusive, "error-ratio still pending after 2 intervals"},
		{"one failed interval fails at once, whatever failureLimit says", []*CheckTally{seq(Pe, F)}, false, Failed, "error-ratio: "},
		{"a sequential fail wins over a static check within its limit", []*CheckTally{tally("rate", F), seq(F)}, false, Failed, "error-ratio"},
		{"consecutive query errors still end it", []*CheckTally{seq(E, E, E)}, false, Inconclusive, "consecutiveErrorLimit"},
		{"a static check that never passed still decides", []*CheckTally{tally("rate", I), seq(Pe, P)}, true, Inconclusive, "rate was inconclusive 1 of 1"},
		{"a settled pass with a passing static check passes", []*CheckTally{tally("rate", P), seq(Pe, P)}, true, Passed, "rate passed 1 of 1; error-ratio settled pass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rule := Decide(tt.tallies, Limits{Failure: 1, Inconclusive: 0, ConsecutiveError: 2}, tt.done)
			if got != tt.want || !strings.Contains(rule.Text, tt.rule) {
				t.Errorf("Decide = %q %q; want %q containing %q", got, rule, tt.want, tt.rule)
			}
		})
	}
}

// A step canary analyses the same revision several times: with a Carry the
// sequential test goes on from the first step's evidence (one test, its
// windows anchored at the first step), never restarted.
func TestSequentialEvidenceCarriesAcrossTheStepsOfARevision(t *testing.T) {
	tr := trafficFor(20, 5, steady(200, 0.01), steady(800, 0.01)) // sparse: no verdict within the first step
	carry := NewCarry()
	step := func(from time.Time, n int) Result {
		s := Settings{Interval: 10 * time.Second, Count: n, Limits: strict, Checks: []Check{errorRatio()}}
		res, err := Analyze(context.Background(), s, Options{Querier: tr, Vars: seqVars, Carry: carry,
			From: from, To: from.Add(time.Duration(n-1) * 10 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := step(replayFrom, 3)
	second := step(replayFrom.Add(30*time.Second), 10)
	a, b := first.Checks[0].Measurements, second.Checks[0].Measurements
	last := a[len(a)-1].Sequential
	next := b[0].Sequential
	if next.CanaryRequests <= last.CanaryRequests || next.StableRequests <= last.StableRequests {
		t.Errorf("the second step's first counts %d/%d do not go on from the first step's %d/%d",
			next.CanaryRequests, next.StableRequests, last.CanaryRequests, last.StableRequests)
	}
	whole := replay(t, trafficFor(20, 5, steady(200, 0.01), steady(800, 0.01)), 13, strict, errorRatio())
	if got, want := b[len(b)-1].Sequential.LnPass, whole.Checks[0].Measurements[12].Sequential.LnPass; got != want {
		t.Errorf("carried evidence %.6f, one test over both windows %.6f: want the same", got, want)
	}
}
