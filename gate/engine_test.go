package gate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollgate/rollgate/gate/lease"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// The engine's sequencing against fakes: no cluster, no Prometheus.

func TestRunOnAWorkloadRollgateAlreadySettled(t *testing.T) {
	tests := []struct {
		name     string
		ann      map[string]string
		code     ExitCode
		decision string
		reason   string
	}{
		{"a verified, complete deployment is reported already promoted",
			map[string]string{workload.AnnotationVerifiedHash: newHash, workload.AnnotationVerifiedRevision: "2"},
			ExitPassed, DecisionPromoted, "already verified and promoted"},
		{"a deployment rolled back to what runs now exits 1 again",
			map[string]string{workload.AnnotationRolledBackTo: newHash, workload.AnnotationRolledBackFrom: "3"},
			ExitFailed, DecisionRolledBack, "already rolled back by rollgate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(state{updated: 3, available: 3, annotations: tt.ann})
			q := &scripted{values: []float64{0.5}}
			rep, err := engine(c, q, nil).Run(context.Background(), settings(3))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if rep.ExitCode != int(tt.code) || rep.Decision != tt.decision || rep.DecidedBy != PhaseState || !strings.Contains(rep.Reason, tt.reason) {
				t.Errorf("exit %d decision %q by %q reason %q; want exit %d %q by state, reason containing %q",
					rep.ExitCode, rep.Decision, rep.DecidedBy, rep.Reason, tt.code, tt.decision, tt.reason)
			}
			if rep.Action == nil || rep.Action.Applied {
				t.Errorf("action %+v, want one recorded as not applied", rep.Action)
			}
			if w := writes(c, ""); len(w) != 0 {
				t.Errorf("a rerun wrote to the cluster (no patch, no lease expected): %s", describe(w))
			}
			if q.count() != 0 {
				t.Errorf("Prometheus asked %d times on a settled workload", q.count())
			}
		})
	}
}

// A second job gating the same generation is a duplicate: refused at once,
// without waiting for the lease (lease_test.go covers the waits).
func TestRunRefusesATargetLockedByAnotherGate(t *testing.T) {
	now := metav1.NewMicroTime(time.Now())
	held := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "rollgate-deployment-" + name, Namespace: ns},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: new("pipeline-other-7 [generation 4]"), LeaseDurationSeconds: new(int32(30)),
			AcquireTime: &now, RenewTime: &now},
	}
	if got := lease.Name(workload.Target{Kind: workload.KindDeployment, Name: name}); got != held.Name {
		t.Fatalf("lease.Name = %q, the test holds %q", got, held.Name)
	}
	c := newCluster(complete, held)
	rep, err := engine(c, &scripted{values: []float64{0.001}}, nil).Run(context.Background(), settings(3))
	if !errors.Is(err, lease.ErrHeld) || CodeOf(err) != ExitRuntime || !strings.Contains(err.Error(), "pipeline-other-7") {
		t.Fatalf("Run error %v (exit %d); want lease.ErrHeld, exit 4, naming the holder", err, CodeOf(err))
	}
	if rep.ExitCode != int(ExitRuntime) || rep.Decision != "error" {
		t.Errorf("report exit %d decision %q; want 4 error", rep.ExitCode, rep.Decision)
	}
	if w := writes(c, ""); len(w) != 0 {
		t.Errorf("a refused gate wrote %s", describe(w))
	}
}

func TestRunPromotesAPassingRevision(t *testing.T) {
	c := newCluster(complete)
	q := &scripted{values: []float64{0.001, 0.002, 0.001}}
	rep, err := engine(c, q, nil).Run(context.Background(), settings(3))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.ExitCode != int(ExitPassed) || rep.Decision != DecisionPromoted || rep.DecidedBy != PhaseAnalysis {
		t.Errorf("exit %d decision %q by %q (%s); want 0 promoted by analysis", rep.ExitCode, rep.Decision, rep.DecidedBy, rep.Reason)
	}
	if q.count() != 3 || rep.Analysis == nil || rep.Analysis.Checks[0].Passed != 3 {
		t.Errorf("asked %d times, analysis %+v; want 3 passed intervals", q.count(), rep.Analysis)
	}
	ps := patchesOf(c)
	if len(ps) != 1 || ps[0].GetPatchType() != types.JSONPatchType {
		t.Fatalf("patches %s; want one JSON patch recording the verified revision", describe(writes(c, "deployments")))
	}
	if ops := jsonOps(t, ps[0]); ops[0]["op"] != "test" || ops[0]["path"] != "/metadata/generation" || ops[0]["value"] != float64(4) {
		t.Errorf("first op %v; want the guard: a test of the generation judged (4)", ops[0])
	}
	d, err := c.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Annotations[workload.AnnotationVerifiedHash] != newHash || d.Annotations[workload.AnnotationVerifiedRevision] != "2" ||
		d.Annotations[workload.AnnotationVerifiedAt] == "" {
		t.Errorf("annotations after promote: %v", d.Annotations)
	}
	if rep.Action == nil || !rep.Action.Applied || rep.Action.Verify == nil || rep.Action.Verify.Verdict != readiness.Ready {
		t.Errorf("action %+v; want the promote applied and verified", rep.Action)
	}
	if l, err := c.CoordinationV1().Leases(ns).Get(context.Background(), lease.Name(rep.Target), metav1.GetOptions{}); err != nil ||
		l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != "" {
		t.Errorf("lease after the run: %+v, %v; want it released (holder cleared)", l, err)
	}
}

func TestRunRollsBackAFailingRevision(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCluster(complete)
	// The fake has no Deployment controller: the rollback patch bumps the
	// generation (newCluster's reactor) and the verify must wait until this
	// stand-in controller observes it. It does so only once the engine
	// reported waiting for exactly that, so the test shows the verify
	// really watched the rollback through instead of passing on the stale
	// status.
	release := make(chan struct{})
	var once bool
	obs := watcher{onEvent: func(e Event) {
		if e.Phase == PhaseVerify && strings.Contains(e.Message, "spec update to be observed") && !once {
			once = true
			close(release)
		}
	}}
	observeWhen(ctx, t, c, release)
	q := &scripted{values: []float64{0.5}}
	rep, err := engine(c, q, obs).Run(ctx, settings(5))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.ExitCode != int(ExitFailed) || rep.Decision != DecisionRolledBack || rep.DecidedBy != PhaseAnalysis {
		t.Errorf("exit %d decision %q by %q (%s); want 1 rolled-back by analysis", rep.ExitCode, rep.Decision, rep.DecidedBy, rep.Reason)
	}
	if q.count() != 1 {
		t.Errorf("asked %d times; failureLimit 0 must stop the analysis at the first failed interval", q.count())
	}
	ps := patchesOf(c)
	if len(ps) != 1 {
		t.Fatalf("patches %s; want the one rollback patch", describe(writes(c, "deployments")))
	}
	ops := jsonOps(t, ps[0])
	if len(ops) < 2 || ops[0]["op"] != "test" || ops[0]["path"] != "/metadata/generation" || ops[0]["value"] != float64(4) {
		t.Fatalf("ops %v; want first the guard: a test of the generation judged (4)", ops)
	}
	if ops[1]["op"] != "test" || ops[1]["path"] != "/metadata/annotations/deployment.kubernetes.io~1revision" || ops[1]["value"] != "2" {
		t.Errorf("second op %v; want a test of the revision annotation at 2", ops[1])
	}
	d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.example/api:v1" || d.Annotations[workload.AnnotationRolledBackTo] != stableHash ||
		d.Annotations[workload.AnnotationRolledBackFrom] != "2" || d.Annotations[workload.RevisionAnnotation] != "2" {
		t.Errorf("after the rollback: image %s, annotations %v", img, d.Annotations)
	}
	if rep.Action == nil || !rep.Action.Applied || rep.Action.Verify == nil || rep.Action.Verify.Verdict != readiness.Ready ||
		!strings.Contains(rep.Reason, "verified") {
		t.Errorf("action %+v reason %q; want the rollback applied and verified", rep.Action, rep.Reason)
	}
	if !once {
		t.Error("the verify never waited for the controller to observe the rollback")
	}
}

func TestRunStopsWhenANewerRevisionSupersedesTheAnalysis(t *testing.T) {
	c := newCluster(complete)
	const count = 500 // 5s of 10ms intervals: the newer revision must cut it short
	bumped := false
	obs := watcher{onMeasured: func(promql.Measurement) {
		if bumped {
			return
		}
		bumped = true
		go func() {
			d, err := c.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			d.Annotations[workload.RevisionAnnotation] = "3"
			d.Generation, d.Status.ObservedGeneration = 5, 5
			d.Spec.Template = template("registry.example/api:v3")
			if _, err := c.AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
				t.Error(err)
			}
		}()
	}}
	start := time.Now()
	rep, err := engine(c, &scripted{values: []float64{0.001}}, obs).Run(context.Background(), settings(count))
	if !errors.Is(err, workload.ErrSuperseded) || CodeOf(err) != ExitSuperseded || !strings.Contains(err.Error(), "revision 3") {
		t.Fatalf("Run error %v (exit %d); want ErrSuperseded, exit 6, naming revision 3", err, CodeOf(err))
	}
	if rep.ExitCode != int(ExitSuperseded) || rep.Decision != DecisionSuperseded || rep.Action != nil {
		t.Errorf("report exit %d decision %q action %+v; want 6 superseded, no action", rep.ExitCode, rep.Decision, rep.Action)
	}
	if rep.Analysis == nil || len(rep.Analysis.Checks[0].Measurements) >= count || time.Since(start) > 4*time.Second {
		t.Errorf("the analysis ran on after the newer revision (%s)", time.Since(start))
	}
	if ps := patchesOf(c); len(ps) != 0 {
		t.Errorf("a superseded gate patched the deployment: %s", describe(writes(c, "deployments")))
	}
}

func TestRunCancelledAppliesOnCancel(t *testing.T) {
	tests := []struct {
		name  string
		state state
		// cancelAt cancels the context at a point of the run.
		cancelAt func(cancel context.CancelFunc) Observer
		asked    func(n int) bool
	}{
		{"cancelled while waiting for readiness holds the deployment", state{updated: 1, available: 1},
			func(cancel context.CancelFunc) Observer {
				return watcher{onEvent: func(e Event) {
					if e.Phase == PhaseReadiness && strings.Contains(e.Message, "1 of 3 new replicas") {
						cancel()
					}
				}}
			}, func(n int) bool { return n == 0 }},
		{"cancelled during the analysis holds the deployment", complete,
			func(cancel context.CancelFunc) Observer {
				return watcher{onMeasured: func(promql.Measurement) { cancel() }}
			}, func(n int) bool { return n == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(tt.state)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			q := &scripted{values: []float64{0.001}}
			rep, err := engine(c, q, tt.cancelAt(cancel)).Run(ctx, settings(100))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if rep.ExitCode != int(ExitCancelled) || rep.Decision != DecisionCancelled || CodeOf(err) != ExitPassed {
				t.Errorf("exit %d decision %q (%s); want 5 cancelled", rep.ExitCode, rep.Decision, rep.Reason)
			}
			if !tt.asked(q.count()) {
				t.Errorf("Prometheus asked %d times", q.count())
			}
			ps := patchesOf(c)
			if len(ps) != 1 || ps[0].GetPatchType() != types.JSONPatchType {
				t.Fatalf("patches %s; want the one hold patch", describe(writes(c, "deployments")))
			}
			if ops := jsonOps(t, ps[0]); len(ops) != 3 || ops[0]["path"] != "/metadata/generation" || ops[2]["path"] != "/spec/paused" || ops[2]["value"] != true {
				t.Errorf("hold ops %v; want the generation test, the held-at record and spec.paused true", ops)
			}
			if rep.Action == nil || rep.Action.Action != workload.ActionHold || !rep.Action.Applied || rep.Action.Verify != nil {
				t.Errorf("action %+v; want hold applied, not verified", rep.Action)
			}
			d, _ := c.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
			if !d.Spec.Paused || d.Annotations[workload.AnnotationHeldAt] == "" {
				t.Errorf("after onCancel hold: paused %v, annotations %v; want paused with rollgate's hold recorded", d.Spec.Paused, d.Annotations)
			}
		})
	}
}

func TestDryRunDecidesAndWritesNothing(t *testing.T) {
	c := newCluster(complete)
	s := settings(3)
	s.DryRun = true
	rep, err := engine(c, &scripted{values: []float64{0.5}}, nil).Run(context.Background(), s)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.ExitCode != int(ExitFailed) || rep.Decision != DecisionRolledBack || !rep.DryRun {
		t.Errorf("exit %d decision %q (%s); want 1 rolled-back (would have)", rep.ExitCode, rep.Decision, rep.Reason)
	}
	if rep.Action == nil || rep.Action.Applied || rep.Action.Action != workload.ActionRollback || !strings.HasPrefix(rep.Action.Message, "would roll back") {
		t.Errorf("action %+v; want a rollback not applied, saying what it would do", rep.Action)
	}
	if w := writes(c, ""); len(w) != 0 {
		t.Errorf("a dry run wrote %s", describe(w))
	}
}
