package workload

import (
	"strconv"

	"github.com/rollgate/rollgate/promql"
)

// VarsFor are the template variables of target t under gate at pin. A
// target with no stable ReplicaSet (a first rollout) gets a StablePods
// regex that matches nothing.
func VarsFor(t Target, pin *Pin) promql.Vars {
	v := promql.Vars{Namespace: t.Namespace, Name: t.Name, Kind: string(t.Kind),
		Revision: strconv.FormatInt(pin.Revision, 10), CanaryHash: pin.TemplateHash}
	var stableRS string
	if pin.Stable != nil {
		stableRS = pin.Stable.ReplicaSet
		v.StableHash = pin.Stable.TemplateHash
	}
	v.CanaryPods, v.StablePods = promql.PodRegex(pin.ReplicaSet), promql.PodRegex(stableRS)
	return v
}
