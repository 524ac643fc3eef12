package cpu

import (
	"testing"
	"unsafe"

	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/graph"
)

// TestFeedKeepsNoReference checks that the caller's input slices are read
// in place during a call and that the program lets go of them afterwards,
// on success and on a call refused for a wrong input size.
func TestFeedKeepsNoReference(t *testing.T) {
	_, p := compileMLP(t, graph.MLPSpec{Inputs: 6, Batch: 4, Seed: 1, Layers: []graph.LayerSpec{{Units: 1, Activation: graph.Sigmoid}}},
		0.1, options{}, false)
	x, y := make([]float32, 4*6), []float32{1, 0, 1, 0}
	for i := range x {
		x[i] = float32(i) / 24
	}
	owns := func() bool {
		for i, slot := range p.inputs {
			raw := p.vals[slot].(*tensor.Dense).Raw
			if unsafe.SliceData(raw) != unsafe.SliceData(p.inputRaw[i]) {
				return false
			}
		}
		return true
	}
	first, err := p.Evaluate(nil, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !owns() {
		t.Error("after Evaluate the program still reads the caller's inputs")
	}
	if _, err := p.Evaluate(nil, x[:5], y); err == nil || !owns() {
		t.Errorf("short input: error %v, program owns its buffers %v", err, owns())
	}
	again, err := p.Evaluate(nil, append([]float32(nil), x...), y)
	if err != nil || again != first {
		t.Errorf("same inputs in a new slice: loss %v (error %v), first %v", again, err, first)
	}
}
