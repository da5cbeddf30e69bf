package gate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
}

// Stable is the previous ReplicaSet of a Deployment.
type Stable struct {
	ReplicaSet   string   `json:"replicaSet"`
	Revision     int64    `json:"revision"`
	TemplateHash string   `json:"templateHash,omitempty"`
	Images       []string `json:"images,omitempty"`
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

// ownedReplicaSets returns the ReplicaSets whose controller is d, newest
// revision first (the same filter kubectl's rollback uses).
func ownedReplicaSets(d *appsv1.Deployment, all []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range all {
		if ref := metav1.GetControllerOf(rs); ref != nil && ref.UID == d.UID {
			out = append(out, rs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return revisionOf(out[i]) > revisionOf(out[j]) })
	return out
}

// newReplicaSet is the ReplicaSet of revision rev owned by d, or nil.
func newReplicaSet(owned []*appsv1.ReplicaSet, rev int64) *appsv1.ReplicaSet {
	for _, rs := range owned {
		if revisionOf(rs) == rev {
			return rs
		}
	}
	return nil
}

// pinDeployment records revision rev of d and the newest older revision as
// the stable one.
func pinDeployment(d *appsv1.Deployment, owned []*appsv1.ReplicaSet, rev int64) Pin {
	p := Pin{Revision: rev, Images: images(d.Spec.Template.Spec.Containers)}
	if rs := newReplicaSet(owned, rev); rs != nil {
		p.ReplicaSet, p.TemplateHash = rs.Name, rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		p.Created = rs.CreationTimestamp.UTC()
	}
	for _, rs := range owned {
		if r := revisionOf(rs); r < rev {
			p.Stable = &Stable{ReplicaSet: rs.Name, Revision: r, TemplateHash: rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey],
				Images: images(rs.Spec.Template.Spec.Containers)}
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
