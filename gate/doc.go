// Package gate decides whether a Kubernetes rollout may stand: it holds the
// typed gate configuration, the CI exit-code contract, target resolution and
// the readiness rules that turn workload status into a verdict.
package gate
