package cpu

import (
	"testing"
	"unsafe"

	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/graph"
)

// TestFeedReadsInPlace checks that the caller's input slices are read in
// place, not copied; that a nil input reads the slice fed before; and that
// a call refused for a wrong input size changes nothing.
func TestFeedReadsInPlace(t *testing.T) {
	_, p := compileMLP(t, graph.MLPSpec{Inputs: 6, Batch: 4, Seed: 1, Layers: []graph.LayerSpec{{Units: 1, Activation: graph.Sigmoid}}},
		0.1, options{}, false)
	x, y := make([]float32, 4*6), []float32{1, 0, 1, 0}
	for i := range x {
		x[i] = float32(i) / 24
	}
	reads := func(s []float32) bool {
		raw := p.vals[p.inputs[0]].(*tensor.Dense).Raw
		return unsafe.Pointer(unsafe.SliceData(raw)) == unsafe.Pointer(unsafe.SliceData(s))
	}
	first, err := p.Evaluate(nil, x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !reads(x) {
		t.Error("the program copied the caller's input instead of reading it in place")
	}
	if _, err := p.Evaluate(nil, x[:5], y); err == nil || !reads(x) {
		t.Errorf("short input: error %v; still reading the slice fed before: %v", err, reads(x))
	}
	again, err := p.Evaluate(nil, nil, nil)
	if err != nil || again != first {
		t.Errorf("nil inputs: loss %v (error %v), first %v", again, err, first)
	}
	other, err := p.Evaluate(nil, append([]float32(nil), x...), y)
	if err != nil || other != first {
		t.Errorf("same inputs in a new slice: loss %v (error %v), first %v", other, err, first)
	}
}
