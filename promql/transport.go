package promql

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	promcfg "github.com/prometheus/common/config"
	"github.com/prometheus/sigv4"

	"github.com/rollgate/rollgate/internal/redact"
)

// httpClient builds the client Prometheus' own configuration describes
// (TLS with client certificates, authorization, basic auth, OAuth2, proxy,
// headers, redirects), with rollgate's simple fields laid over it and
// SigV4 signing on top.
func httpClient(cfg Config, seen *credentials) (*http.Client, error) {
	hc := promcfg.DefaultHTTPClientConfig
	if cfg.HTTP != nil {
		hc = *cfg.HTTP
	}
	// Without a proxy of its own the client honours HTTPS_PROXY and
	// NO_PROXY, as Go's default transport (and rollgate before) did.
	if hc.ProxyURL.URL == nil && len(hc.ProxyConnectHeader) == 0 {
		hc.ProxyFromEnvironment = true
	}
	if cfg.CAFile != "" {
		hc.TLSConfig.CAFile = cfg.CAFile
	}
	hc.TLSConfig.InsecureSkipVerify = hc.TLSConfig.InsecureSkipVerify || cfg.InsecureSkipVerify
	var opts []promcfg.HTTPClientOption
	if cfg.Refs != nil {
		opts = append(opts, promcfg.WithSecretManager(cfg.Refs))
	}
	c, err := promcfg.NewClientFromConfig(hc, "rollgate", append(opts, promcfg.WithUserAgent("rollgate"))...)
	if err != nil {
		return nil, err
	}
	rt := c.Transport
	if cfg.SigV4 != nil {
		if rt, err = sigv4.NewSigV4RoundTripper(cfg.SigV4, rt); err != nil {
			return nil, fmt.Errorf("sigv4: %w", err)
		}
	}
	c.Transport = &recorder{seen: seen, next: &authRoundTripper{cfg: cfg, next: rt}}
	return c, nil
}

// authRoundTripper sets rollgate's own fields: headers, then a bearer
// token or basic auth read from the environment.
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

// recorder notes the credentials that went on the wire (an OAuth2 token,
// a bearer token read from a file) so that no error repeats them.
type recorder struct {
	seen *credentials
	next http.RoundTripper
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rc.next.RoundTrip(r)
	if resp != nil && resp.Request != nil {
		for _, name := range []string{"Authorization", "X-Amz-Security-Token"} {
			rc.seen.add(resp.Request.Header.Values(name)...)
		}
	}
	return resp, err
}

// credentials are secrets to keep out of errors: those the caller read
// and those seen on the wire.
type credentials struct {
	mu  sync.Mutex
	set map[string]bool
}

func newCredentials(known []string) *credentials {
	c := &credentials{set: map[string]bool{}}
	c.add(known...)
	return c
}

func (c *credentials) add(vs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range vs {
		if v == "" {
			continue
		}
		c.set[v] = true
		// "Bearer abc" on the wire; "abc" alone in a proxy's echo.
		if _, token, ok := strings.Cut(v, " "); ok && token != "" {
			c.set[token] = true
		}
	}
}

// scrub returns s without any credential.
func (c *credentials) scrub(s string) string {
	c.mu.Lock()
	all := slices.Collect(maps.Keys(c.set))
	c.mu.Unlock()
	// Longest first: "Bearer abc" goes whole, never leaving "Bearer " behind.
	slices.SortFunc(all, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return redact.String(s, all...)
}

// scrubErr is err with its text scrubbed; an error with nothing to hide
// keeps its chain (context.DeadlineExceeded and the like).
func (c *credentials) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	if s := c.scrub(err.Error()); s != err.Error() {
		return redactedError(s)
	}
	return err
}

type redactedError string

func (e redactedError) Error() string { return string(e) }
