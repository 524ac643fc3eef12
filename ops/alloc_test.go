package ops_test

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/ops"
)

// TestPreallocDoAllocatesNothing keeps the ops of a perceptron's training
// step free of allocations when they run into planned buffers: the shared
// shape rules and drivers must not move their arguments to the heap.
func TestPreallocDoAllocatesNothing(t *testing.T) {
	matrix := func(r, c int) *tensor.Dense { return tensor.New(tensor.WithShape(r, c), tensor.Of(tensor.Float32)) }
	vector := func(n int) *tensor.Dense { return tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float32)) }
	bce := ops.LossOp{Kind: ops.BCEWithLogitsLoss, Dims: 2}
	for _, c := range []struct {
		name string
		op   G.UsePreallocDoer
		out  G.Value
		in   []G.Value
	}{
		{"MatMul", ops.MatMulOp{TransB: true}, matrix(4, 3), []G.Value{matrix(4, 5), matrix(3, 5)}},
		{"BiasAdd", ops.BiasAddOp{}, matrix(4, 5), []G.Value{matrix(4, 5), vector(5)}},
		{"ReLU", ops.ReLUOp{}, matrix(4, 5), []G.Value{matrix(4, 5)}},
		{"ReLUBackward", ops.ReLUBackwardOp{}, matrix(4, 5), []G.Value{matrix(4, 5), matrix(4, 5)}},
		{"Sigmoid", ops.SigmoidOp{}, matrix(4, 1), []G.Value{matrix(4, 1)}},
		{"SumRows", ops.SumRowsOp{}, vector(5), []G.Value{matrix(4, 5)}},
		{"Loss", bce, G.NewF32(0), []G.Value{matrix(4, 1), matrix(4, 1)}},
		{"LossBackward", ops.LossBackwardOp{Kind: bce.Kind, Dims: 2}, matrix(4, 1), []G.Value{matrix(4, 1), matrix(4, 1), G.NewF32(1)}},
	} {
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := c.op.UsePreallocDo(c.out, c.in...); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations", c.name, allocs)
		}
	}
}
