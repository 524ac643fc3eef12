package backendtest

import (
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
)

// smallCNN has every layer kind of graph.CNN: convolutions with padding
// and with stride 2, pooling that leaves a row out, two activations,
// flatten, dense layers and dropout.
var smallCNN = graph.CNNSpec{
	Channels: 2, Height: 9, Width: 8, Batch: 4, Seed: 5, Dropout: 0.5,
	Blocks: []graph.ConvBlock{
		{ConvSpec: graph.ConvSpec{Filters: 4, Kernel: 3, Padding: 1, Activation: graph.ReLU}, Pool: 2},
		{ConvSpec: graph.ConvSpec{Filters: 5, Kernel: 3, Stride: 2, Padding: 1, Activation: graph.Tanh}},
	},
	Dense: []graph.LayerSpec{{Units: 8, Activation: graph.ReLU}, {Units: 1, Activation: graph.Sigmoid}},
}

// smallAvgCNN has 2×2 average pooling and a global average pooling in
// place of smallCNN's max pooling and flatten.
var smallAvgCNN = graph.CNNSpec{
	Channels: 2, Height: 9, Width: 8, Batch: 4, Seed: 6, GlobalPool: true,
	Blocks: []graph.ConvBlock{
		{ConvSpec: graph.ConvSpec{Filters: 4, Kernel: 3, Padding: 1, Activation: graph.ReLU}, Pool: 2, AvgPool: true},
		{ConvSpec: graph.ConvSpec{Filters: 5, Kernel: 3, Padding: 1, Activation: graph.Tanh}},
	},
	Dense: []graph.LayerSpec{{Units: 1, Activation: graph.Sigmoid}},
}

// testAvgCNN compares a backend with the float64 reference on smallAvgCNN.
func testAvgCNN(t *testing.T, b backend.Backend) {
	m, obj := BinaryCNN(t, smallAvgCNN)
	cnnAgainstReference(t, b, m, obj, false)
}

// smallBNCNN has batch normalisation in both blocks and before the dense
// layers' input, over a batch of 4.
var smallBNCNN = graph.CNNSpec{
	Channels: 2, Height: 9, Width: 8, Batch: 4, Seed: 7,
	Blocks: []graph.ConvBlock{
		{ConvSpec: graph.ConvSpec{Filters: 4, Kernel: 3, Padding: 1, Activation: graph.ReLU}, Pool: 2, BatchNorm: true},
		{ConvSpec: graph.ConvSpec{Filters: 3, Kernel: 3, Stride: 2, Padding: 1, Activation: graph.Tanh}, BatchNorm: true},
	},
	Dense: []graph.LayerSpec{{Units: 5, Activation: graph.ReLU}, {Units: 1, Activation: graph.Sigmoid}},
}

// testBNCNN compares a backend with the float64 reference on smallBNCNN:
// batch statistics in training steps, running ones in evaluation, and the
// running statistics after each step. Before a step, Evaluate sees the
// fresh running statistics (mean 0, variance 1); after one, moved ones.
func testBNCNN(t *testing.T, b backend.Backend) {
	m, obj := BinaryCNN(t, smallBNCNN)
	if len(m.Updates()) != 4 {
		t.Fatalf("%d state updates, want 4 (a mean and a variance per batch normalisation)", len(m.Updates()))
	}
	cnnAgainstReference(t, b, m, obj, false)
}

// BinaryCNN builds the CNN of spec with its binary classification
// objective, as BinaryMLP builds a perceptron.
func BinaryCNN(t testing.TB, spec graph.CNNSpec) (*graph.Model, *graph.Objective) {
	t.Helper()
	return binary(t, func() (*graph.Model, error) { return graph.CNN(spec) })
}

// cnnAgainstReference runs againstReference on a CNN with random image
// batches.
func cnnAgainstReference(t *testing.T, b backend.Backend, m *graph.Model, obj *graph.Objective, dropout bool) {
	inputs := m.Input.Shape().TotalSize() / m.Batch
	againstReference(t, b, m, obj, func(seed uint64) ([]float32, []float32) {
		return randomBatch(m.Batch, inputs, seed)
	}, dropout)
}

// testCNN compares a backend with the same graph evaluated in float64 (see
// againstReference), dropout included.
func testCNN(t *testing.T, b backend.Backend) {
	m, obj := BinaryCNN(t, smallCNN)
	cnnAgainstReference(t, b, m, obj, true)
}

// testCNNResume trains a CNN two steps in one program, and two steps with a
// new program in between that takes over the parameters and the optimizer
// state: the second step must draw the same dropout mask, so the
// parameters must end equal.
func testCNNResume(t *testing.T, b backend.Backend) {
	run := func(resume bool) [][]float32 {
		m, obj := BinaryCNN(t, smallCNN)
		spec := backend.TrainSpec(m, obj, optim.NewMomentum(0.1, 0.9))
		prog, err := b.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { prog.Close() }()
		inputs := m.Input.Shape().TotalSize() / smallCNN.Batch
		for step := 1; step <= 2; step++ {
			if step == 2 && resume {
				state, err := prog.OptimizerState()
				if err == nil {
					err = prog.Sync()
				}
				if err != nil {
					t.Fatal(err)
				}
				prog.Close()
				if prog, err = b.Compile(spec); err != nil {
					t.Fatal(err)
				}
				if err := prog.SetOptimizerState(state); err != nil {
					t.Fatal(err)
				}
			}
			x, y := randomBatch(smallCNN.Batch, inputs, uint64(30+step))
			if _, err := prog.Train(x, y); err != nil {
				t.Fatal(err)
			}
		}
		if err := prog.Sync(); err != nil {
			t.Fatal(err)
		}
		var params [][]float32
		for _, p := range obj.Params {
			params = append(params, append([]float32(nil), p.Value().Data().([]float32)...))
		}
		return params
	}
	straight, resumed := run(false), run(true)
	for i := range straight {
		if e := relErr(resumed[i], toFloat64(straight[i])); e > ForwardTol {
			t.Errorf("parameter %d after a resumed second step: relative error %.2g against an uninterrupted run", i, e)
		}
	}
}
