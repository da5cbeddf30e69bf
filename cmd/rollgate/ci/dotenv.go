package ci

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rollgate/rollgate/gate"
)

// GitLab's dotenv report is strict: under 5 KB, few variables, one line
// each, no comments, no quoting rules worth relying on. rollgate writes
// fewer than 10 variables, unquoted, well under the size limit.
const (
	DotenvLimit     = 5000 // bytes; GitLab rejects 5 KiB and more
	dotenvReasonMax = 1000 // bytes of ROLLGATE_REASON before it is cut
)

// DotenvKeys are the variables Dotenv may write, in order. None of them is
// the ROLLGATE_* variable of a flag: a later job's rollgate must not read
// them as settings.
var DotenvKeys = []string{
	"ROLLGATE_DECISION", "ROLLGATE_EXIT_CODE", "ROLLGATE_TARGET", "ROLLGATE_TARGET_NAMESPACE",
	"ROLLGATE_REVISION", "ROLLGATE_STABLE_REVISION", "ROLLGATE_ANALYSIS", "ROLLGATE_ACTION", "ROLLGATE_REASON",
}

// Dotenv renders the report's outcome as KEY=value lines for GitLab's
// artifacts:reports:dotenv (and any shell). Empty values are left out.
func Dotenv(rep *gate.Report) []byte {
	vals := map[string]string{
		"ROLLGATE_DECISION":         rep.Decision,
		"ROLLGATE_EXIT_CODE":        fmt.Sprint(rep.ExitCode),
		"ROLLGATE_TARGET":           rep.Target.String(),
		"ROLLGATE_TARGET_NAMESPACE": rep.Target.Namespace,
		"ROLLGATE_REVISION":         Revision(rep),
	}
	if p := pinOf(rep); p != nil && p.Stable != nil {
		vals["ROLLGATE_STABLE_REVISION"] = fmt.Sprint(p.Stable.Revision)
	}
	if rep.Analysis != nil {
		vals["ROLLGATE_ANALYSIS"] = string(rep.Analysis.Outcome)
	}
	if rep.Action != nil {
		vals["ROLLGATE_ACTION"] = string(rep.Action.Action)
	}
	var b strings.Builder
	for _, k := range DotenvKeys {
		if k == "ROLLGATE_REASON" {
			continue
		}
		if v := dotenvValue(vals[k], 256); v != "" {
			fmt.Fprintf(&b, "%s=%s\n", k, v)
		}
	}
	// The reason goes last and takes what room is left.
	room := min(dotenvReasonMax, DotenvLimit-b.Len()-len("ROLLGATE_REASON=\n"))
	if v := dotenvValue(rep.Reason, room); v != "" {
		fmt.Fprintf(&b, "ROLLGATE_REASON=%s\n", v)
	}
	return []byte(b.String())
}

// dotenvValue makes s safe as an unquoted single-line value of at most max
// bytes: whitespace runs (newlines included) become one space, terminal
// colours and other control characters go, '#' (a comment to dotenv parsers) becomes a full-width
// ＃, and a leading quote, which would make the parser look for its twin,
// is dropped.
func dotenvValue(s string, max int) string {
	s = ansi.ReplaceAllString(s, "")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r):
			continue
		case r == '#':
			r = '＃'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	v := strings.TrimLeft(b.String(), `"'`+"`")
	return cut(v, max)
}

// ansi matches terminal escape sequences (colours in a container's logs).
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// cut shortens s to at most max bytes on a rune boundary, marking the cut
// with an ellipsis.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	if max < len(mark) {
		return ""
	}
	end := max - len(mark)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + mark
}
