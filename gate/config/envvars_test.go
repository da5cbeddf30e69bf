package config

import (
	"fmt"
	"strings"
	"testing"
)

const envGate = `apiVersion: rollgate.dev/v1alpha1
kind: Gate
analysis:
  prometheus:
    url: http://prometheus:9090
    basicAuth: {usernameEnv: PROM_USER, passwordEnv: PROM_PASSWORD}
  checks:
  - {name: errors, query: vector(0), max: 1}
notify:
  slack: {channel: "#deploys", tokenEnv: SLACK_BOT_TOKEN, webhookEnv: SLACK_WEBHOOK_URL}
`

func TestEveryVariableACommandReadsIsCheckedSetWithTheFix(t *testing.T) {
	all := map[string]string{"PROM_USER": "reader", "PROM_PASSWORD": "pw", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_WEBHOOK_URL": "https://hooks.example/T0"}
	tests := []struct {
		name  string
		uses  Uses
		unset string
		want  string // "" when no problem is expected
	}{
		{"an unset password is named with its field and line", Uses{Prometheus: true}, "PROM_PASSWORD",
			"6: analysis.prometheus.basicAuth.passwordEnv: names the variable PROM_PASSWORD, which is not set: export PROM_PASSWORD"},
		{"an unset Slack token is named for a command that notifies", Uses{Slack: true}, "SLACK_BOT_TOKEN",
			"notify.slack.tokenEnv: names the variable SLACK_BOT_TOKEN, which is not set: export SLACK_BOT_TOKEN"},
		{"Slack's variables do not matter to a command that does not notify", Uses{Prometheus: true}, "SLACK_BOT_TOKEN", ""},
		{"Prometheus' variables do not matter to a command without metrics", Uses{Slack: true}, "PROM_USER", ""},
		{"a webhook variable holding no URL is refused without its value", Uses{Slack: true}, "", "does not hold an http(s) URL"},
		{"a release target's own checks read Prometheus' variables too", Uses{Prometheus: true}, "PROM_PASSWORD", "passwordEnv: names the variable PROM_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := envGate
			if strings.Contains(tt.name, "release") {
				gate = strings.Replace(envGate, "  checks:\n  - {name: errors, query: vector(0), max: 1}\n", "", 1) +
					"targets:\n- name: api\n  analysis:\n    checks:\n    - {name: errors, query: vector(0), max: 1}\n"
			}
			cfg, err := Parse([]byte(gate))
			if err != nil {
				t.Fatal(err)
			}
			lookup := func(n string) (string, bool) {
				if n == tt.unset {
					return "", false
				}
				if tt.unset == "" && n == "SLACK_WEBHOOK_URL" {
					return "not-a-url-s3cret", true
				}
				v, ok := all[n]
				return v, ok
			}
			ps := cfg.CheckEnv(lookup, tt.uses)
			var lines []string
			for _, p := range ps {
				lines = append(lines, fmt.Sprintf("%d: %s", p.Line, p))
			}
			got := strings.Join(lines, "\n")
			switch {
			case tt.want == "" && len(ps) > 0:
				t.Errorf("want no problem, got\n%s", got)
			case tt.want != "" && (len(ps) != 1 || !strings.Contains(got, tt.want)):
				t.Errorf("want one problem containing %q, got\n%s", tt.want, got)
			case strings.Contains(got, "s3cret"):
				t.Errorf("a problem shows the variable's value:\n%s", got)
			}
		})
	}
}
