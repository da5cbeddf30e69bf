package quota

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestEvaluateTightAndNotChecked(t *testing.T) {
	app := podSpec(container("app", list("cpu", "100m", "memory", "256Mi"), nil))
	rollout := func(p Plan) Rollout { return Rollout{New: app, Old: app, Plan: p} }
	pods := func(hard, used string) corev1.ResourceQuota {
		return resourceQuota("pods", list("pods", hard), list("pods", used))
	}
	tests := []struct {
		name    string
		quotas  []corev1.ResourceQuota
		rollout Rollout
		short   []string
		tight   []string
		notEval []string
	}{
		{"maxSurge 0 on a full pod quota is tight before the controller starts",
			[]corev1.ResourceQuota{pods("3", "3")}, rollout(Plan{Replicas: 3, MaxSurge: 0, OldPods: 3}), nil,
			[]string{"quota shop/pods: pods: tight: proceeds as old pods terminate (rollout needs 0 more, 0 left)"}, nil},
		{"maxSurge 0 on a full pod quota is tight while an old pod terminates",
			[]corev1.ResourceQuota{pods("3", "3")}, rollout(Plan{Replicas: 3, MaxSurge: 0, OldPods: 2, OldTerminating: 1}), nil,
			[]string{"quota shop/pods: pods: tight: proceeds as old pods terminate (rollout needs 1 more, 0 left, 1 held by terminating pods)"}, nil},
		{"maxSurge 0 with room for a pod is not tight",
			[]corev1.ResourceQuota{pods("4", "3")}, rollout(Plan{Replicas: 3, MaxSurge: 0, OldPods: 3}), nil, nil, nil},
		{"a finished rollout on a full quota is no note",
			[]corev1.ResourceQuota{pods("3", "3")}, rollout(Plan{Replicas: 3, MaxSurge: 0, NewPods: 3}), nil, nil, nil},
		{"a surge that terminating pods cannot cover is a shortfall",
			[]corev1.ResourceQuota{pods("3", "3")}, rollout(Plan{Replicas: 3, MaxSurge: 2, OldPods: 2, OldTerminating: 1}),
			[]string{"quota shop/pods: pods: rollout needs 3 more, 0 left"}, nil, nil},
		{"terminating pods cover a memory shortfall in their size",
			[]corev1.ResourceQuota{resourceQuota("mem", list("requests.memory", "768Mi"), list("requests.memory", "768Mi"))},
			rollout(Plan{Replicas: 3, MaxSurge: 0, OldPods: 2, OldTerminating: 1}), nil,
			[]string{"quota shop/mem: requests.memory: tight: proceeds as old pods terminate (rollout needs 256Mi more, 0 left, 256Mi held by terminating pods)"}, nil},
		{"a PriorityClass scope is not checked when the cluster default is unreadable",
			[]corev1.ResourceQuota{resourceQuota("high", list("pods", "1"), list("pods", "0"), priorityClassScope(corev1.ScopeSelectorOpIn, "high"))},
			Rollout{New: app, Old: app, PriorityClassUnknown: "could not be listed: forbidden", Plan: Plan{Replicas: 3, MaxSurge: 3, OldPods: 3}}, nil, nil,
			[]string{"quota shop/high: not checked: its PriorityClass scope depends on the cluster's globalDefault PriorityClass, which could not be listed: forbidden"}},
		{"an unreadable default priority class does not matter to pods that name one",
			[]corev1.ResourceQuota{resourceQuota("high", list("pods", "1"), list("pods", "0"), priorityClassScope(corev1.ScopeSelectorOpIn, "high"))},
			Rollout{New: withPriority(app, "low"), Old: withPriority(app, "low"), PriorityClassUnknown: "forbidden",
				Plan: Plan{Replicas: 3, MaxSurge: 3, OldPods: 3}}, nil, nil, nil},
		{"an unreadable default priority class does not matter to quotas without the scope",
			[]corev1.ResourceQuota{pods("10", "3")}, Rollout{New: app, Old: app, PriorityClassUnknown: "forbidden",
				Plan: Plan{Replicas: 3, MaxSurge: 3, OldPods: 3}}, nil, nil, nil},
		{"an unreadable RuntimeClass leaves compute quotas not checked",
			[]corev1.ResourceQuota{resourceQuota("cpu", list("requests.cpu", "10"), list("requests.cpu", "0"))},
			Rollout{New: app, Old: app, OverheadUnknown: "runtimeclass kata could not be read: forbidden", Plan: Plan{Replicas: 3, MaxSurge: 1, OldPods: 3}}, nil, nil,
			[]string{"quota shop/cpu: not checked: the pods' RuntimeClass overhead counts against it, and runtimeclass kata could not be read: forbidden"}},
		{"an unreadable RuntimeClass does not matter to a pod count quota",
			[]corev1.ResourceQuota{pods("3", "3")},
			Rollout{New: app, Old: app, OverheadUnknown: "forbidden", Plan: Plan{Replicas: 3, MaxSurge: 1, OldPods: 3}},
			[]string{"quota shop/pods: pods: rollout needs 1 more, 0 left"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(tt.quotas, tt.rollout)
			var short, tight, notEval []string
			for _, s := range res.Shortfalls {
				short = append(short, s.Error())
			}
			for _, s := range res.Tight {
				tight = append(tight, s.String())
			}
			for _, n := range res.NotEvaluated {
				notEval = append(notEval, n.String())
			}
			if !slices.Equal(short, tt.short) || !slices.Equal(tight, tt.tight) || !slices.Equal(notEval, tt.notEval) {
				t.Errorf("shortfalls %q\n  want %q\ntight %q\n  want %q\nnot checked %q\n  want %q", short, tt.short, tight, tt.tight, notEval, tt.notEval)
			}
			if res.OK() != (len(tt.short) == 0) {
				t.Errorf("OK() = %v: a tight quota must not fail", res.OK())
			}
		})
	}
}

func withPriority(s corev1.PodSpec, class string) corev1.PodSpec {
	s = *s.DeepCopy()
	s.PriorityClassName = class
	return s
}

func TestDefaultPriorityClass(t *testing.T) {
	pc := func(name string, value int32, def bool) schedulingv1.PriorityClass {
		return schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value, GlobalDefault: def}
	}
	tests := []struct {
		name    string
		classes []schedulingv1.PriorityClass
		want    string
	}{
		{"no classes, no default", nil, ""},
		{"classes without globalDefault, no default", []schedulingv1.PriorityClass{pc("high", 1000, false)}, ""},
		{"the globalDefault class is the default", []schedulingv1.PriorityClass{pc("high", 1000, false), pc("normal", 10, true)}, "normal"},
		{"of two defaults (a race) the lowest value wins, like the admission plugin",
			[]schedulingv1.PriorityClass{pc("b", 100, true), pc("a", 50, true)}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultPriorityClass(tt.classes); got != tt.want {
				t.Errorf("DefaultPriorityClass = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWithOverhead(t *testing.T) {
	app := podSpec(container("app", list("cpu", "100m", "memory", "100Mi"), list("memory", "200Mi")))
	kata := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata",
		Overhead: &nodev1.Overhead{PodFixed: list("cpu", "250m", "memory", "120Mi")}}
	tests := []struct {
		name    string
		spec    corev1.PodSpec
		rc      *nodev1.RuntimeClass
		want    corev1.ResourceList // PodResources after
		wantErr bool
	}{
		{"no RuntimeClass adds nothing", app, nil, list("pods", "1", "count/pods", "1", "cpu", "100m", "requests.cpu", "100m",
			"memory", "100Mi", "requests.memory", "100Mi", "limits.memory", "200Mi"), false},
		{"a RuntimeClass without overhead adds nothing", app, &nodev1.RuntimeClass{Handler: "runc"}, list("pods", "1", "count/pods", "1",
			"cpu", "100m", "requests.cpu", "100m", "memory", "100Mi", "requests.memory", "100Mi", "limits.memory", "200Mi"), false},
		{"podFixed adds to requests and to the limits that are set", app, kata, list("pods", "1", "count/pods", "1",
			"cpu", "350m", "requests.cpu", "350m", "memory", "220Mi", "requests.memory", "220Mi", "limits.memory", "320Mi"), false},
		{"a template overhead that differs is rejected like the admission plugin", func() corev1.PodSpec {
			s := *app.DeepCopy()
			s.Overhead = list("cpu", "1")
			return s
		}(), kata, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WithOverhead(tt.spec, tt.rc)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if d := diffLists(PodResources(got, nil), tt.want); d != "" {
				t.Error(d)
			}
		})
	}
}
