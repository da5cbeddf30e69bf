package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// The fakes the engine tests drive: a Deployment "shop/api" at revision 2
// (pod-template-hash newHash, image api:v2) with the ReplicaSet of revision
// 1 (stableHash, api:v1) beside it, built already in the state each test
// needs because the fake clientset runs no controller.
const (
	ns         = "shop"
	name       = "api"
	newHash    = "5d8f7c9b4"
	stableHash = "6c9d8e7f5"
	uid        = types.UID("uid-api")
)

var deploymentsGVR = appsv1.SchemeGroupVersion.WithResource("deployments")

func template(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

// state is how far the rollout of revision 2 got.
type state struct {
	// updated and available of the 3 replicas; 3 and 3 is complete.
	updated, available int32
	annotations        map[string]string
}

var complete = state{updated: 3, available: 3}

func deployment(s state) *appsv1.Deployment {
	replicas := int32(3)
	ann := map[string]string{workload.RevisionAnnotation: "2"}
	for k, v := range s.annotations {
		ann[k] = v
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: uid, Generation: 4, Annotations: ann},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: template("registry.example/api:v2")},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 4, Replicas: s.updated + (3 - s.available), UpdatedReplicas: s.updated,
			ReadyReplicas: s.available, AvailableReplicas: s.available},
	}
}

func replicaSet(hash, image string, revision string, replicas int32, created time.Time) *appsv1.ReplicaSet {
	t := template(image)
	t.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-" + hash, Namespace: ns, UID: types.UID("uid-rs-" + hash),
			CreationTimestamp: metav1.NewTime(created),
			Labels:            map[string]string{"app": name, appsv1.DefaultDeploymentUniqueLabelKey: hash},
			Annotations:       map[string]string{workload.RevisionAnnotation: revision},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: name, UID: uid,
				Controller: new(true)}}},
		Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Template: t,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name, appsv1.DefaultDeploymentUniqueLabelKey: hash}}},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas, ObservedGeneration: 1},
	}
}

func pod(rs *appsv1.ReplicaSet, i int) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%05d", rs.Name, i), Namespace: ns, Labels: rs.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: new(true)}}},
		Spec: rs.Spec.Template.Spec,
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
}

// newCluster is the fake API server holding the Deployment in state s, its
// two ReplicaSets and the ready pods of the new one, plus extra objects.
// Like the real API server (and unlike the bare fake) it bumps
// metadata.generation when a patch changes the Deployment's spec, so a
// watch after a rollback or a pause must wait for the controller to observe
// it.
func newCluster(s state, extra ...runtime.Object) *fake.Clientset {
	now := time.Now()
	rs := replicaSet(newHash, "registry.example/api:v2", "2", s.updated, now.Add(-2*time.Minute))
	objs := []runtime.Object{deployment(s), rs, replicaSet(stableHash, "registry.example/api:v1", "1", 3-s.updated, now.Add(-time.Hour))}
	for i := range s.available {
		objs = append(objs, pod(rs, int(i)))
	}
	c := fake.NewClientset(append(objs, extra...)...)
	apply := clienttesting.ObjectReaction(c.Tracker())
	c.PrependReactor("patch", "deployments", func(a clienttesting.Action) (bool, runtime.Object, error) {
		old, err := c.Tracker().Get(deploymentsGVR, a.GetNamespace(), a.(clienttesting.PatchAction).GetName())
		if err != nil {
			return false, nil, nil
		}
		handled, obj, err := apply(a)
		if err != nil || !handled {
			return handled, obj, err
		}
		d := obj.(*appsv1.Deployment)
		if apiequality.Semantic.DeepEqual(old.(*appsv1.Deployment).Spec, d.Spec) {
			return true, d, nil
		}
		d = d.DeepCopy()
		d.Generation++
		return true, d, c.Tracker().Update(deploymentsGVR, d, d.Namespace)
	})
	return c
}

// observeWhen plays the Deployment controller once: when release is
// closed it observes the current generation (the pods stay as they are,
// complete). Returns at once if ctx ends first.
func observeWhen(ctx context.Context, t *testing.T, c *fake.Clientset, release <-chan struct{}) {
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-release:
		}
		d, err := c.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("controller: %v", err)
			return
		}
		d.Status.ObservedGeneration = d.Generation
		if _, err := c.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Errorf("controller: %v", err)
		}
	}()
}

// writes are the actions that changed something on the fake, optionally
// of one resource only.
func writes(c *fake.Clientset, resource string) []clienttesting.Action {
	var out []clienttesting.Action
	for _, a := range c.Actions() {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			if resource == "" || a.GetResource().Resource == resource {
				out = append(out, a)
			}
		}
	}
	return out
}

// patchesOf are the patches sent to the Deployments.
func patchesOf(c *fake.Clientset) []clienttesting.PatchAction {
	var out []clienttesting.PatchAction
	for _, a := range writes(c, "deployments") {
		if p, ok := a.(clienttesting.PatchAction); ok && a.GetSubresource() == "" {
			out = append(out, p)
		}
	}
	return out
}

func describe(as []clienttesting.Action) string {
	var parts []string
	for _, a := range as {
		s := a.GetVerb() + " " + a.GetResource().Resource
		if a.GetSubresource() != "" {
			s += "/" + a.GetSubresource()
		}
		if p, ok := a.(clienttesting.PatchAction); ok {
			s += " " + string(p.GetPatch())
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// scripted answers every query with the next value of its script, the
// last one again once the script ran out: a double of our own one-method
// Querier (the real Prometheus is in the e2e tests).
type scripted struct {
	mu     sync.Mutex
	values []float64
	asked  int
}

func (s *scripted) Query(context.Context, string, time.Time) (promql.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	if len(s.values) == 0 {
		return promql.Result{}, nil
	}
	v := s.values[0]
	if len(s.values) > 1 {
		s.values = s.values[1:]
	}
	return promql.Result{Samples: []promql.Sample{{Value: v}}}, nil
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked
}

// watcher is an Observer calling back on events and measurements, from the
// run's goroutine.
type watcher struct {
	NopObserver
	onEvent    func(Event)
	onMeasured func(promql.Measurement)
}

func (w watcher) Event(e Event) {
	if w.onEvent != nil {
		w.onEvent(e)
	}
}

func (w watcher) Measured(m promql.Measurement, _ int) {
	if w.onMeasured != nil {
		w.onMeasured(m)
	}
}

const maxErrorRate = 0.01

// settings gate deployment shop/api with one error-rate check (max 0.01,
// failureLimit 0) every 10ms, count intervals, on short clocks.
func settings(count int) Settings {
	p := Policy{}
	p.Default()
	return Settings{
		Target:    workload.Target{Kind: workload.KindDeployment, Name: name, Namespace: ns},
		Timeout:   10 * time.Second,
		Readiness: readiness.Settings{ProgressTimeout: 5 * time.Second, MaxRestarts: 3, Grace: time.Minute},
		Analysis: analysis.Settings{Interval: 10 * time.Millisecond, Count: count,
			Limits: analysis.Limits{Failure: 0, Inconclusive: 0, ConsecutiveError: 2},
			Checks: []analysis.Check{{Name: "error-rate", Query: `sum(rate(http_errors_total{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[1m]))`,
				Max: new(maxErrorRate), NoData: analysis.NoDataInconclusive, Series: analysis.SeriesSingle}}},
		Policy: p,
		Holder: "ci-job-1",
	}
}

func engine(c *fake.Clientset, q promql.Querier, obs Observer) *Engine {
	return &Engine{Cluster: cluster.Cluster{Client: c}, Querier: q, Observer: obs, LeaseDuration: 3 * time.Second}
}

// jsonOps decodes a JSON patch.
func jsonOps(t *testing.T, p clienttesting.PatchAction) []map[string]any {
	t.Helper()
	if p.GetPatchType() != types.JSONPatchType {
		t.Fatalf("patch type %s, want a JSON patch: %s", p.GetPatchType(), p.GetPatch())
	}
	var ops []map[string]any
	if err := json.Unmarshal(p.GetPatch(), &ops); err != nil {
		t.Fatal(err)
	}
	return ops
}
