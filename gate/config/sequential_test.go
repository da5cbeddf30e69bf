package config

import (
	"strings"
	"testing"
)

const seqCounters = `errors: 'http_requests_total{namespace="{{.Namespace}}",pod=~"{{.Pods}}",code=~"5.."}', requests: 'http_requests_total{namespace="{{.Namespace}}",pod=~"{{.Pods}}"}'`

func TestSequentialChecksParseAndValidate(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		want []string // each must appear in some problem; nil: valid
	}{
		{"an error ratio with the defaults is valid",
			"    - {name: e, judge: sequential, " + seqCounters + "}\n", nil},
		{"an error ratio with every parameter set is valid",
			"    - {name: e, judge: sequential, " + seqCounters + ", alpha: 0.05, failRatio: 1.1, tolerance: 2, dispersion: 5, tauFail: 1, tauPass: 1}\n", nil},
		{"a latency check with one bound is valid",
			"    - {name: l, judge: sequential, latency: {histogram: http_request_duration_seconds, selector: '{pod=~\"{{.Pods}}\"}', above: 0.25}}\n", nil},
		{"a latency check with a list of bounds is valid",
			"    - {name: l, judge: sequential, latency: {histogram: h, selector: '{pod=~\"{{.Pods}}\"}', above: [0.25, 0.5]}}\n", nil},
		{"a bound that is not a number names the field",
			"    - {name: l, judge: sequential, latency: {histogram: h, selector: '{pod=~\"{{.Pods}}\"}', above: slow}}\n",
			[]string{`analysis.checks[0].latency.above: must be a bucket bound in seconds or a list of them, not the string "slow"`}},
		{"threshold fields on a sequential check are refused one by one",
			"    - {name: e, judge: sequential, " + seqCounters + ", max: 0.01, baseline: up, noData: pass}\n",
			[]string{"analysis.checks[0].max: a sequential check has no thresholds: drop max",
				"analysis.checks[0].baseline: a sequential check has no thresholds: drop baseline",
				"analysis.checks[0].noData: a sequential check has no thresholds: drop noData"}},
		{"sequential fields on a static check are refused with the fix",
			"    - {name: s, query: up, max: 1, tolerance: 2, errors: x}\n",
			[]string{"analysis.checks[0].tolerance: is a field of a sequential check: add judge: sequential or drop tolerance",
				"analysis.checks[0].errors: is a field of a sequential check"}},
		{"an unknown judge is refused",
			"    - {name: s, query: up, max: 1, judge: bayes}\n", []string{`analysis.checks[0].judge: must be static or sequential, not "bayes"`}},
		{"a missing requests selector is named",
			"    - {name: e, judge: sequential, errors: 'x{pod=~\"{{.Pods}}\"}'}\n", []string{"analysis.checks[0].requests: is required"}},
		{"counters and latency together are refused",
			"    - {name: e, judge: sequential, " + seqCounters + ", latency: {histogram: h, selector: '{}', above: 1}}\n",
			[]string{"analysis.checks[0].latency: set errors and requests, or latency, not both"}},
		{"a selector without {{.Pods}} would count the same series on both sides",
			"    - {name: e, judge: sequential, errors: 'x{code=\"500\"}', requests: 'x{pod=~\"{{.Pods}}\"}'}\n",
			[]string{"analysis.checks[0].errors: must select the pods with {{.Pods}}"}},
		{"a rate() instead of a selector is refused offline",
			"    - {name: e, judge: sequential, errors: 'rate(x{pod=~\"{{.Pods}}\"}[1m])', requests: 'x{pod=~\"{{.Pods}}\"}'}\n",
			[]string{"analysis.checks[0].errors: selector", "rollgate adds increase() and sum() itself"}},
		{"an unknown variable in a selector is named",
			"    - {name: e, judge: sequential, errors: 'x{pod=~\"{{.Pod}}\"}', requests: 'x{pod=~\"{{.Pods}}\"}'}\n",
			[]string{"analysis.checks[0].errors: template"}},
		{"an le matcher in a latency selector is refused",
			"    - {name: l, judge: sequential, latency: {histogram: h, selector: '{pod=~\"{{.Pods}}\",le=\"1\"}', above: 1}}\n",
			[]string{"analysis.checks[0].latency: selector", "drop the le matcher"}},
		{"bad parameters are named with their fix",
			"    - {name: e, judge: sequential, " + seqCounters + ", alpha: 2, tolerance: 0.5, dispersion: 0.5}\n",
			[]string{"analysis.checks[0].alpha: 2 is not between 0 and 1", "analysis.checks[0].tolerance: 0.5 must be greater than failRatio",
				"analysis.checks[0].dispersion: 0.5 must be at least 1"}},
		{"a sequential check needs a whole-second interval",
			"    - {name: e, judge: sequential, " + seqCounters + "}\n  interval: 1500ms\n",
			[]string{"analysis.interval: must be a whole number of seconds with a sequential check"}},
		{"a user variable may not be called Pods",
			"    - {name: e, judge: sequential, " + seqCounters + "}\n  vars: {Pods: x}\n",
			[]string{"analysis.vars.Pods: is a built-in variable"}},
		{"{{.Pods}} in a static check's query is an unknown variable",
			"    - {name: s, query: 'up{pod=~\"{{.Pods}}\"}', max: 1}\n", []string{"analysis.checks[0].query: template"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(t, header+promOK+tc.yml)
			if tc.want == nil && len(got) > 0 {
				t.Fatalf("want no problems, got:\n%s", strings.Join(got, "\n"))
			}
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w)
				}
				if !found {
					t.Errorf("want a problem containing %q, got:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func TestSequentialParametersDefaultFromTheDesignNote(t *testing.T) {
	cfg, err := Parse([]byte(header + promOK + "    - {name: e, judge: sequential, " + seqCounters + ", tolerance: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Default()
	ch := cfg.Analysis.Checks[0]
	p := ch.Params()
	if p.Alpha != 0.01 || p.FailRatio != 1 || p.Tolerance != 2 || p.Dispersion != 1 {
		t.Errorf("params = %+v, want alpha 0.01, failRatio 1, tolerance 2 (set), dispersion 1", p)
	}
	if ch.NoData != "" || ch.Series != "" {
		t.Errorf("noData %q, series %q: a sequential check takes no static defaults", ch.NoData, ch.Series)
	}
}
