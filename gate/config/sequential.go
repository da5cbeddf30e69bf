package config

import (
	"strings"

	"github.com/rollgate/rollgate/gate/analysis"
)

// validateSequential checks a judge: sequential check: counters or a
// histogram (not both), no threshold fields, selectors that render and
// parse offline with placeholder pods, and the judge's parameters.
func validateSequential(ch analysis.Check, ps *Problems, path string, fileVars map[string]string) {
	validateName(ch, ps, path)
	for _, f := range staticFields(ch) {
		ps.add(path+"."+f, "a sequential check has no thresholds: drop %s (tune alpha and tolerance; the judge compares canary with stable itself)", f)
	}
	counters := ch.Errors != "" || ch.Requests != ""
	switch {
	case counters && ch.Latency != nil:
		ps.add(path+".latency", "set errors and requests, or latency, not both (make two checks)")
		return
	case ch.Latency != nil:
		l := ch.Latency
		if l.Histogram == "" {
			ps.add(path+".latency.histogram", "is required: the histogram's name without _bucket, e.g. http_request_duration_seconds")
		}
		if l.Selector == "" {
			ps.add(path+".latency.selector", `is required: the matchers with {{.Pods}}, e.g. '{pod=~"{{.Pods}}"}'`)
		}
		if len(l.Above) == 0 {
			ps.add(path+".latency.above", "is required: the bucket bound in seconds (or a list) that counts a request as slow")
		}
		if l.Histogram == "" || l.Selector == "" || len(l.Above) == 0 {
			return
		}
	default:
		if strings.TrimSpace(ch.Errors) == "" {
			ps.add(path+".errors", `is required: the error counter selector with {{.Pods}}, e.g. http_requests_total{pod=~"{{.Pods}}",code=~"5.."}`)
		}
		if strings.TrimSpace(ch.Requests) == "" {
			ps.add(path+".requests", `is required: the request counter selector with {{.Pods}}, e.g. http_requests_total{pod=~"{{.Pods}}"}`)
		}
		if ch.Errors == "" || ch.Requests == "" {
			return
		}
	}
	for _, err := range ch.ValidateSequential(fileVars) {
		for _, line := range strings.Split(err.Error(), "\n") {
			field, msg, ok := strings.Cut(line, ": ")
			if !ok || strings.ContainsAny(field, " {") {
				field, msg = "judge", line
			}
			ps.add(path+"."+field, "%s", msg)
		}
	}
}

// staticFields are the threshold-check fields set on ch.
func staticFields(ch analysis.Check) []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"use", ch.Use != ""}, {"query", ch.Query != ""}, {"max", ch.Max != nil}, {"min", ch.Min != nil},
		{"baseline", ch.Baseline != ""}, {"maxRatio", ch.MaxRatio != nil}, {"maxDelta", ch.MaxDelta != nil},
		{"sampleQuery", ch.SampleQuery != ""}, {"minSamples", ch.MinSamples != nil}, {"noData", ch.NoData != ""},
		{"series", ch.Series != ""}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// sequentialFields are the sequential-check fields set on ch.
func sequentialFields(ch analysis.Check) []string {
	var out []string
	s := ch.Sequential
	for _, f := range []struct {
		name string
		set  bool
	}{{"errors", s.Errors != ""}, {"requests", s.Requests != ""}, {"latency", s.Latency != nil},
		{"alpha", s.Alpha != nil}, {"failRatio", s.FailRatio != nil}, {"tolerance", s.Tolerance != nil},
		{"dispersion", s.Dispersion != nil}, {"tauFail", s.TauFail != nil}, {"tauPass", s.TauPass != nil}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}
