package config

import (
	"net/url"
	"strings"
)

// EnvVar is an environment variable the configuration names: rollgate
// reads a secret (or, for an http *_ref, a setting) from it.
type EnvVar struct {
	Path string // the field that names it: analysis.prometheus.bearerTokenEnv
	Name string // the variable: PROM_TOKEN
	What string // what it holds, for the fix: "the Prometheus bearer token"
}

// Uses are the parts of the configuration a command reads: run reads
// Prometheus (when there are checks) and Slack, analyze only Prometheus,
// the manual actions only Slack, check neither.
type Uses struct{ Prometheus, Slack bool }

// EnvVars are the variables the parts used read, in file order.
func (c *Config) EnvVars(u Uses) []EnvVar {
	var out []EnvVar
	add := func(path, name, what string) {
		if name != "" {
			out = append(out, EnvVar{Path: path, Name: name, What: what})
		}
	}
	if pr := c.Analysis.Prometheus; u.Prometheus && c.hasChecks() {
		add(pp+".bearerTokenEnv", pr.BearerTokenEnv, "the Prometheus bearer token")
		if b := pr.BasicAuth; b != nil {
			add(pp+".basicAuth.usernameEnv", b.UsernameEnv, "the Prometheus user name")
			add(pp+".basicAuth.passwordEnv", b.PasswordEnv, "the Prometheus password")
		}
		for _, k := range sortedKeys(pr.HeadersFromEnv) {
			add(pp+".headersFromEnv."+k, pr.HeadersFromEnv[k], "the value of the "+k+" header")
		}
		if h := pr.HTTP; h != nil {
			for _, r := range h.refs() {
				add(pp+".http."+r.path, r.value, "what "+r.path+" names")
			}
		}
	}
	if s := c.Notify.Slack; u.Slack && s != nil {
		add("notify.slack.tokenEnv", s.TokenEnv, "the Slack bot token, xoxb-...")
		add("notify.slack.webhookEnv", s.WebhookEnv, "the Slack incoming-webhook URL")
	}
	return out
}

// CheckEnv says, before anything is contacted, which variable the parts
// used read is not set (lookup counts "" as unset), each with the fix; and
// that the Slack webhook variable holds a URL. No message holds a value.
func (c *Config) CheckEnv(lookup func(string) (string, bool), u Uses) Problems {
	var ps Problems
	for _, v := range c.EnvVars(u) {
		val, ok := lookup(v.Name)
		if !ok || strings.TrimSpace(val) == "" {
			ps.add(v.Path, "names the variable %s, which is not set: export %s (%s) in the job, or set %s to the variable that holds it",
				v.Name, v.Name, v.What, v.Path)
			continue
		}
		if v.Path == "notify.slack.webhookEnv" {
			if u, err := url.Parse(strings.TrimSpace(val)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				ps.add(v.Path, "names the variable %s, which does not hold an http(s) URL: export %s=https://hooks.slack.com/services/... (the value is not shown)", v.Name, v.Name)
			}
		}
	}
	return ps.at(c.lines)
}

// hasChecks says whether any check queries Prometheus: the analysis's, or
// one target's own (a release's targets: list).
func (c *Config) hasChecks() bool {
	if len(c.Analysis.Checks) > 0 {
		return true
	}
	for _, t := range c.Targets {
		if t.Analysis != nil && len(t.Analysis.Checks) > 0 {
			return true
		}
	}
	return false
}
