package sequential

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	with := func(f func(*Params)) Params { p := DefaultParams(); f(&p); return p }
	tests := []struct {
		name    string
		p       Params
		wantErr string
	}{
		{"the defaults are valid", DefaultParams(), ""},
		{"alpha of 1 is refused naming alpha", with(func(p *Params) { p.Alpha = 1 }), "alpha:"},
		{"a tolerance not above failRatio is refused naming tolerance", with(func(p *Params) { p.Tolerance = 1 }), "tolerance:"},
		{"a dispersion below 1 is refused naming dispersion", with(func(p *Params) { p.Dispersion = 0.5 }), "dispersion:"},
		{"a zero tau is refused", with(func(p *Params) { p.TauPass = 0 }), "tauPass:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("got %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestObserveSkipsUninformativeIntervals(t *testing.T) {
	tests := []struct {
		name string
		iv   Interval
	}{
		{"an interval without canary requests", Interval{StableEvents: 3, StableRequests: 100}},
		{"an interval without stable requests", Interval{CanaryEvents: 3, CanaryRequests: 100}},
		{"an interval without events", Interval{CanaryRequests: 100, StableRequests: 300}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" changes no statistic", func(t *testing.T) {
			tst, _ := NewTest(DefaultParams())
			tst.Observe(tc.iv)
			if tst.LnFail() != emptyLnFail() || tst.Informative() != 0 || tst.Observed() != 1 {
				t.Errorf("lnEF %v informative %d observed %d", tst.LnFail(), tst.Informative(), tst.Observed())
			}
		})
	}
}

func emptyLnFail() float64 { t := newTest(DefaultParams(), true); return t.LnFail() }

func TestVerdictSettles(t *testing.T) {
	tst, _ := NewTest(DefaultParams())
	healthy := Interval{CanaryEvents: 50, CanaryRequests: 10000, StableEvents: 150, StableRequests: 30000}
	for tst.Decide() == Pending {
		tst.Observe(healthy)
	}
	if tst.Decide() != Pass || tst.SettledAt() == 0 {
		t.Fatalf("a healthy canary ended %v at %d", tst.Decide(), tst.SettledAt())
	}
	lnEP, at := tst.LnPass(), tst.SettledAt()
	for range 50 {
		tst.Observe(Interval{CanaryEvents: 500, CanaryRequests: 10000, StableEvents: 150, StableRequests: 30000})
	}
	if tst.Decide() != Pass || tst.LnPass() != lnEP || tst.SettledAt() != at {
		t.Errorf("a settled Pass moved: %v lnEP %v -> %v", tst.Decide(), lnEP, tst.LnPass())
	}
	lo, hi := tst.ConfidenceSequence()
	if est := tst.Estimate(); !(lo < est && est < hi && hi < 1.5) {
		t.Errorf("estimate %v outside its confidence sequence [%v, %v] or the sequence reaches the tolerance", est, lo, hi)
	}
}

func TestEstimateEdges(t *testing.T) {
	tst, _ := NewTest(DefaultParams())
	if !math.IsNaN(tst.Estimate()) {
		t.Errorf("no data: estimate %v, want NaN", tst.Estimate())
	}
	if lo, hi := tst.ConfidenceSequence(); lo != 0 || !math.IsInf(hi, 1) {
		t.Errorf("no data: sequence [%v, %v], want [0, +Inf]", lo, hi)
	}
	tst.Observe(Interval{CanaryEvents: 0, CanaryRequests: 100, StableEvents: 2, StableRequests: 100})
	if lo, _ := tst.ConfidenceSequence(); tst.Estimate() != 0 || lo != 0 {
		t.Errorf("no canary events: estimate %v lower end %v, want 0 and 0", tst.Estimate(), lo)
	}
}

func TestCumulator(t *testing.T) {
	raws := []Raw{
		{CanaryEvents: 0.5, CanaryRequests: 99.6, StableEvents: 1.5, StableRequests: 300.2},
		{CanaryEvents: 2.49, CanaryRequests: 98, StableEvents: math.NaN(), StableRequests: 640},
		{CanaryEvents: 2.5, CanaryRequests: 201.4, StableEvents: 4, StableRequests: 900.5},
	}
	want := []Interval{
		{CanaryEvents: 0, CanaryRequests: 100, StableEvents: 2, StableRequests: 300},
		{CanaryEvents: 2, CanaryRequests: 0, StableEvents: 0, StableRequests: 340},
		{CanaryEvents: 0, CanaryRequests: 101, StableEvents: 2, StableRequests: 260},
	}
	// Half-even rounding (0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 900.5 -> 900), a
	// dip (98 after 100) that becomes 0 rather than a negative count, and
	// a missing value that keeps the previous count.
	if got := Intervals(raws); !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	a, _ := Replay(DefaultParams(), raws)
	b, _ := Replay(DefaultParams(), raws)
	if a.LnFail() != b.LnFail() || a.Totals() != b.Totals() {
		t.Error("two replays of the same evaluations differ")
	}
}

func TestMulti(t *testing.T) {
	strong := Interval{CanaryEvents: 60, CanaryRequests: 1000, StableEvents: 30, StableRequests: 3000}
	calm := Interval{CanaryEvents: 10, CanaryRequests: 1000, StableEvents: 30, StableRequests: 3000}
	tests := []struct {
		name string
		ivs  []Interval
		want Verdict
	}{
		{"one bound with strong evidence fails the average", []Interval{strong, calm}, Fail},
		{"calm bounds everywhere pass", []Interval{calm, calm}, Pass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mt, _ := NewMulti(DefaultParams(), len(tc.ivs))
			for i := 0; i < 200 && mt.Decide() == Pending; i++ {
				if _, err := mt.Observe(tc.ivs); err != nil {
					t.Fatal(err)
				}
			}
			if mt.Decide() != tc.want {
				t.Errorf("got %v, want %v (lnEF %.2f lnEP %.2f)", mt.Decide(), tc.want, mt.LnFail(), mt.LnPass())
			}
		})
	}
	mt, _ := NewMulti(DefaultParams(), 2)
	if _, err := mt.Observe([]Interval{calm}); err == nil {
		t.Error("one interval for two bounds was accepted")
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name       string
		tr         Traffic
		wantUseful bool
		wantText   string
	}{
		{"busy traffic detects a 2x regression", Traffic{CanaryRequests: 600, StableRequests: 1800, BaseRate: 0.005, Intervals: 20}, true, "detects a 2"},
		{"sparse traffic is said to catch nothing useful", TrafficFromTotal(100, 0.1, 0.001, 20), false, "cannot detect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Plan(tc.tr, DefaultParams())
			t.Log(d.Sentence)
			if d.Useful != tc.wantUseful || !strings.Contains(d.Sentence, tc.wantText) {
				t.Errorf("ratio %v useful %v: %s", d.Ratio, d.Useful, d.Sentence)
			}
		})
	}
}
