package preflight

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/quota"
)

func TestAdmissionInputs(t *testing.T) {
	kata := "kata"
	app := corev1.PodSpec{RuntimeClassName: &kata, Containers: []corev1.Container{{Name: "app"}}}
	priorityQuota := corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopePriorityClass}}}
	objects := []runtime.Object{
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "normal"}, Value: 10, GlobalDefault: true},
		&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata",
			Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}}},
	}
	forbid := func(resource string) func(*fake.Clientset) {
		return func(c *fake.Clientset) {
			c.PrependReactor("*", resource, func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", nil)
			})
		}
	}
	tests := []struct {
		name         string
		restrict     func(*fake.Clientset)
		wantDefault  string
		wantOverhead string // cpu overhead on the new pod, "" for none
		priorityWhy  string
		overheadWhy  string
	}{
		{"readable cluster objects are applied like the admission plugins", nil, "normal", "250m", "", ""},
		{"a forbidden PriorityClass list leaves the default unknown, named", forbid("priorityclasses"), "", "250m", "list priorityclasses.scheduling.k8s.io: forbidden", ""},
		{"a forbidden RuntimeClass get leaves the overhead unknown, named", forbid("runtimeclasses"), "normal", "", "", "get runtimeclasses.node.k8s.io kata: forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset(objects...)
			if tt.restrict != nil {
				tt.restrict(client)
			}
			r := quota.Rollout{New: app, Old: app}
			if err := admissionInputs(context.Background(), cluster.Cluster{Client: client}, []corev1.ResourceQuota{priorityQuota}, &r); err != nil {
				t.Fatalf("a forbidden lookup must not fail the gate: %v", err)
			}
			if r.DefaultPriorityClass != tt.wantDefault {
				t.Errorf("default priority class = %q, want %q", r.DefaultPriorityClass, tt.wantDefault)
			}
			got := ""
			if q, ok := r.New.Overhead[corev1.ResourceCPU]; ok {
				got = q.String()
			}
			if got != tt.wantOverhead {
				t.Errorf("overhead cpu = %q, want %q", got, tt.wantOverhead)
			}
			if !strings.Contains(r.PriorityClassUnknown, tt.priorityWhy) || (tt.priorityWhy == "") != (r.PriorityClassUnknown == "") {
				t.Errorf("PriorityClassUnknown = %q, want it to name %q", r.PriorityClassUnknown, tt.priorityWhy)
			}
			if !strings.Contains(r.OverheadUnknown, tt.overheadWhy) || (tt.overheadWhy == "") != (r.OverheadUnknown == "") {
				t.Errorf("OverheadUnknown = %q, want it to name %q", r.OverheadUnknown, tt.overheadWhy)
			}
		})
	}
}
