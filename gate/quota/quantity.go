package quota

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// addTo adds every quantity of from to list, creating missing keys.
func addTo(list, from corev1.ResourceList) {
	for k, v := range from {
		sum := list[k]
		sum.Add(v)
		list[k] = sum
	}
}

// maxInto raises every quantity of list to at least the one in from.
func maxInto(list, from corev1.ResourceList) {
	for k, v := range from {
		if cur, ok := list[k]; !ok || v.Cmp(cur) > 0 {
			list[k] = v.DeepCopy()
		}
	}
}

// times returns q×n exactly. Quantity has no multiplication; doubling and
// adding keeps it exact and keeps q's format, so 3×256Mi prints as 768Mi.
func times(q resource.Quantity, n int64) resource.Quantity {
	out := resource.Quantity{Format: q.Format}
	acc := q.DeepCopy()
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			out.Add(acc)
		}
		acc.Add(acc.DeepCopy())
	}
	return out
}

// larger returns the greater of a and b.
func larger(a, b resource.Quantity) resource.Quantity {
	if b.Cmp(a) > 0 {
		return b
	}
	return a
}

// anyName reports whether some resource name of l satisfies f.
func anyName(l corev1.ResourceList, f func(corev1.ResourceName) bool) bool {
	for name := range l {
		if f(name) {
			return true
		}
	}
	return false
}
