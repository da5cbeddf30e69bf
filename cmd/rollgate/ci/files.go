package ci

import (
	"errors"
	"fmt"
	"os"

	"github.com/rollgate/rollgate/gate"
)

// Files are the artefacts asked for on the command line (--junit, --dotenv,
// --summary); an empty path skips one.
type Files struct {
	JUnit, Dotenv, Summary string
}

// Write renders the report into each requested file. Every failure is
// returned, each naming its file, and does not stop the other files.
func (f Files) Write(rep *gate.Report) error {
	return f.write(func() ([]byte, error) { return JUnit(rep) }, func() []byte { return Dotenv(rep) }, func() string { return Summary(rep) })
}

// WriteRelease renders a release into each requested file, as Write.
func (f Files) WriteRelease(rep *gate.ReleaseReport) error {
	return f.write(func() ([]byte, error) { return ReleaseJUnit(rep) }, func() []byte { return ReleaseDotenv(rep) },
		func() string { return ReleaseSummary(rep) })
}

func (f Files) write(junit func() ([]byte, error), dotenv func() []byte, summary func() string) error {
	var errs []error
	write := func(flag, path string, render func() ([]byte, error)) {
		if path == "" {
			return
		}
		data, err := render()
		if err == nil {
			err = os.WriteFile(path, data, 0o644)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s %s: %w", flag, path, err))
		}
	}
	write("junit", f.JUnit, junit)
	write("dotenv", f.Dotenv, func() ([]byte, error) { return dotenv(), nil })
	write("summary", f.Summary, func() ([]byte, error) { return []byte(summary()), nil })
	return errors.Join(errs...)
}
