package quota

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPodResources(t *testing.T) {
	defaults := limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer,
		Default:        list("cpu", "500m", "memory", "512Mi"),
		DefaultRequest: list("cpu", "100m", "memory", "128Mi")})
	limitOnly := limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: list("memory", "256Mi")})
	withOverhead := podSpec(container("app", list("cpu", "100m", "memory", "100Mi"), list("memory", "200Mi")))
	withOverhead.Overhead = list("cpu", "250m", "memory", "120Mi")
	podLevel := podSpec(container("app", list("cpu", "100m"), nil))
	podLevel.Resources = &corev1.ResourceRequirements{Requests: list("cpu", "1"), Limits: list("cpu", "2")}
	podLimitOnly := podSpec(container("app", nil, nil))
	podLimitOnly.Resources = &corev1.ResourceRequirements{Limits: list("memory", "1Gi")}
	initDefaulted := podSpec(container("app", list("cpu", "200m"), nil))
	initDefaulted.InitContainers = []corev1.Container{container("migrate", nil, nil)}

	tests := []struct {
		name   string
		spec   corev1.PodSpec
		ranges []corev1.LimitRange
		want   corev1.ResourceList
	}{
		{"a pod without resources counts only as a pod",
			podSpec(container("app", nil, nil)), nil,
			list("pods", "1", "count/pods", "1")},
		{"LimitRange defaultRequest is applied to a container without requests",
			podSpec(container("app", nil, nil)), []corev1.LimitRange{defaults},
			list("pods", "1", "count/pods", "1",
				"cpu", "100m", "requests.cpu", "100m", "limits.cpu", "500m",
				"memory", "128Mi", "requests.memory", "128Mi", "limits.memory", "512Mi")},
		{"a LimitRange default limit is also the request when there is no defaultRequest",
			podSpec(container("app", nil, nil)), []corev1.LimitRange{limitOnly},
			list("pods", "1", "count/pods", "1", "memory", "256Mi", "requests.memory", "256Mi", "limits.memory", "256Mi")},
		{"a LimitRange max is the default limit when it has no default",
			podSpec(container("app", nil, nil)),
			[]corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: list("cpu", "2")})},
			list("pods", "1", "count/pods", "1", "cpu", "2", "requests.cpu", "2", "limits.cpu", "2")},
		{"containers with their own requests keep them and only get the missing limits",
			podSpec(container("app", list("cpu", "250m", "memory", "64Mi"), nil)), []corev1.LimitRange{defaults},
			list("pods", "1", "count/pods", "1",
				"cpu", "250m", "requests.cpu", "250m", "limits.cpu", "500m",
				"memory", "64Mi", "requests.memory", "64Mi", "limits.memory", "512Mi")},
		{"a container's own limit becomes its request before LimitRange defaults apply",
			podSpec(container("app", nil, list("memory", "300Mi"))), []corev1.LimitRange{defaults},
			list("pods", "1", "count/pods", "1",
				"cpu", "100m", "requests.cpu", "100m", "limits.cpu", "500m",
				"memory", "300Mi", "requests.memory", "300Mi", "limits.memory", "300Mi")},
		{"LimitRange items of other types are not container defaults",
			podSpec(container("app", nil, nil)),
			[]corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: list("cpu", "2")})},
			list("pods", "1", "count/pods", "1")},
		{"an init container larger than the sum of the app containers dominates",
			corev1.PodSpec{
				InitContainers: []corev1.Container{container("migrate", list("cpu", "500m"), nil)},
				Containers:     []corev1.Container{container("app", list("cpu", "100m"), nil), container("proxy", list("cpu", "100m"), nil)},
			}, nil,
			list("pods", "1", "count/pods", "1", "cpu", "500m", "requests.cpu", "500m")},
		{"the sum of the app containers wins over a smaller init container",
			corev1.PodSpec{
				InitContainers: []corev1.Container{container("migrate", list("cpu", "150m"), nil)},
				Containers:     []corev1.Container{container("app", list("cpu", "100m"), nil), container("proxy", list("cpu", "100m"), nil)},
			}, nil,
			list("pods", "1", "count/pods", "1", "cpu", "200m", "requests.cpu", "200m")},
		{"a sidecar init container adds to the app containers",
			corev1.PodSpec{
				InitContainers: []corev1.Container{sidecar("mesh", list("cpu", "100m"))},
				Containers:     []corev1.Container{container("app", list("cpu", "200m"), nil)},
			}, nil,
			list("pods", "1", "count/pods", "1", "cpu", "300m", "requests.cpu", "300m")},
		{"a sidecar init container adds to the init containers that start after it",
			corev1.PodSpec{
				InitContainers: []corev1.Container{sidecar("mesh", list("cpu", "100m")), container("migrate", list("cpu", "500m"), nil)},
				Containers:     []corev1.Container{container("app", list("cpu", "200m"), nil)},
			}, nil,
			list("pods", "1", "count/pods", "1", "cpu", "600m", "requests.cpu", "600m")},
		{"an init container that runs before a sidecar does not share with it",
			corev1.PodSpec{
				InitContainers: []corev1.Container{container("migrate", list("cpu", "500m"), nil), sidecar("mesh", list("cpu", "100m"))},
				Containers:     []corev1.Container{container("app", list("cpu", "200m"), nil)},
			}, nil,
			list("pods", "1", "count/pods", "1", "cpu", "500m", "requests.cpu", "500m")},
		{"LimitRange defaults reach init containers too",
			initDefaulted,
			[]corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, DefaultRequest: list("cpu", "1")})},
			list("pods", "1", "count/pods", "1", "cpu", "1", "requests.cpu", "1")},
		{"pod overhead is added to every request and to the limits that are set",
			withOverhead, nil,
			list("pods", "1", "count/pods", "1",
				"cpu", "350m", "requests.cpu", "350m",
				"memory", "220Mi", "requests.memory", "220Mi", "limits.memory", "320Mi")},
		{"extended resources count as requests only and huge pages under both names",
			podSpec(container("app", list("example.com/gpu", "2", "hugepages-2Mi", "4Mi", "ephemeral-storage", "1Gi"),
				list("example.com/gpu", "2", "hugepages-2Mi", "4Mi"))), nil,
			list("pods", "1", "count/pods", "1", "requests.example.com/gpu", "2",
				"hugepages-2Mi", "4Mi", "requests.hugepages-2Mi", "4Mi",
				"ephemeral-storage", "1Gi", "requests.ephemeral-storage", "1Gi")},
		{"pod-level resources replace the containers' sum",
			podLevel, nil,
			list("pods", "1", "count/pods", "1", "cpu", "1", "requests.cpu", "1", "limits.cpu", "2")},
		{"a pod-level limit alone is also the pod's request",
			podLimitOnly, nil,
			list("pods", "1", "count/pods", "1", "memory", "1Gi", "requests.memory", "1Gi", "limits.memory", "1Gi")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.spec.DeepCopy()
			got := PodResources(tt.spec, tt.ranges)
			if d := diffLists(got, tt.want); d != "" {
				t.Error(d)
			}
			if diffLists(tt.spec.Containers[0].Resources.Requests, before.Containers[0].Resources.Requests) != "" {
				t.Error("PodResources changed the caller's spec")
			}
		})
	}
}
