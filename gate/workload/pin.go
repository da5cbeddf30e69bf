package workload

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Pin is what a gate recorded at its start: the revision under gate and the
// stable revision it would roll back to.
type Pin struct {
	Revision     int64    `json:"revision"`
	ReplicaSet   string   `json:"replicaSet,omitempty"`
	TemplateHash string   `json:"templateHash,omitempty"`
	Images       []string `json:"images,omitempty"`
	// Created is when the revision's ReplicaSet was created: the moment the
	// rollout began, before which the stable pods served all traffic.
	Created time.Time `json:"created,omitzero"`
	Stable  *Stable   `json:"stable,omitempty"`
	// At is when this gate pinned the revision, on the gate's clock; the
	// readiness watch counts restarts and OOM kills from it.
	At time.Time `json:"pinnedAt,omitzero"`
	// Restarts is each container's restartCount when the revision was
	// pinned, by pod UID then container name (readiness.Baseline). A revert
	// reuses a ReplicaSet whose pods restarted before this gate began.
	Restarts map[types.UID]map[string]int32 `json:"-"`
	// template is the pinned template, for the supersede check.
	template *corev1.PodTemplateSpec
}

// Stable is the previous ReplicaSet of a Deployment.
type Stable struct {
	ReplicaSet   string   `json:"replicaSet"`
	Revision     int64    `json:"revision"`
	TemplateHash string   `json:"templateHash,omitempty"`
	Images       []string `json:"images,omitempty"`
	// Pods is how many pods the stable ReplicaSet had when pinned (a
	// Deployment's; 0 once its rollout completed).
	Pods int32 `json:"-"`
}

// String describes the pin for people: "revision 3 (pod-template-hash
// 5d8f, app=api:v3); stable revision 2 (app=api:v2)".
func (p Pin) String() string {
	s := fmt.Sprintf("revision %d (pod-template-hash %s, %s)", p.Revision, p.TemplateHash, strings.Join(p.Images, ", "))
	if p.Stable != nil {
		s += fmt.Sprintf("; stable revision %d (%s)", p.Stable.Revision, strings.Join(p.Stable.Images, ", "))
	}
	return s
}

// revisionOf reads deployment.kubernetes.io/revision; 0 when absent.
func revisionOf(m metav1.Object) int64 {
	n, _ := strconv.ParseInt(m.GetAnnotations()[RevisionAnnotation], 10, 64)
	return n
}

// replicaSetOfRevision is the ReplicaSet of revision rev among owned, or nil.
func replicaSetOfRevision(owned []*appsv1.ReplicaSet, rev int64) *appsv1.ReplicaSet {
	for _, rs := range owned {
		if revisionOf(rs) == rev {
			return rs
		}
	}
	return nil
}

// pinDeployment records rs, d's ReplicaSet under gate, and the newest
// older revision as the stable one.
func pinDeployment(d *appsv1.Deployment, owned []*appsv1.ReplicaSet, rs *appsv1.ReplicaSet) Pin {
	rev := revisionOf(rs)
	t := templateWithoutHash(rs.Spec.Template)
	p := Pin{Revision: rev, Images: images(d.Spec.Template.Spec.Containers), template: &t,
		ReplicaSet: rs.Name, TemplateHash: rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey], Created: rs.CreationTimestamp.UTC()}
	for _, rs := range owned {
		if r := revisionOf(rs); r < rev {
			p.Stable = &Stable{ReplicaSet: rs.Name, Revision: r, TemplateHash: rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey],
				Images: images(rs.Spec.Template.Spec.Containers), Pods: rs.Status.Replicas}
			break
		}
	}
	return p
}

func images(cs []corev1.Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name + "=" + c.Image
	}
	return out
}

// RevisionOf is a ReplicaSet's revision, whichever controller numbered it.
func RevisionOf(rs *appsv1.ReplicaSet) int64 {
	if n := revisionOf(rs); n != 0 {
		return n
	}
	return rolloutRevision(rs)
}

// Record is what rollgate wrote on a workload when it last acted on it.
type Record struct {
	VerifiedHash, VerifiedRevision string
	RolledBackTo, RolledBackFrom   string
}

// RecordOf reads rollgate's annotations.
func RecordOf(st *State) Record {
	a := st.Annotations
	return Record{VerifiedHash: a[AnnotationVerifiedHash], VerifiedRevision: a[AnnotationVerifiedRevision],
		RolledBackTo: a[AnnotationRolledBackTo], RolledBackFrom: a[AnnotationRolledBackFrom]}
}
