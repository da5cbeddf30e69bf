// Package gate is rollgate's engine: it owns a whole gate run and decides
// whether a rollout may stand. Engine.Run is `rollgate run` (idempotency,
// lock, pin, preflight, readiness, analysis, the canary-step loop, decide,
// act, verify); Check, CheckPreflight, CheckManifest, Analyze and Manual are
// the other commands through the same engine; RunRelease gates several
// targets at once (shared watches, Leases in a fixed order, the atomic or
// independent release policy in the coordinator). The engine is given plain
// Settings (resolved once by package config), a cluster.Cluster, a
// promql.Querier, an Observer and a clock; it fills the Report, and maps
// errors to the exit codes of the CI contract in one place (CodeOf).
//
// The packages below it are the design, one job each:
//
//	config     the gate file: strict loading, defaults, validation, Settings
//	workload   the one place that knows each kind (Deployment, Rollout):
//	           read (progress, pin, restore, quota need, hygiene input) and
//	           write (promote, hold, rollback/abort) with the official
//	           CLIs' patches; For is the only switch on the kind
//	readiness  the watch: kubectl's completion rules, fail-fast diagnosis
//	analysis   the interval loop over Prometheus checks, limits, the rule
//	preflight  workload hygiene rules and the quota headroom, one call
//	quota      the quota need model and its evaluation
//	lease      the Lease that keeps two gates off one workload
//	cluster    the Kubernetes clients, API errors with sentinels, and the
//	           namespace-wide informers a release shares (Watches)
//
// Verdicts are data (readiness.Result, analysis.Result with its Rule, the
// Plan a Verdict gets from the Policy); errors are only trouble.
package gate
