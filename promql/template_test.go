package promql

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	v := Vars{Namespace: "shop", CanaryPods: "api-5d8-[a-z0-9]+", User: map[string]string{"job": "api", "Namespace": "ignored"}}
	tests := []struct {
		name, query, want, err string
	}{
		{"built-in and user variables", `rate(x{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}",job="{{.job}}"}[1m])`,
			`rate(x{namespace="shop",pod=~"api-5d8-[a-z0-9]+",job="api"}[1m])`, ""},
		{"a user variable cannot shadow a built-in", `{{.Namespace}}`, "shop", ""},
		{"an unknown variable is an error naming it", `x{job="{{.jobb}}"}`, "", `map has no entry for key "jobb"`},
		{"a broken template is an error", `x{job="{{.job"}`, "", "template:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.query, v)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPodRegexMatchesOnlyThatReplicaSet(t *testing.T) {
	if got := PodRegex("api-5d8f7c9b4"); got != "api-5d8f7c9b4-[a-z0-9]+" {
		t.Errorf("PodRegex = %q", got)
	}
	if got := PodRegex(""); got != "^$" {
		t.Errorf("PodRegex of no ReplicaSet = %q, want a regex matching nothing", got)
	}
}
