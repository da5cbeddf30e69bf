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
	code := app.Run(ctx, os.Args, os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
