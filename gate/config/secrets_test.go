package config

import (
	"strings"
	"testing"
)

func TestASecretWhereItsVariablesNameBelongsIsNamedNeverShown(t *testing.T) {
	tests := []struct {
		name, value, looks string
	}{
		{"a Slack bot token", "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "a Slack token"},
		{"a webhook URL", "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX", "a URL"},
		{"a JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl", "a JSON Web Token"},
		{"a bearer header value", "Bearer abc.def", "an Authorization header value"},
		{"a GitHub token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "a GitHub token"},
		{"a long random string", "q8Z2mV4tR7yK1pL9sX3nB6wD0cF5hJ2g", "a long random string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps Problems
			envVar(&ps, "analysis.prometheus.bearerTokenEnv", tt.value)
			if len(ps) != 1 || !strings.Contains(ps[0].Msg, tt.looks) || strings.Contains(ps.Error(), tt.value) {
				t.Errorf("problems %v; want one saying it looks like %s, without the value", ps, tt.looks)
			}
		})
	}
}

func TestRealVariableNamesAreNotMistakenForSecrets(t *testing.T) {
	for _, name := range []string{"PROM_TOKEN", "SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "GRAFANA_CLOUD_API_KEY_2", "prom_password"} {
		var ps Problems
		envVar(&ps, "x", name)
		if len(ps) != 0 {
			t.Errorf("%s: %v", name, ps)
		}
	}
}

func TestALiteralCredentialHeaderIsRefused(t *testing.T) {
	for name, value := range map[string]string{"Authorization": "Bearer t0k3n", "X-Api-Key": "q8Z2mV4tR7yK1pL9sX3nB6wD0cF5hJ2g"} {
		var ps Problems
		literalHeader(&ps, "analysis.prometheus.headers."+name, name, value)
		if len(ps) != 1 || strings.Contains(ps.Error(), value) {
			t.Errorf("%s: %v; want one problem without the value", name, ps)
		}
	}
	var ps Problems
	literalHeader(&ps, "analysis.prometheus.headers.X-Scope-OrgID", "X-Scope-OrgID", "team-a")
	if len(ps) != 0 {
		t.Errorf("a tenant header is not a credential: %v", ps)
	}
}
