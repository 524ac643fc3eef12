package graph_test

import (
	"slices"
	"testing"

	"github.com/neurone-dl/neurone/graph"
)

// TestCNN checks the layers, shapes and parameters of the default CNN
// against its spec.
func TestCNN(t *testing.T) {
	t.Parallel()
	spec := graph.DefaultCNNSpec(100, 100, 3)
	m, err := graph.CNN(spec)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range m.Layers {
		names = append(names, l.Name)
	}
	want := []string{"conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "flatten", "dense1", "dropout", "dense2"}
	if !slices.Equal(names, want) {
		t.Errorf("layers %v, want %v", names, want)
	}
	// Each block keeps the side (3×3, padding 1, unless strided) and halves it, rounding down.
	side, channels, params := 100, spec.Channels, 0
	for _, b := range spec.Blocks {
		params += b.Filters*channels*b.Kernel*b.Kernel + b.Filters
		side, channels = (side-1)/max(b.Stride, 1)+1, b.Filters
		side /= b.Pool
	}
	features := channels * side * side
	if got := m.Layers[6].Output.Shape(); !slices.Equal(got, []int{3, features}) {
		t.Errorf("flattened shape %v, want [3 %d]", got, features)
	}
	in := features
	for _, d := range spec.Dense {
		params += in*d.Units + d.Units
		in = d.Units
	}
	if got := m.ParamCount(); got != params {
		t.Errorf("%d parameters, want %d", got, params)
	}
	if got := len(m.Params()); got != 2*(len(spec.Blocks)+len(spec.Dense)) {
		t.Errorf("%d parameter nodes, want a weight and a bias per convolution and dense layer", got)
	}
	if got := m.Output.Shape(); !slices.Equal(got, []int{3, 1}) || m.Logits == m.Output {
		t.Errorf("output %v (logits distinct: %t), want [3 1] after a sigmoid", got, m.Logits != m.Output)
	}
}

func TestCNNRejectsBadSpecs(t *testing.T) {
	t.Parallel()
	bad := map[string]func(*graph.CNNSpec){
		"no batch":           func(s *graph.CNNSpec) { s.Batch = 0 },
		"no dense layer":     func(s *graph.CNNSpec) { s.Dense = nil },
		"pooling too large":  func(s *graph.CNNSpec) { s.Blocks[0].Pool = 200 },
		"kernel too large":   func(s *graph.CNNSpec) { s.Blocks[0].Kernel, s.Blocks[0].Padding = 9, 0; s.Height = 5 },
		"dropout rate 1":     func(s *graph.CNNSpec) { s.Dropout = 1 },
		"unknown activation": func(s *graph.CNNSpec) { s.Blocks[1].Activation = graph.Activation(99) },
		"no filters":         func(s *graph.CNNSpec) { s.Blocks[2].Filters = 0 },
	}
	for name, change := range bad {
		spec := graph.DefaultCNNSpec(100, 100, 2)
		change(&spec)
		if _, err := graph.CNN(spec); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestCNNAveragePooling: AvgPool blocks pool by average, and GlobalPool
// hands the dense layers one value per feature map of the last block.
func TestCNNAveragePooling(t *testing.T) {
	t.Parallel()
	spec := graph.DefaultCNNSpec(100, 100, 3)
	spec.GlobalPool = true
	for i := range spec.Blocks {
		spec.Blocks[i].AvgPool = true
	}
	m, err := graph.CNN(spec)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range m.Layers {
		kinds = append(kinds, l.Kind)
	}
	want := []string{graph.KindConv2D, graph.KindAvgPool2D, graph.KindConv2D, graph.KindAvgPool2D, graph.KindConv2D, graph.KindAvgPool2D,
		graph.KindGlobalAvg, graph.KindDense, graph.KindDropout, graph.KindDense}
	if !slices.Equal(kinds, want) {
		t.Errorf("layer kinds %v, want %v", kinds, want)
	}
	if got := m.Layers[6].Output.Shape(); !slices.Equal(got, []int{3, 32}) {
		t.Errorf("global pooling gives %v, want [3 32]: one value per map of the last block", got)
	}
	if got := m.Layers[7].W.Shape(); !slices.Equal(got, []int{64, 32}) {
		t.Errorf("first dense weights %v, want [64 32]", got)
	}
}

// TestCNNBatchNorm: a block with BatchNorm is a convolution without bias,
// then batch normalisation with the block's activation, whose running
// statistics are the model's state updates.
func TestCNNBatchNorm(t *testing.T) {
	t.Parallel()
	spec := graph.DefaultCNNSpec(100, 100, 3)
	spec.Blocks[1].BatchNorm = true
	m, err := graph.CNN(spec)
	if err != nil {
		t.Fatal(err)
	}
	conv, bn := m.Layers[2], m.Layers[3]
	if conv.Name != "conv2" || conv.B != nil || conv.Activation != graph.Linear {
		t.Errorf("conv2: bias %v, activation %s; want no bias and no activation before the normalisation", conv.B, conv.Activation)
	}
	if bn.Name != "bn2" || bn.Kind != graph.KindBatchNorm || bn.Activation != graph.ReLU || bn.W.Name() != "bn2.weight" || bn.B.Name() != "bn2.bias" {
		t.Errorf("layer 3: %s %s %s, want bn2, a batch normalisation with ReLU and parameters bn2.weight and bn2.bias", bn.Name, bn.Kind, bn.Activation)
	}
	var names []string
	for _, b := range m.Buffers() {
		names = append(names, b.Name())
	}
	if want := []string{"bn2.running_mean", "bn2.running_var"}; !slices.Equal(names, want) {
		t.Errorf("buffers %v, want %v", names, want)
	}
	if got := bn.Updates[1].Buffer.Value().Data().([]float32); !slices.Equal(got, filled(16, 1)) {
		t.Errorf("running variance starts at %v, want ones", got)
	}
	plain, err := graph.CNN(graph.DefaultCNNSpec(100, 100, 3))
	if err != nil {
		t.Fatal(err)
	}
	// The normalisation's γ and β replace the convolution's bias.
	if got, want := m.ParamCount(), plain.ParamCount()+16; got != want {
		t.Errorf("%d parameters, want %d", got, want)
	}
}

func filled(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}
