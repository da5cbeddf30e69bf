// Package preflight holds the workload-hygiene rules rollgate checks on the
// pod template under gate before judging its rollout: mutable image tags,
// missing requests, limits and readiness probes, no PodDisruptionBudget,
// mounted API tokens, a single replica. Each rule is off, warn or fail
// (Settings) and every finding carries a one-line fix.
package preflight

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Rule names, as in the gate file's preflight section.
const (
	MutableImage             = "mutableImage"
	MissingRequests          = "missingRequests"
	MissingLimits            = "missingLimits"
	MissingReadinessProbe    = "missingReadinessProbe"
	LivenessWithoutReadiness = "livenessWithoutReadiness"
	MissingPDB               = "missingPDB"
	ServiceAccountToken      = "serviceAccountToken"
	ReplicasForHA            = "replicasForHA"
)

// Workload is what the rules look at. PDBs and ServiceAccount are nil when
// unknown (manifest mode without them): rules that need them then say so
// instead of guessing.
type Workload struct {
	Kind      string // Deployment or Rollout
	Name      string
	Namespace string
	Replicas  int32
	Template  corev1.PodTemplateSpec
	// PDBs are the PodDisruptionBudgets of the namespace; nil if unknown.
	PDBs []policyv1.PodDisruptionBudget
	// ServiceAccount is the pod's service account; nil if unknown.
	ServiceAccount *corev1.ServiceAccount
	// NotChecked says why the rules cannot look at this workload's
	// template (a workloadRef to a Deployment a manifest does not hold);
	// such a workload is reported "not checked", never passed.
	NotChecked string
}

// Evaluate applies every rule that is not off.
func Evaluate(w Workload, cfg Settings) []Finding {
	type rule struct {
		name  string
		level Level
		check func(Workload, Settings) []Finding
	}
	rules := []rule{
		{MutableImage, cfg.MutableImage, mutableImages},
		{MissingRequests, cfg.MissingRequests, missingRequests},
		{MissingLimits, cfg.MissingLimits, missingLimits},
		{MissingReadinessProbe, cfg.MissingReadinessProbe, missingReadiness},
		{LivenessWithoutReadiness, cfg.LivenessWithoutReadiness, livenessWithoutReadiness},
		{MissingPDB, cfg.MissingPDB, missingPDB},
		{ServiceAccountToken, cfg.ServiceAccountToken, serviceAccountToken},
		{ReplicasForHA, cfg.ReplicasForHA, replicasForHA},
	}
	var out []Finding
	for _, r := range rules {
		if r.level == LevelOff || r.level == "" {
			continue
		}
		for _, f := range r.check(w, cfg) {
			f.Rule, f.Level = r.name, r.level
			out = append(out, f)
		}
	}
	return out
}

// containers lists init containers then app containers, as the pod runs them.
func containers(w Workload) []corev1.Container {
	s := w.Template.Spec
	return append(append([]corev1.Container{}, s.InitContainers...), s.Containers...)
}

func mutableImages(w Workload, cfg Settings) []Finding {
	var out []Finding
	for _, c := range containers(w) {
		ref := ParseImage(c.Image)
		switch {
		case ref.Digest != "":
			continue // pinned, whatever the tag says
		case cfg.RequireDigest:
			out = append(out, Finding{Container: c.Name, Message: fmt.Sprintf("container %s image %s has no digest (requireDigest)", c.Name, c.Image),
				Fix: fmt.Sprintf("deploy %s by digest: %s@sha256:...", c.Name, ref.Repository)})
		case ref.Tag == "":
			out = append(out, Finding{Container: c.Name, Message: fmt.Sprintf("container %s image %s has no tag (it means :latest, which moves)", c.Name, c.Image),
				Fix: fmt.Sprintf("give container %s an immutable tag or a digest", c.Name)})
		case ref.Tag == "latest":
			out = append(out, Finding{Container: c.Name, Message: fmt.Sprintf("container %s image %s uses the mutable tag latest: a rollback would run whatever it points to then", c.Name, c.Image),
				Fix: fmt.Sprintf("give container %s an immutable tag or a digest", c.Name)})
		}
	}
	return out
}

func missingRequests(w Workload, _ Settings) []Finding {
	var out []Finding
	for _, c := range containers(w) {
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				out = append(out, Finding{Container: c.Name, Message: fmt.Sprintf("container %s has no %s request", c.Name, r),
					Fix: fmt.Sprintf("add resources.requests.%s to container %s", r, c.Name)})
			}
		}
	}
	return out
}

// missingLimits checks memory limits only: CPU limits throttle and their
// use is debated, a memory limit protects the node's other pods.
func missingLimits(w Workload, _ Settings) []Finding {
	var out []Finding
	for _, c := range containers(w) {
		if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
			out = append(out, Finding{Container: c.Name, Message: fmt.Sprintf("container %s has no memory limit", c.Name),
				Fix: fmt.Sprintf("add resources.limits.memory to container %s", c.Name)})
		}
	}
	return out
}

func missingReadiness(w Workload, _ Settings) []Finding {
	var out []Finding
	for _, c := range w.Template.Spec.Containers {
		if c.ReadinessProbe == nil {
			out = append(out, Finding{Container: c.Name, Message: fmt.Sprintf("container %s has no readiness probe: Ready means only that the process started", c.Name),
				Fix: fmt.Sprintf("add a readinessProbe to container %s", c.Name)})
		}
	}
	return out
}

func livenessWithoutReadiness(w Workload, _ Settings) []Finding {
	var out []Finding
	for _, c := range w.Template.Spec.Containers {
		if c.LivenessProbe != nil && c.ReadinessProbe == nil {
			out = append(out, Finding{Container: c.Name, Message: fmt.Sprintf("container %s has a liveness probe but no readiness probe", c.Name),
				Fix: fmt.Sprintf("add a readinessProbe to container %s (traffic reaches it before it is ready)", c.Name)})
		}
	}
	return out
}

// selecting returns the PDBs whose selector matches the pod template.
func selecting(w Workload) []policyv1.PodDisruptionBudget {
	var out []policyv1.PodDisruptionBudget
	set := labels.Set(w.Template.Labels)
	for _, p := range w.PDBs {
		if p.Namespace != "" && w.Namespace != "" && p.Namespace != w.Namespace {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil || sel.Empty() {
			continue
		}
		if sel.Matches(set) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func missingPDB(w Workload, _ Settings) []Finding {
	if w.PDBs == nil {
		return nil // unknown: manifest mode without PDBs says nothing
	}
	pdbs := selecting(w)
	if len(pdbs) == 0 {
		return []Finding{{Message: fmt.Sprintf("no PodDisruptionBudget selects the pods of %s %s: a node drain may evict every replica at once", w.Kind, w.Name),
			Fix: fmt.Sprintf("add a PodDisruptionBudget with maxUnavailable: 1 selecting %s", labels.Set(w.Template.Labels))}}
	}
	var out []Finding
	for _, p := range pdbs {
		if allowed := disruptionsAllowed(p, w.Replicas); allowed <= 0 {
			out = append(out, Finding{Message: fmt.Sprintf("PodDisruptionBudget %s allows no disruption with %d replicas: node drains will block", p.Name, w.Replicas),
				Fix: fmt.Sprintf("lower %s's minAvailable or raise maxUnavailable, or run more replicas", p.Name)})
		}
	}
	return out
}

// disruptionsAllowed is how many pods the PDB lets go with all replicas
// healthy, resolving percentages the way the disruption controller does
// (minAvailable rounds up, maxUnavailable rounds up).
func disruptionsAllowed(p policyv1.PodDisruptionBudget, replicas int32) int32 {
	switch {
	case p.Spec.MaxUnavailable != nil:
		n, err := intstr.GetScaledValueFromIntOrPercent(p.Spec.MaxUnavailable, int(replicas), true)
		if err != nil {
			return 1
		}
		return int32(n)
	case p.Spec.MinAvailable != nil:
		n, err := intstr.GetScaledValueFromIntOrPercent(p.Spec.MinAvailable, int(replicas), true)
		if err != nil {
			return 1
		}
		return replicas - int32(n)
	}
	return 1
}

func serviceAccountToken(w Workload, _ Settings) []Finding {
	s := w.Template.Spec
	if s.AutomountServiceAccountToken != nil {
		if !*s.AutomountServiceAccountToken {
			return nil
		}
	} else if sa := w.ServiceAccount; sa != nil && sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken {
		return nil
	}
	name := s.ServiceAccountName
	if name == "" {
		name = "default"
	}
	return []Finding{{Message: fmt.Sprintf("every pod of %s %s mounts an API token of service account %s", w.Kind, w.Name, name),
		Fix: "set automountServiceAccountToken: false in the pod spec unless the app calls the Kubernetes API"}}
}

func replicasForHA(w Workload, cfg Settings) []Finding {
	if w.Replicas != 1 {
		return nil
	}
	why := ""
	switch {
	case cfg.RequireHA:
		why = "requireHA is set"
	case len(selecting(w)) > 0:
		why = "a PodDisruptionBudget protects it, so drains will block on the only pod"
	default:
		return nil
	}
	return []Finding{{Message: fmt.Sprintf("%s %s runs a single replica and %s", w.Kind, w.Name, why),
		Fix: "run at least 2 replicas"}}
}

// Image is a parsed image reference.
type Image struct {
	Repository string // registry/path, without tag or digest
	Tag        string
	Digest     string
}

// ParseImage splits an image reference. A colon is a tag separator only
// after the last slash: host:5000/app is an untagged image on a registry
// with a port, not the tag "5000/app".
func ParseImage(ref string) Image {
	var img Image
	if name, digest, ok := strings.Cut(ref, "@"); ok {
		ref, img.Digest = name, digest
	}
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		ref, img.Tag = ref[:colon], ref[colon+1:]
	}
	img.Repository = ref
	return img
}
