package promql

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	promcfg "github.com/prometheus/common/config"
	"github.com/prometheus/sigv4"

	"github.com/rollgate/rollgate/internal/testpki"
)

// fakeProm answers every instant query with 1 when allow accepts the
// request, else with an API error that echoes the request's credentials,
// as a careless proxy might.
func fakeProm(allow func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !allow(r) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":%q}`, "denied: Authorization="+r.Header.Get("Authorization"))
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}}`)
	})
}

func query(t *testing.T, cfg Config) error {
	t.Helper()
	cfg.Timeout = time.Second
	q, err := New(cfg)
	if err != nil {
		return err
	}
	_, err = q.Query(context.Background(), "up", time.Now())
	return err
}

func file(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(body+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func header(name, want string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get(name) == want }
}

type refs map[string]string

func (m refs) Fetch(_ context.Context, name string) (string, error) { return m[name], nil }

func TestQuerierAuthenticatesEachWayPrometheusConfigures(t *testing.T) {
	tests := []struct {
		name  string
		allow func(*http.Request) bool
		cfg   func() Config
	}{
		{"rollgate's bearer token and headers", func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer env-token" && r.Header.Get("X-Scope-OrgID") == "team-a"
		}, func() Config {
			return Config{BearerToken: "env-token", Headers: map[string]string{"X-Scope-OrgID": "team-a"}}
		}},
		{"rollgate's basic auth", func(r *http.Request) bool { u, p, _ := r.BasicAuth(); return u == "u" && p == "pw" },
			func() Config { return Config{Username: "u", Password: "pw"} }},
		{"authorization credentials_file", header("Authorization", "Bearer file-token"), func() Config {
			return Config{HTTP: &promcfg.HTTPClientConfig{Authorization: &promcfg.Authorization{Type: "Bearer", CredentialsFile: file(t, "file-token")}}}
		}},
		{"authorization credentials_ref", header("Authorization", "Bearer ref-token"), func() Config {
			return Config{Refs: refs{"PROM_TOKEN": "ref-token"},
				HTTP: &promcfg.HTTPClientConfig{Authorization: &promcfg.Authorization{Type: "Bearer", CredentialsRef: "PROM_TOKEN"}}}
		}},
		{"basic_auth password_file", func(r *http.Request) bool { u, p, _ := r.BasicAuth(); return u == "u" && p == "file-pw" },
			func() Config {
				return Config{HTTP: &promcfg.HTTPClientConfig{BasicAuth: &promcfg.BasicAuth{Username: "u", PasswordFile: file(t, "file-pw")}}}
			}},
		{"http_headers from files", header("X-Scope-OrgID", "team-b"), func() Config {
			return Config{HTTP: &promcfg.HTTPClientConfig{HTTPHeaders: &promcfg.Headers{Headers: map[string]promcfg.Header{
				"X-Scope-OrgID": {Files: []string{file(t, "team-b")}}}}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(fakeProm(tt.allow))
			defer srv.Close()
			cfg := tt.cfg()
			cfg.URL = srv.URL
			if err := query(t, cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// tokenEndpoint issues token for clientID/secret (client credentials in
// basic auth, as golang.org/x/oauth2 sends them) and refuses anyone else,
// echoing what it was sent.
func tokenEndpoint(t *testing.T, clientID, secret, token string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		id, s, ok := r.BasicAuth()
		if !ok {
			id, s = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if id != clientID || s != secret || r.PostForm.Get("grant_type") != "client_credentials" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"unknown client %s with secret %s"}`, id, s)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, token)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func oauth2Config(tokenURL, secretFile string) *promcfg.HTTPClientConfig {
	hc := promcfg.DefaultHTTPClientConfig
	hc.OAuth2 = &promcfg.OAuth2{ClientID: "rollgate", ClientSecretFile: secretFile, TokenURL: tokenURL}
	return &hc
}

func TestQuerierFetchesAnOAuth2TokenAndNeverRepeatsIt(t *testing.T) {
	idp := tokenEndpoint(t, "rollgate", "client-s3cret", "tok-abc123")
	prom := httptest.NewServer(fakeProm(header("Authorization", "Bearer tok-abc123")))
	defer prom.Close()
	if err := query(t, Config{URL: prom.URL, HTTP: oauth2Config(idp.URL, file(t, "client-s3cret"))}); err != nil {
		t.Fatal(err)
	}

	// Prometheus refuses the token and echoes it: the error must not.
	deny := httptest.NewServer(fakeProm(func(*http.Request) bool { return false }))
	defer deny.Close()
	err := query(t, Config{URL: deny.URL, HTTP: oauth2Config(idp.URL, file(t, "client-s3cret")), Secrets: []string{"client-s3cret"}})
	if err == nil || strings.Contains(err.Error(), "tok-abc123") || !strings.Contains(err.Error(), "Authorization=[redacted]") {
		t.Fatalf("want the echo without the token, got %v", err)
	}
}

func TestQuerierErrorFromTheTokenEndpointHidesTheClientSecret(t *testing.T) {
	idp := tokenEndpoint(t, "rollgate", "the-right-one", "tok")
	prom := httptest.NewServer(fakeProm(func(*http.Request) bool { return true }))
	defer prom.Close()
	err := query(t, Config{URL: prom.URL, HTTP: oauth2Config(idp.URL, file(t, "wrong-s3cret")), Secrets: []string{"wrong-s3cret"}})
	if err == nil {
		t.Fatal("want the token endpoint's refusal")
	}
	if strings.Contains(err.Error(), "wrong-s3cret") || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("the error repeats the client secret or lost the reason: %v", err)
	}
}

func TestQuerierPresentsAClientCertificate(t *testing.T) {
	pki := testpki.New(t)
	srv := httptest.NewUnstartedServer(fakeProm(func(r *http.Request) bool { return r.TLS != nil && len(r.TLS.PeerCertificates) == 1 }))
	srv.TLS = pki.ServerTLS()
	srv.StartTLS()
	defer srv.Close()
	hc := promcfg.DefaultHTTPClientConfig
	hc.TLSConfig = promcfg.TLSConfig{CAFile: pki.CAFile, CertFile: pki.CertFile, KeyFile: pki.KeyFile}
	if err := query(t, Config{URL: srv.URL, HTTP: &hc}); err != nil {
		t.Fatal(err)
	}
	// Without the certificate the handshake fails; the old caFile still works for the server's side.
	if err := query(t, Config{URL: srv.URL, CAFile: pki.CAFile}); err == nil {
		t.Fatal("a client without a certificate got through")
	}
}

func TestQuerierSignsWithSigV4(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	srv := httptest.NewServer(fakeProm(func(r *http.Request) bool {
		a := r.Header.Get("Authorization")
		return strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") && strings.Contains(a, "/eu-west-1/aps/aws4_request") &&
			r.Header.Get("X-Amz-Date") != ""
	}))
	defer srv.Close()
	if err := query(t, Config{URL: srv.URL, SigV4: &sigv4.SigV4Config{Region: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
}

func TestQuerierErrorHidesCredentialsEchoedBack(t *testing.T) {
	srv := httptest.NewServer(fakeProm(func(*http.Request) bool { return false }))
	defer srv.Close()
	err := query(t, Config{URL: srv.URL, HTTP: &promcfg.HTTPClientConfig{Authorization: &promcfg.Authorization{Type: "Bearer", CredentialsFile: file(t, "file-t0ken")}}})
	if err == nil || strings.Contains(err.Error(), "file-t0ken") || !errors.Is(err, ErrBadQuery) {
		t.Fatalf("want a bad query error without the token, got %v", err)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("u:pw-s3cret"))
	err = query(t, Config{URL: srv.URL, Username: "u", Password: "pw-s3cret"})
	if err == nil || strings.Contains(err.Error(), basic) || !strings.Contains(err.Error(), "Authorization=[redacted]") {
		t.Fatalf("want an error without the basic credentials, got %v", err)
	}
}
