package backendtest

import (
	"math/rand/v2"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/graph"
)

// multiclassMLP is a perceptron with a softmax output over 5 classes.
var multiclassMLP = graph.MLPSpec{Inputs: 12, Batch: 6, Seed: 3, Layers: []graph.LayerSpec{
	{Units: 10, Activation: graph.ReLU}, {Units: 5, Activation: graph.Softmax}}}

// testMulticlass compares a backend with the float64 reference on a
// softmax classifier under the softmax cross-entropy: class
// probabilities, loss, gradients and two SGD steps.
func testMulticlass(t *testing.T, b backend.Backend) {
	m, err := graph.MLP(multiclassMLP)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := graph.MulticlassClassification(m)
	if err != nil {
		t.Fatal(err)
	}
	againstReference(t, b, m, obj, func(seed uint64) ([]float32, []float32) {
		return classBatch(multiclassMLP.Batch, multiclassMLP.Inputs, 5, seed)
	}, false)
}

// testBNMLP compares a backend with the float64 reference on a
// perceptron with batch normalisation in its hidden layers.
func testBNMLP(t *testing.T, b backend.Backend) {
	spec := graph.MLPSpec{Inputs: 12, Batch: 6, Seed: 4, Layers: []graph.LayerSpec{
		{Units: 10, Activation: graph.ReLU, BatchNorm: true}, {Units: 7, Activation: graph.Tanh, BatchNorm: true},
		{Units: 1, Activation: graph.Sigmoid}}}
	m, obj := BinaryMLP(t, spec)
	againstReference(t, b, m, obj, func(seed uint64) ([]float32, []float32) {
		return randomBatch(spec.Batch, spec.Inputs, seed)
	}, false)
}

// classBatch returns inputs in [-2, 2) and one-hot targets over classes,
// the last row smoothed (0.6 on its class, the rest spread evenly).
func classBatch(n, inputs, classes int, seed uint64) (x, y []float32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x = make([]float32, n*inputs)
	for i := range x {
		x[i] = 4*rng.Float32() - 2
	}
	y = make([]float32, n*classes)
	for i := range n {
		row := y[i*classes : (i+1)*classes]
		k := rng.IntN(classes)
		if i == n-1 {
			for c := range row {
				row[c] = 0.4 / float32(classes-1)
			}
			row[k] = 0.6
			continue
		}
		row[k] = 1
	}
	return x, y
}
