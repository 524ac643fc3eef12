package graph

import (
	"math"
	"testing"
)

func TestScheduleByHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		s     Schedule
		rates []float64 // epochs 1, 2, ... with base rate 1
	}{
		{"none", Schedule{Kind: ScheduleNone}, []float64{1, 1, 1}},
		{"zero value is none", Schedule{}, []float64{1, 1}},
		// cos(0), cos(π/4), cos(π/2), cos(3π/4) over 4 epochs; epoch 5 is past the end.
		{"cosine", Schedule{Kind: ScheduleCosine, Epochs: 4}, []float64{1, (1 + math.Sqrt2/2) / 2, 0.5, (1 - math.Sqrt2/2) / 2, (1 - math.Sqrt2/2) / 2}},
		{"cosine with warm-up", Schedule{Kind: ScheduleCosine, Epochs: 4, Warmup: 2}, []float64{1.0 / 3, 2.0 / 3, 1, 0.5}},
		{"step", Schedule{Kind: ScheduleStep, StepEvery: 2, Gamma: 0.1}, []float64{1, 1, 0.1, 0.1, 0.01}},
		{"step with warm-up", Schedule{Kind: ScheduleStep, StepEvery: 1, Gamma: 0.5, Warmup: 1}, []float64{0.5, 1, 0.5, 0.25}},
		{"warm-up then constant", Schedule{Warmup: 3}, []float64{0.25, 0.5, 0.75, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.rates {
				if got := tt.s.LearningRate(2, i+1); math.Abs(got-2*want) > 1e-12 {
					t.Errorf("epoch %d: rate %v, want %v", i+1, got, 2*want)
				}
			}
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	t.Parallel()
	for _, s := range []Schedule{
		{Kind: "linear"},
		{Kind: ScheduleCosine, Epochs: 3, Warmup: 3},
		{Kind: ScheduleCosine},
		{Kind: ScheduleStep, StepEvery: 0, Gamma: 0.5},
		{Kind: ScheduleStep, StepEvery: 2, Gamma: 0},
		{Kind: ScheduleStep, StepEvery: 2, Gamma: 1.5},
		{Kind: ScheduleNone, Warmup: -1},
	} {
		if err := s.Validate(); err == nil {
			t.Errorf("%+v: valid, want an error", s)
		}
	}
}
