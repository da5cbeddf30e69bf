package quota

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// countPods is the object-count name of pods; it counts like pods for a
// rollout because every pod the rollout creates is a new object.
const countPods corev1.ResourceName = "count/pods"

// deviceClassPrefix marks implicit DRA extended resources
// (k8s.io/api/resource/v1 ResourceDeviceClassPrefix), which quota tracks
// as requests.<name> although they live under kubernetes.io/.
const deviceClassPrefix = "deviceclass.resource.kubernetes.io/"

// PodResources returns what one pod created from spec counts against a
// ResourceQuota, under the keys quota uses: pods and count/pods (1),
// cpu/memory/ephemeral-storage and their requests.* twins, limits.* for
// limits that are set, hugepages-* with requests.hugepages-*, and
// requests.<name> for extended resources. Resources no container sets are
// absent, as they are from the quota evaluator's usage.
//
// limitRanges are the namespace's LimitRanges; their Container defaults are
// applied first, the way the LimitRanger admission plugin applies them to
// the pods the ReplicaSet creates. If the template names a RuntimeClass with
// an overhead, put that overhead in spec.Overhead: the RuntimeClass
// admission plugin adds it to the pod, not to the template.
func PodResources(spec corev1.PodSpec, limitRanges []corev1.LimitRange) corev1.ResourceList {
	return usage(admit(spec, limitRanges))
}

// admit returns spec as the apiserver stores a pod created from it: API
// defaulting, then LimitRanger, then pod-level request defaulting, which is
// the order the pod create path runs them in before quota admission sees it.
func admit(spec corev1.PodSpec, limitRanges []corev1.LimitRange) corev1.PodSpec {
	s := *spec.DeepCopy()
	// SetDefaults_Pod copies limits to missing requests on pods but not on
	// templates, so a template read from the API still lacks them.
	for _, cs := range [][]corev1.Container{s.InitContainers, s.Containers} {
		for i := range cs {
			fillMissing(&cs[i].Resources.Requests, cs[i].Resources.Limits)
		}
	}
	for i := range limitRanges {
		requests, limits := containerDefaults(limitRanges[i])
		for _, cs := range [][]corev1.Container{s.InitContainers, s.Containers} {
			for j := range cs {
				fillMissing(&cs[j].Resources.Limits, limits)
				fillMissing(&cs[j].Resources.Requests, requests)
			}
		}
	}
	defaultPodLevelRequests(&s)
	return s
}

// containerDefaults merges the Container items of one LimitRange the way
// LimitRanger does, after the API defaulting of each item (default from
// max, defaultRequest from default, then from min), which a LimitRange read
// from a manifest has not had yet.
func containerDefaults(lr corev1.LimitRange) (requests, limits corev1.ResourceList) {
	requests, limits = corev1.ResourceList{}, corev1.ResourceList{}
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		def, defReq := item.Default.DeepCopy(), item.DefaultRequest.DeepCopy()
		fillMissing(&def, item.Max)
		fillMissing(&defReq, def)
		fillMissing(&defReq, item.Min)
		for k, v := range def {
			limits[k] = v
		}
		for k, v := range defReq {
			requests[k] = v
		}
	}
	return requests, limits
}

// fillMissing sets every key of from that *to lacks.
func fillMissing(to *corev1.ResourceList, from corev1.ResourceList) {
	for k, v := range from {
		if _, ok := (*to)[k]; ok {
			continue
		}
		if *to == nil {
			*to = corev1.ResourceList{}
		}
		(*to)[k] = v.DeepCopy()
	}
}

// defaultPodLevelRequests mirrors the pod-level defaulting of
// k8s.io/kubernetes pkg/apis/core/v1 defaultPodRequests: only when pod-level
// limits are set, missing pod-level requests come from the containers'
// effective requests (cpu, memory) or else from the pod-level limit.
func defaultPodLevelRequests(s *corev1.PodSpec) {
	if s.Resources == nil || len(s.Resources.Limits) == 0 {
		return
	}
	reqs := s.Resources.Requests.DeepCopy()
	if reqs == nil {
		reqs = corev1.ResourceList{}
	}
	for k, v := range aggregate(*s, requestsOf) {
		if _, ok := reqs[k]; !ok && podLevel(k) && !isHugePages(k) {
			reqs[k] = v
		}
	}
	for k, v := range s.Resources.Limits {
		if _, ok := reqs[k]; !ok && podLevel(k) {
			reqs[k] = v.DeepCopy()
		}
	}
	if len(reqs) > 0 {
		s.Resources.Requests = reqs
	}
}

// usage is podComputeUsageHelper over PodRequests and PodLimits
// (k8s.io/kubernetes pkg/quota/v1/evaluator/core/pods.go).
func usage(s corev1.PodSpec) corev1.ResourceList {
	one := resource.MustParse("1")
	out := corev1.ResourceList{corev1.ResourcePods: one, countPods: one.DeepCopy()}
	requests, limits := podRequests(s), podLimits(s)
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if q, ok := requests[name]; ok {
			out[name] = q.DeepCopy()
			out[corev1.DefaultResourceRequestsPrefix+name] = q.DeepCopy()
		}
		if q, ok := limits[name]; ok {
			out["limits."+name] = q.DeepCopy()
		}
	}
	for name, q := range requests {
		switch {
		case isHugePages(name):
			out[name] = q.DeepCopy()
			out[corev1.DefaultResourceRequestsPrefix+name] = q.DeepCopy()
		case isExtended(name):
			// Quota only accepts requests.<name> for extended resources:
			// they cannot be overcommitted, so limits add nothing.
			out[corev1.DefaultResourceRequestsPrefix+name] = q.DeepCopy()
		}
	}
	return out
}

// podRequests is component-helpers' PodRequests for a pod being created:
// containers, then pod-level requests, then overhead.
func podRequests(s corev1.PodSpec) corev1.ResourceList {
	reqs := aggregate(s, requestsOf)
	if s.Resources != nil && anyName(s.Resources.Requests, podLevel) {
		overridePodLevel(reqs, s.Resources.Requests)
	}
	addTo(reqs, s.Overhead)
	return reqs
}

// podLimits is component-helpers' PodLimits: overhead only raises limits
// that are set, because an unset limit means unbounded.
func podLimits(s corev1.PodSpec) corev1.ResourceList {
	lims := aggregate(s, limitsOf)
	if podLevelSet(s) {
		overridePodLevel(lims, s.Resources.Limits)
	}
	for k, v := range s.Overhead {
		if l, ok := lims[k]; ok && !l.IsZero() {
			l.Add(v)
			lims[k] = l
		}
	}
	return lims
}

func requestsOf(r corev1.ResourceRequirements) corev1.ResourceList { return r.Requests }
func limitsOf(r corev1.ResourceRequirements) corev1.ResourceList   { return r.Limits }

// aggregate applies the sidecar-aware formula of the KEP-753: app
// containers and restartable init containers run together and add up; each
// ordinary init container runs alone next to the sidecars started before it;
// the pod needs the larger of the two.
func aggregate(s corev1.PodSpec, of func(corev1.ResourceRequirements) corev1.ResourceList) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for _, c := range s.Containers {
		addTo(sum, of(c.Resources))
	}
	sidecars, initPeak := corev1.ResourceList{}, corev1.ResourceList{}
	for _, c := range s.InitContainers {
		r := of(c.Resources)
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addTo(sum, r)
			addTo(sidecars, r)
			maxInto(initPeak, sidecars)
			continue
		}
		alone := r.DeepCopy()
		if alone == nil {
			alone = corev1.ResourceList{}
		}
		addTo(alone, sidecars)
		maxInto(initPeak, alone)
	}
	maxInto(sum, initPeak)
	return sum
}

// podLevel reports whether name may be set in spec.resources
// (PodLevelResources: cpu, memory and huge pages).
func podLevel(name corev1.ResourceName) bool {
	return name == corev1.ResourceCPU || name == corev1.ResourceMemory || isHugePages(name)
}

// podLevelSet is component-helpers' IsPodLevelResourcesSet.
func podLevelSet(s corev1.PodSpec) bool {
	return s.Resources != nil && (anyName(s.Resources.Requests, podLevel) || anyName(s.Resources.Limits, podLevel))
}

func overridePodLevel(to, podLevelValues corev1.ResourceList) {
	for k, v := range podLevelValues {
		if podLevel(k) {
			to[k] = v.DeepCopy()
		}
	}
}

func isHugePages(name corev1.ResourceName) bool {
	return strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix)
}

// isExtended is the scheduler's IsDRAExtendedResourceName: a name outside
// kubernetes.io/ that is valid as requests.<name>, or an implicit DRA
// device-class resource.
func isExtended(name corev1.ResourceName) bool {
	n := string(name)
	if strings.HasPrefix(n, deviceClassPrefix) {
		return true
	}
	native := !strings.Contains(n, "/") || strings.Contains(n, corev1.ResourceDefaultNamespacePrefix)
	if native || strings.HasPrefix(n, corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+n)) == 0
}
