// Command rollgate decides whether a Kubernetes rollout may stand.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rollgate/rollgate/cmd/rollgate/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels the gate, which then applies onCancel and
	// writes its reports; a second one kills the process at once.
	go func() { <-ctx.Done(); stop() }()
	code := app.Run(ctx, os.Args, os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
