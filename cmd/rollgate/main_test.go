package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/rollgate/rollgate/cmd/rollgate/app"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"rollgate": func() {
			os.Exit(app.Run(context.Background(), os.Args, os.Environ(), os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the command-line contract scripts in testdata/script:
// usage errors, exit codes, and flag > env > file > default precedence.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			// No ambient kube config or rollgate settings leak into the scripts.
			e.Setenv("HOME", e.WorkDir)
			e.Setenv("KUBECONFIG", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exits": exits},
	})
}

// exits N CMD ARGS... runs CMD and fails unless it exits with status N:
// the exit code is the CI contract, so scripts assert it exactly.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not an exit code", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
