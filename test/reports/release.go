package reports

import (
	"strings"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/workload"
)

// The releases every renderer of a release is tested against: three
// Deployments of shop (api, web, worker) gated by one run.

// Retarget makes r a report of deployment/name: its target, and the
// name in its texts.
func Retarget(r *gate.Report, name string) *gate.Report {
	old := r.Target.Name
	r.Target.Name = name
	r.Reason = strings.ReplaceAll(r.Reason, "/"+old, "/"+name)
	if r.Action != nil {
		r.Action.Message = strings.ReplaceAll(r.Action.Message, old+"-", name+"-")
		cmds := make([]string, len(r.Action.Commands)) // HoldCommands is shared: never edit it in place
		for i, c := range r.Action.Commands {
			cmds[i] = strings.ReplaceAll(c, "/"+old, "/"+name)
		}
		r.Action.Commands = cmds
	}
	return r
}

func release(policy gate.ReleasePolicy, decision string, code int, reason string, targets ...*gate.Report) *gate.ReleaseReport {
	return &gate.ReleaseReport{Command: "run", Policy: policy, Decision: decision, ExitCode: code, Reason: reason,
		StartedAt: T0, FinishedAt: targets[0].FinishedAt, Targets: targets}
}

// apiFailed is why the atomic release failed.
const apiFailed = "deployment/api failed (deployment shop/api revision 3 failed: pod api-5d8f9c-x2x7q container api: CrashLoopBackOff (exit code 1), 4 restarts)"

// ReleaseAtomic is an atomic release whose api crash-looped: api rolled
// back on its own verdict, web (whose analysis had passed) with it, and
// worker, not pinned yet when api failed, left as it was.
func ReleaseAtomic() *gate.ReleaseReport {
	web := Retarget(Promoted(), "web")
	web.Decision, web.ExitCode, web.DecidedBy = gate.DecisionRolledBack, 1, ""
	web.Reason, web.ReleaseCause = "the release is atomic and "+apiFailed, apiFailed
	web.Action = &gate.ActionResult{Action: workload.ActionRollback, Applied: true, Message: "rolled back to revision 2 (web-7c6b5)"}
	worker := Retarget(Finished(gate.DecisionHeld, ""), "worker")
	worker.ExitCode, worker.Pin = 3, nil
	worker.Reason = "the atomic release failed (" + apiFailed + ") before this target's revision was pinned: nothing of it to roll back"
	worker.ReleaseCause = apiFailed
	api := ReadinessFailure()
	api.ExitCode = 1
	return release(gate.ReleaseAtomic, gate.DecisionRolledBack, 1,
		"3 target(s), atomic release: deployment/api rolled-back; rolled-back with it: deployment/web", api, web, worker)
}

// ReleaseIndependent is an independent release in which each target
// went its own way: api rolled back, web promoted, worker held.
func ReleaseIndependent() *gate.ReleaseReport {
	api := RolledBack()
	api.ExitCode = 1
	worker := Retarget(HeldWithCommands(), "worker")
	worker.ExitCode = 3
	return release(gate.ReleaseIndependent, gate.DecisionRolledBack, 1, "3 target(s), independent release: rolled-back deployment/api",
		api, Retarget(Promoted(), "web"), worker)
}

// ReleasePromoted is an atomic release that passed everywhere.
func ReleasePromoted() *gate.ReleaseReport {
	return release(gate.ReleaseAtomic, gate.DecisionPromoted, 0, "3 target(s), atomic release: all passed",
		Promoted(), Retarget(Promoted(), "web"), Retarget(Promoted(), "worker"))
}

// ReleaseFixtures are the releases with the names of their golden files.
var ReleaseFixtures = []struct {
	Name    string
	Release func() *gate.ReleaseReport
}{
	{"release-atomic", ReleaseAtomic},
	{"release-independent", ReleaseIndependent},
	{"release-promoted", ReleasePromoted},
}

// ReleaseStarted is the atomic release's three targets as they start.
func ReleaseStarted() *gate.ReleaseReport {
	return &gate.ReleaseReport{Command: "run", Policy: gate.ReleaseAtomic, StartedAt: T0,
		Targets: []*gate.Report{Started(), Retarget(Started(), "web"), Retarget(Started(), "worker")}}
}

// ReleaseAnalysing is the release under way: api under analysis, web
// waiting for its pods, worker not started yet.
func ReleaseAnalysing() *gate.ReleaseReport {
	rel := ReleaseStarted()
	rel.Targets[0] = Analysing()
	rel.Targets[1].Timeline = append(rel.Targets[1].Timeline, gate.Event{At: At(20), Phase: "readiness", Message: "1 of 3 updated replicas are available"})
	rel.Targets[2].Timeline = nil
	return rel
}
