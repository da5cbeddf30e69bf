package gate

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/workload"
)

// A canary Rollout "shop/api" paused at its first pause step (index 1 of
// 4), the canary ReplicaSet up beside the stable one.
const rolloutYAML = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api, namespace: shop, uid: uid-ro, generation: 2}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: app, image: "registry.example/api:v2"}]}
  strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}, {setWeight: 60}, {pause: {}}]}}
status:
  observedGeneration: "2"
  phase: Paused
  currentStepIndex: 1
  controllerPause: true
  pauseConditions: [{reason: CanaryPauseStep, startTime: "2026-01-01T00:00:00Z"}]
  currentPodHash: 5d8f7c9b4
  stableRS: 6c9d8e7f5
  replicas: 4
  updatedReplicas: 1
  availableReplicas: 4
`

func rolloutObject(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(rolloutYAML))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil { // integers as int64, as the dynamic client has them
		t.Fatal(err)
	}
	return u
}

// rolloutReplicaSet is a ReplicaSet as Argo creates it: its own hash label
// and revision annotation, controlled by the Rollout.
func rolloutReplicaSet(hash, image, revision string, replicas int32) *appsv1.ReplicaSet {
	rs := replicaSet(hash, image, revision, replicas, time.Now().Add(-time.Minute))
	for _, m := range []map[string]string{rs.Labels, rs.Spec.Template.Labels, rs.Spec.Selector.MatchLabels} {
		delete(m, appsv1.DefaultDeploymentUniqueLabelKey)
		m[workload.RolloutPodHashLabel] = hash
	}
	rs.Annotations = map[string]string{workload.RolloutRevisionAnnotation: revision}
	rs.OwnerReferences[0].APIVersion, rs.OwnerReferences[0].Kind, rs.OwnerReferences[0].UID = "argoproj.io/v1alpha1", "Rollout", "uid-ro"
	return rs
}

// argo plays the Argo Rollouts controller: when a promote cleared the pause
// conditions it moves the canary to the next pause step, and after the last
// one makes the Rollout Healthy on the canary's hash.
func argo(ctx context.Context, t *testing.T, dyn *dynamicfake.FakeDynamicClient) {
	ro := dyn.Resource(workload.RolloutGVR).Namespace(ns)
	w, err := ro.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-ctx.Done(); w.Stop() }()
	go func() {
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "pauseConditions")
			phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
			if phase != "Paused" || len(conds) > 0 {
				continue
			}
			u = u.DeepCopy()
			step, _, _ := unstructured.NestedInt64(u.Object, "status", "currentStepIndex")
			st := u.Object["status"].(map[string]any)
			if step < 3 {
				st["currentStepIndex"], st["updatedReplicas"] = int64(3), int64(2)
				st["pauseConditions"] = []any{map[string]any{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:05:00Z"}}
			} else {
				st["currentStepIndex"], st["phase"], st["controllerPause"] = int64(4), "Healthy", false
				st["stableRS"], st["replicas"], st["updatedReplicas"], st["availableReplicas"] = newHash, int64(3), int64(3), int64(3)
			}
			if _, err := ro.Update(ctx, u, metav1.UpdateOptions{}); err != nil && ctx.Err() == nil {
				t.Errorf("argo: %v", err)
			}
		}
	}()
}

func TestRunJudgesAndPromotesEachCanaryStepOfARollout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	canary := rolloutReplicaSet(newHash, "registry.example/api:v2", "2", 1)
	typed := fake.NewClientset(canary, rolloutReplicaSet(stableHash, "registry.example/api:v1", "1", 3), pod(canary, 0))
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{workload.RolloutGVR: "RolloutList"}, rolloutObject(t))
	argo(ctx, t, dyn)

	s := settings(2)
	s.Target.Kind = workload.KindRollout
	q := &scripted{values: []float64{0.001}}
	e := &Engine{Cluster: cluster.Cluster{Client: typed, Dynamic: dyn}, Querier: q, LeaseDuration: 3 * time.Second}
	rep, err := e.Run(ctx, s)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.ExitCode != int(ExitPassed) || rep.Decision != DecisionPromoted || !strings.Contains(rep.Reason, "2 canary step(s) passed") {
		t.Errorf("exit %d decision %q reason %q; want 0 promoted after 2 canary steps", rep.ExitCode, rep.Decision, rep.Reason)
	}
	if q.count() != 4 {
		t.Errorf("asked %d times; want 2 intervals at each of the 2 pause steps", q.count())
	}
	if rep.Pin == nil || rep.Pin.TemplateHash != newHash || rep.Pin.Stable == nil || rep.Pin.Stable.TemplateHash != stableHash {
		t.Errorf("pin %+v; want the canary hash with the stable one", rep.Pin)
	}

	// Each step's promote clears the pause conditions through the status
	// subresource; the verified hash waits for the final promote.
	var status, meta []clienttesting.PatchAction
	for _, a := range dyn.Actions() {
		p, ok := a.(clienttesting.PatchAction)
		if !ok || a.GetVerb() != "patch" {
			continue
		}
		if a.GetSubresource() == "status" {
			status = append(status, p)
		} else {
			meta = append(meta, p)
		}
	}
	if len(status) != 2 {
		t.Errorf("status patches %d, want one per canary step", len(status))
	}
	for _, p := range status {
		if string(p.GetPatch()) != `{"status":{"pauseConditions":null}}` || p.GetPatchType() != types.MergePatchType {
			t.Errorf("step promote patch %s %s", p.GetPatchType(), p.GetPatch())
		}
	}
	if len(meta) != 1 || !strings.Contains(string(meta[0].GetPatch()), `"`+workload.AnnotationVerifiedHash+`":"`+newHash+`"`) {
		t.Errorf("main-resource patches %d (%v); want one recording the verified hash", len(meta), meta)
	}
	u, err := dyn.Resource(workload.RolloutGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u.GetAnnotations()[workload.AnnotationVerifiedHash] != newHash {
		t.Errorf("annotations after promote: %v", u.GetAnnotations())
	}
	steps := 0
	for _, ev := range rep.Timeline {
		if ev.Phase == Phase(workload.ActionPromote) && strings.HasPrefix(ev.Message, "step passed") {
			steps++
		}
	}
	if steps != 2 {
		t.Errorf("%d 'step passed' events, want 2", steps)
	}
	if rep.Action == nil || !rep.Action.Applied || rep.Action.Verify == nil || rep.Action.Verify.Progress.Outcome != workload.OutcomeComplete {
		t.Errorf("action %+v; want the final promote applied and verified healthy", rep.Action)
	}
}
