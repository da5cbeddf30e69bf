package ci

import (
	"fmt"
	"strings"

	"github.com/rollgate/rollgate/gate"
)

// DotenvMaxVariables is GitLab.com's limit on a dotenv report's variables
// (GitLab rejects the whole report beyond it).
const DotenvMaxVariables = 20

// ReleaseDotenvKeys are the release's own variables, in order; a line per
// target (DotenvTargetKey) comes between them and ROLLGATE_REASON.
var ReleaseDotenvKeys = []string{"ROLLGATE_DECISION", "ROLLGATE_EXIT_CODE", "ROLLGATE_RELEASE", "ROLLGATE_TARGETS", "ROLLGATE_TARGET_NAMESPACE", "ROLLGATE_REASON"}

// ReleaseDotenv renders a release's outcome for GitLab's dotenv report:
// the release's decision, exit code, policy and targets (space-separated;
// ROLLGATE_TARGET_NAMESPACE when they share one namespace, otherwise each
// is namespace/kind/name), then ROLLGATE_<KIND>_<NAME>_DECISION per target
// (see DotenvTargetKey) for as many targets as GitLab's 20 variables
// leave room for, then the reason.
func ReleaseDotenv(rep *gate.ReleaseReport) []byte {
	ns, oneNS := sharedNamespace(rep)
	names := make([]string, len(rep.Targets))
	for i, t := range rep.Targets {
		names[i] = t.Target.String()
		if !oneNS {
			names[i] = TargetName(t)
		}
	}
	var b strings.Builder
	n := 0
	line := func(k, v string, max int) {
		if v = dotenvValue(v, max); v != "" {
			fmt.Fprintf(&b, "%s=%s\n", k, v)
			n++
		}
	}
	line("ROLLGATE_DECISION", rep.Decision, 256)
	line("ROLLGATE_EXIT_CODE", fmt.Sprint(rep.ExitCode), 256)
	line("ROLLGATE_RELEASE", string(rep.Policy), 256)
	line("ROLLGATE_TARGETS", strings.Join(names, " "), 1500)
	if oneNS {
		line("ROLLGATE_TARGET_NAMESPACE", ns, 256)
	}
	seen := map[string]bool{}
	for _, t := range rep.Targets {
		k := DotenvTargetKey(t, !oneNS)
		if seen[k] || n >= DotenvMaxVariables-1 || b.Len()+len(k)+len(t.Decision)+2 > DotenvLimit-200 {
			continue // the reason keeps its line and some room
		}
		seen[k] = true
		line(k, t.Decision, 64)
	}
	room := min(dotenvReasonMax, DotenvLimit-b.Len()-len("ROLLGATE_REASON=\n"))
	line("ROLLGATE_REASON", rep.Reason, room)
	return []byte(b.String())
}

// DotenvTargetKey is the variable of one target's decision:
// ROLLGATE_DEPLOYMENT_API_DECISION for deployment/api, the name
// upper-cased and every character but A-Z and 0-9 an underscore; with
// namespace, ROLLGATE_SHOP_DEPLOYMENT_API_DECISION. Two names that differ
// only there (api-v2, api.v2) share a key: the first target keeps it.
func DotenvTargetKey(t *gate.Report, namespace bool) string {
	parts := []string{string(t.Target.Kind), t.Target.Name}
	if namespace {
		parts = append([]string{t.Target.Namespace}, parts...)
	}
	return "ROLLGATE_" + envWord(strings.Join(parts, "_")) + "_DECISION"
}

func envWord(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return '_'
	}, s)
}

// sharedNamespace is the one namespace of every target, if they share one.
func sharedNamespace(rep *gate.ReleaseReport) (string, bool) {
	if len(rep.Targets) == 0 {
		return "", false
	}
	ns := rep.Targets[0].Target.Namespace
	for _, t := range rep.Targets[1:] {
		if t.Target.Namespace != ns {
			return "", false
		}
	}
	return ns, true
}
