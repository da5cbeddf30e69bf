package quota

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// matchesScopes reports whether pods of s fall under every scope of q, as
// the quota machinery's generic.Matches and podMatchesScopeFunc decide it.
// An error names a scope this package cannot judge; it is returned only
// when no judgeable scope already rules the pods out, because scopes are
// ANDed and one false is enough.
func matchesScopes(q *corev1.ResourceQuota, s corev1.PodSpec) (bool, error) {
	selectors := make([]corev1.ScopedResourceSelectorRequirement, 0, len(q.Spec.Scopes))
	for _, scope := range q.Spec.Scopes {
		selectors = append(selectors, corev1.ScopedResourceSelectorRequirement{ScopeName: scope, Operator: corev1.ScopeSelectorOpExists})
	}
	if q.Spec.ScopeSelector != nil {
		selectors = append(selectors, q.Spec.ScopeSelector.MatchExpressions...)
	}
	var unjudged []string
	for _, sel := range selectors {
		ok, err := matchesScope(sel, s)
		switch {
		case err != nil:
			unjudged = append(unjudged, err.Error())
		case !ok:
			return false, nil
		}
	}
	if len(unjudged) > 0 {
		// One line, so it reads as one NotEvaluated message.
		return false, errors.New(strings.Join(unjudged, "; "))
	}
	return true, nil
}

func matchesScope(sel corev1.ScopedResourceSelectorRequirement, s corev1.PodSpec) (bool, error) {
	// Like upstream, only PriorityClass reads the operator: validation
	// allows nothing but Exists for the others.
	switch sel.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return terminating(s), nil
	case corev1.ResourceQuotaScopeNotTerminating:
		return !terminating(s), nil
	case corev1.ResourceQuotaScopeBestEffort:
		return bestEffort(s), nil
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !bestEffort(s), nil
	case corev1.ResourceQuotaScopePriorityClass:
		return priorityClassMatches(sel, s.PriorityClassName)
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(s), nil
	case corev1.ResourceQuotaScopeVolumeAttributesClass:
		return false, fmt.Errorf("scope %s is a PersistentVolumeClaim scope, not a pod scope", sel.ScopeName)
	}
	return false, fmt.Errorf("scope %q is unknown to rollgate", sel.ScopeName)
}

// terminating is the evaluator's IsTerminating: pods with a deadline.
func terminating(s corev1.PodSpec) bool {
	return s.ActiveDeadlineSeconds != nil && *s.ActiveDeadlineSeconds >= 0
}

// bestEffort is QoS class BestEffort as ComputePodQOS derives it: no cpu
// or memory request or limit anywhere, judged on pod-level resources when
// the pod sets them. Other resources do not change the class.
func bestEffort(s corev1.PodSpec) bool {
	if podLevelSet(s) {
		return noCPUOrMemory(*s.Resources)
	}
	for _, c := range slices.Concat(s.InitContainers, s.Containers) {
		if !noCPUOrMemory(c.Resources) {
			return false
		}
	}
	return true
}

func noCPUOrMemory(r corev1.ResourceRequirements) bool {
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		for _, l := range []corev1.ResourceList{r.Requests, r.Limits} {
			if q, ok := l[name]; ok && !isZero(q) {
				return false
			}
		}
	}
	return true
}

func isZero(q resource.Quantity) bool { return q.IsZero() }

// priorityClassMatches evaluates a PriorityClass scope like the label
// selector upstream builds from it, with the class as the only label.
func priorityClassMatches(sel corev1.ScopedResourceSelectorRequirement, class string) (bool, error) {
	set := class != ""
	switch sel.Operator {
	case corev1.ScopeSelectorOpExists:
		return set, nil
	case corev1.ScopeSelectorOpDoesNotExist:
		return !set, nil
	case corev1.ScopeSelectorOpIn:
		return set && slices.Contains(sel.Values, class), nil
	case corev1.ScopeSelectorOpNotIn:
		return !set || !slices.Contains(sel.Values, class), nil
	}
	return false, fmt.Errorf("scope %s: operator %q is not valid", sel.ScopeName, sel.Operator)
}

// crossNamespaceAffinity reports whether any pod (anti-)affinity term
// reaches beyond the pod's namespace, the CrossNamespacePodAffinity scope.
func crossNamespaceAffinity(s corev1.PodSpec) bool {
	if s.Affinity == nil {
		return false
	}
	var terms []corev1.PodAffinityTerm
	if a := s.Affinity.PodAffinity; a != nil {
		terms = append(terms, a.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range a.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	if a := s.Affinity.PodAntiAffinity; a != nil {
		terms = append(terms, a.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range a.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	return slices.ContainsFunc(terms, func(t corev1.PodAffinityTerm) bool {
		return len(t.Namespaces) != 0 || t.NamespaceSelector != nil
	})
}
