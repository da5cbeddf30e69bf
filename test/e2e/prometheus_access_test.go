package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollgate/rollgate/internal/testpki"
)

// guard puts the fixture's Prometheus behind a reverse proxy that lets
// through only the requests allow accepts, as an mTLS ingress, an OAuth2
// proxy or a Mimir gateway would.
func guard(t *testing.T, promURL string, allow func(*http.Request) bool) *httptest.Server {
	t.Helper()
	u, err := url.Parse(promURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	return httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allow(r) {
			http.Error(w, "denied", http.StatusForbidden)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
}

// oauth2Issuer issues token for client credentials id/secret, and
// refuses anyone else with an error that repeats what it was sent.
func oauth2Issuer(t *testing.T, id, secret, token string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		gotID, gotSecret, ok := r.BasicAuth()
		if !ok {
			gotID, gotSecret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if gotID != id || gotSecret != secret || r.PostForm.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"no client %s with secret %s"}`, gotID, gotSecret)
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, token)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func secretFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	writeFile(t, p, body+"\n")
	sweep.secret("the secret file of "+t.Name(), body)
	return p
}

// TestPrometheusAccessThroughGuardedProxies runs rollgate analyze against
// the real Prometheus behind a proxy requiring a client certificate, an
// OAuth2 token, or a tenant header; none of the secrets reaches any output.
func TestPrometheusAccessThroughGuardedProxies(t *testing.T) {
	t.Parallel()
	f := newAnalysisFixture(t)
	f.serve(f.canary, profile{RPS: 20, ErrorRatio: 0.01, Latency: 40 * time.Millisecond})
	f.prom.waitScraped(t, f.ns)
	pki := testpki.New(t)
	const clientSecret, token = "cl1ent-s3cret-e2e", "t0ken-e2e-abc"
	issuer := oauth2Issuer(t, "rollgate", clientSecret, token)
	sweep.secret("a credential of "+t.Name(), clientSecret, token)
	sweep.secret("the client key of "+t.Name(), keyLines(pki.Key)...)

	tests := []struct {
		name    string
		allow   func(*http.Request) bool
		tls     bool
		http    string // analysis.prometheus body beside url, indented 4
		code    int
		secrets []string
	}{
		{"mTLS with a client certificate", func(r *http.Request) bool { return r.TLS != nil && len(r.TLS.VerifiedChains) > 0 }, true,
			fmt.Sprintf("    http:\n      tls_config: {ca_file: %q, cert_file: %q, key_file: %q}\n", pki.CAFile, pki.CertFile, pki.KeyFile),
			0, keyLines(pki.Key)},
		{"an OAuth2 client-credentials token", func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+token }, false,
			fmt.Sprintf("    http:\n      oauth2: {client_id: rollgate, client_secret_file: %q, token_url: %q}\n", secretFile(t, clientSecret), issuer.URL),
			0, []string{clientSecret, token}},
		{"a Mimir tenant", func(r *http.Request) bool { return r.Header.Get("X-Scope-OrgID") == "team-a" }, false,
			"    tenant: team-a\n", 0, nil},
		{"a wrong OAuth2 client secret fails without echoing it", func(*http.Request) bool { return true }, false,
			fmt.Sprintf("    http:\n      oauth2: {client_id: rollgate, client_secret_file: %q, token_url: %q}\n", secretFile(t, "wr0ng-s3cret-e2e"), issuer.URL),
			3, []string{"wr0ng-s3cret-e2e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := guard(t, f.prom.URL, tt.allow)
			if tt.tls {
				srv.TLS = pki.ServerTLS()
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			gate := writeGate(t, fmt.Sprintf("analysis:\n  prometheus:\n    url: %q\n    timeout: 2s\n%s  initialDelay: 4s\n  interval: 2s\n  count: 2\n  consecutiveErrorLimit: 1\n  checks:%s",
				srv.URL, tt.http, errorRateCheck))
			report := filepath.Join(t.TempDir(), "report.json")
			r := f.analyze(t, gate, "--report", report)
			if tt.code == 0 {
				r.expect(t, 0, "error-rate PASS")
			} else {
				r.expect(t, tt.code, "[redacted]") // held: the token endpoint's reason, without the secret
			}
			rep, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.secrets {
				for where, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "the report": string(rep)} {
					if strings.Contains(out, s) {
						t.Errorf("%s shows the secret %q\n%s", where, s, r)
					}
				}
			}
		})
	}
}

// keyLines are a PEM key's body lines: any of them in output is a leak.
func keyLines(key string) []string {
	var out []string
	for _, l := range strings.Split(key, "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}
