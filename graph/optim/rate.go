package optim

import (
	"fmt"
	"math"
)

// Rate is the learning rate of a training run: the optimizer's base rate
// and the schedule over it. It is the rate's one owner: a training loop
// asks At for the rate of each step and sets it on its backend before the
// step, and nothing else sets it, so that a rate that changes every epoch
// and one that changes every step come from the same place.
type Rate struct {
	Base     float64  // the optimizer's learning rate
	Schedule Schedule // the zero value keeps Base throughout
}

// NewRate returns the rate of a run that trains with opt along s.
func NewRate(opt Optimizer, s Schedule) Rate {
	return Rate{Base: opt.LearningRate, Schedule: s}
}

// Validate checks the base rate and the schedule.
func (r Rate) Validate() error {
	if !(r.Base > 0) || math.IsInf(r.Base, 0) {
		return fmt.Errorf("optim: base learning rate %v is not a positive number", r.Base)
	}
	return r.Schedule.Validate()
}

// At returns the rate of the step of epoch (1-based) that has a share
// frac (in [0, 1)) of the epoch's steps before it: Schedule.LearningRateAt.
func (r Rate) At(epoch int, frac float64) float64 {
	return r.Schedule.LearningRateAt(r.Base, epoch, frac)
}

// Epoch returns the rate of epoch's first step, which is the rate of all
// its steps unless the schedule is PerStep: the rate an epoch is
// recorded with.
func (r Rate) Epoch(epoch int) float64 {
	return r.Schedule.LearningRate(r.Base, epoch)
}
