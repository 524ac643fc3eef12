// Package backendtest is the conformance suite every backend runs: it
// compares a backend's forward pass, loss, gradients and optimizer updates
// with a float64 reference of the same network: plain Go for the
// binary perceptrons, the plain executor gradcheck.EvalMode on a float64
// copy of the graph for the CNN (convolution, pooling, dropout in both
// modes) and the softmax classifier. A backend's tests call RunAll with a
// backend to check.
package backendtest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
)

// Tolerances of the comparisons, relative to the largest reference value of
// each tensor (float32 arithmetic over long sums).
const (
	ForwardTol = 1e-4
	GradTol    = 1e-4
)

// RunAll runs every conformance test on b.
func RunAll(t *testing.T, b backend.Backend) {
	t.Run("MLP6", func(t *testing.T) { testMLP(t, b, MLP6Spec(8, 1), 1) })
	t.Run("Activations", func(t *testing.T) {
		testMLP(t, b, graph.MLPSpec{Inputs: 12, Batch: 6, Seed: 2, Layers: []graph.LayerSpec{
			{Units: 10, Activation: graph.Tanh}, {Units: 9, Activation: graph.LeakyReLU},
			{Units: 8, Activation: graph.Sigmoid}, {Units: 7, Activation: graph.StepSTE},
			{Units: 6, Activation: graph.Linear}, {Units: 1, Activation: graph.Sigmoid},
		}}, 2)
	})
	t.Run("Multiclass", func(t *testing.T) { testMulticlass(t, b) })
	t.Run("MLP/BatchNorm", func(t *testing.T) { testBNMLP(t, b) })
	t.Run("Optimizers", func(t *testing.T) { testOptimizers(t, b) })
	t.Run("CNN", func(t *testing.T) { testCNN(t, b) })
	t.Run("CNN/Resume", func(t *testing.T) { testCNNResume(t, b) })
	t.Run("CNN/AvgPool", func(t *testing.T) { testAvgCNN(t, b) })
	t.Run("CNN/BatchNorm", func(t *testing.T) { testBNCNN(t, b) })
	t.Run("NilInputs", func(t *testing.T) { testNilInputs(t, b) })
}

// testNilInputs checks that a nil input keeps the batch fed before: the
// same loss and outputs again, and a training step on the kept batch. (The
// caller leaves the batch unchanged: a backend may read it in place.)
func testNilInputs(t *testing.T, b backend.Backend) {
	spec, _, err := MLP6Train(4, 3, optim.NewSGD(0.01))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := b.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	x, y := randomBatch(4, 100*100, 5)
	first := [][]float32{make([]float32, 4)}
	l1, err := prog.Evaluate(first, x, y)
	if err != nil {
		t.Fatal(err)
	}
	again := [][]float32{make([]float32, 4)}
	l2, err := prog.Evaluate(again, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l1 != l2 || relErr(again[0], toFloat64(first[0])) != 0 {
		t.Errorf("nil inputs: loss %v and outputs %v, the fed batch gave %v and %v", l2, again[0], l1, first[0])
	}
	lt, err := prog.Train(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lt != l1 {
		t.Errorf("training on the kept batch reports loss %v, want %v", lt, l1)
	}
}

// MLP6Spec is the canonical benchmark network: 100×100 inputs, five ReLU
// layers of 512, one sigmoid output.
func MLP6Spec(batch int, seed uint64) graph.MLPSpec {
	s := graph.MLPSpec{Inputs: 100 * 100, Batch: batch, Seed: seed}
	for range 5 {
		s.Layers = append(s.Layers, graph.LayerSpec{Units: 512, Activation: graph.ReLU})
	}
	s.Layers = append(s.Layers, graph.LayerSpec{Units: 1, Activation: graph.Sigmoid})
	return s
}

// BinaryMLP builds the perceptron of spec with its binary classification
// objective, failing t on an error.
func BinaryMLP(t testing.TB, spec graph.MLPSpec) (*graph.Model, *graph.Objective) {
	t.Helper()
	return binary(t, func() (*graph.Model, error) { return graph.MLP(spec) })
}

// binary builds a model and its binary classification objective, failing
// t on an error.
func binary(t testing.TB, build func() (*graph.Model, error)) (*graph.Model, *graph.Objective) {
	t.Helper()
	m, err := build()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		t.Fatal(err)
	}
	return m, obj
}

// MLP6Train returns MLP6Spec(batch, seed) built, with the spec that trains
// it with opt on binary cross-entropy.
func MLP6Train(batch int, seed uint64, opt optim.Optimizer) (backend.Spec, *graph.Model, error) {
	m, err := graph.MLP(MLP6Spec(batch, seed))
	if err != nil {
		return backend.Spec{}, nil, err
	}
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		return backend.Spec{}, nil, err
	}
	return backend.TrainSpec(m, obj, opt), m, nil
}

// randomBatch returns inputs in [0, 1) and 0/1 targets.
func randomBatch(n, inputs int, seed uint64) (x, y []float32) {
	rng := rand.New(rand.NewPCG(seed, 99))
	x = make([]float32, n*inputs)
	for i := range x {
		x[i] = rng.Float32()
	}
	y = make([]float32, n)
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	return x, y
}

// relErr is max|got−want| / max|want| (or the absolute error when want is
// 0), and +Inf where got or want is not finite: a NaN compares false with
// every tolerance, so it must not reach the comparison.
func relErr(got []float32, want []float64) float64 {
	var diff, scale float64
	for i, w := range want {
		if g := float64(got[i]); math.IsNaN(g) || math.IsInf(g, 0) || math.IsNaN(w) || math.IsInf(w, 0) {
			return math.Inf(1)
		}
		diff = math.Max(diff, math.Abs(float64(got[i])-w))
		scale = math.Max(scale, math.Abs(w))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}

func testMLP(t *testing.T, b backend.Backend, spec graph.MLPSpec, seed uint64) {
	m, obj := BinaryMLP(t, spec)
	params, grads := obj.Params, obj.Grads
	ref := newRefMLP(m)
	x, y := randomBatch(spec.Batch, spec.Inputs, seed)
	want := ref.run(toFloat64(x), toFloat64(y), spec.Batch)

	// Read the gradients back as outputs of an evaluation.
	train := backend.TrainSpec(m, obj, optim.NewSGD(0.1))
	train.Outputs = append(train.Outputs, grads...)
	prog, err := b.Compile(train)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	outs := make([][]float32, 1+len(grads))
	outs[0] = make([]float32, spec.Batch)
	for i, g := range grads {
		outs[i+1] = make([]float32, g.Shape().TotalSize())
	}
	got, err := prog.Evaluate(outs, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr([]float32{got}, []float64{want.loss}); e > ForwardTol {
		t.Errorf("loss %v, reference %v (relative error %.2g)", got, want.loss, e)
	}
	if e := relErr(outs[0], want.output); e > ForwardTol {
		t.Errorf("output: relative error %.2g", e)
	}
	worst := 0.0
	for l := range m.Layers {
		for k, w := range [][]float64{want.dw[l], want.db[l]} {
			e := relErr(outs[1+2*l+k], w)
			worst = math.Max(worst, e)
			if e > GradTol {
				t.Errorf("gradient of %s: relative error %.2g", params[2*l+k].Name(), e)
			}
		}
	}
	t.Logf("largest relative gradient error %.2g", worst)

	// One training step: the loss it reports is the one before the update,
	// and each parameter moves by −lr·gradient.
	before := make([][]float64, len(params))
	for i, p := range params {
		before[i] = toFloat64(p.Value().Data().([]float32))
	}
	l, err := prog.Train(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr([]float32{l}, []float64{want.loss}); e > ForwardTol {
		t.Errorf("training loss %v, reference %v", l, want.loss)
	}
	if err := prog.Sync(); err != nil {
		t.Fatal(err)
	}
	for i, p := range params {
		g := want.dw[i/2]
		if i%2 == 1 {
			g = want.db[i/2]
		}
		exp := make([]float64, len(g))
		for k := range exp {
			exp[k] = before[i][k] - 0.1*g[k]
		}
		if e := relErr(p.Value().Data().([]float32), exp); e > ForwardTol {
			t.Errorf("%s after one SGD step: relative error %.2g", p.Name(), e)
		}
	}
}

// lrFactors scale the learning rate of each step of testOptimizers, so a
// backend that ignores SetLearningRate (or applies it a step late) fails.
var lrFactors = []float64{1, 0.5, 2, 0.25}

// testOptimizers trains a tiny network a few steps with each optimizer,
// changing the learning rate between steps with SetLearningRate, and
// compares the parameters with optim.Optimizer.Update applied to reference
// gradients.
func testOptimizers(t *testing.T, b backend.Backend) {
	for _, opt := range []optim.Optimizer{
		optim.NewSGD(0.05),
		{Method: optim.SGD, LearningRate: 0.05, WeightDecay: 0.01},
		optim.NewMomentum(0.05, 0.9),
		optim.NewAdam(0.01),
		{Method: optim.Adam, LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 0.1},
		// Clipping: a norm the gradients exceed at every step, and one
		// they never reach.
		{Method: optim.SGD, LearningRate: 0.05, ClipNorm: 0.01},
		{Method: optim.SGD, LearningRate: 0.05, ClipNorm: 100},
		{Method: optim.Momentum, LearningRate: 0.05, Momentum: 0.9, ClipNorm: 0.01},
		{Method: optim.Adam, LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, ClipNorm: 0.01},
	} {
		t.Run(fmt.Sprintf("%s/wd=%g/clip=%g", opt.Method, opt.WeightDecay, opt.ClipNorm), func(t *testing.T) {
			testOptimizer(t, b, opt)
		})
	}
}

// testOptimizer is testOptimizers' case of opt.
func testOptimizer(t *testing.T, b backend.Backend, opt optim.Optimizer) {
	spec := graph.MLPSpec{Inputs: 5, Batch: 4, Seed: 3, Layers: []graph.LayerSpec{
		{Units: 4, Activation: graph.Tanh}, {Units: 1, Activation: graph.Sigmoid}}}
	m, obj := BinaryMLP(t, spec)
	params := obj.Params
	ref := newRefMLP(m)
	refParams := make([][]float32, len(params))
	sizes := make([]int, len(params))
	for i, p := range params {
		refParams[i] = append([]float32(nil), p.Value().Data().([]float32)...)
		sizes[i] = p.Shape().TotalSize()
	}
	state := opt.NewState(sizes)
	prog, err := b.Compile(backend.TrainSpec(m, obj, opt))
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	if err := prog.SetLearningRate(0); !errors.Is(err, backend.ErrSpec) {
		t.Errorf("SetLearningRate(0): %v, want ErrSpec", err)
	}
	for step := 1; step <= len(lrFactors); step++ {
		x, y := randomBatch(spec.Batch, spec.Inputs, uint64(step))
		stepOpt := opt
		stepOpt.LearningRate = opt.LearningRate * lrFactors[step-1]
		if err := prog.SetLearningRate(stepOpt.LearningRate); err != nil {
			t.Fatal(err)
		}
		for l := range ref.w {
			ref.w[l] = toFloat64(refParams[2*l])
			ref.b[l] = toFloat64(refParams[2*l+1])
		}
		refUpdate(t, stepOpt, step, ref.run(toFloat64(x), toFloat64(y), spec.Batch), refParams, state)
		if _, err := prog.Train(x, y); err != nil {
			t.Fatal(err)
		}
	}
	if err := prog.Sync(); err != nil {
		t.Fatal(err)
	}
	for i, p := range params {
		if e := relErr(p.Value().Data().([]float32), toFloat64(refParams[i])); e > GradTol {
			t.Errorf("%s after %d steps with changing learning rates: relative error %.2g", p.Name(), len(lrFactors), e)
		}
	}
	st, err := prog.OptimizerState()
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != len(lrFactors) {
		t.Errorf("optimizer state step %d, want %d", st.Step, len(lrFactors))
	}
}

// refUpdate applies step step of opt to the reference parameters, each
// weight and bias in turn, with the reference gradients of r, clipped as
// opt says; it fails t if the clipping is not the case's.
func refUpdate(t *testing.T, opt optim.Optimizer, step int, r refResult, params [][]float32, state *optim.State) {
	c := opt.Coefficients(step)
	grads := make([][]float64, len(params))
	var sq float64
	for i := range params {
		grads[i] = r.dw[i/2]
		if i%2 == 1 {
			grads[i] = r.db[i/2]
		}
		for _, v := range grads[i] {
			sq += v * v
		}
	}
	c.GradScale = opt.ClipScale(sq)
	if clips := c.GradScale < 1; clips != (opt.ClipNorm > 0 && opt.ClipNorm < 1) {
		t.Fatalf("step %d: gradient norm %.3g against a clipping norm of %g: the case does not test what it says", step, math.Sqrt(sq), opt.ClipNorm)
	}
	for i := range params {
		gf := make([]float32, len(grads[i]))
		for k, v := range grads[i] {
			gf[k] = float32(v)
		}
		opt.Update(c, params[i], gf, state.Slots[i])
	}
}
