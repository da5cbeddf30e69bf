package workload

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
)

// Annotations of a plain Deployment's step canary. AnnotationCanaryStep
// ("1/2") records that rollgate's step canary stands at (or grows towards)
// that step, so a pause at a step is rollgate's own and a later run or a
// person's `rollgate promote` may lift it; AnnotationCanarySizes ("1,2")
// is each step's number of new pods, resolved once against spec.replicas,
// so `rollgate promote` knows where the next step stops.
const (
	AnnotationCanaryStep  = "rollgate.dev/canary-step"
	AnnotationCanarySizes = "rollgate.dev/canary-sizes"
)

// Step is one canary step of a plain Deployment: Replicas new pods, or
// Percent of spec.replicas (rounded up), analysed for Analysis (0: the gate
// file's analysis length).
type Step struct {
	Replicas int32         `json:"replicas,omitempty"`
	Percent  int32         `json:"percent,omitempty"`
	Analysis time.Duration `json:"analysis,omitempty"`
}

// Size is the step's number of new pods for a Deployment of replicas:
// a percent rounds up, as the controller rounds maxSurge (kubernetes
// pkg/controller/deployment/util/deployment_util.go ResolveFenceposts), so
// a step of a few percent still runs one canary pod.
func (s Step) Size(replicas int32) int32 {
	if s.Percent > 0 {
		return int32((int64(replicas)*int64(s.Percent) + 99) / 100)
	}
	return s.Replicas
}

func (s Step) String() string {
	if s.Percent > 0 {
		return fmt.Sprintf("%d%%", s.Percent)
	}
	return fmt.Sprintf("%d replica(s)", s.Replicas)
}

// StepSizes resolves steps against spec.replicas (the current count under
// an HPA): each step must grow and none may exceed replicas.
func StepSizes(steps []Step, replicas int32) ([]int32, error) {
	sizes := make([]int32, len(steps))
	for i, s := range steps {
		sizes[i] = s.Size(replicas)
		switch {
		case sizes[i] > replicas:
			return nil, fmt.Errorf("canary.steps[%d] (%s) is %d new pods, more than spec.replicas %d", i, s, sizes[i], replicas)
		case i > 0 && sizes[i] <= sizes[i-1]:
			return nil, fmt.Errorf("canary.steps[%d] (%s) is %d new pods of spec.replicas %d, not more than step %d's %d: each step must grow",
				i, s, sizes[i], replicas, i, sizes[i-1])
		}
	}
	return sizes, nil
}

// StepMark is where a step canary stands: step N (1-based) of the sizes.
type StepMark struct {
	N     int
	Sizes []int32
}

func (m StepMark) String() string { return fmt.Sprintf("%d/%d", m.N, len(m.Sizes)) }

// Size is the number of new pods of the step.
func (m StepMark) Size() int32 { return m.Sizes[m.N-1] }

// Last says whether the mark is the last step.
func (m StepMark) Last() bool { return m.N == len(m.Sizes) }

// MarkOf reads a step canary's mark from st; ok is false when rollgate's
// step canary does not stand on it.
func MarkOf(st *State) (StepMark, bool) {
	n, total, ok := strings.Cut(st.Annotations[AnnotationCanaryStep], "/")
	if !ok {
		return StepMark{}, false
	}
	m := StepMark{}
	var err error
	if m.N, err = strconv.Atoi(n); err != nil {
		return StepMark{}, false
	}
	for _, s := range strings.Split(st.Annotations[AnnotationCanarySizes], ",") {
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return StepMark{}, false
		}
		m.Sizes = append(m.Sizes, int32(v))
	}
	if t, err := strconv.Atoi(total); err != nil || t != len(m.Sizes) || m.N < 1 || m.N > t {
		return StepMark{}, false
	}
	return m, true
}

func (m StepMark) annotations() map[string]string {
	s := make([]string, len(m.Sizes))
	for i, v := range m.Sizes {
		s[i] = strconv.Itoa(int(v))
	}
	return map[string]string{AnnotationCanaryStep: m.String(), AnnotationCanarySizes: strings.Join(s, ",")}
}

// Counts are the pods of a step canary: the new ReplicaSet's (Replicas is
// its spec, what the controller scaled it to) and the old ones' available.
type Counts struct {
	NewReplicas  int32 `json:"newReplicas"`
	NewAvailable int32 `json:"newAvailable"`
	OldAvailable int32 `json:"oldAvailable"`
}

// Stepper is a workload whose canary steps rollgate makes itself by
// pausing and resuming its controller (a plain Deployment); an Argo
// Rollout has its own steps and is no Stepper.
type Stepper interface {
	// SetStep pauses (or resumes) the rollout at mark and records the mark
	// as rollgate's; a zero mark resumes and clears the record.
	SetStep(ctx context.Context, m StepMark, paused bool, g Guard) (Change, error)
	// StepCounts counts the new and old pods among owned.
	StepCounts(owned []*appsv1.ReplicaSet, pin *Pin) Counts
}

// StepperOf is w's step canary, if its kind has one.
func StepperOf(w Workload) (Stepper, bool) {
	s, ok := w.(Stepper)
	return s, ok
}
