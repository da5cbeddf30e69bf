package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// promFile is a gate file whose analysis.prometheus holds body (indented
// under it) and one valid check.
func promFile(body string) string {
	return header + "analysis:\n  prometheus:\n    url: https://prom:9090\n" + indent(body, "    ") +
		"  checks:\n    - {name: a, query: up, max: 1}\n"
}

func indent(s, by string) string {
	if s == "" {
		return ""
	}
	return by + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+by) + "\n"
}

func TestPrometheusHTTPConfigProblemsNameTheirPaths(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // each must appear in some problem
	}{
		{"an unknown field inside http names Prometheus' own fields",
			"http:\n  tls_config: {cert_file: c.pem, key_file: k.pem, cert_flie: x}\n",
			[]string{"analysis.prometheus.http.tls_config.cert_flie: unknown field (known: ca, ca_file, ca_ref, cert, cert_file"}},
		{"a camelCase spelling is not Prometheus' spelling",
			"http:\n  followRedirects: false\n",
			[]string{"analysis.prometheus.http.followRedirects: unknown field"}},
		{"a wrong type inside oauth2 names the path",
			"http:\n  oauth2: {client_id: a, client_secret_file: s, token_url: https://t, scopes: read}\n",
			[]string{"analysis.prometheus.http.oauth2.scopes: must be a list"}},
		{"proxy_url is inline in http, as in Prometheus",
			"http:\n  proxy_url: 7\n",
			[]string{"analysis.prometheus.http.proxy_url: must be a URL, not the number 7"}},
		{"a bad TLS version",
			"http:\n  tls_config: {min_version: TLS9}\n",
			[]string{"analysis.prometheus.http.tls_config.min_version: must be TLS10, TLS11, TLS12 or TLS13"}},
		{"a header's value list is walked",
			"http:\n  http_headers: {X-A: {values: one}}\n",
			[]string{"analysis.prometheus.http.http_headers.X-A.values: must be a list"}},
		{"a client certificate without its key is Prometheus' own check",
			"http:\n  tls_config: {cert_file: c.pem}\n",
			[]string{"analysis.prometheus.http: exactly one of key or key_file must be configured"}},
		{"two ways to authenticate name both",
			"bearerTokenEnv: PROM_TOKEN\nhttp:\n  oauth2: {client_id: a, client_secret_file: s, token_url: https://t}\n",
			[]string{"analysis.prometheus: set one way to authenticate, not several: analysis.prometheus.bearerTokenEnv and analysis.prometheus.http.oauth2"}},
		{"two of Prometheus' own auth methods name both",
			"http:\n  basic_auth: {username: u, password_file: p}\n  authorization: {credentials_file: t}\n",
			[]string{"analysis.prometheus.http.authorization and analysis.prometheus.http.basic_auth"}},
		{"sigv4 and a bearer token are two methods",
			"sigv4: {region: eu-west-1}\nhttp:\n  authorization: {credentials_file: t}\n",
			[]string{"analysis.prometheus.http.authorization and analysis.prometheus.sigv4"}},
		{"a secret written in the file is refused with what to use instead",
			"http:\n  oauth2: {client_id: a, client_secret: hunter2, token_url: https://t}\n",
			[]string{"analysis.prometheus.http.oauth2.client_secret: must not hold the secret itself", "client_secret_file or client_secret_ref"}},
		{"an inline password is refused",
			"http:\n  basic_auth: {username: u, password: hunter2}\n",
			[]string{"analysis.prometheus.http.basic_auth.password: must not hold the secret itself"}},
		{"an inline header secret is refused",
			"http:\n  http_headers: {X-Key: {secrets: [hunter2]}}\n",
			[]string{"analysis.prometheus.http.http_headers.X-Key.secrets: must not hold the secret itself"}},
		{"a ref names an environment variable",
			"http:\n  authorization: {credentials_ref: 'not a var'}\n",
			[]string{`analysis.prometheus.http.authorization.credentials_ref: must name an environment variable`}},
		{"sigv4 keys in the file are refused",
			"sigv4: {region: eu-west-1, access_key: AKIA, secret_key: s}\n",
			[]string{"analysis.prometheus.sigv4: must not hold access_key/secret_key"}},
		{"an unknown sigv4 field names the path",
			"sigv4: {regoin: eu-west-1}\n",
			[]string{"analysis.prometheus.sigv4.regoin: unknown field (known: access_key, external_id, profile, region, role_arn"}},
		{"the tenant and a header setting X-Scope-OrgID clash",
			"tenant: team-a\nheaders: {x-scope-orgid: team-b}\n",
			[]string{"analysis.prometheus.headers.x-scope-orgid: sets the header X-Scope-Orgid, and so does analysis.prometheus.tenant"}},
		{"a header in both headers and http_headers clashes",
			"headers: {X-A: '1'}\nhttp:\n  http_headers: {X-A: {values: ['2']}}\n",
			[]string{"analysis.prometheus.headers.X-A: sets the header X-A, and so does analysis.prometheus.http.http_headers.X-A"}},
		{"caFile and tls_config.ca_file clash",
			"caFile: a.pem\nhttp:\n  tls_config: {ca_file: b.pem}\n",
			[]string{"analysis.prometheus.caFile: set caFile or http.tls_config's CA, not both"}},
		{"a reserved header in http_headers is Prometheus' own check",
			"http:\n  http_headers: {Authorization: {files: [t]}}\n",
			[]string{`analysis.prometheus.http: setting header "Authorization" is not allowed`}},
		{"headersFromEnv names environment variables",
			"headersFromEnv: {X-Key: 'x-key'}\n",
			[]string{"analysis.prometheus.headersFromEnv.X-Key: must name an environment variable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, promFile(tt.body))
			for _, w := range tt.want {
				if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("no problem mentions %q; got:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func TestPrometheusHTTPConfigDecodesPrometheusOwnYAML(t *testing.T) {
	yml := promFile(`tenant: team-a
http:
  follow_redirects: false
  proxy_url: http://proxy:3128
  tls_config: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, min_version: TLS12}
  oauth2:
    client_id: rollgate
    client_secret_file: /etc/secret
    token_url: https://idp/token
    scopes: [read]
    endpoint_params: {audience: prom}
    tls_config: {ca_file: idp-ca.pem}
  http_headers:
    X-Extra: {values: [a], files: [/etc/h]}
`)
	cfg, err := Parse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Default()
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	h := cfg.Analysis.Prometheus.HTTP
	switch {
	case h.FollowRedirects:
		t.Error("follow_redirects: false was not read")
	case !h.EnableHTTP2:
		t.Error("enable_http2 lost Prometheus' default (true)")
	case h.ProxyURL.String() != "http://proxy:3128":
		t.Errorf("proxy_url = %q", h.ProxyURL.String())
	case h.TLSConfig.KeyFile != "k.pem" || h.TLSConfig.MinVersion == 0:
		t.Errorf("tls_config = %+v", h.TLSConfig)
	case h.OAuth2.TLSConfig.CAFile != "idp-ca.pem" || h.OAuth2.EndpointParams["audience"] != "prom":
		t.Errorf("oauth2 = %+v", h.OAuth2)
	case h.HTTPHeaders.Headers["X-Extra"].Files[0] != "/etc/h":
		t.Errorf("http_headers = %+v", h.HTTPHeaders)
	case cfg.Analysis.Prometheus.Tenant != "team-a":
		t.Errorf("tenant = %q", cfg.Analysis.Prometheus.Tenant)
	}
}

func TestPrometheusSecretsAreWhatTheFilesAndVariablesHold(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secretFile := write("secret", "s3cret-from-file\n")
	keyFile := write("key.pem", "-----BEGIN EC PRIVATE KEY-----\nAAAAline1\nBBBBline2\n-----END EC PRIVATE KEY-----\n")
	yml := promFile("headersFromEnv: {X-Key: HDR}\nhttp:\n  oauth2: {client_id: a, client_secret_file: " + secretFile +
		", token_url: https://t}\n  tls_config: {cert_file: c.pem, key_file: " + keyFile + "}\n")
	cfg, err := Parse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HDR": "header-secret"}
	got := cfg.Analysis.Prometheus.Secrets(func(n string) (string, bool) { v, ok := env[n]; return v, ok })
	for _, want := range []string{"header-secret", "s3cret-from-file", "AAAAline1", "BBBBline2"} {
		if !slices.Contains(got, want) {
			t.Errorf("secrets %q lack %q", got, want)
		}
	}
	if slices.Contains(got, "-----END EC PRIVATE KEY-----") {
		t.Error("the PEM armour is not a secret: masking it would blank harmless lines")
	}
}
