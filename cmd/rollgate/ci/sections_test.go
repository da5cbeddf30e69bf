package ci

import (
	"bytes"
	"testing"

	"github.com/rollgate/rollgate/test/reports"
)

func TestSections(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"GitHub Actions gets one group per phase, closed before the verdict", map[string]string{"GITHUB_ACTIONS": "true"},
			"::group::rollgate resolve\n.\n::endgroup::\n::group::rollgate readiness\n.\n.\n::endgroup::\n"},
		{"GitLab CI gets collapsed sections with unique names and unix times", map[string]string{"GITLAB_CI": "true"},
			"\x1b[0Ksection_start:1795773600:rollgate_1_resolve[collapsed=true]\r\x1b[0Krollgate resolve\n.\n" +
				"\x1b[0Ksection_end:1795773601:rollgate_1_resolve\r\x1b[0K\n" +
				"\x1b[0Ksection_start:1795773601:rollgate_2_readiness[collapsed=true]\r\x1b[0Krollgate readiness\n.\n.\n" +
				"\x1b[0Ksection_end:1795773602:rollgate_2_readiness\r\x1b[0K\n"},
		{"a terminal gets no markers", map[string]string{"CI": "true"}, ".\n.\n.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			s := NewSections(&b, runner(tt.env))
			for i, phase := range []string{"resolve", "readiness", "readiness"} {
				s.Enter(phase, reports.At(i))
				b.WriteString(".\n")
			}
			s.Close(reports.At(2))
			s.Close(reports.At(3)) // closing twice is harmless
			if b.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}
