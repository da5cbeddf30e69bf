package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/workload"
)

func readRelease(t testing.TB, path string) gate.ReleaseReport {
	t.Helper()
	var r gate.ReleaseReport
	mustJSON(t, readFile(t, path), &r)
	return r
}

// targetReport is the section of one target in a release report.
func targetReport(t testing.TB, rep gate.ReleaseReport, kind workload.Kind, name string) *gate.Report {
	t.Helper()
	for _, r := range rep.Targets {
		if r.Target.Kind == kind && r.Target.Name == name {
			return r
		}
	}
	t.Fatalf("no %s/%s in the release report: %+v", kind, name, rep.Targets)
	return nil
}

// eventAt is when the first timeline entry of phase was recorded.
func eventAt(t testing.TB, r *gate.Report, phase gate.Phase) time.Time {
	t.Helper()
	for _, e := range r.Timeline {
		if e.Phase == phase {
			return e.At
		}
	}
	t.Fatalf("%s: no %s event in %+v", r.Target, phase, r.Timeline)
	return time.Time{}
}

// TestRunReleaseWithOneDoomedWorkload: a release of three Deployments, two
// healthy (slow to become available: minReadySeconds) and one crash-looping.
// The doomed one is judged while the others are still rolling out; atomic
// rolls all three back, independent only the bad one; exit 1 either way,
// with a section per target in the report.
func TestRunReleaseWithOneDoomedWorkload(t *testing.T) {
	for _, policy := range []gate.ReleasePolicy{gate.ReleaseAtomic, gate.ReleaseIndependent} {
		t.Run(string(policy), func(t *testing.T) {
			t.Parallel()
			ns := namespace(t)
			for _, n := range []string{"api", "web", "worker"} {
				create(t, ns, noDeadline(deployment(n, 2, "registry.local/"+n+":v1")))
			}
			// cron is part of the release but not changed by it: already
			// rolled out at revision 2 when the run begins.
			create(t, ns, noDeadline(deployment("cron", 1, "registry.local/cron:v0")))
			for _, n := range []string{"api", "web", "worker", "cron"} {
				waitAvailable(t, ns, n)
			}
			release(t, ns, "cron", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "registry.local/cron:v1" })
			waitFor(t, 60*time.Second, "cron at v1", func() bool {
				d := getDeployment(t, ns, "cron")
				return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == 1 && d.Status.AvailableReplicas == 1 && d.Status.Replicas == 1
			})
			for _, n := range []string{"api", "web"} {
				release(t, ns, n, func(d *appsv1.Deployment) {
					d.Spec.MinReadySeconds = 8
					d.Spec.Template.Spec.Containers[0].Image = "registry.local/" + n + ":v2"
				})
			}
			release(t, ns, "worker", func(d *appsv1.Deployment) {
				d.Spec.Template.Spec.Containers[0].Image = "registry.local/worker:v2"
				simulate(d, "crashloop")
			})
			report := filepath.Join(t.TempDir(), "release.json")
			r := rollgate(t, env.kubeconfig, "run", "deployment/api", "deployment/web", "deployment/worker", "deployment/cron", "-n", ns,
				"-f", writeGate(t, "policy: {release: "+string(policy)+"}"), "--timeout", "2m", "--report", report)
			r.expect(t, 1, "verdict: release ", "deployment/worker rolled-back (exit 1)")
			rep := readRelease(t, report)
			if rep.Policy != policy || rep.ExitCode != 1 || len(rep.Targets) != 4 {
				t.Fatalf("release report: policy %s exit %d, %d targets", rep.Policy, rep.ExitCode, len(rep.Targets))
			}
			worker := targetReport(t, rep, workload.KindDeployment, "worker")
			if worker.Decision != gate.DecisionRolledBack || worker.ReleaseCause != "" || worker.Readiness == nil || len(worker.Readiness.Problems) == 0 {
				t.Errorf("worker: decision %s, cause %q, readiness %+v: want rolled back on its own crash loop", worker.Decision, worker.ReleaseCause, worker.Readiness)
			}
			failedAt := eventAt(t, worker, gate.PhaseDecide)
			for _, n := range []string{"api", "web"} {
				h := targetReport(t, rep, workload.KindDeployment, n)
				image := getDeployment(t, ns, n).Spec.Template.Spec.Containers[0].Image
				switch policy {
				case gate.ReleaseAtomic:
					if h.Decision != gate.DecisionRolledBack || !strings.Contains(h.ReleaseCause, "deployment/worker failed") {
						t.Errorf("%s: decision %s, cause %q: want rolled back with the release", n, h.Decision, h.ReleaseCause)
					}
					if image != "registry.local/"+n+":v1" {
						t.Errorf("%s runs %s after the atomic rollback, want v1", n, image)
					}
					// Fail fast: the healthy targets were still rolling out
					// (minReadySeconds) when the doomed one was judged; their
					// judging was cut short, not waited out.
					if h.Readiness != nil && h.Readiness.Progress.Done {
						t.Errorf("%s completed its rollout before the release failed: the doomed target was not judged first", n)
					}
				case gate.ReleaseIndependent:
					if h.Decision != gate.DecisionPromoted || h.ReleaseCause != "" {
						t.Errorf("%s: decision %s, cause %q: want promoted on its own", n, h.Decision, h.ReleaseCause)
					}
					if image != "registry.local/"+n+":v2" {
						t.Errorf("%s runs %s under the independent policy, want v2 kept", n, image)
					}
					if ready := eventAt(t, h, gate.PhaseDecide); !failedAt.Before(ready) {
						t.Errorf("worker decided at %s, %s at %s: the doomed target waited for a healthy one", failedAt, n, ready)
					}
				}
			}
			cron := targetReport(t, rep, workload.KindDeployment, "cron")
			if d := getDeployment(t, ns, "cron"); d.Spec.Template.Spec.Containers[0].Image != "registry.local/cron:v1" || d.Spec.Paused {
				t.Errorf("cron, unchanged by the release, was changed: image %s, paused %v", d.Spec.Template.Spec.Containers[0].Image, d.Spec.Paused)
			}
			switch policy {
			case gate.ReleaseAtomic:
				if cron.Decision == gate.DecisionRolledBack || !strings.Contains(cron.Reason, "already rolled out when the run began") {
					t.Errorf("cron: decision %s, reason %q: want left as it is", cron.Decision, cron.Reason)
				}
			case gate.ReleaseIndependent:
				if cron.Decision != gate.DecisionPromoted {
					t.Errorf("cron: decision %s, want promoted", cron.Decision)
				}
			}
			if image := getDeployment(t, ns, "worker").Spec.Template.Spec.Containers[0].Image; image != "registry.local/worker:v1" {
				t.Errorf("worker runs %s, want rolled back to v1", image)
			}
		})
	}
}

// TestRunSelectorPicksExactlyTheLabelledWorkloads: -l gates the labelled
// Deployments and Rollouts of the namespace, a Rollout included, and
// nothing else.
func TestRunSelectorPicksExactlyTheLabelledWorkloads(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	const label = "app.kubernetes.io/part-of"
	shop := deployment("api", 1, "registry.local/api:v1")
	shop.Labels = map[string]string{label: "shop"}
	create(t, ns, shop)
	other := deployment("billing", 1, "registry.local/billing:v1")
	other.Labels = map[string]string{label: "billing"}
	create(t, ns, other)
	create(t, ns, deployment("unlabelled", 1, "registry.local/x:v1"))
	createRollout(t, ns, 600)
	patch := []byte(`{"metadata":{"labels":{"` + label + `":"shop"}}}`)
	if _, err := dyn(t).Namespace(ns).Patch(context.Background(), "web", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, ns, "api")
	waitFor(t, 60*time.Second, "the rollout healthy", func() bool { return rolloutPhase(t, ns) == "Healthy" })

	report := filepath.Join(t.TempDir(), "release.json")
	r := rollgate(t, env.kubeconfig, "run", "-l", label+"=shop", "-n", ns, "--timeout", "1m", "--report", report, "--dry-run")
	r.expect(t, 0, "verdict: release ", "promoted (exit 0) — 2 target(s)")
	rep := readRelease(t, report)
	var got []string
	for _, tr := range rep.Targets {
		got = append(got, tr.Target.String())
	}
	slices.Sort(got)
	if want := []string{"deployment/api", "rollout/web"}; !slices.Equal(got, want) {
		t.Errorf("the selector gated %v, want %v", got, want)
	}

	r = rollgate(t, env.kubeconfig, "run", "-l", label+"=nothing", "-n", ns, "--timeout", "1m")
	r.expect(t, 2, `matches --selector "`+label+`=nothing"`)

	// A misspelt target is bad input for the whole release: nothing gated,
	// no Lease taken, the existing target not held.
	r = rollgate(t, env.kubeconfig, "run", "deployment/api", "deployment/apii", "-n", ns, "--timeout", "1m")
	r.expect(t, 2, "not found: deployment/apii in namespace "+ns)
	if d := getDeployment(t, ns, "api"); d.Spec.Paused || len(d.Annotations) != len(shop.Annotations)+1 { // + the controller's revision
		t.Errorf("deployment/api was changed by a run with bad input: paused %v, annotations %v", d.Spec.Paused, d.Annotations)
	}
	leases, err := cluster(t).CoordinationV1().Leases(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(leases.Items) != 0 {
		t.Errorf("leases after a run with bad input: %v %v", leases, err)
	}
}
