package workload

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
)

// The step canary of a plain Deployment uses the controller's own pause
// (kubernetes pkg/controller/deployment/sync.go, deployment_controller.go
// syncDeployment): while spec.paused is true the controller runs only
// sync(), which neither creates a new ReplicaSet nor scales the rollout
// forward (scale() is proportional scaling of a changed spec.replicas, an
// HPA's), and the Progressing condition is DeploymentPaused, so no progress
// deadline runs out. Unpaused, rolloutRolling (rolling.go) grows the new
// ReplicaSet within maxSurge and shrinks the old ones within
// maxUnavailable (util/deployment_util.go NewRSNewReplicas, MaxUnavailable,
// ResolveFenceposts): rollgate never scales a ReplicaSet itself, so every
// step respects both.

// SetStep pauses or resumes the Deployment with a guarded JSON patch and
// records the step mark (rollgate's own pause) beside it.
func (k *deployment) SetStep(ctx context.Context, m StepMark, paused bool, g Guard) (Change, error) {
	res := Change{Action: ActionHold}
	verb := "pause " + k.what() + " at canary step " + m.String()
	if !paused {
		res.Action, verb = ActionResume, "resume "+k.what()+" towards canary step "+m.String()
	}
	if m.N == 0 {
		verb = "resume " + k.what() + " to complete the rollout"
	}
	d, err := k.guarded(ctx, g)
	if err != nil {
		return res, err
	}
	if d.Spec.Paused == paused && d.Annotations[AnnotationCanaryStep] == m.annotations()[AnnotationCanaryStep] && m.N != 0 {
		res.Message = fmt.Sprintf("%s stands at canary step %s (paused %v)", k.what(), m, paused)
		return res, nil
	}
	res.Message = verb
	if g.DryRun {
		res.Message = "would " + res.Message
		return res, nil
	}
	ops := testGeneration(d)
	if m.N == 0 {
		ops = append(ops, removeAnnotations(d, AnnotationCanaryStep, AnnotationCanarySizes, AnnotationHeldAt)...)
	} else {
		ops = append(ops, setAnnotations(d, m.annotations())...)
	}
	if d.Spec.Paused != paused {
		ops = append(ops, op("replace", "/spec/paused", paused))
	}
	return k.apply(ctx, res, ops)
}

// StepCounts: the pinned revision's ReplicaSet is the new one; every other
// owned ReplicaSet is old (a rollout interrupted earlier may have several).
func (k *deployment) StepCounts(owned []*appsv1.ReplicaSet, pin *Pin) Counts {
	var c Counts
	rs := k.NewReplicaSet(owned, pin)
	for _, o := range owned {
		if rs != nil && o.UID == rs.UID {
			c.NewReplicas, c.NewAvailable = ptrOr(o.Spec.Replicas, 0), o.Status.AvailableReplicas
			continue
		}
		c.OldAvailable += o.Status.AvailableReplicas
	}
	return c
}
