package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/notify"
)

// actBudget bounds the patches of an action; verifying a rollback gets
// readiness.progressTimeout on top.
const actBudget = 30 * time.Second

// act applies the policy to the verdict, verifies a rollback, and returns
// the error that carries the exit code of the CI contract.
func (g *gateRun) act(ctx context.Context, v gate.Verdict, why string) error {
	plan := gate.PlanFor(v, g.cfg.Policy)
	g.rep.event("decide", "%s → %s (policy for %s)", why, plan.Action, v)
	// A cancelled job still gets its onCancel action: the signal ended the
	// waiting, not the acting.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), actBudget)
	defer cancel()
	if err := g.stillPinned(actx); err != nil {
		return err
	}
	if g.lease != nil {
		if err := g.lease.Lost(); err != nil {
			return gate.Errorf(gate.ExitRuntime, "%s; not acting: the lock on %s could not be renewed, another gate may hold it now: %w", why, g.target, err)
		}
	}
	res, err := g.apply(actx, plan)
	g.rep.report.Action = &res
	g.rep.report.Decision = plan.Decision
	if res.Message != "" {
		g.rep.event(plan.Action, "%s", res.Message)
	}
	for _, c := range res.Commands {
		g.rep.event("next", "%s", c)
	}
	if err == nil && res.Applied && v != gate.VerdictCancelled {
		err = g.verify(ctx, &res)
		if err != nil && ctx.Err() != nil {
			g.rep.report.Decision = plan.Decision
			return gate.Errorf(gate.ExitCancelled, "%s; %s; cancelled while verifying it: not verified", why, res.Message)
		}
	}
	if err != nil {
		res.Error = err.Error()
		g.rep.report.Action = &res
		g.rep.report.Decision = gate.DecisionError
		return gate.Errorf(gate.ExitRuntime, "%s; %s FAILED, the workload is as reported: %w", why, plan.Action, err)
	}
	reason := why + "; " + res.Message
	if plan.Code == gate.ExitPassed {
		g.rep.report.Reason = reason
		return nil
	}
	return &gate.Error{Code: plan.Code, Err: errors.New(reason)}
}

// stillPinned refuses to act on a revision that is no longer the one under
// gate: a newer deploy supersedes the gate (exit 6) and is left alone.
func (g *gateRun) stillPinned(ctx context.Context) error {
	if g.pin == nil {
		return nil
	}
	now, err := gate.CurrentPin(ctx, g.k.Client, g.k.Dynamic, g.target)
	if err != nil {
		return err
	}
	if now.TemplateHash != g.pin.TemplateHash || now.Revision > g.pin.Revision {
		return gate.Errorf(gate.ExitSuperseded, "superseded: %s moved to revision %d (pod-template-hash %s) while revision %d was under gate; nothing was changed",
			g.target, now.Revision, now.TemplateHash, g.pin.Revision)
	}
	return nil
}

// apply performs one action of the plan on the workload.
func (g *gateRun) apply(ctx context.Context, plan gate.Plan) (gate.ActionResult, error) {
	t := g.target
	switch {
	case plan.Action == gate.ActionNone:
		return gate.ActionResult{Action: gate.ActionNone, Message: fmt.Sprintf("policy: leave %s as it is", t)}, nil
	case plan.Action == gate.ActionHold:
		var res gate.ActionResult
		var err error
		if t.Kind == gate.KindRollout {
			res, err = g.rolloutActions().Hold(ctx)
		} else {
			res, err = g.deploymentActions().Hold(ctx)
		}
		res.Commands = g.followUps()
		return res, err
	case t.Kind == gate.KindRollout && plan.Action == gate.ActionPromote:
		return g.rolloutActions().Promote(ctx, g.pin, false)
	case t.Kind == gate.KindRollout:
		return g.rolloutActions().Abort(ctx)
	case g.pin == nil:
		return gate.ActionResult{Action: plan.Action}, gate.Errorf(gate.ExitRuntime, "cannot %s %s: the revision under gate was never pinned", plan.Action, t)
	case plan.Action == gate.ActionPromote:
		return g.deploymentActions().Promote(ctx, g.pin)
	default:
		return g.deploymentActions().Rollback(ctx, g.pin, g.restore)
	}
}

// verify watches the workload after a rollback or abort until it serves
// the restored version, and after a promote that resumed a Deployment.
func (g *gateRun) verify(ctx context.Context, res *gate.ActionResult) error {
	watch := func(ctx context.Context) (gate.ReadinessResult, error) {
		opts := readinessOptions(g.cfg)
		opts.Observe = func(phase, msg string) {
			g.rep.event("verify", "%s", strings.Replace(msg, "under gate: ", "now: ", 1))
		}
		return watchWorkload(ctx, g.k, g.target, opts)
	}
	switch res.Action {
	case gate.ActionAbort:
		watch = func(ctx context.Context) (gate.ReadinessResult, error) {
			return g.rolloutActions().VerifyStable(ctx, g.k.Client)
		}
	case gate.ActionRollback, gate.ActionPromote, gate.ActionPromoteFull, gate.ActionRetry:
	default:
		return nil
	}
	g.rep.event("verify", "watching %s until it is ready after the %s", g.target, res.Action)
	vctx, cancel := g.progressClock(ctx)
	defer cancel()
	vr, err := watch(vctx)
	res.Verify = &vr
	g.rep.diagnosis(vr.Diagnosis)
	if err != nil {
		return fmt.Errorf("the %s did not become healthy: %w", res.Action, err)
	}
	res.Message += "; verified: " + vr.Progress.Message
	return nil
}

func (g *gateRun) deploymentActions() gate.DeploymentActions {
	return gate.DeploymentActions{Client: g.k.Client, Namespace: g.target.Namespace, Name: g.target.Name, DryRun: g.opts.DryRun}
}

func (g *gateRun) rolloutActions() gate.RolloutActions {
	return gate.RolloutActions{Dynamic: g.k.Dynamic, Namespace: g.target.Namespace, Name: g.target.Name, DryRun: g.opts.DryRun}
}

// followUps are the copy-paste commands a hold leaves for a person.
func (g *gateRun) followUps() []string {
	args := fmt.Sprintf("%s -n %s", g.target, g.target.Namespace)
	if g.opts.Context != "" {
		args += " --context " + g.opts.Context
	}
	return []string{"rollgate promote " + args, "rollgate rollback " + args}
}

// alreadyDone recognises a rerun after rollgate already promoted or rolled
// back this template: it reports the state and acts no second time.
func (g *gateRun) alreadyDone(ctx context.Context, obj any) (bool, error) {
	var ann map[string]string
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if o.Status.ObservedGeneration < o.Generation {
			return false, nil // a new spec the controller has not seen yet
		}
		ann = o.Annotations
	case *unstructured.Unstructured:
		st := gate.ReadRolloutStatus(o)
		if st.Phase != "Healthy" || st.CanaryHash != st.StableHash || o.GetAnnotations()[gate.AnnotationVerifiedHash] != st.CanaryHash {
			return false, nil
		}
		return g.done(gate.DecisionPromoted, gate.ActionPromote, fmt.Sprintf("%s is healthy at pod hash %s, already verified and promoted: nothing to do", g.target, st.CanaryHash))
	}
	if ann[gate.AnnotationRolledBackTo] == "" && ann[gate.AnnotationVerifiedHash] == "" {
		return false, nil // rollgate never acted on it
	}
	pin, err := gate.PinOf(ctx, g.k.Client, obj)
	if err != nil {
		return true, err
	}
	switch {
	case ann[gate.AnnotationRolledBackTo] != "" && ann[gate.AnnotationRolledBackTo] == pin.TemplateHash:
		g.rep.report.Pin = pin
		return g.done(gate.DecisionRolledBack, gate.ActionRollback, fmt.Sprintf("revision %s was already rolled back by rollgate to pod-template-hash %s (now revision %d): nothing to do",
			ann[gate.AnnotationRolledBackFrom], pin.TemplateHash, pin.Revision))
	case ann[gate.AnnotationVerifiedHash] == pin.TemplateHash && gate.DeploymentProgress(obj.(*appsv1.Deployment)).Done:
		g.rep.report.Pin = pin
		return g.done(gate.DecisionPromoted, gate.ActionPromote, fmt.Sprintf("revision %d (pod-template-hash %s) is already verified and promoted: nothing to do", pin.Revision, pin.TemplateHash))
	}
	return false, nil
}

func (g *gateRun) done(decision, action, msg string) (bool, error) {
	g.rep.report.Decision = decision
	g.rep.report.Action = &gate.ActionResult{Action: action, Message: msg}
	g.rep.event("state", "%s", msg)
	if decision == gate.DecisionPromoted {
		g.rep.report.Reason = msg
		return true, nil
	}
	return true, gate.Errorf(gate.ExitFailed, "%s", msg)
}

// holderIdentity names this gate in its Lease so a second pipeline knows
// whom it waits for: the CI job when there is one.
func holderIdentity(env Env) string {
	host, _ := os.Hostname()
	id := fmt.Sprintf("rollgate on %s pid %d", host, os.Getpid())
	if ci := notify.CIFrom(env.Lookup); ci.URL != "" {
		id += " (" + ci.URL + ")"
	}
	return id
}

// warn records a trouble that does not change the decision.
func (r *reporter) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.report.Warnings = append(r.report.Warnings, msg)
	r.event("warning", "%s", msg)
}
