package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/backendtest"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
)

// TestTapeMachineAgrees runs the same graph on Gorgonia's own tape machine,
// which research code may use directly with the graph builders, and checks
// that its loss and gradients match this backend's.
func TestTapeMachineAgrees(t *testing.T) {
	m, obj := backendtest.BinaryMLP(t, graph.MLPSpec{Inputs: 30, Batch: 8, Seed: 4, Layers: []graph.LayerSpec{
		{Units: 20, Activation: graph.ReLU}, {Units: 16, Activation: graph.Tanh},
		{Units: 12, Activation: graph.ReLU}, {Units: 1, Activation: graph.Sigmoid}}})
	targets, loss, params, grads := obj.Targets, obj.Loss, obj.Params, obj.Grads
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 8*30)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := []float32{1, 0, 1, 1, 0, 0, 1, 0}

	spec := backend.TrainSpec(m, obj, optim.NewSGD(0.1))
	spec.Outputs = grads
	prog, err := cpu.New().Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	ours := make([][]float32, len(grads))
	for i, g := range grads {
		ours[i] = make([]float32, g.Shape().TotalSize())
	}
	ourLoss, err := prog.Evaluate(ours, x, y)
	if err != nil {
		t.Fatal(err)
	}

	if err := G.Let(m.Input, tensor.New(tensor.WithShape(8, 30), tensor.WithBacking(x))); err != nil {
		t.Fatal(err)
	}
	if err := G.Let(targets, tensor.New(tensor.WithShape(8, 1), tensor.WithBacking(y))); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(m.Graph, G.BindDualValues(params...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	tapeLoss := loss.Value().Data().(float32)
	if !scalar.EqualWithinAbs(float64(tapeLoss), float64(ourLoss), 1e-6) {
		t.Errorf("loss: tape machine %v, cpu backend %v", tapeLoss, ourLoss)
	}
	for i, p := range params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatalf("%s: %v", p.Name(), err)
		}
		tape := gv.Data().([]float32)
		for k := range tape {
			if !(math.Abs(float64(tape[k]-ours[i][k])) <= 1e-5*(1+math.Abs(float64(ours[i][k])))) { // NaN fails too
				t.Fatalf("%s[%d]: tape machine %v, cpu backend %v", p.Name(), k, tape[k], ours[i][k])
			}
		}
	}
}
