package optim

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// TestOptimizerUpdates checks each method against updates worked out by
// hand for a few steps on a single parameter.
func TestOptimizerUpdates(t *testing.T) {
	grads := []float32{0.5, -1, 0.25}
	cases := []struct {
		name string
		opt  Optimizer
		want []float64 // parameter after each step, starting from 1
	}{
		// p = 1 − 0.1·0.5 = 0.95; 0.95 + 0.1 = 1.05; 1.05 − 0.025 = 1.025
		{"sgd", NewSGD(0.1), []float64{0.95, 1.05, 1.025}},
		// g' = g + 0.5·p: 0.5+0.5 = 1 → 0.9; −1+0.45 = −0.55 → 0.955;
		// 0.25+0.4775 = 0.7275 → 0.88225
		{"sgd weight decay", Optimizer{Method: SGD, LearningRate: 0.1, WeightDecay: 0.5}, []float64{0.9, 0.955, 0.88225}},
		// v = 0.5 → p = 0.95; v = 0.25−1 = −0.75 → p = 1.025;
		// v = −0.375+0.25 = −0.125 → p = 1.0375
		{"momentum", NewMomentum(0.1, 0.5), []float64{0.95, 1.025, 1.0375}},
		// Adam's first step moves by lr·sign(g) (up to ε); then
		// m2 = 0.9·0.05 + 0.1·(−1) = −0.055, v2 = 0.999·0.00025 + 0.001 = 0.00124975,
		// m̂ = −0.055/0.19 = −0.289474, v̂ = 0.00124975/0.001999 = 0.625188,
		// step = −0.289474/0.790688 = −0.366103 → p = 0.99 + 0.00366103;
		// m3 = −0.0495 + 0.025 = −0.0245, v3 = 0.00124850 + 0.0000625 = 0.00131100,
		// m̂ = −0.0245/0.271 = −0.0904059, v̂ = 0.00131100/0.002997 = 0.437437,
		// step = −0.0904059/0.661390 = −0.136690 → p = 0.99366103 + 0.00136690.
		{"adam", NewAdam(0.01), []float64{0.99, 0.99366103, 0.99502793}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.opt.Validate(); err != nil {
				t.Fatal(err)
			}
			p := []float32{1}
			st := c.opt.NewState([]int{1})
			for i, w := range c.want {
				st.Step++
				c.opt.Update(c.opt.Coefficients(st.Step), p, grads[i:i+1], st.Slots[0])
				if !scalar.EqualWithinAbs(float64(p[0]), w, 2e-6) {
					t.Fatalf("step %d: parameter %.8f, want %.8f", i+1, p[0], w)
				}
			}
		})
	}
}

func TestOptimizerValidate(t *testing.T) {
	bad := []Optimizer{
		{Method: Method(9), LearningRate: 0.1},
		{LearningRate: 0.1}, // no method
		{Method: SGD, LearningRate: 0},
		{Method: SGD, LearningRate: math.NaN()},
		{Method: Momentum, LearningRate: 0.1, Momentum: 1},
		{Method: Adam, LearningRate: 0.1, Beta1: 0.9, Beta2: 0.999},
	}
	for _, o := range bad {
		if o.Validate() == nil {
			t.Errorf("%+v validated", o)
		}
	}
	if _, err := New(Method(9), 0.1); err == nil {
		t.Error("New(Method(9)) succeeded")
	}
}

// TestClipScale checks the clipping factor against its definition, and
// that Validate refuses norms that cannot clip.
func TestClipScale(t *testing.T) {
	o := Optimizer{Method: SGD, LearningRate: 0.1, ClipNorm: 2}
	for _, c := range []struct{ sumSquares, want float64 }{
		{16, 2 / (4 + 1e-6)}, // norm 4: halved
		{4, 2 / (2 + 1e-6)},  // at the norm: a hair under 1, as in PyTorch
		{1, 1},               // below it: unchanged
		{0, 1},
	} {
		if got := o.ClipScale(c.sumSquares); !scalar.EqualWithinRel(float64(got), c.want, 1e-7) {
			t.Errorf("ClipScale(%v) = %v, want %v", c.sumSquares, got, c.want)
		}
	}
	if got := o.ClipScale(math.Inf(1)); !math.IsNaN(float64(got)) {
		t.Errorf("ClipScale(+Inf) = %v, want NaN", got)
	}
	if got := (Optimizer{Method: SGD, LearningRate: 0.1}).ClipScale(1e6); got != 1 {
		t.Errorf("without clipping: %v, want 1", got)
	}
	for _, bad := range []float64{-1, math.Inf(1), math.NaN()} {
		if err := (Optimizer{Method: SGD, LearningRate: 0.1, ClipNorm: bad}).Validate(); err == nil {
			t.Errorf("ClipNorm %v accepted", bad)
		}
	}
}

// TestMethodNames: methods are read and written by the names that flags
// and checkpoints have always used.
func TestMethodNames(t *testing.T) {
	for _, m := range []Method{SGD, Momentum, Adam} {
		p, err := ParseMethod(m.String())
		if err != nil || p != m {
			t.Errorf("ParseMethod(%q) = %v, %v", m, p, err)
		}
	}
	if SGD.String() != "sgd" || Momentum.String() != "momentum" || Adam.String() != "adam" {
		t.Errorf("names %s, %s, %s; checkpoints hold sgd, momentum, adam", SGD, Momentum, Adam)
	}
	for _, bad := range []string{"adamw", "", "Adam"} {
		if _, err := ParseMethod(bad); err == nil {
			t.Errorf("ParseMethod(%q) succeeded", bad)
		}
	}
	var o Optimizer
	if err := json.Unmarshal([]byte(`{"Method":"momentum","LearningRate":0.01,"Momentum":0.9}`), &o); err != nil || o != NewMomentum(0.01, 0.9) {
		t.Errorf("a checkpoint's optimizer reads as %+v, %v", o, err)
	}
	if out, err := json.Marshal(NewSGD(0.5)); err != nil || !strings.Contains(string(out), `"Method":"sgd"`) {
		t.Errorf("written as %s, %v", out, err)
	}
}
