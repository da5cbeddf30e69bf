package gate

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/rollgate/rollgate/gate/workload"
)

// rollingController stands in for the Deployment controller of a 3-replica
// Deployment: it observes every generation and, while the Deployment is
// not paused, moves one pod at a time from the old ReplicaSet to the new
// one matching the template (maxSurge 1, maxUnavailable 0). maxNew is
// the most pods the new ReplicaSet ever had.
type rollingController struct {
	mu     sync.Mutex
	maxNew int32
	// armed: the pods become available only once rollgate paused the
	// Deployment (a minReadySeconds longer than rollgate takes to pin).
	armed bool
	// moved is when the last pod moved: the next one moves a
	// moveEvery later, as a real pod takes its time to become available,
	// so rollgate's pause lands before the controller goes past a step
	// even on a loaded machine.
	moved time.Time
}

const moveEvery = 60 * time.Millisecond

func (rc *rollingController) run(ctx context.Context, t *testing.T, c *fake.Clientset) {
	go func() {
		for ctx.Err() == nil {
			rc.tick(ctx, t, c)
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

func (rc *rollingController) tick(ctx context.Context, t *testing.T, c *fake.Clientset) {
	d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	rss := c.AppsV1().ReplicaSets(ns)
	newRS, err1 := rss.Get(ctx, name+"-"+newHash, metav1.GetOptions{})
	oldRS, err2 := rss.Get(ctx, name+"-"+stableHash, metav1.GetOptions{})
	if err1 != nil || err2 != nil {
		return
	}
	n := *newRS.Spec.Replicas
	to, from := newRS, oldRS
	if !equalTemplates(d, newRS) {
		to, from = oldRS, newRS // rolled back
	}
	rc.armed = rc.armed || d.Spec.Paused
	if !d.Spec.Paused && rc.armed && *to.Spec.Replicas < 3 && time.Since(rc.moved) >= moveEvery {
		rc.moved = time.Now()
		for rs, v := range map[*appsv1.ReplicaSet]int32{to: *to.Spec.Replicas + 1, from: max(*from.Spec.Replicas-1, 0)} {
			rs.Spec.Replicas, rs.Status.Replicas, rs.Status.ReadyReplicas, rs.Status.AvailableReplicas = &v, v, v, v
			if _, err := rss.Update(ctx, rs, metav1.UpdateOptions{}); err != nil {
				t.Errorf("controller: %v", err)
			}
		}
	}
	n = max(n, *newRS.Spec.Replicas)
	u := *to.Spec.Replicas
	o := *from.Spec.Replicas
	rc.mu.Lock()
	rc.maxNew = max(rc.maxNew, n)
	rc.mu.Unlock()
	d.Status.ObservedGeneration = d.Generation
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = u+o, u, u+o, u+o
	// A patch of the status alone: the fake clientset's UpdateStatus
	// writes the whole object, and would put back a spec.paused that
	// rollgate changed since this tick read the Deployment.
	status, err := json.Marshal(map[string]any{"status": d.Status})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AppsV1().Deployments(ns).Patch(ctx, name, types.MergePatchType, status, metav1.PatchOptions{}, "status"); err != nil && ctx.Err() == nil {
		t.Errorf("controller: %v", err)
	}
}

func equalTemplates(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	return d.Spec.Template.Spec.Containers[0].Image == rs.Spec.Template.Spec.Containers[0].Image
}

func (rc *rollingController) most() int32 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.maxNew
}

func canarySettings(count int) Settings {
	s := settings(count)
	s.Canary = []workload.Step{{Replicas: 1}, {Percent: 50}}
	return s
}

func TestRunStepsAPlainDeploymentThroughItsCanarySteps(t *testing.T) {
	tests := []struct {
		name     string
		values   []float64
		code     ExitCode
		decision string
		steps    []workload.Counts
		maxNew   int32
		reason   string
	}{
		{"healthy steps see 1 then 2 new pods beside the old ones and complete", []float64{0.001}, ExitPassed, DecisionPromoted,
			[]workload.Counts{{NewReplicas: 1, NewAvailable: 1, OldAvailable: 2}, {NewReplicas: 2, NewAvailable: 2, OldAvailable: 1}}, 3,
			"2 canary step(s) passed"},
		{"a failing first step is rolled back with one new pod ever", []float64{0.5}, ExitFailed, DecisionRolledBack,
			[]workload.Counts{{NewReplicas: 1, NewAvailable: 1, OldAvailable: 2}}, 1, "canary step 1/2 (1 new, 2 old pods): analysis failed"},
		{"no data at a step holds it paused there, saying how to go on", nil, ExitHeld, DecisionHeld,
			[]workload.Counts{{NewReplicas: 1, NewAvailable: 1, OldAvailable: 2}}, 1, "paused at canary step 1/2: resume with rollgate promote deployment/api -n shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := newCluster(state{updated: 1, available: 1})
			rc := &rollingController{}
			rc.run(ctx, t, c)
			rep, err := engine(c, &scripted{values: tt.values}, nil).Run(ctx, canarySettings(2))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if rep.ExitCode != int(tt.code) || rep.Decision != tt.decision || !strings.Contains(rep.Reason, tt.reason) {
				t.Errorf("exit %d decision %q reason %q; want %d %q containing %q", rep.ExitCode, rep.Decision, rep.Reason, tt.code, tt.decision, tt.reason)
			}
			if len(rep.Canary) != len(tt.steps) {
				t.Fatalf("steps %+v, want %d", rep.Canary, len(tt.steps))
			}
			for i, s := range rep.Canary {
				if s.Counts != tt.steps[i] {
					t.Errorf("step %s saw %+v, want %+v", s.Step, s.Counts, tt.steps[i])
				}
			}
			if got := rc.most(); got != tt.maxNew {
				t.Errorf("the new ReplicaSet had up to %d pods, want %d", got, tt.maxNew)
			}
			d, _ := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			held := tt.code == ExitHeld
			if d.Spec.Paused != held || (d.Annotations[workload.AnnotationCanaryStep] != "") != held {
				t.Errorf("paused %v, annotations %v; want paused with the step recorded only when held", d.Spec.Paused, d.Annotations)
			}
		})
	}
}
