package cluster

import (
	"errors"
	"fmt"
	"net"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Sentinels for the API troubles callers branch on; the engine maps them to
// the CI contract's exit codes (gate.CodeOf), nothing below it does.
var (
	// ErrNotFound: the named object does not exist (bad input: exit 2).
	ErrNotFound = errors.New("not found")
	// ErrForbidden: RBAC refused the request.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthorized: the credentials were rejected.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrConflict: a precondition (resourceVersion, a JSON-patch test) failed:
	// the object changed since it was read.
	ErrConflict = errors.New("conflict")
)

// apiError carries the user-facing message and the sentinel it is.
type apiError struct {
	msg      string
	sentinel error
	cause    error
}

func (e *apiError) Error() string { return e.msg }

// Unwrap exposes both the sentinel and the API's own error.
func (e *apiError) Unwrap() []error {
	if e.sentinel == nil {
		return []error{e.cause}
	}
	return []error{e.sentinel, e.cause}
}

// Error turns a Kubernetes API error into one whose message names what was
// attempted (verb, resource, namespace) and what to do. It wraps
// ErrNotFound, ErrForbidden, ErrUnauthorized or ErrConflict when the API
// said so, and the API's error in every case.
func Error(err error, verb, resource, namespace, name string) error {
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
	e := &apiError{cause: err}
	switch {
	case apierrors.IsNotFound(err) && name != "":
		e.sentinel, e.msg = ErrNotFound, fmt.Sprintf("%s not found %s: check the name and --namespace/-n", obj, where)
	case apierrors.IsForbidden(err):
		e.sentinel, e.msg = ErrForbidden, fmt.Sprintf("permission denied: cannot %s %s %s: grant %q on %q (examples/rbac.yaml has the minimal Role): %v",
			verb, obj, where, verb, resource, err)
	case apierrors.IsUnauthorized(err):
		e.sentinel, e.msg = ErrUnauthorized, fmt.Sprintf("the cluster rejected the credentials while trying to %s %s: refresh the kubeconfig's credentials: %v", verb, obj, err)
	case apierrors.IsConflict(err):
		e.sentinel, e.msg = ErrConflict, fmt.Sprintf("%s %s %s: it changed since it was read: %v", verb, obj, where, err)
	default:
		var netErr net.Error
		if errors.As(err, &netErr) {
			e.msg = fmt.Sprintf("cannot reach the cluster to %s %s %s: %v", verb, obj, where, err)
		} else {
			e.msg = fmt.Sprintf("%s %s %s: %v", verb, obj, where, err)
		}
	}
	return e
}
