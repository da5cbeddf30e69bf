package gate

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
)

// RevisionAnnotation is the Deployment controller's revision counter.
const RevisionAnnotation = "deployment.kubernetes.io/revision"

// Progress is where a rollout stands at one moment.
type Progress struct {
	Done    bool   `json:"done"`
	Failed  bool   `json:"failed"`
	Message string `json:"message"`
}

// DeploymentProgress applies kubectl's rollout status rules, in kubectl's
// order (kubernetes/kubectl pkg/polymorphichelpers/rollout_status.go), so
// rollgate and `kubectl rollout status` never disagree on "complete".
func DeploymentProgress(d *appsv1.Deployment) Progress {
	if d.Generation > d.Status.ObservedGeneration {
		return Progress{Message: "waiting for the deployment spec update to be observed"}
	}
	if c := deploymentCondition(d.Status, appsv1.DeploymentProgressing); c != nil && c.Reason == "ProgressDeadlineExceeded" {
		return Progress{Failed: true, Message: fmt.Sprintf("condition Progressing=False reason ProgressDeadlineExceeded: %s", c.Message)}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case st.UpdatedReplicas < want:
		return Progress{Message: fmt.Sprintf("%d of %d new replicas have been updated", st.UpdatedReplicas, want)}
	case st.Replicas > st.UpdatedReplicas:
		return Progress{Message: fmt.Sprintf("%d old replicas are pending termination", st.Replicas-st.UpdatedReplicas)}
	case st.AvailableReplicas < st.UpdatedReplicas:
		return Progress{Message: fmt.Sprintf("%d of %d updated replicas are available", st.AvailableReplicas, st.UpdatedReplicas)}
	}
	return Progress{Done: true, Message: fmt.Sprintf("successfully rolled out (%d of %d updated replicas available)", st.AvailableReplicas, want)}
}

func deploymentCondition(st appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}
