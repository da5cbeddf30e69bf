package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rollgate/rollgate/gate/analysis/sequential"
	"github.com/rollgate/rollgate/promql"
)

// Sequential are the gate-file fields of a judge: sequential check: two
// counter selectors (or a histogram) written with {{.Pods}}, which
// rollgate renders once per side, and the judge's parameters (nil: the
// design note's default).
type Sequential struct {
	Errors     string   `json:"errors"`
	Requests   string   `json:"requests"`
	Latency    *Latency `json:"latency"`
	Alpha      *float64 `json:"alpha"`
	FailRatio  *float64 `json:"failRatio"`
	Tolerance  *float64 `json:"tolerance"`
	Dispersion *float64 `json:"dispersion"`
	TauFail    *float64 `json:"tauFail"`
	TauPass    *float64 `json:"tauPass"`
}

// Latency judges the share of requests slower than each bound of a
// classic histogram: histogram is the metric name without _bucket,
// selector its matchers with {{.Pods}}, above the bucket bounds.
type Latency struct {
	Histogram string `json:"histogram"`
	Selector  string `json:"selector"`
	Above     Bounds `json:"above"`
}

// Bounds are latency bucket bounds in seconds, written as one number or
// a list of them.
type Bounds []float64

// UnmarshalJSON reads 0.25 or [0.25, 0.5].
func (b *Bounds) UnmarshalJSON(data []byte) error {
	var one float64
	if err := json.Unmarshal(data, &one); err == nil {
		*b = Bounds{one}
		return nil
	}
	var many []float64
	if err := json.Unmarshal(data, &many); err != nil {
		return errors.New("must be a bucket bound in seconds or a list of them")
	}
	*b = many
	return nil
}

// Params are the judge's parameters: the defaults with the set fields
// laid over them.
func (s Sequential) Params() sequential.Params {
	p := sequential.DefaultParams()
	for _, f := range []struct {
		dst *float64
		src *float64
	}{{&p.Alpha, s.Alpha}, {&p.FailRatio, s.FailRatio}, {&p.Tolerance, s.Tolerance},
		{&p.Dispersion, s.Dispersion}, {&p.TauFail, s.TauFail}, {&p.TauPass, s.TauPass}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return p
}

// side is one side's rendered selectors: the counters, or the histogram
// matchers.
type side struct{ errors, requests, matchers string }

// seqSpec is a sequential check rendered for a run: each side's selectors.
type seqSpec struct {
	name           string
	params         sequential.Params
	latency        *Latency
	canary, stable side
}

// seqSpec renders the selectors once per side, {{.Pods}} being the
// canary pods, then the stable pods.
func (c Check) seqSpec(v promql.Vars, fileVars map[string]string) (seqSpec, error) {
	v.User = map[string]string{}
	for k, val := range fileVars {
		v.User[k] = val
	}
	for k, val := range c.Vars {
		v.User[k] = val
	}
	s := seqSpec{name: c.Name, params: c.Params(), latency: c.Latency}
	for _, sd := range []struct {
		dst  *side
		pods string
	}{{&s.canary, v.CanaryPods}, {&s.stable, v.StablePods}} {
		v.Pods = sd.pods
		for _, f := range []struct {
			dst       *string
			src, name string
		}{{&sd.dst.errors, c.Errors, "errors"}, {&sd.dst.requests, c.Requests, "requests"}, {&sd.dst.matchers, latencySelector(c.Latency), "latency.selector"}} {
			if f.src == "" {
				continue
			}
			r, err := promql.Render(f.src, v)
			if err != nil {
				return seqSpec{}, fmt.Errorf("%s: %w", f.name, err)
			}
			*f.dst = r
		}
	}
	return s, nil
}

func latencySelector(l *Latency) string {
	if l == nil {
		return ""
	}
	return l.Selector
}

// Selectors are a sequential check's rendered selectors for people, one
// line per side: "canary errors ... requests ...".
func (c Check) Selectors(v promql.Vars, fileVars map[string]string) ([]string, error) {
	s, err := c.seqSpec(v, fileVars)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sd := range []struct {
		name string
		side side
	}{{"canary", s.canary}, {"stable", s.stable}} {
		if s.latency != nil {
			out = append(out, fmt.Sprintf("%s %s%s above %v s", sd.name, s.latency.Histogram, sd.side.matchers, []float64(s.latency.Above)))
			continue
		}
		out = append(out, fmt.Sprintf("%s errors %s of requests %s", sd.name, sd.side.errors, sd.side.requests))
	}
	return out, nil
}

// queries are one side's queries over window w: requests, then events
// per bound (one for counters).
func (s seqSpec) queries(sd side, w time.Duration) (requests string, events []string, err error) {
	if s.latency == nil {
		if requests, err = sequential.CounterQuery(sd.requests, w); err != nil {
			return "", nil, err
		}
		e, err := sequential.CounterQuery(sd.errors, w)
		return requests, []string{e}, err
	}
	for _, le := range s.latency.Above {
		r, slow, err := sequential.LatencyQueries(s.latency.Histogram, sd.matchers, le, w)
		if err != nil {
			return "", nil, err
		}
		requests, events = r, append(events, slow)
	}
	return requests, events, nil
}

// ValidateSequential checks a sequential check offline: its selectors
// rendered with placeholder pods, their shape, that they select pods by
// {{.Pods}}, and the parameters. Errors read "field: message".
func (c Check) ValidateSequential(fileVars map[string]string) []error {
	var errs []error
	if err := c.Params().Validate(); err != nil {
		errs = append(errs, err)
	}
	s, err := c.seqSpec(promql.Placeholders(nil), fileVars)
	if err != nil {
		return append(errs, err)
	}
	// The placeholder sides differ only in their pods: a selector that
	// renders alike for both counts the same series twice.
	for _, f := range []struct{ name, canary, stable string }{
		{"errors", s.canary.errors, s.stable.errors}, {"requests", s.canary.requests, s.stable.requests},
		{"latency.selector", s.canary.matchers, s.stable.matchers}} {
		if f.canary != "" && f.canary == f.stable {
			errs = append(errs, fmt.Errorf(`%s: must select the pods with {{.Pods}} (e.g. pod=~"{{.Pods}}"), else canary and stable count the same series`, f.name))
		}
	}
	if c.Latency == nil {
		for _, f := range [][2]string{{"errors", s.canary.errors}, {"requests", s.canary.requests}} {
			if err := sequential.ValidateSelector(f[1]); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f[0], err))
			}
		}
		return errs
	}
	for _, le := range c.Latency.Above {
		if _, _, err := sequential.LatencyQueries(c.Latency.Histogram, s.canary.matchers, le, time.Minute); err != nil {
			return append(errs, fmt.Errorf("latency: %w", err))
		}
	}
	return errs
}
