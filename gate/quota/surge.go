package quota

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// defaultFencepost is both the apps/v1 default of a RollingUpdate's
// maxSurge and maxUnavailable and Argo Rollouts' default for a canary's.
var defaultFencepost = intstr.FromString("25%")

// DeploymentSurge returns how many pods above spec.replicas (maxSurge) and
// below it (maxUnavailable) the Deployment controller allows d, resolved the
// way its ResolveFenceposts, MaxSurge and MaxUnavailable do: percentages of
// spec.replicas, surge rounded up, unavailable rounded down, 1 unavailable
// when both come out 0, unavailable capped at the replica count. Unset
// fields get the apps/v1 defaults (RollingUpdate, 25%/25%, 1 replica), so a
// manifest that never met an apiserver resolves like the stored object.
// Recreate has no surge and takes every replica down.
func DeploymentSurge(d *appsv1.Deployment) (maxSurge, maxUnavailable int32, err error) {
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return 0, replicas, nil
	}
	surge, unavailable := &defaultFencepost, &defaultFencepost
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			surge = ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			unavailable = ru.MaxUnavailable
		}
	}
	maxSurge, maxUnavailable, err = fenceposts(surge, unavailable, replicas)
	if err != nil {
		return 0, 0, fmt.Errorf("deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	return maxSurge, maxUnavailable, nil
}

// CanarySurge is DeploymentSurge for an Argo Rollout's canary strategy,
// given spec.replicas (1 when unset) and spec.strategy.canary's maxSurge and
// maxUnavailable (nil means Argo's default, 25%). Argo reads a string
// without "%" as a percentage too, so "10" is 10% here as it is there.
//
// The surge is what the rollout controller allows without traffic routing.
// With trafficRouting the stable ReplicaSet stays at full size while the
// canary grows, and a blue-green preview is a full second copy: for those
// the peak extra pods are the replicas themselves, not this surge.
func CanarySurge(replicas int32, surge, unavailable *intstr.IntOrString) (maxSurge, maxUnavailable int32, err error) {
	if surge == nil {
		surge = &defaultFencepost
	}
	if unavailable == nil {
		unavailable = &defaultFencepost
	}
	return fenceposts(argoPercent(*surge), argoPercent(*unavailable), replicas)
}

// argoPercent mirrors the deprecated intstr.GetValueFromIntOrPercent that
// Argo Rollouts still calls, which treats every string as a percentage.
func argoPercent(v intstr.IntOrString) *intstr.IntOrString {
	if v.Type == intstr.String && !strings.HasSuffix(v.StrVal, "%") {
		v = intstr.FromString(v.StrVal + "%")
	}
	return &v
}

// fenceposts is ResolveFenceposts followed by the MaxUnavailable caps.
func fenceposts(surge, unavailable *intstr.IntOrString, replicas int32) (int32, int32, error) {
	s, err := intstr.GetScaledValueFromIntOrPercent(surge, int(replicas), true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge %s: %w", surge, err)
	}
	u, err := intstr.GetScaledValueFromIntOrPercent(unavailable, int(replicas), false)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable %s: %w", unavailable, err)
	}
	if s == 0 && u == 0 {
		// The controllers' own fallback: rounding down may zero both, and
		// a rollout that can neither surge nor drop a pod never moves.
		u = 1
	}
	if u > int(replicas) {
		u = int(replicas)
	}
	return int32(s), int32(u), nil
}
