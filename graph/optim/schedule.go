package optim

import (
	"fmt"
	"math"

	"github.com/neurone-dl/neurone/internal/enum"
)

// ScheduleKind is the shape of a Schedule. It is written as its name,
// "none", "cosine" or "step", in flags and files (String,
// ParseScheduleKind, and the text encoding of JSON, where "" reads as
// none, as older checkpoints mean it).
type ScheduleKind uint8

// Learning-rate schedules.
const (
	ScheduleNone   ScheduleKind = iota // the base rate every epoch
	ScheduleCosine                     // cosine decay from the base rate towards 0
	ScheduleStep                       // the base rate times Gamma every StepEvery epochs
)

var scheduleNames = enum.Names[ScheduleKind]{Pkg: "optim", What: "learning-rate schedule", Names: []string{"none", "cosine", "step"}}

// ParseScheduleKind returns the schedule named s: "none", "cosine" or "step".
func ParseScheduleKind(s string) (ScheduleKind, error) { return scheduleNames.Parse(s) }

// String returns the schedule's name.
func (k ScheduleKind) String() string { return scheduleNames.String(k) }

// MarshalText writes the schedule's name.
func (k ScheduleKind) MarshalText() ([]byte, error) { return scheduleNames.MarshalText(k) }

// UnmarshalText reads a schedule's name; "" is ScheduleNone.
func (k *ScheduleKind) UnmarshalText(text []byte) error { return scheduleNames.UnmarshalText(k, text) }

// Schedule gives the learning rate of each epoch as a function of the
// epoch alone, so a run resumed after epoch k uses exactly the rates of an
// uninterrupted one. The rate is set once per epoch (1-based):
//
//	warmup:  lr(e) = base·e/(Warmup+1)                           for e ≤ Warmup
//	none:    lr(e) = base
//	cosine:  lr(e) = base·(1 + cos(π·(e−Warmup−1)/(Epochs−Warmup)))/2
//	step:    lr(e) = base·Gamma^⌊(e−Warmup−1)/StepEvery⌋
//
// after the warm-up. Cosine starts at the base rate on the first epoch
// after the warm-up and decays over the Epochs−Warmup epochs that follow
// without reaching 0 on the last; epochs past Epochs (a run extended on
// resume) keep the rate of epoch Epochs.
//
// With PerStep the rate changes at every training step instead: the same
// formulas with e the fractional epoch, epoch + the share of its steps
// done (LearningRateAt), so that the warm-up and the cosine are smooth
// rather than a staircase; a step schedule still decays at epoch
// boundaries. The first step of each epoch gets the per-epoch rate.
type Schedule struct {
	Kind      ScheduleKind `json:"kind"`                 // ScheduleNone (the zero value), ScheduleCosine or ScheduleStep
	Epochs    int          `json:"epochs,omitempty"`     // cosine: the epochs it spans, warm-up included
	Warmup    int          `json:"warmup,omitempty"`     // epochs of linear warm-up before the schedule; 0 for none
	StepEvery int          `json:"step_every,omitempty"` // step: epochs between decays
	Gamma     float64      `json:"gamma,omitempty"`      // step: factor of each decay, in (0, 1]
	PerStep   bool         `json:"per_step,omitempty"`   // set the rate at every step, not every epoch
}

// Validate checks the schedule's parameters.
func (s Schedule) Validate() error {
	if s.Warmup < 0 {
		return fmt.Errorf("optim: learning-rate warm-up of %d epochs is negative", s.Warmup)
	}
	switch s.Kind {
	case ScheduleNone:
	case ScheduleCosine:
		if s.Epochs <= s.Warmup {
			return fmt.Errorf("optim: cosine schedule over %d epochs leaves none after a warm-up of %d", s.Epochs, s.Warmup)
		}
	case ScheduleStep:
		if s.StepEvery < 1 {
			return fmt.Errorf("optim: step schedule: decay every %d epochs is not a positive number", s.StepEvery)
		}
		if !(s.Gamma > 0 && s.Gamma <= 1) {
			return fmt.Errorf("optim: step schedule: decay factor %v is not in (0, 1]", s.Gamma)
		}
	default:
		return fmt.Errorf("optim: unknown learning-rate schedule %q (want %s)", s.Kind, scheduleNames.List())
	}
	return nil
}

// LearningRate returns the rate of epoch (1-based) for a base rate. The
// schedule must be valid.
func (s Schedule) LearningRate(base float64, epoch int) float64 {
	if epoch <= s.Warmup {
		return base * float64(epoch) / float64(s.Warmup+1)
	}
	after := epoch - s.Warmup - 1 // epochs since the warm-up ended
	switch s.Kind {
	case ScheduleCosine:
		span := s.Epochs - s.Warmup
		after = min(after, span-1)
		return base * (1 + math.Cos(math.Pi*float64(after)/float64(span))) / 2
	case ScheduleStep:
		return base * math.Pow(s.Gamma, float64(after/s.StepEvery))
	}
	return base
}

// LearningRateAt returns the rate of the step that has a share frac (in
// [0, 1)) of epoch's steps before it: LearningRate(base, epoch) without
// PerStep, and the formulas at the fractional epoch epoch+frac with it.
// The schedule must be valid.
func (s Schedule) LearningRateAt(base float64, epoch int, frac float64) float64 {
	if !s.PerStep || frac <= 0 {
		return s.LearningRate(base, epoch)
	}
	e := float64(epoch) + frac
	if e < float64(s.Warmup+1) {
		return base * e / float64(s.Warmup+1)
	}
	switch s.Kind {
	case ScheduleCosine:
		span := float64(s.Epochs - s.Warmup)
		if epoch > s.Epochs { // a run extended on resume
			return s.LearningRate(base, epoch)
		}
		return base * (1 + math.Cos(math.Pi*(e-float64(s.Warmup+1))/span)) / 2
	case ScheduleStep:
		return s.LearningRate(base, epoch)
	}
	return base
}

// String describes the schedule in a few words.
func (s Schedule) String() string {
	var out string
	switch s.Kind {
	case ScheduleCosine:
		out = fmt.Sprintf("cosine until epoch %d", s.Epochs)
	case ScheduleStep:
		out = fmt.Sprintf("step: times %g every %d epochs", s.Gamma, s.StepEvery)
	default:
		out = "constant"
	}
	if s.Warmup > 0 {
		out += fmt.Sprintf(", after a %d-epoch warm-up", s.Warmup)
	}
	if s.PerStep {
		out += ", set every step"
	}
	return out
}
