package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Actions an Argo Rollout takes beyond the Deployment's.
const (
	ActionPromoteFull = "promote-full"
	ActionAbort       = "abort"
	ActionRetry       = "retry"
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

// RolloutActions acts on one Argo Rollout through the dynamic client, with
// the CLI's patches: status subresource first, the main resource when the
// subresource is not found (CRDs before v0.10).
type RolloutActions struct {
	Dynamic   dynamic.Interface
	Namespace string
	Name      string
	DryRun    bool
	Now       func() time.Time
}

func (a RolloutActions) what() string { return fmt.Sprintf("rollout %s/%s", a.Namespace, a.Name) }

func (a RolloutActions) get(ctx context.Context) (*unstructured.Unstructured, error) {
	u, err := a.Dynamic.Resource(RolloutGVR).Namespace(a.Namespace).Get(ctx, a.Name, metav1.GetOptions{})
	return u, KubeError(err, "get", "rollouts.argoproj.io", a.Namespace, a.Name)
}

// patches is one CLI action: a spec patch, a status patch, and the unified
// patch sent instead of both when the status subresource does not exist.
type patches struct{ spec, status, unified string }

func (a RolloutActions) send(ctx context.Context, p patches) error {
	r := a.Dynamic.Resource(RolloutGVR).Namespace(a.Namespace)
	opts := metav1.PatchOptions{FieldManager: "rollgate"}
	specPatch := func(body string) error {
		if body == "" {
			return nil
		}
		_, err := r.Patch(ctx, a.Name, types.MergePatchType, []byte(body), opts)
		return KubeError(err, "patch", "rollouts.argoproj.io", a.Namespace, a.Name)
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
		_, err := r.Patch(ctx, a.Name, types.MergePatchType, []byte(p.status), opts, "status")
		if apierrors.IsNotFound(err) {
			spec = p.unified
		} else if err != nil {
			return KubeError(err, "patch", "rollouts.argoproj.io/status", a.Namespace, a.Name)
		}
	}
	return specPatch(spec)
}

// promotePatches is kubectl-argo-rollouts promote's getPatches.
func promotePatches(u *unstructured.Unstructured, full bool) patches {
	st := ReadRolloutStatus(u)
	paused, _, _ := unstructured.NestedBool(u.Object, "spec", "paused")
	canary, isCanary, _ := unstructured.NestedMap(u.Object, "spec", "strategy", "canary")
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
		steps, _, _ := unstructured.NestedSlice(canary, "steps")
		if !isCanary || len(steps) == 0 {
			return 0, false
		}
		i := int64(0)
		if st.CurrentStepIndex != nil {
			i = *st.CurrentStepIndex
		}
		if i < int64(len(steps)) {
			i++
		}
		return i, true
	}
	inconclusive, _, _ := unstructured.NestedString(u.Object, "status", "canary", "currentStepAnalysisRunStatus", "status")
	switch {
	case isCanary && inconclusive == "Inconclusive" && len(st.PauseReasons) > 0 && st.ControllerPause:
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
func (a RolloutActions) Promote(ctx context.Context, pin *Pin, full bool) (ActionResult, error) {
	res := ActionResult{Action: ActionPromote}
	if full {
		res.Action = ActionPromoteFull
	}
	u, err := a.get(ctx)
	if err != nil {
		return res, err
	}
	st := ReadRolloutStatus(u)
	var p patches
	switch {
	case st.Abort:
		res.Action, p = ActionRetry, patches{status: retryPatch, unified: retryPatch}
		res.Message = "retry the aborted " + a.what()
	case st.Phase == "Healthy" && st.CanaryHash == st.StableHash:
		if u.GetAnnotations()[AnnotationVerifiedHash] == st.CanaryHash {
			res.Message = fmt.Sprintf("%s is healthy at pod hash %s, already promoted: nothing to do", a.what(), st.CanaryHash)
			return res, nil
		}
		res.Message = fmt.Sprintf("%s is healthy at pod hash %s: record it as verified", a.what(), st.CanaryHash)
	default:
		p = promotePatches(u, full)
		if full {
			res.Message = "fully promote " + a.what() + ", skipping the remaining steps"
		} else {
			res.Message = fmt.Sprintf("promote %s from step %s of %d", a.what(), stepText(st), st.Steps)
		}
	}
	if a.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	if err := a.send(ctx, p); err != nil {
		return res, err
	}
	if pin != nil && res.Action != ActionRetry {
		ann, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": verifiedAnnotations(pin, a.now())}})
		if err := a.send(ctx, patches{spec: string(ann)}); err != nil {
			return res, err
		}
	}
	res.Applied = true
	return res, nil
}

// Abort aborts the Rollout: Argo scales the stable ReplicaSet back up and
// sends traffic to it. An already aborted Rollout is left as it is.
func (a RolloutActions) Abort(ctx context.Context) (ActionResult, error) {
	res := ActionResult{Action: ActionAbort}
	u, err := a.get(ctx)
	if err != nil {
		return res, err
	}
	st := ReadRolloutStatus(u)
	if st.Abort {
		res.Message = a.what() + " is already aborted: nothing to do"
		return res, nil
	}
	if st.StableHash == "" || st.StableHash == st.CanaryHash {
		return res, Errorf(ExitRuntime, "cannot abort %s: there is no stable ReplicaSet to return to (stableRS %q)", a.what(), st.StableHash)
	}
	res.Message = fmt.Sprintf("abort %s: back to the stable pod hash %s", a.what(), st.StableHash)
	if a.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	if err := a.send(ctx, patches{status: abortPatch, unified: abortPatch}); err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}

// Hold pauses the Rollout (kubectl-argo-rollouts pause).
func (a RolloutActions) Hold(ctx context.Context) (ActionResult, error) {
	res := ActionResult{Action: ActionHold}
	u, err := a.get(ctx)
	if err != nil {
		return res, err
	}
	if paused, _, _ := unstructured.NestedBool(u.Object, "spec", "paused"); paused {
		res.Message = a.what() + " is already paused"
		return res, nil
	}
	// Paused at a canary step it stays paused until promoted: leaving it so
	// is the hold, and a promote then needs one patch, not two.
	if st := ReadRolloutStatus(u); len(st.PauseReasons) > 0 {
		res.Message = fmt.Sprintf("%s stays paused at step %s of %d (%s)", a.what(), stepText(st), st.Steps, strings.Join(st.PauseReasons, ", "))
		return res, nil
	}
	res.Message = "pause " + a.what()
	if a.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	if err := a.send(ctx, patches{spec: pausePatch}); err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}

func (a RolloutActions) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// VerifyStable waits until the Rollout's stable ReplicaSet has all its
// replicas available again, after an abort.
func (a RolloutActions) VerifyStable(ctx context.Context, client kubernetes.Interface) (ReadinessResult, error) {
	u, err := a.get(ctx)
	if err != nil {
		return ReadinessResult{}, err
	}
	st := ReadRolloutStatus(u)
	replicas, ok, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
	if !ok {
		replicas = 1
	}
	rss, err := client.AppsV1().ReplicaSets(a.Namespace).List(ctx, metav1.ListOptions{LabelSelector: RolloutPodHashLabel + "=" + st.StableHash})
	if err != nil {
		return ReadinessResult{}, KubeError(err, "list", "replicasets.apps", a.Namespace, "")
	}
	owned := rolloutKind{}.owned(u, pointers(rss.Items))
	if len(owned) == 0 {
		return ReadinessResult{}, Errorf(ExitRuntime, "%s: the stable ReplicaSet (pod hash %s) is gone", a.what(), st.StableHash)
	}
	return WaitReplicaSetAvailable(ctx, client, a.Namespace, owned[0].Name, int32(replicas))
}
