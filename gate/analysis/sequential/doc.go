// Package sequential is rollgate's anytime-valid canary judge for counts:
// errors, or slow requests at a histogram bucket bound, on the canary and
// the stable side, once per interval.
//
// Given an interval's total events E_i, the canary's share of them is
// binomial with p_i(theta) = rho_i*theta / (rho_i*theta + 1 - rho_i), where
// rho_i is that interval's traffic share and theta the canary/stable rate
// ratio; the common base rate cancels, so traffic and incident spikes that
// hit both sides do not move the test. Mixtures of the likelihood ratio
// over theta are non-negative martingales under the null, and Ville's
// inequality keeps the false-rollback rate below alpha however often the
// gate looks. The Fail e-process tests "theta <= FailRatio", the Pass
// e-process "theta >= Tolerance"; a confidence sequence for theta goes into
// reports.
//
// Method and defaults: /work/shared/design/sequential-judge.md (the
// "sequential judge" design note). Sources: Lindon, Sanden, Shirikian,
// "Rapid Regression Detection in Software Deployments through Sequential
// Testing" (KDD 2022, arXiv 2205.14762); Lindon & Malek, "Anytime-Valid
// Inference for Multinomial Count Data" (NeurIPS 2022); Howard & Ramdas,
// "Sequential estimation of quantiles" (Bernoulli 2022) for the latency
// reduction to bucket counts.
//
// The package is pure: it never talks to Prometheus. It builds the
// queries (Queries, LatencyQueries), turns their raw increase() values into
// integer per-interval counts (Cumulator), judges them (Test, Multi) and
// says up front what an analysis can detect (Plan).
package sequential
