package gate

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want ExitCode
	}{
		{"no error is a pass", nil, ExitPassed},
		{"a coded error keeps its code", Errorf(ExitSuperseded, "revision 4 replaced 3"), ExitSuperseded},
		{"wrapping keeps the code", fmt.Errorf("run: %w", Errorf(ExitBadInput, "no target")), ExitBadInput},
		{"an unclassified error is a runtime error, never a pass", errors.New("boom"), ExitRuntime},
		{"WithCode does not overwrite an existing code", WithCode(ExitRuntime, Errorf(ExitFailed, "doomed")), ExitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CodeOf(tt.err); got != tt.want {
				t.Errorf("CodeOf = %d (%s), want %d (%s)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestExitCodesMatchTheSpec(t *testing.T) {
	spec := map[ExitCode]int{ExitPassed: 0, ExitFailed: 1, ExitBadInput: 2, ExitHeld: 3, ExitRuntime: 4, ExitCancelled: 5, ExitSuperseded: 6}
	for c, n := range spec {
		if int(c) != n {
			t.Errorf("%s = %d, SPEC section 2 says %d", c, int(c), n)
		}
	}
}
