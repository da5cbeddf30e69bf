package sequential

import (
	"errors"
	"fmt"
	"math"
)

// Params are a check's judge settings. Field comments name the gate-file
// keys, which Validate's messages use too.
type Params struct {
	// Alpha bounds the false-rollback rate (gate file: alpha).
	Alpha float64
	// FailRatio is thetaF: the Fail e-process tests "canary rate <=
	// FailRatio * stable rate" (gate file: failRatio).
	FailRatio float64
	// Tolerance is thetaT: Pass means "canary rate < Tolerance * stable
	// rate" was shown (gate file: tolerance).
	Tolerance float64
	// TauFail and TauPass are the prior widths over ln(theta) of the two
	// mixtures (gate file: tauFail, tauPass).
	TauFail, TauPass float64
	// Dispersion (phi >= 1) divides each interval's evidence, for errors
	// that arrive in clusters (retries, bursts) (gate file: dispersion).
	Dispersion float64
}

// DefaultParams are the design note's defaults: alpha 0.01, thetaF 1,
// tolerance 1.5, tau 0.5 for both mixtures, dispersion 1.
func DefaultParams() Params {
	return Params{Alpha: 0.01, FailRatio: 1, Tolerance: 1.5, TauFail: 0.5, TauPass: 0.5, Dispersion: 1}
}

// Validate checks the cross-field rules once, where the config is read.
func (p Params) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	if !(p.Alpha > 0 && p.Alpha < 1) {
		bad("alpha: %v is not between 0 and 1 (exclusive); 0.01 is the usual choice", p.Alpha)
	}
	if !(p.FailRatio > 0) || math.IsInf(p.FailRatio, 0) {
		bad("failRatio: %v must be a positive ratio; 1 means any rise", p.FailRatio)
	}
	if !(p.Tolerance > p.FailRatio) || math.IsInf(p.Tolerance, 0) {
		bad("tolerance: %v must be greater than failRatio (%v); 1.5 is the default", p.Tolerance, p.FailRatio)
	}
	if !(p.TauFail > 0) || math.IsInf(p.TauFail, 0) {
		bad("tauFail: %v must be positive; 0.5 is the default", p.TauFail)
	}
	if !(p.TauPass > 0) || math.IsInf(p.TauPass, 0) {
		bad("tauPass: %v must be positive; 0.5 is the default", p.TauPass)
	}
	if !(p.Dispersion >= 1) || math.IsInf(p.Dispersion, 0) {
		bad("dispersion: %v must be at least 1 (1 = independent errors, ~5 for bursty retries)", p.Dispersion)
	}
	return errors.Join(errs...)
}

// threshold is ln(1/alpha), the evidence a verdict needs.
func (p Params) threshold() float64 { return -math.Log(p.Alpha) }
