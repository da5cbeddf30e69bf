package quota

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Rollout is everything Evaluate needs to know about one rollout.
type Rollout struct {
	// New is the pod spec of the template under gate.
	New corev1.PodSpec
	// Old is the pod spec of the template being replaced; it may equal
	// New. Only its pods (Plan.OldPods) are counted from it.
	Old corev1.PodSpec
	// LimitRanges are the namespace's LimitRanges.
	LimitRanges []corev1.LimitRange
	// DefaultPriorityClass is the cluster's globalDefault PriorityClass, if
	// any: the Priority admission plugin gives it to pods that name no
	// class, and PriorityClass scopes see it.
	DefaultPriorityClass string
	// PriorityClassUnknown, when set, says why the globalDefault
	// PriorityClass could not be read (a namespaced Role cannot grant the
	// cluster-scoped list): quotas whose PriorityClass scope would decide on
	// it are not checked.
	PriorityClassUnknown string
	// OverheadUnknown, when set, says why a RuntimeClass's overhead could not
	// be read (WithOverhead): quotas on compute resources are not checked.
	OverheadUnknown string
	Plan
}

// Result is the verdict of the quota preflight.
type Result struct {
	Shortfalls []Shortfall `json:"shortfalls,omitempty"`
	// Tight are quotas that are full but let the rollout proceed as old
	// pods terminate: not a failure, a note.
	Tight        []Tight        `json:"tight,omitempty"`
	Missing      []Missing      `json:"missing,omitempty"`
	NotEvaluated []NotEvaluated `json:"notEvaluated,omitempty"`
}

// OK reports whether every quota that applies has room for the rollout.
// Quotas that were not evaluated do not make it fail; report them.
func (r Result) OK() bool { return len(r.Shortfalls) == 0 && len(r.Missing) == 0 }

// Err returns every shortfall and missing resource as one error, or nil.
func (r Result) Err() error {
	var errs []error
	for _, s := range r.Shortfalls {
		errs = append(errs, s)
	}
	for _, m := range r.Missing {
		errs = append(errs, m)
	}
	return errors.Join(errs...)
}

// Shortfall is one quota resource without room for the rollout.
type Shortfall struct {
	Quota    string              `json:"quota"` // namespace/name
	Resource corev1.ResourceName `json:"resource"`
	Need     resource.Quantity   `json:"need"`
	// Left is status.hard − status.used; negative when the quota was
	// lowered below what is already used.
	Left resource.Quantity `json:"left"`
}

func (s Shortfall) Error() string {
	left := s.Left
	if left.Sign() < 0 {
		left = resource.Quantity{Format: left.Format}
	}
	return fmt.Sprintf("quota %s: %s: rollout needs %s more, %s left", s.Quota, s.Resource, s.Need.String(), left.String())
}

// Missing is a resource that a quota tracks and that the apiserver
// therefore requires on every container, which some containers of the new
// pods leave unset even after LimitRange defaults: every such pod is
// rejected, whatever the headroom.
type Missing struct {
	Quota      string              `json:"quota"`
	Resource   corev1.ResourceName `json:"resource"`
	Containers []string            `json:"containers"`
}

func (m Missing) Error() string {
	return fmt.Sprintf("quota %s: %s: must be set on containers %s; set it or give the namespace a LimitRange default",
		m.Quota, m.Resource, strings.Join(m.Containers, ", "))
}

// NotEvaluated is a quota that may apply to the rollout but that this
// package could not judge; callers show it so nobody mistakes it for a pass.
type NotEvaluated struct {
	Quota  string `json:"quota"`
	Reason string `json:"reason"`
}

func (n NotEvaluated) String() string {
	return fmt.Sprintf("quota %s: not checked: %s", n.Quota, n.Reason)
}

// Evaluate checks every quota against what the rollout needs at its peak:
// for each resource of status.hard that the rollout adds to, need must fit
// in status.hard − status.used (a missing used counts as 0). A quota's
// scopes decide whether it counts the new pods, the old pods, both or
// neither, so Need is worked out per quota.
func Evaluate(quotas []corev1.ResourceQuota, r Rollout) Result {
	newSpec, oldSpec := admit(r.New, r.LimitRanges), admit(r.Old, r.LimitRanges)
	for _, s := range []*corev1.PodSpec{&newSpec, &oldSpec} {
		if s.PriorityClassName == "" {
			s.PriorityClassName = r.DefaultPriorityClass
		}
	}
	newPod, oldPod := usage(newSpec), usage(oldSpec)
	var res Result
	for i := range quotas {
		q := &quotas[i]
		id := q.Namespace + "/" + q.Name
		if len(q.Status.Hard) == 0 {
			if tracksPods(q.Spec.Hard) {
				res.NotEvaluated = append(res.NotEvaluated, NotEvaluated{id,
					"status.hard is empty: the quota controller has not synced it yet"})
			}
			continue
		}
		if !tracksPods(q.Status.Hard) {
			continue
		}
		if why := unknownInputs(q, r, newSpec, oldSpec); why != "" {
			res.NotEvaluated = append(res.NotEvaluated, NotEvaluated{id, why})
			continue
		}
		newIn, errNew := matchesScopes(q, newSpec)
		oldIn, errOld := matchesScopes(q, oldSpec)
		if err := cmp.Or(errNew, errOld); err != nil {
			res.NotEvaluated = append(res.NotEvaluated, NotEvaluated{id, err.Error()})
			continue
		}
		n, o := corev1.ResourceList{}, corev1.ResourceList{}
		if newIn {
			n = newPod
		}
		if oldIn {
			o = oldPod
		}
		if newIn && r.Replicas > r.NewPods {
			res.Missing = append(res.Missing, missing(id, q.Status.Hard, newSpec)...)
		}
		short, tight := judge(id, q, n, o, r.Plan)
		res.Shortfalls = append(res.Shortfalls, short...)
		res.Tight = append(res.Tight, tight...)
	}
	return res
}

// requiredOnContainers are the resources for which a quota makes the
// apiserver demand a value on every container (podEvaluator.Constraints);
// upstream calls the rule a mistake kept for compatibility.
var requiredOnContainers = []corev1.ResourceName{
	corev1.ResourceCPU, corev1.ResourceMemory,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory,
}

func missing(id string, hard corev1.ResourceList, s corev1.PodSpec) []Missing {
	if podLevelSet(s) {
		// Pod-level resources lift the per-container rule.
		return nil
	}
	var out []Missing
	for _, name := range requiredOnContainers {
		if _, ok := hard[name]; !ok {
			continue
		}
		var lacking []string
		for _, c := range slices.Concat(s.InitContainers, s.Containers) {
			one := corev1.PodSpec{Containers: []corev1.Container{{Resources: c.Resources}}}
			if _, ok := usage(one)[name]; !ok {
				lacking = append(lacking, c.Name)
			}
		}
		if len(lacking) > 0 {
			out = append(out, Missing{Quota: id, Resource: name, Containers: lacking})
		}
	}
	return out
}

// tracksPods reports whether a quota limits anything a pod consumes, as
// the pod evaluator's MatchingResources decides it; other quotas (services,
// storage, object counts) cannot stop a rollout.
func tracksPods(hard corev1.ResourceList) bool { return anyName(hard, podTracked) }

func podTracked(name corev1.ResourceName) bool {
	switch name {
	case corev1.ResourcePods, countPods,
		corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
		corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsEphemeralStorage,
		corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage:
		return true
	}
	n := string(name)
	if isHugePages(name) || strings.HasPrefix(n, corev1.ResourceRequestsHugePagesPrefix) {
		return true
	}
	rest, ok := strings.CutPrefix(n, corev1.DefaultResourceRequestsPrefix)
	return ok && isExtended(corev1.ResourceName(rest))
}

func sortedNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
