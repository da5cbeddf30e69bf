package workload

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rollgate/rollgate/gate/cluster"
)

// The JSON merge patches kubectl-argo-rollouts v1.10 sends
// (pkg/kubectl-argo-rollouts/cmd/{promote,abort,retry,pause}).
const (
	unpausePatch                      = `{"spec":{"paused":false}}`
	pausePatch                        = `{"spec":{"paused":true}}`
	clearPauseConditionsPatch         = `{"status":{"pauseConditions":null}}`
	clearPauseAndControllerPausePatch = `{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":%d}}`
	unpauseAndClearPausePatch         = `{"spec":{"paused":false},"status":{"pauseConditions":null}}`
	promoteFullPatch                  = `{"status":{"promoteFull":true}}`
	clearPausePatchWithStep           = `{"status":{"pauseConditions":null, "currentStepIndex":%d}}`
	unpauseAndClearPausePatchWithStep = `{"spec":{"paused":false},"status":{"pauseConditions":null, "currentStepIndex":%d}}`
	unpauseAndPromoteFullPatch        = `{"spec":{"paused":false},"status":{"promoteFull":true}}`
	abortPatch                        = `{"status":{"abort":true}}`
	retryPatch                        = `{"status":{"abort":false}}`
)

func (k *rollout) what() string { return k.t.Describe() }

func (k *rollout) get(ctx context.Context) (*unstructured.Unstructured, error) {
	u, err := k.c.Dynamic.Resource(RolloutGVR).Namespace(k.t.Namespace).Get(ctx, k.t.Name, metav1.GetOptions{})
	return u, cluster.Error(err, "get", "rollouts.argoproj.io", k.t.Namespace, k.t.Name)
}

// patches is one CLI action: a spec patch, a status patch, and the unified
// patch sent instead of both when the status subresource does not exist.
type patches struct{ spec, status, unified string }

// send applies a CLI action with the CLI's patches: status subresource
// first, the main resource when the subresource is not found (CRDs before
// v0.10).
func (k *rollout) send(ctx context.Context, p patches) error {
	r := k.c.Dynamic.Resource(RolloutGVR).Namespace(k.t.Namespace)
	opts := metav1.PatchOptions{FieldManager: FieldManager}
	specPatch := func(body string) error {
		if body == "" {
			return nil
		}
		_, err := r.Patch(ctx, k.t.Name, types.MergePatchType, []byte(body), opts)
		return cluster.Error(err, "patch", "rollouts.argoproj.io", k.t.Namespace, k.t.Name)
	}
	// Unlike the CLI, a Rollout paused by spec is unpaused before its pause
	// conditions are cleared: in the other order Argo Rollouts v1.10 re-adds
	// the condition in between and the promote does nothing (seen here).
	spec := p.spec
	if spec != "" && p.status != "" {
		if err := specPatch(spec); err != nil {
			return err
		}
		spec = ""
	}
	if p.status != "" {
		_, err := r.Patch(ctx, k.t.Name, types.MergePatchType, []byte(p.status), opts, "status")
		if apierrors.IsNotFound(err) {
			spec = p.unified
		} else if err != nil {
			return cluster.Error(err, "patch", "rollouts.argoproj.io/status", k.t.Namespace, k.t.Name)
		}
	}
	return specPatch(spec)
}

// promotePatches is kubectl-argo-rollouts promote's getPatches.
func promotePatches(st RolloutStatus, full bool) patches {
	paused, isCanary := st.SpecPaused, st.Canary
	var p patches
	if full {
		if paused {
			p.spec = unpausePatch
		}
		if st.CanaryHash != st.StableHash {
			p.status = promoteFullPatch
		}
		p.unified = unpauseAndPromoteFullPatch
		return p
	}
	p.unified = unpauseAndClearPausePatch
	if paused {
		p.spec = unpausePatch
	}
	next := func() (int64, bool) {
		steps := st.Steps
		if !isCanary || steps == 0 {
			return 0, false
		}
		i := int64(0)
		if st.CurrentStepIndex != nil {
			i = *st.CurrentStepIndex
		}
		if i < int64(steps) {
			i++
		}
		return i, true
	}
	switch {
	case isCanary && st.StepAnalysis == "Inconclusive" && len(st.PauseReasons) > 0 && st.ControllerPause:
		if i, ok := next(); ok {
			p.status = fmt.Sprintf(clearPauseAndControllerPausePatch, i)
		}
	case len(st.PauseReasons) > 0:
		p.status = clearPauseConditionsPatch
	case isCanary:
		if i, ok := next(); ok {
			p.status = fmt.Sprintf(clearPausePatchWithStep, i)
			p.unified = fmt.Sprintf(unpauseAndClearPausePatchWithStep, i)
		}
	}
	return p
}

// Promote promotes the Rollout one step (or fully), retries an aborted one
// (kubectl-argo-rollouts retry), and records the verified pod hash.
func (k *rollout) Promote(ctx context.Context, pin *Pin, full bool, g Guard) (Change, error) {
	res := Change{Action: ActionPromote}
	if full {
		res.Action = ActionPromoteFull
	}
	u, err := k.guarded(ctx, g)
	if err != nil {
		return res, err
	}
	st := ReadRolloutStatus(u)
	var p patches
	switch {
	case st.Abort:
		res.Action, p = ActionRetry, patches{status: retryPatch, unified: retryPatch}
		res.Message = "retry the aborted " + k.what()
	case st.Phase == "Healthy" && st.CanaryHash == st.StableHash:
		if u.GetAnnotations()[AnnotationVerifiedHash] == st.CanaryHash {
			res.Message = fmt.Sprintf("%s is healthy at pod hash %s, already promoted: nothing to do", k.what(), st.CanaryHash)
			return res, nil
		}
		res.Message = fmt.Sprintf("%s is healthy at pod hash %s: record it as verified", k.what(), st.CanaryHash)
	default:
		p = promotePatches(st, full)
		if full {
			res.Message = "fully promote " + k.what() + ", skipping the remaining steps"
		} else {
			res.Message = fmt.Sprintf("promote %s from step %s of %d", k.what(), stepText(st), st.Steps)
		}
	}
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	if err := k.send(ctx, p); err != nil {
		return res, err
	}
	if pin != nil && res.Action != ActionRetry {
		ann, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": verifiedAnnotations(pin, time.Now())}})
		if err := k.send(ctx, patches{spec: string(ann)}); err != nil {
			return res, err
		}
	}
	res.Applied = true
	return res, nil
}

// Abort aborts the Rollout: Argo scales the stable ReplicaSet back up and
// sends traffic to it. An already aborted Rollout is left as it is.
func (k *rollout) Rollback(ctx context.Context, pin *Pin, to *Restore, g Guard) (Change, error) {
	res := Change{Action: ActionAbort}
	u, err := k.guarded(ctx, g)
	if err != nil {
		return res, err
	}
	st := ReadRolloutStatus(u)
	if st.Abort {
		res.Message = k.what() + " is already aborted: nothing to do"
		return res, nil
	}
	if to != nil && st.StableHash == st.CanaryHash {
		return k.undo(ctx, u, to, g)
	}
	if st.StableHash == "" || st.StableHash == st.CanaryHash {
		return res, fmt.Errorf("%w: cannot abort %s: there is no stable ReplicaSet to return to (stableRS %q)", ErrCannotAct, k.what(), st.StableHash)
	}
	res.Message = fmt.Sprintf("abort %s: back to the stable pod hash %s", k.what(), st.StableHash)
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	if err := k.send(ctx, patches{status: abortPatch, unified: abortPatch}); err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}

// Hold pauses the Rollout (kubectl-argo-rollouts pause).
func (k *rollout) Hold(ctx context.Context, g Guard) (Change, error) {
	res := Change{Action: ActionHold}
	u, err := k.guarded(ctx, g)
	if err != nil {
		return res, err
	}
	if ReadRolloutStatus(u).SpecPaused {
		res.Message = k.what() + " is already paused"
		return res, nil
	}
	// Paused at a canary step it stays paused until promoted: leaving it so
	// is the hold, and a promote then needs one patch, not two.
	if st := ReadRolloutStatus(u); len(st.PauseReasons) > 0 {
		res.Message = fmt.Sprintf("%s stays paused at step %s of %d (%s)", k.what(), stepText(st), st.Steps, strings.Join(st.PauseReasons, ", "))
		return res, nil
	}
	res.Message = "pause " + k.what()
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	if err := k.send(ctx, patches{spec: pausePatch}); err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}

// VerifyStable waits until the Rollout's stable ReplicaSet has all its
// replicas available again, after an abort.
func (k *rollout) VerifyStable() func(context.Context) (Progress, error) { return k.verifyStable }

func (k *rollout) verifyStable(ctx context.Context) (Progress, error) {
	st, err := k.Get(ctx)
	if err != nil {
		return Progress{}, err
	}
	stable := st.rollout.status.StableHash
	ns := k.t.Namespace
	rss, err := k.c.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: RolloutPodHashLabel + "=" + stable})
	if err != nil {
		return Progress{}, cluster.Error(err, "list", "replicasets.apps", ns, "")
	}
	owned := controlledBy(st, cluster.Pointers(rss.Items))
	if len(owned) == 0 {
		return Progress{}, fmt.Errorf("%w: %s: the stable ReplicaSet (pod hash %s) is gone", ErrCannotAct, k.what(), stable)
	}
	return waitReplicaSetAvailable(ctx, k.c, ns, owned[0].Name, st.Replicas)
}

// guarded reads the Rollout and refuses (ErrSuperseded) when its generation
// moved past the one the gate last checked. Argo's status patches are
// merge patches on the status subresource, which take no JSON-patch test:
// this read right before them is the guard.
func (k *rollout) guarded(ctx context.Context, g Guard) (*unstructured.Unstructured, error) {
	u, err := k.get(ctx)
	if err != nil {
		return nil, err
	}
	if g.Generation != 0 && u.GetGeneration() != g.Generation {
		return nil, fmt.Errorf("%w: %s changed (generation %d, judged at %d) while being gated: nothing was patched", ErrSuperseded, k.what(), u.GetGeneration(), g.Generation)
	}
	return u, nil
}

// Resume: rollgate's hold of a Rollout leaves Argo's own pause as it is,
// so there is no hold of its own to lift.
func (k *rollout) Resume(context.Context, Guard) (Change, error) {
	return Change{Action: ActionResume, Message: k.what() + ": nothing of rollgate's to lift"}, nil
}

// Blocked: Argo creates the new template's ReplicaSet whether or not the
// Rollout is paused (argo-rollouts rollout/canary.go rolloutCanary calls
// getAllReplicaSetsAndSyncRevision before any pause is reconciled), so a
// Rollout is never blocked the way a Deployment is.
func (k *rollout) Blocked(*State, []*appsv1.ReplicaSet) (bool, bool) { return false, false }

// undo restores a fully promoted Rollout's previous template: the JSON
// patch of kubectl argo rollouts undo (cmd/undo/undo.go getRolloutPatch,
// /spec/template only), with a test of the generation judged. A workloadRef
// Rollout is undone on its Deployment (undoWorkloadRef), with the same patch.
func (k *rollout) undo(ctx context.Context, u *unstructured.Unstructured, to *Restore, g Guard) (Change, error) {
	res := Change{Action: ActionRollback, Message: fmt.Sprintf("undo %s to the template of revision %d%s", k.what(), to.Revision, to.Why)}
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	k.mu.Lock()
	ref := k.ref
	k.mu.Unlock()
	gen := u.GetGeneration()
	if ref != nil {
		gen = ref.Generation
	}
	body, err := json.Marshal([]map[string]any{op("test", "/metadata/generation", gen), op("replace", "/spec/template", to.Template)})
	if err != nil {
		return res, err
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager}
	if ref != nil {
		_, err = k.c.Client.AppsV1().Deployments(k.t.Namespace).Patch(ctx, ref.Name, types.JSONPatchType, body, opts)
	} else {
		_, err = k.c.Dynamic.Resource(RolloutGVR).Namespace(k.t.Namespace).Patch(ctx, k.t.Name, types.JSONPatchType, body, opts)
	}
	switch {
	case testFailed(err):
		return res, fmt.Errorf("%w: %s changed while being gated (a newer revision was applied): nothing was patched", ErrSuperseded, k.what())
	case err != nil:
		return res, cluster.Error(err, "patch", "rollouts.argoproj.io", k.t.Namespace, k.t.Name)
	}
	if err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}
