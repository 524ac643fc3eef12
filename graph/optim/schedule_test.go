package optim

import (
	"encoding/json"
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
		{Kind: ScheduleKind(9)},
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

// TestSchedulePerStep: a per-step schedule gives each epoch's first step
// the per-epoch rate, follows the curve in between (a value by hand), and
// has no jump from an epoch's last step to the next epoch's first, except
// at a step schedule's decays and past a cosine's span (a run extended on
// resume keeps the last epoch's rate).
func TestSchedulePerStep(t *testing.T) {
	t.Parallel()
	for _, s := range []Schedule{
		{Kind: ScheduleNone, Warmup: 2, PerStep: true},
		{Kind: ScheduleCosine, Epochs: 4, PerStep: true},
		{Kind: ScheduleCosine, Epochs: 6, Warmup: 2, PerStep: true},
		{Kind: ScheduleStep, StepEvery: 2, Gamma: 0.5, Warmup: 1, PerStep: true},
	} {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		for epoch := 1; epoch <= 7; epoch++ {
			if got, want := s.LearningRateAt(1, epoch, 0), s.LearningRate(1, epoch); got != want {
				t.Errorf("%v, epoch %d: first step %v, per-epoch rate %v", s, epoch, got, want)
			}
			end, next := s.LearningRateAt(1, epoch, 1-1e-9), s.LearningRateAt(1, epoch+1, 0)
			decays := s.Kind == ScheduleStep && epoch > s.Warmup && (epoch-s.Warmup)%s.StepEvery == 0
			past := s.Kind == ScheduleCosine && epoch >= s.Epochs
			if !decays && !past && math.Abs(end-next) > 1e-6 {
				t.Errorf("%v: epoch %d ends at rate %v, epoch %d starts at %v", s, epoch, end, epoch+1, next)
			}
		}
	}
	cosine := Schedule{Kind: ScheduleCosine, Epochs: 4, PerStep: true}
	if got, want := cosine.LearningRateAt(2, 2, 0.5), 2*(1+math.Cos(math.Pi*1.5/4))/2; math.Abs(got-want) > 1e-12 {
		t.Errorf("cosine halfway through epoch 2: %v, want %v", got, want)
	}
	warm := Schedule{Warmup: 3, PerStep: true}
	if got := warm.LearningRateAt(1, 2, 0.5); math.Abs(got-2.5/4) > 1e-12 {
		t.Errorf("warm-up halfway through epoch 2: %v, want %v", got, 2.5/4)
	}
	if got := (Schedule{Kind: ScheduleCosine, Epochs: 4}).LearningRateAt(1, 2, 0.5); got != (Schedule{Kind: ScheduleCosine, Epochs: 4}).LearningRate(1, 2) {
		t.Errorf("without PerStep, the rate changed within an epoch: %v", got)
	}
}

// TestScheduleJSON: schedules are read and written with the names
// checkpoints have always held, and an empty kind (older files) is none.
func TestScheduleJSON(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		json string
		want Schedule
	}{
		{`{"kind":"cosine","epochs":8,"warmup":1}`, Schedule{Kind: ScheduleCosine, Epochs: 8, Warmup: 1}},
		{`{"kind":"step","step_every":2,"gamma":0.5}`, Schedule{Kind: ScheduleStep, StepEvery: 2, Gamma: 0.5}},
		{`{"kind":"none","per_step":true}`, Schedule{PerStep: true}},
		{`{"kind":""}`, Schedule{}},
		{`{}`, Schedule{}},
	} {
		var s Schedule
		if err := json.Unmarshal([]byte(c.json), &s); err != nil || s != c.want {
			t.Errorf("%s reads as %+v, %v; want %+v", c.json, s, err, c.want)
		}
	}
	var s Schedule
	if err := json.Unmarshal([]byte(`{"kind":"linear"}`), &s); err == nil {
		t.Error("an unknown schedule was read")
	}
	out, err := json.Marshal(Schedule{Kind: ScheduleCosine, Epochs: 4})
	if err != nil || string(out) != `{"kind":"cosine","epochs":4}` {
		t.Errorf("written as %s, %v", out, err)
	}
	for _, k := range []ScheduleKind{ScheduleNone, ScheduleCosine, ScheduleStep} {
		if p, err := ParseScheduleKind(k.String()); err != nil || p != k {
			t.Errorf("ParseScheduleKind(%q) = %v, %v", k, p, err)
		}
	}
	if _, err := ParseScheduleKind(""); err == nil {
		t.Error(`ParseScheduleKind("") succeeded`)
	}
}
