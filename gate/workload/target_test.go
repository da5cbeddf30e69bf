package workload

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantErr string
	}{
		{"deployment/api", Target{Kind: KindDeployment, Name: "api"}, ""},
		{"deploy/api", Target{Kind: KindDeployment, Name: "api"}, ""},
		{"deployments.apps/api", Target{Kind: KindDeployment, Name: "api"}, ""},
		{"rollout/web", Target{Kind: KindRollout, Name: "web"}, ""},
		{"rollouts.argoproj.io/web", Target{Kind: KindRollout, Name: "web"}, ""},
		{"Deployment/api", Target{Kind: KindDeployment, Name: "api"}, ""},
		{"api", Target{}, "want KIND/NAME"},
		{"statefulset/db", Target{}, `unknown kind "statefulset"`},
		{"deployment/", Target{}, "want KIND/NAME"},
		{"deployment/API", Target{}, "is not a valid name: use lowercase letters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
