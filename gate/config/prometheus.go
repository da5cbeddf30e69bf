package config

import (
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"

	promcfg "github.com/prometheus/common/config"
)

const pp = "analysis.prometheus"

// TenantHeader carries the tenant to Mimir, Cortex and Thanos.
const TenantHeader = "X-Scope-OrgID"

func (pr *Prometheus) validate(ps *Problems) {
	if pr.URL == "" {
		ps.add(pp+".url", "is required when checks are set (or pass --prometheus-url / ROLLGATE_PROMETHEUS_URL)")
	}
	pr.validateURL(ps)
	envVar(ps, pp+".bearerTokenEnv", pr.BearerTokenEnv)
	if b := pr.BasicAuth; b != nil {
		if b.UsernameEnv == "" || b.PasswordEnv == "" {
			ps.add(pp+".basicAuth", "needs both usernameEnv and passwordEnv")
		}
		envVar(ps, pp+".basicAuth.usernameEnv", b.UsernameEnv)
		envVar(ps, pp+".basicAuth.passwordEnv", b.PasswordEnv)
	}
	for _, k := range sortedKeys(pr.HeadersFromEnv) {
		envVar(ps, pp+".headersFromEnv."+k, pr.HeadersFromEnv[k])
	}
	if auth := pr.authMethods(); len(auth) > 1 {
		ps.add(pp, "set one way to authenticate, not several: %s", strings.Join(auth, " and "))
	}
	pr.validateHeaders(ps)
	for _, k := range sortedKeys(anyMap(pr.Headers)) {
		literalHeader(ps, pp+".headers."+k, k, pr.Headers[k])
	}
	if h := pr.HTTP; h != nil {
		if pr.CAFile != "" && (h.TLSConfig.CA != "" || h.TLSConfig.CAFile != "" || h.TLSConfig.CARef != "") {
			ps.add(pp+".caFile", "set caFile or http.tls_config's CA, not both")
		}
		for _, f := range h.inlineSecrets() {
			ps.add(pp+".http."+f.path, "must not hold the secret itself (it would sit in the file and in CI logs): use %s", f.instead)
		}
		for _, r := range h.refs() {
			envVar(ps, pp+".http."+r.path, r.value)
		}
		if len(pr.authMethods()) <= 1 {
			if err := h.Validate(); err != nil {
				ps.add(pp+".http", "%v", err)
			}
		}
	}
	if s := pr.SigV4; s != nil {
		if s.SecretKey != "" || s.AccessKey != "" {
			ps.add(pp+".sigv4", "must not hold access_key/secret_key: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or role_arn")
		} else if err := s.Validate(); err != nil {
			ps.add(pp+".sigv4", "%v", err)
		}
	}
	positive(ps, pp+".timeout", pr.Timeout)
}

// validateURL checks a URL that is set, checks or not: a malformed one is
// a mistake even where it is not used yet.
func (pr *Prometheus) validateURL(ps *Problems) {
	if pr.URL == "" {
		return
	}
	if u, err := url.Parse(pr.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ps.add(pp+".url", "must be an http(s) URL like http://prometheus:9090, not %s", quoteUnlessSecret(pr.URL))
	} else if u.User != nil {
		ps.add(pp+".url", "must not carry credentials: use basicAuth.usernameEnv/passwordEnv")
	}
}

// authMethods are the ways to authenticate the file sets, by path.
func (pr *Prometheus) authMethods() []string {
	var out []string
	add := func(set bool, path string) {
		if set {
			out = append(out, path)
		}
	}
	add(pr.BearerTokenEnv != "", pp+".bearerTokenEnv")
	add(pr.BasicAuth != nil, pp+".basicAuth")
	if h := pr.HTTP; h != nil {
		add(h.Authorization != nil, pp+".http.authorization")
		add(h.BasicAuth != nil, pp+".http.basic_auth")
		add(h.OAuth2 != nil, pp+".http.oauth2")
		add(h.BearerToken != "" || h.BearerTokenFile != "", pp+".http.bearer_token_file")
	}
	add(pr.SigV4 != nil, pp+".sigv4")
	return out
}

// validateHeaders refuses a header set twice: which one would be sent is
// nobody's guess.
func (pr *Prometheus) validateHeaders(ps *Problems) {
	where := map[string][]string{}
	note := func(name, path string) {
		k := http.CanonicalHeaderKey(name)
		where[k] = append(where[k], path)
	}
	for k := range pr.Headers {
		note(k, pp+".headers."+k)
	}
	for k := range pr.HeadersFromEnv {
		note(k, pp+".headersFromEnv."+k)
	}
	if pr.Tenant != "" {
		note(TenantHeader, pp+".tenant")
	}
	if h := pr.HTTP; h != nil && h.HTTPHeaders != nil {
		for k := range h.HTTPHeaders.Headers {
			note(k, pp+".http.http_headers."+k)
		}
	}
	names := make([]string, 0, len(where))
	for k := range where {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if paths := where[k]; len(paths) > 1 {
			sort.Strings(paths)
			ps.add(paths[0], "sets the header %s, and so does %s: keep one", k, strings.Join(paths[1:], " and "))
		}
	}
}

type field struct{ path, value, instead string }

// inlineSecrets are the secrets written in the file itself.
func (h *HTTPClient) inlineSecrets() []field {
	var out []field
	add := func(set bool, path, instead string) {
		if set {
			out = append(out, field{path: path, instead: instead})
		}
	}
	add(h.BearerToken != "", "bearer_token", "authorization.credentials_file or credentials_ref (an environment variable)")
	if a := h.Authorization; a != nil {
		add(a.Credentials != "", "authorization.credentials", "credentials_file or credentials_ref (an environment variable)")
	}
	if b := h.BasicAuth; b != nil {
		add(b.Password != "", "basic_auth.password", "password_file or password_ref (an environment variable)")
	}
	if o := h.OAuth2; o != nil {
		add(o.ClientSecret != "", "oauth2.client_secret", "client_secret_file or client_secret_ref (an environment variable)")
		add(o.ClientCertificateKey != "", "oauth2.client_certificate_key", "client_certificate_key_file or client_certificate_key_ref")
		add(o.TLSConfig.Key != "", "oauth2.tls_config.key", "key_file or key_ref")
		add(len(o.ProxyConnectHeader) > 0, "oauth2.proxy_connect_header", "a proxy that needs no secret header")
	}
	add(h.TLSConfig.Key != "", "tls_config.key", "key_file or key_ref (an environment variable)")
	add(len(h.ProxyConnectHeader) > 0, "proxy_connect_header", "a proxy that needs no secret header")
	if hh := h.HTTPHeaders; hh != nil {
		for _, k := range sortedKeys(hh.Headers) {
			add(len(hh.Headers[k].Secrets) > 0, "http_headers."+k+".secrets", "files, or headersFromEnv beside http")
		}
	}
	return out
}

// refs are the *_ref fields: rollgate resolves each from the environment
// variable it names. secret marks those holding a credential.
func (h *HTTPClient) refs() []field {
	var out []field
	add := func(path, v string, secret bool) {
		if v != "" {
			f := field{path: path, value: v}
			if secret {
				f.instead = "secret"
			}
			out = append(out, f)
		}
	}
	if a := h.Authorization; a != nil {
		add("authorization.credentials_ref", a.CredentialsRef, true)
	}
	if b := h.BasicAuth; b != nil {
		add("basic_auth.username_ref", b.UsernameRef, false)
		add("basic_auth.password_ref", b.PasswordRef, true)
	}
	tls := func(prefix string, t promcfg.TLSConfig) {
		add(prefix+"ca_ref", t.CARef, false)
		add(prefix+"cert_ref", t.CertRef, false)
		add(prefix+"key_ref", t.KeyRef, true)
	}
	tls("tls_config.", h.TLSConfig)
	if o := h.OAuth2; o != nil {
		add("oauth2.client_secret_ref", o.ClientSecretRef, true)
		add("oauth2.client_certificate_key_ref", o.ClientCertificateKeyRef, true)
		tls("oauth2.tls_config.", o.TLSConfig)
	}
	return out
}

// secretFiles are the files whose contents are credentials.
func (h *HTTPClient) secretFiles() []string {
	out := []string{h.BearerTokenFile, h.TLSConfig.KeyFile}
	if a := h.Authorization; a != nil {
		out = append(out, a.CredentialsFile)
	}
	if b := h.BasicAuth; b != nil {
		out = append(out, b.PasswordFile)
	}
	if o := h.OAuth2; o != nil {
		out = append(out, o.ClientSecretFile, o.ClientCertificateKeyFile, o.TLSConfig.KeyFile)
	}
	if hh := h.HTTPHeaders; hh != nil {
		for _, v := range hh.Headers {
			out = append(out, v.Files...)
		}
	}
	return out
}

// Secrets are the credentials this configuration makes rollgate read,
// from the environment (lookup) and from files, for masking and
// scrubbing. A key file counts whole and line by line.
func (pr *Prometheus) Secrets(lookup func(string) (string, bool)) []string {
	names := []string{pr.BearerTokenEnv}
	if b := pr.BasicAuth; b != nil {
		names = append(names, b.PasswordEnv)
	}
	for _, k := range sortedKeys(pr.HeadersFromEnv) {
		names = append(names, pr.HeadersFromEnv[k])
	}
	if pr.SigV4 != nil {
		names = append(names, "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
	}
	var files []string
	if h := pr.HTTP; h != nil {
		for _, r := range h.refs() {
			if r.instead == "secret" {
				names = append(names, r.value)
			}
		}
		files = h.secretFiles()
	}
	var out []string
	for _, n := range names {
		if v, ok := lookup(n); ok && n != "" {
			out = append(out, v)
		}
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && f != "" {
			out = append(out, secretLines(string(b))...)
		}
	}
	return out
}

// secretLines is a file's secret as the client sends it (trimmed, as
// prometheus/common reads it) and, for a PEM key, each line of its body.
func secretLines(s string) []string {
	s = strings.TrimSpace(s)
	out := []string{s}
	if strings.Contains(s, "\n") {
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "-----") {
				out = append(out, l)
			}
		}
	}
	return out
}
