package config

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// credentialShapes are the values that look like a credential, by what
// they look like. A secret pasted where the name of its variable belongs
// is refused with what it looks like, never with the value (it would land
// in the CI log).
var credentialShapes = []struct {
	what string
	re   *regexp.Regexp
}{
	{"a Slack token", regexp.MustCompile(`^xox[abposr]-`)},
	{"a Slack app token", regexp.MustCompile(`^xapp-`)},
	{"a GitHub token", regexp.MustCompile(`^(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|^github_pat_`)},
	{"a GitLab token", regexp.MustCompile(`^glpat-`)},
	{"an AWS access key", regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$`)},
	{"a JSON Web Token", regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.`)},
	{"a URL (a webhook URL is a secret)", regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://`)},
	{"an Authorization header value", regexp.MustCompile(`(?i)^(bearer|basic|token)\s+\S`)},
	{"a private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
}

// credentialLike says what v looks like when it looks like a credential:
// one of the shapes above, or a long random string (a name of a variable
// is short, upper-case words; a token is long and mixed).
func credentialLike(v string) (string, bool) {
	v = strings.TrimSpace(v)
	for _, s := range credentialShapes {
		if s.re.MatchString(v) {
			return s.what, true
		}
	}
	if len(v) >= 24 && mixed(v) && entropy(v) >= 3.5 {
		return "a long random string (a token or a password)", true
	}
	return "", false
}

// mixed: lower- and upper-case letters and digits together, as in a token.
func mixed(v string) bool {
	var lower, upper, digit bool
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return digit && (lower || upper) && !(upper && !lower && strings.Contains(v, "_"))
}

// entropy is the Shannon entropy of v in bits per character.
func entropy(v string) float64 {
	counts := map[rune]float64{}
	for _, r := range v {
		counts[r]++
	}
	n := float64(len([]rune(v)))
	h := 0.0
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	return h
}

// LooksLikeCredential is credentialLike for the CLI, which must tell a
// variable's name from a secret pasted in its place.
func LooksLikeCredential(v string) bool {
	_, ok := credentialLike(v)
	return ok
}

// envVar checks a field that names an environment variable holding a
// secret; the value is never repeated when it looks like the secret itself.
func envVar(ps *Problems, path, name string) {
	if name == "" {
		return
	}
	if what, ok := credentialLike(name); ok {
		ps.add(path, "looks like %s, not the name of an environment variable: put the secret in a variable (e.g. export %s=...) and name the variable here; the value is not shown", what, exampleVar(path))
		return
	}
	if !envName.MatchString(name) {
		ps.add(path, "must name an environment variable (letters, digits and '_', not starting with a digit), not %q: the secret itself never goes in the file", name)
	}
}

// quoteUnlessSecret quotes v for a message, unless it looks like a
// credential (a token pasted in the wrong place): then it says so instead.
func quoteUnlessSecret(v string) string {
	if what, ok := credentialLike(v); ok && !strings.HasPrefix(what, "a URL") {
		return "a value that looks like " + what + " (not shown)"
	}
	return fmt.Sprintf("%q", v)
}

// exampleVar is the variable a fix suggests for the field at path.
func exampleVar(path string) string {
	for suffix, name := range map[string]string{"slack.tokenEnv": "SLACK_BOT_TOKEN", "slack.webhookEnv": "SLACK_WEBHOOK_URL",
		"usernameEnv": "PROM_USER", "passwordEnv": "PROM_PASSWORD", "_ref": "PROM_SECRET"} {
		if strings.HasSuffix(path, suffix) {
			return name
		}
	}
	return "PROM_TOKEN"
}

// literalHeader refuses a header whose value is a credential written in the
// gate file (or given as a flag): it would sit in the repository and the
// logs. Credentials come from the environment (bearerTokenEnv, basicAuth).
func literalHeader(ps *Problems, path, name, value string) {
	if strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization") {
		ps.add(path, "a credential written in the gate file: use bearerTokenEnv, basicAuth or headersFromEnv (values from the environment) or http.authorization.credentials_file; the value is not shown")
		return
	}
	if what, ok := credentialLike(value); ok && !strings.Contains(what, "URL") {
		ps.add(path, "looks like %s written in the gate file: credentials come from the environment or a file (bearerTokenEnv, basicAuth, headersFromEnv, http.authorization.credentials_file); the value is not shown", what)
	}
}
