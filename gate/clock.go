package gate

import (
	"context"
	"errors"
	"fmt"
)

// ErrTimeout is returned (wrapped) when the gate's own clock runs out.
var ErrTimeout = errors.New("timed out")

// ctxError explains why the context ended: the gate's clock ran out (a
// failed rollout) or rollgate was cancelled.
func ctxError(ctx context.Context, missing string) error {
	if errors.Is(context.Cause(ctx), ErrTimeout) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Code: ExitFailed, Err: fmt.Errorf("%w: %s", context.Cause(ctx), missing)}
	}
	return Errorf(ExitCancelled, "cancelled: %s", missing)
}
