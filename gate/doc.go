// Package gate decides whether a Kubernetes rollout may stand, and acts on
// it: the typed gate configuration and the CI exit-code contract; pinning
// the revision under gate; the readiness watch (kubectl's completion rules
// and fail-fast pod diagnosis) and the quota preflight; the analysis loop
// over Prometheus checks; the policy that turns a verdict into promote,
// hold or rollback (PlanFor); the actions themselves, with the patches
// kubectl and kubectl-argo-rollouts send; and the Lease that keeps two
// gates off one workload.
package gate
