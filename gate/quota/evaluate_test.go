package quota

import (
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestEvaluate(t *testing.T) {
	app := podSpec(container("app", list("cpu", "100m", "memory", "256Mi"), list("cpu", "200m", "memory", "256Mi")))
	bare := podSpec(container("app", nil, nil))
	withClass := func(s corev1.PodSpec, class string) corev1.PodSpec {
		s = *s.DeepCopy()
		s.PriorityClassName = class
		return s
	}
	deadline := *app.DeepCopy()
	seconds := int64(600)
	deadline.ActiveDeadlineSeconds = &seconds
	// Three replicas surging by three: the rollout adds three pods.
	surge3 := Plan{Replicas: 3, MaxSurge: 3, OldPods: 3}
	rollout := func(s corev1.PodSpec, p Plan) Rollout { return Rollout{New: s, Old: s, Plan: p} }
	memory := func(hard, used string) corev1.ResourceQuota {
		return resourceQuota("compute", list("requests.memory", hard), list("requests.memory", used))
	}

	tests := []struct {
		name    string
		quotas  []corev1.ResourceQuota
		rollout Rollout
		want    []string // shortfalls, then missing resources
		notEval []string
	}{
		{"a quota with enough headroom passes",
			[]corev1.ResourceQuota{memory("4Gi", "768Mi")}, rollout(app, surge3), nil, nil},
		{"a quota too small for requests.memory names the resource, the need and the headroom",
			[]corev1.ResourceQuota{memory("1Gi", "768Mi")}, rollout(app, surge3),
			[]string{"quota shop/compute: requests.memory: rollout needs 768Mi more, 256Mi left"}, nil},
		{"headroom that exactly fits passes",
			[]corev1.ResourceQuota{memory("1536Mi", "768Mi")}, rollout(app, surge3), nil, nil},
		{"a pods count quota fails when the surge pods do not fit",
			[]corev1.ResourceQuota{resourceQuota("pods", list("pods", "4"), list("pods", "3"))}, rollout(app, surge3),
			[]string{"quota shop/pods: pods: rollout needs 3 more, 1 left"}, nil},
		{"count/pods is counted like pods",
			[]corev1.ResourceQuota{resourceQuota("objects", list("count/pods", "5", "services", "2"), list("count/pods", "3", "services", "2"))},
			rollout(app, surge3),
			[]string{"quota shop/objects: count/pods: rollout needs 3 more, 2 left"}, nil},
		{"every resource of a quota is checked, in name order",
			[]corev1.ResourceQuota{resourceQuota("compute", list("limits.cpu", "1", "requests.cpu", "1"), list("limits.cpu", "500m", "requests.cpu", "900m"))},
			rollout(app, surge3),
			[]string{
				"quota shop/compute: limits.cpu: rollout needs 600m more, 500m left",
				"quota shop/compute: requests.cpu: rollout needs 300m more, 100m left",
			}, nil},
		{"resources pods never consume are ignored",
			[]corev1.ResourceQuota{resourceQuota("storage", list("services", "0", "requests.storage", "1Gi"), list("services", "3", "requests.storage", "5Gi"))},
			rollout(app, surge3), nil, nil},
		{"a quota already over its limit shows nothing left",
			[]corev1.ResourceQuota{memory("512Mi", "768Mi")}, rollout(app, surge3),
			[]string{"quota shop/compute: requests.memory: rollout needs 768Mi more, 0 left"}, nil},
		{"a re-run after the rollout finished needs nothing",
			[]corev1.ResourceQuota{memory("768Mi", "768Mi")}, rollout(app, Plan{Replicas: 3, MaxSurge: 3, NewPods: 3}), nil, nil},
		{"a BestEffort quota ignores pods with requests",
			[]corev1.ResourceQuota{resourceQuota("besteffort", list("pods", "0"), list("pods", "0"), scopes(corev1.ResourceQuotaScopeBestEffort))},
			rollout(app, surge3), nil, nil},
		{"a BestEffort quota counts pods without requests or limits",
			[]corev1.ResourceQuota{resourceQuota("besteffort", list("pods", "3"), list("pods", "3"), scopes(corev1.ResourceQuotaScopeBestEffort))},
			rollout(bare, surge3),
			[]string{"quota shop/besteffort: pods: rollout needs 3 more, 0 left"}, nil},
		{"a NotBestEffort quota counts pods with requests",
			[]corev1.ResourceQuota{resourceQuota("burstable", list("pods", "3"), list("pods", "3"), scopes(corev1.ResourceQuotaScopeNotBestEffort))},
			rollout(app, surge3),
			[]string{"quota shop/burstable: pods: rollout needs 3 more, 0 left"}, nil},
		{"a Terminating quota ignores pods without a deadline",
			[]corev1.ResourceQuota{resourceQuota("jobs", list("pods", "0"), list("pods", "0"), scopes(corev1.ResourceQuotaScopeTerminating))},
			rollout(app, surge3), nil, nil},
		{"a Terminating quota counts pods with a deadline",
			[]corev1.ResourceQuota{resourceQuota("jobs", list("pods", "0"), list("pods", "0"), scopes(corev1.ResourceQuotaScopeTerminating))},
			rollout(deadline, surge3),
			[]string{"quota shop/jobs: pods: rollout needs 3 more, 0 left"}, nil},
		{"a PriorityClass scope counts pods of a listed class",
			[]corev1.ResourceQuota{resourceQuota("high", list("pods", "1"), list("pods", "0"), priorityClassScope(corev1.ScopeSelectorOpIn, "high"))},
			rollout(withClass(app, "high"), surge3),
			[]string{"quota shop/high: pods: rollout needs 3 more, 1 left"}, nil},
		{"a PriorityClass scope ignores pods of another class",
			[]corev1.ResourceQuota{resourceQuota("high", list("pods", "1"), list("pods", "0"), priorityClassScope(corev1.ScopeSelectorOpIn, "high"))},
			rollout(withClass(app, "low"), surge3), nil, nil},
		{"a PriorityClass NotIn scope counts pods without a class",
			[]corev1.ResourceQuota{resourceQuota("not-high", list("pods", "1"), list("pods", "0"), priorityClassScope(corev1.ScopeSelectorOpNotIn, "high"))},
			rollout(app, surge3),
			[]string{"quota shop/not-high: pods: rollout needs 3 more, 1 left"}, nil},
		{"a PriorityClass Exists scope ignores pods without a class",
			[]corev1.ResourceQuota{resourceQuota("any-class", list("pods", "1"), list("pods", "0"), priorityClassScope(corev1.ScopeSelectorOpExists))},
			rollout(app, surge3), nil, nil},
		{"the global default priority class counts for pods that name none",
			[]corev1.ResourceQuota{resourceQuota("high", list("pods", "1"), list("pods", "0"), priorityClassScope(corev1.ScopeSelectorOpIn, "high"))},
			Rollout{New: app, Old: app, DefaultPriorityClass: "high", Plan: surge3},
			[]string{"quota shop/high: pods: rollout needs 3 more, 1 left"}, nil},
		{"old pods outside a scope free nothing in it",
			[]corev1.ResourceQuota{resourceQuota("high", list("requests.memory", "1Gi"), list("requests.memory", "768Mi"), priorityClassScope(corev1.ScopeSelectorOpIn, "high"))},
			Rollout{New: withClass(app, "high"), Old: withClass(app, "low"), Plan: Plan{Replicas: 2, MaxSurge: 1, OldPods: 2}},
			[]string{"quota shop/high: requests.memory: rollout needs 512Mi more, 256Mi left"}, nil},
		{"a scope that cannot be evaluated is reported and not applied",
			[]corev1.ResourceQuota{resourceQuota("vac", list("pods", "0"), list("pods", "0"), scopes(corev1.ResourceQuotaScopeVolumeAttributesClass))},
			rollout(app, surge3), nil,
			[]string{"quota shop/vac: not checked: scope VolumeAttributesClass is a PersistentVolumeClaim scope, not a pod scope"}},
		{"an unknown scope is reported and not applied",
			[]corev1.ResourceQuota{resourceQuota("future", list("pods", "0"), list("pods", "0"), scopes("Tomorrow"))},
			rollout(app, surge3), nil,
			[]string{`quota shop/future: not checked: scope "Tomorrow" is unknown to rollgate`}},
		{"a scope that rules the pods out settles it even next to an unknown scope",
			[]corev1.ResourceQuota{resourceQuota("future", list("pods", "0"), list("pods", "0"), scopes(corev1.ResourceQuotaScopeBestEffort, "Tomorrow"))},
			rollout(app, surge3), nil, nil},
		{"cross-namespace pod affinity is a scope pods can be judged on",
			[]corev1.ResourceQuota{resourceQuota("affinity", list("pods", "0"), list("pods", "0"), scopes(corev1.ResourceQuotaScopeCrossNamespacePodAffinity))},
			rollout(app, surge3), nil, nil},
		{"a quota the controller has not synced is reported as not evaluated",
			[]corev1.ResourceQuota{func() corev1.ResourceQuota {
				q := memory("1Gi", "0")
				q.Status = corev1.ResourceQuotaStatus{}
				return q
			}()},
			rollout(app, surge3), nil,
			[]string{"quota shop/compute: not checked: status.hard is empty: the quota controller has not synced it yet"}},
		{"an unsynced quota on other objects is not worth a mention",
			[]corev1.ResourceQuota{resourceQuota("objects", list("services", "2"), nil, func(q *corev1.ResourceQuota) { q.Status = corev1.ResourceQuotaStatus{} })},
			rollout(app, surge3), nil, nil},
		{"a quota on limits.cpu rejects containers that set no cpu limit",
			[]corev1.ResourceQuota{resourceQuota("limits", list("limits.cpu", "10"), list("limits.cpu", "0"))},
			rollout(podSpec(container("app", list("cpu", "100m"), list("cpu", "200m")), container("proxy", list("cpu", "50m"), nil)), surge3),
			[]string{"quota shop/limits: limits.cpu: must be set on containers proxy; set it or give the namespace a LimitRange default"}, nil},
		{"a LimitRange default satisfies a quota on limits.cpu",
			[]corev1.ResourceQuota{resourceQuota("limits", list("limits.cpu", "10"), list("limits.cpu", "0"))},
			Rollout{New: bare, Old: bare, Plan: surge3,
				LimitRanges: []corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: list("cpu", "1")})}},
			nil, nil},
		{"LimitRange defaults count toward the need",
			[]corev1.ResourceQuota{memory("1Gi", "768Mi")},
			Rollout{New: bare, Old: bare, Plan: surge3,
				LimitRanges: []corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, DefaultRequest: list("memory", "256Mi")})}},
			[]string{"quota shop/compute: requests.memory: rollout needs 768Mi more, 256Mi left"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(tt.quotas, tt.rollout)
			var got, notEval []string
			for _, s := range res.Shortfalls {
				got = append(got, s.Error())
			}
			for _, m := range res.Missing {
				got = append(got, m.Error())
			}
			for _, n := range res.NotEvaluated {
				notEval = append(notEval, n.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got problems %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(notEval, tt.notEval) {
				t.Errorf("got not evaluated %q\nwant %q", notEval, tt.notEval)
			}
			if res.OK() != (len(tt.want) == 0) {
				t.Errorf("OK() = %v with problems %q", res.OK(), got)
			}
			if (res.Err() == nil) != res.OK() {
				t.Errorf("Err() = %v disagrees with OK() = %v", res.Err(), res.OK())
			}
		})
	}
}

func TestResultErrIsAShortfall(t *testing.T) {
	res := Result{Shortfalls: []Shortfall{{Quota: "shop/compute", Resource: "pods"}}}
	var s Shortfall
	if !errors.As(res.Err(), &s) || s.Quota != "shop/compute" {
		t.Errorf("errors.As(%v) did not find the shortfall", res.Err())
	}
}
