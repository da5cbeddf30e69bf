package ci

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/rollgate/rollgate/gate"
)

// ReleaseGitHubOutputs are the step outputs of a release besides the
// per-target ones (ReleaseOutputs): decision, exit-code and report as
// for one target, the targets space-separated, and decisions, a JSON
// object from target to decision (fromJSON(steps.gate.outputs.decisions)).
var ReleaseGitHubOutputs = []string{"decision", "exit-code", "report", "targets", "decisions"}

// AnnotateRelease emits the release's annotations, most important first.
func (g *GitHub) AnnotateRelease(rep *gate.ReleaseReport) {
	if g == nil {
		return
	}
	g.annotate(ReleaseAnnotations(rep))
}

// PublishRelease writes a release's step outputs (ReleaseOutputs) and
// appends its summary to the step summary.
func (g *GitHub) PublishRelease(rep *gate.ReleaseReport, reportPath string) error {
	if g == nil {
		return nil
	}
	return g.publish(func() error { return g.set(ReleaseOutputs(rep, reportPath)) }, func() string { return ReleaseSummary(rep) })
}

// ReleaseOutputs are a release's step outputs, in order: those of
// ReleaseGitHubOutputs, then <kind>-<name>-decision per target (the
// dotenv key, lower-cased with dashes: deployment-api-decision), for a
// workflow that runs rollgate in its own step.
func ReleaseOutputs(rep *gate.ReleaseReport, reportPath string) ([]string, map[string]string) {
	_, oneNS := sharedNamespace(rep)
	keys := append([]string(nil), ReleaseGitHubOutputs...)
	decisions := map[string]string{}
	var names []string
	values := map[string]string{"decision": rep.Decision, "exit-code": strconv.Itoa(rep.ExitCode), "report": reportPath}
	for _, t := range rep.Targets {
		name := t.Target.String()
		if !oneNS {
			name = TargetName(t)
		}
		names = append(names, name)
		decisions[name] = t.Decision
		k := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(DotenvTargetKey(t, !oneNS), "ROLLGATE_")), "_", "-")
		if _, dup := values[k]; !dup {
			keys = append(keys, k)
			values[k] = t.Decision
		}
	}
	js, _ := json.Marshal(decisions) // a map of strings always marshals
	values["targets"], values["decisions"] = strings.Join(names, " "), string(js)
	return keys, values
}
