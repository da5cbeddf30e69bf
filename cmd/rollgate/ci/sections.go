package ci

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Sections folds a CI log into one collapsible section per phase: a group
// on GitHub Actions, a section on GitLab CI. A nil *Sections does nothing.
type Sections struct {
	w      io.Writer
	gitlab bool
	open   string // the open section's name, "" when none
	phase  string
	n      int
}

// NewSections returns the folding for the CI system rollgate runs in, or
// nil outside GitHub Actions and GitLab CI.
func NewSections(w io.Writer, getenv func(string) string) *Sections {
	switch {
	case OnGitHub(getenv):
		return &Sections{w: w}
	case getenv("GITLAB_CI") == "true":
		return &Sections{w: w, gitlab: true}
	}
	return nil
}

// Enter is called before each log line of a phase: when the phase changes,
// the open section is closed and a new one opened.
func (s *Sections) Enter(phase string, at time.Time) {
	if s == nil || (s.open != "" && phase == s.phase) {
		return
	}
	s.Close(at)
	s.n++
	s.phase = phase
	header := "rollgate " + phase
	if !s.gitlab {
		s.open = phase
		fmt.Fprintf(s.w, "::group::%s\n", header)
		return
	}
	// Section names must be unique in a job log and use [a-z0-9_.-] only.
	s.open = fmt.Sprintf("rollgate_%d_%s", s.n, sectionName(phase))
	fmt.Fprintf(s.w, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s\n", at.Unix(), s.open, header)
}

// Close ends the open section, if any; the verdict is printed after it so
// it stays visible.
func (s *Sections) Close(at time.Time) {
	if s == nil || s.open == "" {
		return
	}
	if s.gitlab {
		fmt.Fprintf(s.w, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", at.Unix(), s.open)
	} else {
		fmt.Fprintln(s.w, "::endgroup::")
	}
	s.open = ""
}

func sectionName(phase string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, phase)
}
