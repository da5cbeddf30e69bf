package app

import (
	"slices"
	"testing"
)

func TestNormalizeArgsMovesFlagsBeforePositionals(t *testing.T) {
	a := newApp(Env{}, nil, nil)
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"flags after the target, kubectl style",
			[]string{"rollgate", "check", "deployment/api", "-n", "shop", "--dry-run"},
			[]string{"rollgate", "check", "-n", "shop", "--dry-run", "deployment/api"}},
		{"global flags before the command",
			[]string{"rollgate", "-n", "shop", "check", "deployment/api"},
			[]string{"rollgate", "check", "-n", "shop", "deployment/api"}},
		{"a bool flag does not swallow the target",
			[]string{"rollgate", "check", "--dry-run", "deployment/api"},
			[]string{"rollgate", "check", "--dry-run", "deployment/api"}},
		{"flag=value stays one argument",
			[]string{"rollgate", "check", "deployment/api", "--timeout=5m"},
			[]string{"rollgate", "check", "--timeout=5m", "deployment/api"}},
		{"everything after -- is positional",
			[]string{"rollgate", "check", "--", "-n"},
			[]string{"rollgate", "check", "--", "-n"}},
		{"a namespace called like a command is a flag value",
			[]string{"rollgate", "check", "-n", "check", "deployment/api"},
			[]string{"rollgate", "check", "-n", "check", "deployment/api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := normalizeArgs(tt.in, a); err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("normalizeArgs(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}
