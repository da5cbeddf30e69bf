package readiness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// PodDiagnosis is what a person needs to see about one failing object: its
// problems, its recent events and the tail of the failing container's log.
type PodDiagnosis struct {
	Object   string       `json:"object"`
	Problems []PodProblem `json:"problems,omitempty"`
	Events   []string     `json:"events,omitempty"`
	Logs     []string     `json:"logs,omitempty"`
	// LogsUnavailable says why no log lines are shown (the node cannot serve
	// them, the container never started...); missing logs are not fatal.
	LogsUnavailable string `json:"logsUnavailable,omitempty"`
}

const (
	logTailLines = 20
	maxEvents    = 10
	maxDiagnosed = 3 // pods; the rest usually repeat the first
)

// diagnose collects events and logs for the failing pods of rs and for rs
// itself (FailedCreate lives there). Every call has its own deadline: the
// diagnosis must never hold up the verdict.
func diagnose(ctx context.Context, client kubernetes.Interface, ns string, rs *appsv1.ReplicaSet, pods []*corev1.Pod, problems []PodProblem) []PodDiagnosis {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var out []PodDiagnosis
	if rs != nil {
		if ev := events(ctx, client, ns, "ReplicaSet", rs.Name); len(ev) > 0 {
			out = append(out, PodDiagnosis{Object: "replicaset/" + rs.Name, Events: ev})
		}
	}
	byPod := map[string][]PodProblem{}
	for _, p := range problems {
		byPod[p.Pod] = append(byPod[p.Pod], p)
	}
	for _, pod := range pods {
		ps := byPod[pod.Name]
		if len(ps) == 0 || len(out) > maxDiagnosed {
			continue
		}
		d := PodDiagnosis{Object: "pod/" + pod.Name, Problems: ps, Events: events(ctx, client, ns, "Pod", pod.Name)}
		if c := ps[0].Container; c != "" {
			d.Logs, d.LogsUnavailable = logTail(ctx, client, ns, pod.Name, c, ps[0].Restarts > 0)
		} else {
			d.LogsUnavailable = "no container has started"
		}
		out = append(out, d)
	}
	return out
}

// events lists the object's events, oldest first, as "Reason: message (xN)".
func events(ctx context.Context, client kubernetes.Interface, ns, kind, name string) []string {
	sel := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name}.AsSelector().String()
	list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return []string{fmt.Sprintf("(events unavailable: %v)", err)}
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool { return eventTime(items[i]).Before(eventTime(items[j])) })
	if len(items) > maxEvents {
		items = items[len(items)-maxEvents:]
	}
	out := make([]string, 0, len(items))
	for _, e := range items {
		s := fmt.Sprintf("%s %s: %s", e.Type, e.Reason, strings.TrimSpace(e.Message))
		if e.Count > 1 {
			s += fmt.Sprintf(" (x%d)", e.Count)
		}
		out = append(out, s)
	}
	return out
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// logTail returns the last lines of a container's log; after a restart the
// previous instance's, which holds the crash.
func logTail(ctx context.Context, client kubernetes.Interface, ns, pod, container string, previous bool) ([]string, string) {
	n := int64(logTailLines)
	limit := int64(64 << 10)
	req := client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &n, LimitBytes: &limit})
	rc, err := req.Stream(ctx)
	if err != nil {
		return nil, fmt.Sprintf("container %s logs unavailable: %v", container, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Sprintf("container %s logs unavailable: %v", container, err)
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return nil, fmt.Sprintf("container %s wrote no log lines", container)
	}
	return strings.Split(string(b), "\n"), ""
}
