package workload

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollgate/rollgate/gate/cluster"
)

// Annotations rollgate writes on the workloads it acts on. They make a
// rerun idempotent: a verified or rolled-back template is recognised and
// not acted on twice.
const (
	AnnotationVerifiedRevision = "rollgate.dev/verified-revision"
	AnnotationVerifiedHash     = "rollgate.dev/verified-template-hash"
	AnnotationVerifiedAt       = "rollgate.dev/verified-at"
	AnnotationRolledBackFrom   = "rollgate.dev/rolled-back-revision"
	AnnotationRolledBackTo     = "rollgate.dev/rolled-back-to-template-hash"
	// AnnotationHeldAt records that rollgate paused the Deployment (hold),
	// and when: a later run may lift that pause, never anyone else's.
	AnnotationHeldAt = "rollgate.dev/held-at"
	annotationPrefix = "rollgate.dev/"
)

// Restore is the pre-deploy state a rollback returns to: the stable
// ReplicaSet's pod template and annotations, read when the gate pinned its
// revision.
type Restore struct {
	ReplicaSet   string                 `json:"replicaSet"`
	Revision     int64                  `json:"revision"`
	TemplateHash string                 `json:"templateHash"`
	Template     corev1.PodTemplateSpec `json:"-"`
	Annotations  map[string]string      `json:"-"`
	// Why says which template a rollback restores and why, for people.
	Why string `json:"why,omitempty"`
}

// Restore is what a rollback of pin returns to: the last template rollgate
// verified, while its ReplicaSet still exists (an unverified release in
// between is skipped); otherwise the previous revision, as kubectl rollout
// undo picks it. nil without error when there is nothing to restore (a
// first rollout, or the ReplicaSet is gone: revisionHistoryLimit 0).
func (k *deployment) Restore(ctx context.Context, st *State, pin *Pin) (*Restore, error) {
	if pin == nil {
		return nil, nil
	}
	verified := st.Annotations[AnnotationVerifiedHash]
	if verified != "" && verified != pin.TemplateHash {
		rss, err := k.replicaSets(ctx, st)
		if err != nil {
			return nil, err
		}
		for _, rs := range k.Owned(st, rss) {
			if rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey] == verified {
				r := restoreFrom(rs)
				r.Why = fmt.Sprintf(" (the last template rollgate verified, revision %d)", r.Revision)
				return r, nil
			}
		}
	}
	if pin.Stable == nil {
		return nil, nil
	}
	ns := k.t.Namespace
	rs, err := k.c.Client.AppsV1().ReplicaSets(ns).Get(ctx, pin.Stable.ReplicaSet, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, cluster.Error(err, "get", "replicasets.apps", ns, pin.Stable.ReplicaSet)
	}
	r := restoreFrom(rs)
	r.Why = fmt.Sprintf(" (the previous revision, as kubectl rollout undo picks it%s)", map[bool]string{true: "; the last verified template's ReplicaSet is gone", false: ""}[verified != "" && verified != pin.TemplateHash])
	return r, nil
}

func restoreFrom(rs *appsv1.ReplicaSet) *Restore {
	t := *rs.Spec.Template.DeepCopy()
	delete(t.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return &Restore{ReplicaSet: rs.Name, Revision: revisionOf(rs), TemplateHash: rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey],
		Template: t, Annotations: rs.Annotations}
}

func (k *deployment) what() string { return k.t.Describe() }

func (k *deployment) get(ctx context.Context) (*appsv1.Deployment, error) {
	d, err := k.c.Client.AppsV1().Deployments(k.t.Namespace).Get(ctx, k.t.Name, metav1.GetOptions{})
	return d, cluster.Error(err, "get", "deployments.apps", k.t.Namespace, k.t.Name)
}

func (k *deployment) patch(ctx context.Context, pt types.PatchType, body []byte) error {
	_, err := k.c.Client.AppsV1().Deployments(k.t.Namespace).Patch(ctx, k.t.Name, pt, body, metav1.PatchOptions{FieldManager: FieldManager})
	if testFailed(err) {
		return fmt.Errorf("%w: %s changed while being gated (a newer revision was applied): nothing was patched", ErrSuperseded, k.what())
	}
	return cluster.Error(err, "patch", "deployments.apps", k.t.Namespace, k.t.Name)
}

// Promote records the verified revision on the Deployment and resumes it if
// paused. A revision already verified and running is not touched again.
func (k *deployment) Promote(ctx context.Context, pin *Pin, _ bool, g Guard) (Change, error) {
	res := Change{Action: ActionPromote}
	if pin == nil {
		return res, fmt.Errorf("%w: cannot promote %s: the revision under gate was never pinned", ErrCannotAct, k.what())
	}
	d, err := k.guarded(ctx, g)
	if err != nil {
		return res, err
	}
	rev := strconv.FormatInt(pin.Revision, 10)
	if d.Annotations[AnnotationVerifiedHash] == pin.TemplateHash && d.Annotations[AnnotationVerifiedRevision] == rev && !d.Spec.Paused {
		res.Message = fmt.Sprintf("revision %d is already promoted: nothing to do", pin.Revision)
		return res, nil
	}
	res.Message = fmt.Sprintf("promote revision %d: record it as verified", pin.Revision)
	if d.Spec.Paused {
		res.Message += " and resume the paused deployment"
	}
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	ann := map[string]string{AnnotationVerifiedRevision: rev}
	for k, v := range verifiedAnnotations(pin, time.Now()) {
		ann[k] = v
	}
	ops := testGeneration(d)
	ops = append(ops, setAnnotations(d, ann)...)
	// An older rollback's record (or rollgate's hold) no longer describes this template.
	ops = append(ops, removeAnnotations(d, AnnotationRolledBackFrom, AnnotationRolledBackTo, AnnotationHeldAt, AnnotationCanaryStep, AnnotationCanarySizes)...)
	if d.Spec.Paused {
		ops = append(ops, op("replace", "/spec/paused", false))
	}
	return k.apply(ctx, res, ops)
}

// Hold pauses the Deployment (kubectl rollout pause) so a person decides,
// and records that rollgate paused it: a later run may lift its own pause
// (a newer template applied onto a held Deployment), never anyone else's.
func (k *deployment) Hold(ctx context.Context, g Guard) (Change, error) {
	res := Change{Action: ActionHold}
	d, err := k.guarded(ctx, g)
	if err != nil {
		return res, err
	}
	if d.Spec.Paused {
		res.Message = k.what() + " is already paused"
		if step := d.Annotations[AnnotationCanaryStep]; step != "" {
			res.Message = k.what() + " stays paused at canary step " + step
		}
		return res, nil
	}
	res.Message = "pause " + k.what()
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	ops := testGeneration(d)
	ops = append(ops, setAnnotations(d, map[string]string{AnnotationHeldAt: time.Now().UTC().Format(time.RFC3339)})...)
	ops = append(ops, op("replace", "/spec/paused", true))
	return k.apply(ctx, res, ops)
}

// Resume lifts rollgate's own hold so the template now in the spec rolls
// out (kubectl rollout resume).
func (k *deployment) Resume(ctx context.Context, g Guard) (Change, error) {
	res := Change{Action: ActionResume}
	d, err := k.guarded(ctx, g)
	if err != nil {
		return res, err
	}
	if !d.Spec.Paused {
		res.Message = k.what() + " is not paused"
		return res, nil
	}
	res.Message = "lift rollgate's own hold of " + k.what() + " so the template applied since rolls out"
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	ops := append(testGeneration(d), removeAnnotations(d, AnnotationHeldAt, AnnotationCanaryStep, AnnotationCanarySizes)...)
	return k.apply(ctx, res, append(ops, op("replace", "/spec/paused", false)))
}

// Rollback restores the pod template recorded at pin time the way kubectl
// rollout undo does: one JSON patch replacing spec.template (without the
// pod-template-hash label) and metadata.annotations (the Deployment's own
// bookkeeping kept, the rest from the ReplicaSet). Unlike kubectl it also
// resumes a paused Deployment (a held gate is rolled back in one step) and
// tests that the object is still the one judged (the guard's generation
// and the revision under gate), so a newer deploy is never overwritten.
func (k *deployment) Rollback(ctx context.Context, pin *Pin, to *Restore, g Guard) (Change, error) {
	res := Change{Action: ActionRollback}
	if pin == nil {
		return res, fmt.Errorf("%w: cannot roll back %s: the revision under gate was never pinned", ErrCannotAct, k.what())
	}
	if to == nil {
		return res, fmt.Errorf("%w: cannot roll back %s: no previous revision was recorded (a first rollout, or its ReplicaSet was already gone: revisionHistoryLimit 0); roll forward or restore it by hand", ErrCannotAct, k.what())
	}
	d, err := k.guarded(ctx, g)
	if err != nil {
		return res, err
	}
	if rolledBack(d, to) {
		res.Message = fmt.Sprintf("%s is already rolled back to the template of revision %d: nothing to do", k.what(), to.Revision)
		return res, nil
	}
	if apiequality.Semantic.DeepEqual(templateWithoutHash(d.Spec.Template), to.Template) {
		res.Message = fmt.Sprintf("%s already runs the template of revision %d: nothing to do", k.what(), to.Revision)
		return res, nil
	}
	res.Message = fmt.Sprintf("roll back %s from revision %d to the template of revision %d (%s)%s", k.what(), pin.Revision, to.Revision,
		strings.Join(images(to.Template.Spec.Containers), ", "), to.Why)
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	ann := rollbackAnnotations(d.Annotations, to.Annotations)
	ann[AnnotationRolledBackFrom] = strconv.FormatInt(pin.Revision, 10)
	ann[AnnotationRolledBackTo] = to.TemplateHash
	delete(ann, AnnotationHeldAt)
	delete(ann, AnnotationCanaryStep)
	delete(ann, AnnotationCanarySizes)
	ops := append(testGeneration(d),
		op("test", "/metadata/annotations/"+jsonPointerEscape(RevisionAnnotation), strconv.FormatInt(pin.Revision, 10)),
		op("replace", "/spec/template", to.Template),
		op("replace", "/metadata/annotations", ann))
	if d.Spec.Paused {
		ops = append(ops, op("replace", "/spec/paused", false))
	}
	return k.apply(ctx, res, ops)
}

// guarded reads the Deployment and refuses (ErrSuperseded) when its
// generation moved past the one the gate last checked.
func (k *deployment) guarded(ctx context.Context, g Guard) (*appsv1.Deployment, error) {
	if r := g.Read; r != nil && r.deployment != nil && g.Generation != 0 && r.Generation == g.Generation {
		// Read just now by the gate's guard; the patch's test of the
		// generation still refuses anything that lands in between.
		return r.deployment.DeepCopy(), nil
	}
	d, err := k.get(ctx)
	if err != nil {
		return nil, err
	}
	if g.Generation != 0 && d.Generation != g.Generation {
		return nil, fmt.Errorf("%w: %s changed (generation %d, judged at %d) while being gated: nothing was patched", ErrSuperseded, k.what(), d.Generation, g.Generation)
	}
	return d, nil
}

// apply sends a JSON patch and marks the change applied.
func (k *deployment) apply(ctx context.Context, res Change, ops []map[string]any) (Change, error) {
	body, err := json.Marshal(ops)
	if err != nil {
		return res, fmt.Errorf("build the %s patch of %s: %w", res.Action, k.what(), err)
	}
	if err := k.patch(ctx, types.JSONPatchType, body); err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}

func op(name, path string, value any) map[string]any {
	return map[string]any{"op": name, "path": path, "value": value}
}

// testGeneration makes a patch apply only to the generation read: a spec
// changed in between (a newer apply) fails the patch, nothing changes.
func testGeneration(d *appsv1.Deployment) []map[string]any {
	return []map[string]any{op("test", "/metadata/generation", d.Generation)}
}

// setAnnotations adds or replaces annotations (creating the map if needed).
func setAnnotations(d *appsv1.Deployment, ann map[string]string) []map[string]any {
	if d.Annotations == nil {
		return []map[string]any{op("add", "/metadata/annotations", ann)}
	}
	var ops []map[string]any
	for _, key := range sortedKeys(ann) {
		ops = append(ops, op("add", "/metadata/annotations/"+jsonPointerEscape(key), ann[key]))
	}
	return ops
}

// removeAnnotations removes those of keys the Deployment has.
func removeAnnotations(d *appsv1.Deployment, keys ...string) []map[string]any {
	var ops []map[string]any
	for _, key := range keys {
		if _, ok := d.Annotations[key]; ok {
			ops = append(ops, map[string]any{"op": "remove", "path": "/metadata/annotations/" + jsonPointerEscape(key)})
		}
	}
	return ops
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rolledBack reports whether d is the result of a rollgate rollback to to.
func rolledBack(d *appsv1.Deployment, to *Restore) bool {
	return d.Annotations[AnnotationRolledBackTo] != "" && d.Annotations[AnnotationRolledBackTo] == to.TemplateHash &&
		apiequality.Semantic.DeepEqual(templateWithoutHash(d.Spec.Template), to.Template)
}

// kubectl's rollback keeps these of the Deployment's own annotations and
// takes every other one from the ReplicaSet (kubectl
// pkg/polymorphichelpers/rollback.go annotationsToSkip). rollgate's own
// annotations are kept from the Deployment too.
var deploymentOwnAnnotations = map[string]bool{
	corev1.LastAppliedConfigAnnotation:          true,
	RevisionAnnotation:                          true,
	"deployment.kubernetes.io/revision-history": true,
	"deployment.kubernetes.io/desired-replicas": true,
	"deployment.kubernetes.io/max-replicas":     true,
	"deprecated.deployment.rollback.to":         true,
}

func rollbackAnnotations(deployment, rs map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range deployment {
		if deploymentOwnAnnotations[k] || strings.HasPrefix(k, annotationPrefix) {
			out[k] = v
		}
	}
	for k, v := range rs {
		if !deploymentOwnAnnotations[k] && !strings.HasPrefix(k, annotationPrefix) {
			out[k] = v
		}
	}
	return out
}

func templateWithoutHash(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	c := *t.DeepCopy()
	delete(c.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return c
}

func jsonPointerEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// verifiedAnnotations record a promoted template on its workload.
func verifiedAnnotations(pin *Pin, now time.Time) map[string]string {
	return map[string]string{AnnotationVerifiedHash: pin.TemplateHash, AnnotationVerifiedAt: now.UTC().Format(time.RFC3339)}
}

// testFailed reports a JSON patch refused because a test op failed: the
// object changed since it was read.
func testFailed(err error) bool {
	return err != nil && apierrors.IsInvalid(err) && strings.Contains(strings.ToLower(err.Error()), "testing value")
}
