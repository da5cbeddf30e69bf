// Package redact removes secrets from text, in every spelling an HTTP
// error can give them. The notifier and the Prometheus client both use it,
// so it sits below either.
package redact

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Redacted stands in for a secret in error text.
const Redacted = "[redacted]"

// Error returns err with every secret replaced by [redacted]. The result
// carries text only: nothing it wraps can bring the secret back through
// errors.Unwrap or %+v. Empty secrets are ignored.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return scrubbed(String(err.Error(), secrets...))
}

// String is Error for text.
func String(s string, secrets ...string) string {
	for _, secret := range secrets {
		for _, form := range spellings(secret) {
			s = strings.ReplaceAll(s, form, Redacted)
		}
	}
	return s
}

type scrubbed string

func (e scrubbed) Error() string { return string(e) }

// spellings are the forms a secret takes in error text, longest first so a
// shorter form never leaves part of a longer one behind.
func spellings(secret string) []string {
	if strings.TrimSpace(secret) == "" {
		return nil
	}
	forms := []string{
		secret,
		strings.Trim(strconv.Quote(secret), `"`),
		url.QueryEscape(secret),
		url.PathEscape(secret),
		strings.ReplaceAll(secret, "/", `\/`), // JSON's escaped slash
	}
	// A webhook URL's secret is its path: an error may show the URL
	// rebuilt (another scheme, a port, a redirect) around the same path.
	if u, err := url.Parse(secret); err == nil && u.Host != "" && len(strings.Trim(u.Path, "/")) > 0 {
		forms = append(forms, u.EscapedPath(), u.Path)
		if u.RawQuery != "" {
			forms = append(forms, u.RawQuery)
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range forms {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}
