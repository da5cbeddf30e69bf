// Package promql talks to Prometheus (and Prometheus-compatible stores:
// Thanos, Mimir, Cortex, VictoriaMetrics) through one narrow Querier, and
// turns query results into samples and per-interval check verdicts.
package promql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Querier is everything the analysis asks of Prometheus: one instant query.
type Querier interface {
	Query(ctx context.Context, query string, at time.Time) (Result, error)
}

// Sample is one series' value.
type Sample struct {
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
}

// Result is an instant query's samples plus the warnings Prometheus sent.
type Result struct {
	Samples  []Sample `json:"samples"`
	Warnings []string `json:"warnings,omitempty"`
}

// Config says where Prometheus is and how to authenticate. Secrets are
// values here: the caller reads them from the environment variables the
// gate file names.
type Config struct {
	URL                string
	BearerToken        string
	Username, Password string
	CAFile             string
	InsecureSkipVerify bool
	Headers            map[string]string
	// Timeout bounds each query, retries included.
	Timeout time.Duration
}

// ErrBadQuery wraps errors Prometheus gives for the query itself; retrying
// them is pointless.
var ErrBadQuery = errors.New("bad query")

type client struct {
	api     v1.API
	timeout time.Duration
}

// New returns a Querier for cfg.
func New(cfg Config) (Querier, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.CAFile != "" || cfg.InsecureSkipVerify {
		tc := &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // the user asked for it
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("prometheus CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("prometheus CA file %s holds no PEM certificate", cfg.CAFile)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	c, err := api.NewClient(api.Config{Address: cfg.URL, RoundTripper: &authRoundTripper{cfg: cfg, next: tr}})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", cfg.URL, err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &client{api: v1.NewAPI(c), timeout: timeout}, nil
}

type authRoundTripper struct {
	cfg  Config
	next http.RoundTripper
}

func (a *authRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range a.cfg.Headers {
		r.Header.Set(k, v)
	}
	switch {
	case a.cfg.BearerToken != "":
		r.Header.Set("Authorization", "Bearer "+a.cfg.BearerToken)
	case a.cfg.Username != "":
		r.SetBasicAuth(a.cfg.Username, a.cfg.Password)
	}
	return a.next.RoundTrip(r)
}

// Query runs an instant query, retrying transient failures with backoff
// within the per-query timeout. A bad query is not retried.
func (c *client) Query(ctx context.Context, query string, at time.Time) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	backoff := 250 * time.Millisecond
	for {
		v, warnings, _, err := c.api.Query(ctx, query, at)
		if err == nil {
			return toResult(v, warnings)
		}
		var apiErr *v1.Error
		if errors.As(err, &apiErr) && (apiErr.Type == v1.ErrBadData || apiErr.Type == v1.ErrExec) {
			return Result{}, fmt.Errorf("%w: %s", ErrBadQuery, apiErr.Msg)
		}
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("query prometheus: %w", err)
		case <-time.After(backoff):
			backoff = min(2*backoff, 2*time.Second)
		}
	}
}

func toResult(v model.Value, warnings v1.Warnings) (Result, error) {
	r := Result{Warnings: warnings, Samples: []Sample{}}
	switch x := v.(type) {
	case model.Vector:
		for _, s := range x {
			r.Samples = append(r.Samples, Sample{Labels: labelMap(s.Metric), Value: float64(s.Value)})
		}
	case *model.Scalar:
		r.Samples = append(r.Samples, Sample{Value: float64(x.Value)})
	default:
		return Result{}, fmt.Errorf("%w: the query returns a %s; checks need an instant vector or a scalar", ErrBadQuery, v.Type())
	}
	sort.Slice(r.Samples, func(i, j int) bool { return LabelString(r.Samples[i].Labels) < LabelString(r.Samples[j].Labels) })
	return r, nil
}

func labelMap(m model.Metric) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

// LabelString renders labels as PromQL does: {code="500", pod="api-1"}.
func LabelString(l map[string]string) string {
	if len(l) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// finite reports whether v is a usable number (not NaN, not ±Inf).
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
