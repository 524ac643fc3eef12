package graph_test

import (
	"slices"
	"testing"

	"github.com/neurone-dl/neurone/backend"
	"github.com/neurone-dl/neurone/backend/cpu"
	"github.com/neurone-dl/neurone/graph"
	"github.com/neurone-dl/neurone/graph/optim"
)

// TestMLPDropout checks that MLPSpec.Dropout puts a dropout layer after
// each hidden layer and nowhere else, keeps the weights of the same spec
// without it, changes nothing in prediction, and does drop units while
// training (the two losses of one step differ).
func TestMLPDropout(t *testing.T) {
	t.Parallel()
	spec := graph.MLPSpec{Inputs: 6, Batch: 4, Seed: 5, Layers: []graph.LayerSpec{
		{Units: 16, Activation: graph.ReLU}, {Units: 16, Activation: graph.ReLU, BatchNorm: true}, {Units: 1, Activation: graph.Sigmoid}}}
	plain, err := graph.MLP(spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.Dropout = 0.5
	dropped, err := graph.MLP(spec)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range dropped.Layers {
		names = append(names, l.Name)
	}
	if want := []string{"layer1", "dropout1", "layer2", "bn2", "dropout2", "layer3"}; !slices.Equal(names, want) {
		t.Errorf("layers %v, want %v", names, want)
	}
	for i, p := range dropped.Params() {
		q := plain.Params()[i]
		if p.Name() != q.Name() || !slices.Equal(p.Value().Data().([]float32), q.Value().Data().([]float32)) {
			t.Errorf("parameter %s differs from %s without dropout", p.Name(), q.Name())
		}
	}
	x := []float32{0.1, -0.4, 0.9, 0.3, -0.2, 0.5, 1, 0.7, -0.8, 0.2, 0.6, -0.3, 0.4, 0.4, -0.1, 0.8, -0.9, 0.05, 0.3, 0.2, -0.6, 0.7, 0.1, -0.5}
	y := []float32{1, 0, 1, 0}
	want, plainTrained := predictLoss(t, plain, x, y)
	got, trained := predictLoss(t, dropped, x, y)
	if !slices.Equal(got, want) {
		t.Errorf("prediction with dropout %v, without %v: dropout must be the identity outside training", got, want)
	}
	if plainTrained == trained {
		t.Errorf("the training loss is %v with dropout and without: no unit was dropped", trained)
	}
}

// predictLoss compiles m for training with SGD on the CPU and returns its
// prediction for x, then the loss of one training step on x and y.
func predictLoss(t *testing.T, m *graph.Model, x, y []float32) ([]float32, float32) {
	t.Helper()
	obj, err := graph.BinaryClassification(m)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := cpu.New().Compile(backend.TrainSpec(m, obj, optim.NewSGD(0.1)))
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	out := make([]float32, len(y))
	if err := prog.Predict([][]float32{out}, x, nil); err != nil {
		t.Fatal(err)
	}
	loss, err := prog.Train(x, y)
	if err != nil {
		t.Fatal(err)
	}
	return out, loss
}
