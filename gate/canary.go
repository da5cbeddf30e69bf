package gate

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
)

// StepReport is one canary step of a plain Deployment: how many new and
// old pods served while it was analysed, and its verdict.
type StepReport struct {
	Step string `json:"step"`
	// Want is the step's number of new pods.
	Want int32 `json:"want"`
	workload.Counts
	Verdict  Verdict          `json:"verdict"`
	Reason   string           `json:"reason"`
	Analysis *analysis.Result `json:"analysis,omitempty"`
}

// stepping is where a run's step canary stands.
type stepping struct {
	s workload.Stepper
	// mark is the step the Deployment stands at or grows towards; paused
	// whether rollgate left it paused there.
	mark   workload.StepMark
	paused bool
}

// canary judges a plain Deployment step by step: paused as soon as the new
// ReplicaSet exists, then per step resumed until the controller scaled the
// new ReplicaSet to the step, paused again until those pods are available,
// and analysed with new and old pods serving side by side. After the last
// step the rollout completes and is judged the usual way (readiness, then
// the final analysis). The verdict returned is what the policy acts on.
func (r *run) canary(ctx, parent context.Context) (Verdict, string, error) {
	s, ok := workload.StepperOf(r.w)
	if !ok {
		return "", "", BadInput("%s: canary.steps applies to plain Deployments only: an Argo Rollout has its own steps (spec.strategy.canary.steps), which rollgate judges one by one; drop canary: from the gate file", r.s.Target)
	}
	if r.s.DryRun {
		r.event(PhaseAnalysis, "dry run: the canary steps are not made (each pause is a write); the rollout is judged as it goes")
		return r.judge(ctx, parent)
	}
	st, err := r.w.Get(ctx)
	if err != nil {
		return "", "", err
	}
	sizes, err := workload.StepSizes(r.s.Canary, st.Replicas)
	if err != nil {
		return "", "", BadInput("%s: %v", r.s.Target, err)
	}
	r.step = &stepping{s: s, mark: workload.StepMark{N: 1, Sizes: sizes}}
	r.event(PhaseAnalysis, "canary steps of %s (spec.replicas %d): %s new pods, then the rest of the rollout", r.s.Target, st.Replicas, joinSizes(sizes))
	res, err := r.pinWatch(ctx)
	if v, why, stop, err := r.readied(res, err, parent); stop {
		return v, why, r.stillPaused(err)
	}
	var passed []string
	for n := 1; n <= len(sizes); n++ {
		v, why, err := r.canaryStep(ctx, parent, workload.StepMark{N: n, Sizes: sizes})
		if err != nil || v != VerdictPassed {
			return v, why, r.stillPaused(err)
		}
		passed = append(passed, why)
	}
	summary := fmt.Sprintf("%d canary step(s) passed (%s)", len(sizes), strings.Join(passed, "; "))
	if r.s.Policy.OnSuccess != workload.ActionPromote {
		return VerdictPassed, summary, nil
	}
	return r.complete(ctx, parent, summary)
}

// pinWatch waits for the revision under gate and pauses the Deployment the
// moment its new ReplicaSet exists (before the preflight), so the
// controller grows it no further than it did before rollgate looked.
func (r *run) pinWatch(ctx context.Context) (readiness.Result, error) {
	h := r.hooks(-1)
	h.Pinned = func(ctx context.Context, st *workload.State, owned []*appsv1.ReplicaSet, pin *workload.Pin) (string, error) {
		if err := r.pinned(ctx, st, pin); err != nil {
			return "", err
		}
		if err := r.setStep(ctx, r.step.mark, true); err != nil {
			return "", err
		}
		return r.preflight(ctx, st, owned, pin)
	}
	h.Progress = func(_ []*appsv1.ReplicaSet, p workload.Progress) workload.Progress {
		if r.pin != nil && !p.Failed {
			return workload.Progress{Done: true, Outcome: workload.OutcomeStep, Message: "paused at pin time: " + p.Message}
		}
		return p
	}
	rctx, cancel := r.progressClock(ctx)
	defer cancel()
	return readiness.Watch(rctx, r.e.Cluster, r.w, r.s.Readiness, h, r.pin)
}

// canaryStep brings the Deployment to step m and analyses it there.
func (r *run) canaryStep(ctx, parent context.Context, m workload.StepMark) (Verdict, string, error) {
	res, err := r.reach(ctx, m)
	if v, why, stop, err := r.readied(res, err, parent); stop {
		return v, why, err
	}
	c, err := r.counts(ctx)
	if err != nil {
		return "", "", err
	}
	a := r.s.Analysis
	if d := r.s.Canary[m.N-1].Analysis; d > 0 {
		a.Duration, a.Count = d, 0
	}
	r.event(PhaseAnalysis, "canary step %s: %d new pod(s) available (step %d, new ReplicaSet scaled to %d) beside %d old: analysing %s",
		m, c.NewAvailable, m.Size(), c.NewReplicas, c.OldAvailable, a.Length())
	r.stage(StageAnalysis)
	v, why, err := r.analyze(ctx, parent, workload.OutcomeStep, a)
	if err != nil {
		return v, why, err
	}
	why = fmt.Sprintf("canary step %s (%d new, %d old pods): %s", m, c.NewAvailable, c.OldAvailable, why)
	r.rep.Canary = append(r.rep.Canary, StepReport{Step: m.String(), Want: m.Size(), Counts: c, Verdict: v, Reason: why, Analysis: r.rep.Analysis})
	return v, why, nil
}

// reach brings the Deployment to step m and leaves it paused there: when
// the new ReplicaSet has fewer pods than the step the controller is
// resumed until it scaled the ReplicaSet to the step (within maxSurge and
// maxUnavailable, overshooting by at most maxSurge), then paused while
// those pods become available.
func (r *run) reach(ctx context.Context, m workload.StepMark) (readiness.Result, error) {
	rctx, cancel := r.progressClock(ctx)
	defer cancel()
	for {
		c, err := r.counts(rctx)
		if err != nil {
			return readiness.Result{}, err
		}
		settle := c.NewReplicas >= m.Size() || c.NewAvailable >= m.Size()
		if err := r.setStep(rctx, m, settle); err != nil {
			return readiness.Result{}, err
		}
		h := r.hooks(-1)
		h.Progress = func(owned []*appsv1.ReplicaSet, p workload.Progress) workload.Progress {
			return r.stepProgress(owned, p, m, settle)
		}
		res, err := readiness.Watch(rctx, r.e.Cluster, r.w, r.s.Readiness, h, r.pin)
		if err != nil || res.Verdict != readiness.Ready || settle {
			return res, err
		}
	}
}

// stepProgress is a step's progress: done once the new ReplicaSet is
// scaled to the step (growing) or has the step's pods available (settling).
func (r *run) stepProgress(owned []*appsv1.ReplicaSet, p workload.Progress, m workload.StepMark, settle bool) workload.Progress {
	if p.Failed {
		return p
	}
	c := r.step.s.StepCounts(owned, r.pin)
	done := c.NewAvailable >= m.Size() || p.Done
	if !settle {
		done = done || c.NewReplicas >= m.Size()
	}
	return workload.Progress{Done: done, Outcome: workload.OutcomeStep, Step: m.N - 1,
		Message: fmt.Sprintf("canary step %s: %d of %d new pods available (new ReplicaSet scaled to %d), %d old available",
			m, c.NewAvailable, m.Size(), c.NewReplicas, c.OldAvailable)}
}

// complete resumes the Deployment after its last step and judges the
// completed rollout the usual way.
func (r *run) complete(ctx, parent context.Context, summary string) (Verdict, string, error) {
	if err := r.setStep(ctx, workload.StepMark{}, false); err != nil {
		return "", "", r.stillPaused(err)
	}
	res, err := r.watch(ctx, -1)
	if v, why, stop, err := r.readied(res, err, parent); stop {
		return v, why, err
	}
	v, why, err := r.analyze(ctx, parent, res.Progress.Outcome, r.s.Analysis)
	if v == VerdictPassed {
		why = summary + "; the rollout completed and " + why
	}
	return v, why, err
}

// setStep pauses or resumes the Deployment at m with the guards of any
// action (lease, template, generation); a zero m completes the rollout.
func (r *run) setStep(ctx context.Context, m workload.StepMark, paused bool) error {
	g, err := r.guard(ctx, "canary step "+m.String())
	if err != nil {
		return err
	}
	c, err := r.step.s.SetStep(ctx, m, paused, g)
	if err != nil {
		return err
	}
	if c.Applied {
		r.step.mark, r.step.paused = m, paused
		r.event(PhaseCanary, "%s", c.Message)
	}
	return nil
}

// counts reads the new and old pods now.
func (r *run) counts(ctx context.Context) (workload.Counts, error) {
	st, err := r.w.Get(ctx)
	if err != nil {
		return workload.Counts{}, err
	}
	rss, err := workload.ReplicaSets(ctx, r.w, st)
	if err != nil {
		return workload.Counts{}, err
	}
	return r.step.s.StepCounts(r.w.Owned(st, rss), r.pin), nil
}

// atStep reads whether st stands at one of rollgate's canary steps.
func (r *run) atStep(st *workload.State) (workload.Stepper, workload.StepMark, bool) {
	s, ok := workload.StepperOf(r.w)
	if !ok {
		return nil, workload.StepMark{}, false
	}
	m, ok := workload.MarkOf(st)
	return s, m, ok && st.Paused
}

// nextStep is `rollgate promote` of a Deployment held at canary step m: it
// goes on to the next step and stays paused there for a person to judge
// (the last step's promote, and --full, complete the rollout instead).
func (r *run) nextStep(ctx context.Context, s workload.Stepper, m workload.StepMark) error {
	r.step = &stepping{s: s, mark: m, paused: true}
	next := workload.StepMark{N: m.N + 1, Sizes: m.Sizes}
	res, err := r.reach(ctx, next)
	r.rep.Readiness = &res
	if err == nil && res.Verdict != readiness.Ready {
		err = fmt.Errorf("%s did not reach canary step %s: %s", r.s.Target, next, res.Reason)
	}
	if err != nil {
		r.rep.Decision = DecisionError
		return r.stillPaused(err)
	}
	c, err := r.counts(ctx)
	if err != nil {
		return r.stillPaused(err)
	}
	msg := fmt.Sprintf("promote %s to canary step %s: %d new pod(s) available beside %d old; %s",
		r.s.Target, next, c.NewAvailable, c.OldAvailable, r.pausedNote())
	act := ActionResult{Action: workload.ActionPromote, Applied: true, Message: msg, Commands: r.followUps()}
	r.show(act)
	r.rep.Canary = append(r.rep.Canary, StepReport{Step: next.String(), Want: next.Size(), Counts: c, Reason: "promoted by hand"})
	r.rep.Action, r.rep.Decision, r.rep.Reason = &act, DecisionPromoted, msg
	return nil
}

// pausedNote says, for every output, that rollgate leaves the Deployment
// paused at a canary step and how to go on; "" when it does not.
func (r *run) pausedNote() string {
	if r.step == nil || !r.step.paused || r.step.mark.N == 0 {
		return ""
	}
	args := r.targetArgs()
	return fmt.Sprintf("paused at canary step %s: resume with rollgate promote %s (the next step; --full completes the rollout), or rollgate rollback %s",
		r.step.mark, args, args)
}

// stillPaused adds the pause to trouble that ends a run at a step.
func (r *run) stillPaused(err error) error {
	if note := r.pausedNote(); err != nil && note != "" {
		return fmt.Errorf("%w; %s is left %s", err, r.s.Target, note)
	}
	return err
}

func joinSizes(sizes []int32) string {
	s := make([]string, len(sizes))
	for i, n := range sizes {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
