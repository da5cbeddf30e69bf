// Package quota is the ResourceQuota preflight of a rollout: before rollgate
// waits for new pods it checks that every ResourceQuota in the namespace has
// room for them, and names the resource, the need and the headroom when one
// has not, so a rollout that would stall on "exceeded quota" fails in
// seconds instead of at its progress deadline.
//
// It is pure logic over API objects the caller has already read; nothing here
// talks to a cluster. It counts the way the apiserver counts:
//
//   - One pod (PodResources) is measured like the quota admission plugin
//     measures it, after the defaulting the pod would get on creation:
//     requests copied from limits, LimitRange defaults for containers that
//     lack them (init containers too), pod-level resources, then the
//     effective request max(sum of app containers and sidecars, each init
//     container plus the sidecars started before it) plus spec.overhead,
//     following k8s.io/component-helpers/resource.PodRequests.
//   - Surge and unavailability (DeploymentSurge, CanarySurge) resolve
//     percentages like the Deployment and Argo Rollouts controllers: surge
//     rounds up, unavailable rounds down, and 0/0 becomes 0/1.
//   - Scopes (Terminating, BestEffort, PriorityClass, CrossNamespacePodAffinity)
//     are matched like the pod quota evaluator matches them. A quota with a
//     scope this package cannot judge is reported, never silently skipped.
//
// # The need model
//
// Need is what the rollout adds to the quota's current usage at its peak.
// With R desired replicas, S resolved max surge, A_old pods of the old
// template and A_new pods of the new template counted now, and N and O the
// usage of one new and one old pod, the controller keeps at most
// T = max(R+S, A_old+A_new) pods, at most max(R, A_new) of them new, and
// never adds old ones. The peak usage of each resource is the largest
// o×O + n×N with o ≤ A_old, n ≤ max(R, A_new) and o+n ≤ T, and
//
//	need = max(0, peak − (A_old×O + A_new×N))
//
// per resource. When the new pod is at least as large as the old one the
// peak has every new pod and as many old pods as the surge allows, so a
// rollout of an unchanged pod size needs S pods' worth (R at most): "surge
// pods × per-pod requests". When the new pod is smaller the peak keeps the old pods
// and adds the surge of new ones. A rollout that has already finished
// (A_new = R, A_old = 0) needs nothing.
//
// Recreate is the same model with S = 0: every old pod is gone before a new
// one is created, so the quota the old pods free is counted as available, and
// need = max(0, R×N − current usage).
//
// The model trusts the controller's cap on pods that are not terminating. A
// pod being deleted still counts against quota until it is gone, and the
// Deployment controller does not wait for it before it creates the next one.
// A shortfall those terminating pods cover (Plan.OldTerminating), and a
// rollout that needs no headroom (maxSurge 0, Recreate) on a quota with no
// room for one more pod, are Tight: a note, not a failure, because the
// rollout proceeds as old pods go; the readiness watch meanwhile treats the
// "exceeded quota" FailedCreate as transient within readiness.grace.
package quota
