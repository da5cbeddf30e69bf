package gate

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/lease"
	"github.com/rollgate/rollgate/gate/workload"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want ExitCode
	}{
		{"no error is a pass", nil, ExitPassed},
		{"a superseded revision exits 6", fmt.Errorf("%w: revision 4 replaced 3", workload.ErrSuperseded), ExitSuperseded},
		{"wrapping keeps the code", fmt.Errorf("run: %w", BadInput("no target")), ExitBadInput},
		{"a missing target is bad input", fmt.Errorf("get: %w", cluster.ErrNotFound), ExitBadInput},
		{"a forbidden request is a runtime error", cluster.ErrForbidden, ExitRuntime},
		{"a held lease is a runtime error", lease.ErrHeld, ExitRuntime},
		{"a cancel exits 5", fmt.Errorf("waiting: %w", ErrCancelled), ExitCancelled},
		{"an unclassified error is a runtime error, never a pass", errors.New("boom"), ExitRuntime},
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
