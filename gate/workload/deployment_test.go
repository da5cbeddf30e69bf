package workload

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestDeploymentProgress(t *testing.T) {
	three := int32(3)
	dep := func(gen, observed int64, st appsv1.DeploymentStatus) *appsv1.Deployment {
		d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: &three}, Status: st}
		d.Generation, d.Status.ObservedGeneration = gen, observed
		return d
	}
	deadline := appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
		Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "api-5d8" has timed out progressing.`}
	tests := []struct {
		name       string
		d          *appsv1.Deployment
		done, fail bool
		msg        string
	}{
		{"an unobserved generation is never done, even with every replica available",
			dep(2, 1, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), false, false, "spec update to be observed"},
		{"progress deadline exceeded is a failure",
			dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, Conditions: []appsv1.DeploymentCondition{deadline}}), false, true, "ProgressDeadlineExceeded"},
		{"too few updated replicas waits",
			dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, AvailableReplicas: 3}), false, false, "1 of 3 new replicas have been updated"},
		{"old replicas still running waits",
			dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 3, AvailableReplicas: 3}), false, false, "1 old replicas are pending termination"},
		{"unavailable updated replicas waits",
			dep(2, 2, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 2}), false, false, "2 of 3 updated replicas are available"},
		{"all updated and available is done",
			dep(2, 2, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), true, false, "successfully rolled out"},
		{"an observed generation ahead of metadata still counts as observed",
			dep(2, 3, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), true, false, "successfully rolled out"},
		{"nil replicas means one, as the API defaults it",
			&appsv1.Deployment{Status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}}, true, false, "1 of 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DeploymentProgress(tt.d)
			if p.Done != tt.done || p.Failed != tt.fail || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("got %+v, want done=%v failed=%v message containing %q", p, tt.done, tt.fail, tt.msg)
			}
		})
	}
}
