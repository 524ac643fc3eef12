package optim

import (
	"math"
	"testing"
)

// TestRate: a Rate gives the schedule's rates over the optimizer's base,
// the same for an epoch's first step and the epoch, and refuses a base or
// a schedule out of range.
func TestRate(t *testing.T) {
	t.Parallel()
	r := NewRate(NewAdam(0.002), Schedule{Kind: ScheduleCosine, Epochs: 4, Warmup: 1, PerStep: true})
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for epoch := 1; epoch <= 5; epoch++ {
		if got, want := r.Epoch(epoch), r.Schedule.LearningRate(0.002, epoch); got != want {
			t.Errorf("epoch %d: %v, want %v", epoch, got, want)
		}
		if got, want := r.At(epoch, 0), r.Epoch(epoch); got != want {
			t.Errorf("epoch %d: first step %v, epoch %v", epoch, got, want)
		}
	}
	if got, want := r.At(1, 0.5), 0.002*1.5/2; math.Abs(got-want) > 1e-15 {
		t.Errorf("halfway through the warm-up: %v, want %v", got, want)
	}
	constant := NewRate(NewSGD(0.1), Schedule{})
	if got := constant.At(7, 0.3); got != 0.1 {
		t.Errorf("without a schedule: %v, want the base 0.1", got)
	}
	for _, bad := range []Rate{
		{Base: 0},
		{Base: math.Inf(1)},
		{Base: math.NaN()},
		{Base: 0.1, Schedule: Schedule{Kind: ScheduleKind(9)}},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}
