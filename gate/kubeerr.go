package gate

import (
	"errors"
	"fmt"
	"net"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// KubeError turns a Kubernetes API error into a gate error whose message
// names what was attempted (verb, resource, namespace) and what to do, with
// the exit code the CI contract assigns: a missing target is bad input;
// permission and connectivity trouble are runtime errors.
func KubeError(err error, verb, resource, namespace, name string) error {
	if err == nil {
		return nil
	}
	obj := resource
	if name != "" {
		obj += " " + name
	}
	where := fmt.Sprintf("in namespace %q", namespace)
	if namespace == "" {
		where = "at cluster scope"
	}
	switch {
	case apierrors.IsNotFound(err) && name != "":
		return Errorf(ExitBadInput, "%s not found %s: check the name and --namespace/-n", obj, where)
	case apierrors.IsForbidden(err):
		return Errorf(ExitRuntime, "permission denied: cannot %s %s %s: grant %q on %q (examples/rbac.yaml has the minimal Role): %w",
			verb, obj, where, verb, resource, err)
	case apierrors.IsUnauthorized(err):
		return Errorf(ExitRuntime, "the cluster rejected the credentials while trying to %s %s: refresh the kubeconfig's credentials: %w", verb, obj, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return Errorf(ExitRuntime, "cannot reach the cluster to %s %s %s: %w", verb, obj, where, err)
	}
	return Errorf(ExitRuntime, "%s %s %s: %w", verb, obj, where, err)
}
