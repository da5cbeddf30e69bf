package quota

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
)

// DefaultPriorityClass is the class the Priority admission plugin gives a
// pod that names none: the globalDefault PriorityClass, the one with the
// lowest value if a race left several (k8s.io/kubernetes
// plugin/pkg/admission/priority/admission.go getDefaultPriorityClass; the
// field is pkg/apis/scheduling's PriorityClass.GlobalDefault). "" when the
// cluster has none.
func DefaultPriorityClass(classes []schedulingv1.PriorityClass) string {
	var def *schedulingv1.PriorityClass
	for i := range classes {
		if pc := &classes[i]; pc.GlobalDefault && (def == nil || pc.Value < def.Value) {
			def = pc
		}
	}
	if def == nil {
		return ""
	}
	return def.Name
}

// WithOverhead returns spec as the RuntimeClass admission plugin admits a
// pod created from it (k8s.io/kubernetes
// plugin/pkg/admission/runtimeclass/admission.go setOverhead): the
// RuntimeClass's overhead.podFixed becomes spec.overhead, which quota
// adds to the pod's requests and set limits. A template that sets a
// different overhead of its own is rejected by that plugin; the error says
// so.
func WithOverhead(spec corev1.PodSpec, rc *nodev1.RuntimeClass) (corev1.PodSpec, error) {
	if rc == nil || rc.Overhead == nil {
		return spec, nil
	}
	if len(spec.Overhead) > 0 && !apiequality.Semantic.DeepEqual(spec.Overhead, rc.Overhead.PodFixed) {
		return spec, fmt.Errorf("runtimeclass %s: the pod's overhead differs from the RuntimeClass's, so the apiserver rejects the pods", rc.Name)
	}
	s := *spec.DeepCopy()
	s.Overhead = rc.Overhead.PodFixed.DeepCopy()
	return s, nil
}

// unknownInputs says why q cannot be judged with what the preflight could
// read, "" when it can: a PriorityClass scope over pods that name no class
// while the cluster's default is unknown, or compute resources while a
// RuntimeClass overhead is unknown.
func unknownInputs(q *corev1.ResourceQuota, r Rollout, specs ...corev1.PodSpec) string {
	if r.PriorityClassUnknown != "" && HasPriorityScope(q) {
		for _, s := range specs {
			if s.PriorityClassName == "" {
				return "its PriorityClass scope depends on the cluster's globalDefault PriorityClass, which " + r.PriorityClassUnknown
			}
		}
	}
	if r.OverheadUnknown != "" && anyName(q.Status.Hard, func(n corev1.ResourceName) bool {
		return podTracked(n) && n != corev1.ResourcePods && n != countPods
	}) {
		return "the pods' RuntimeClass overhead counts against it, and " + r.OverheadUnknown
	}
	return ""
}

// HasPriorityScope reports whether q selects pods by PriorityClass, in
// spec.scopes or spec.scopeSelector.
func HasPriorityScope(q *corev1.ResourceQuota) bool {
	for _, s := range q.Spec.Scopes {
		if s == corev1.ResourceQuotaScopePriorityClass {
			return true
		}
	}
	if q.Spec.ScopeSelector != nil {
		for _, e := range q.Spec.ScopeSelector.MatchExpressions {
			if e.ScopeName == corev1.ResourceQuotaScopePriorityClass {
				return true
			}
		}
	}
	return false
}
