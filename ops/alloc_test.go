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

// TestCNNOpsAllocateNothing does the same for the ops of a convolutional
// network's training step, batch normalisation included: after a first
// run (which meets each shape once), the kernels take their jobs and
// scratch buffers from pools and their workers are started.
func TestCNNOpsAllocateNothing(t *testing.T) {
	t4 := func(a, b, c, d int) *tensor.Dense {
		return tensor.New(tensor.WithShape(a, b, c, d), tensor.Of(tensor.Float32))
	}
	vec := func(n int) *tensor.Dense { return tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float32)) }
	conv := ops.Conv2DOp{Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}
	pool := ops.MaxPool2DOp{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	x, w, y := t4(4, 3, 8, 8), t4(5, 3, 3, 3), t4(4, 5, 8, 8)
	dx, dw, dy, pooled := t4(4, 3, 8, 8), t4(5, 3, 3, 3), t4(4, 5, 8, 8), t4(4, 5, 4, 4)
	stats := tensor.New(tensor.WithShape(2, 5), tensor.Of(tensor.Float32))
	gamma, beta, rmean, rvar, db := vec(5), vec(5), vec(5), vec(5), vec(5)
	bn := ops.BatchNormOp{Eps: 1e-5, Dims: 4}
	for _, c := range []struct {
		name string
		op   G.UsePreallocDoer
		out  G.Value
		in   []G.Value
	}{
		{"Conv2D", conv, y, []G.Value{x, w}},
		{"Conv2DFilterGrad", ops.Conv2DFilterGradOp{Conv: conv, KH: 3, KW: 3}, dw, []G.Value{x, y}},
		{"Conv2DInputGrad", ops.Conv2DInputGradOp{Conv: conv, H: 8, W: 8}, dx, []G.Value{w, y}},
		{"MaxPool2D", pool, pooled, []G.Value{y}},
		{"MaxPool2DBackward", ops.MaxPool2DBackwardOp{Pool: pool}, dy, []G.Value{y, pooled}},
		{"BatchNormStats", ops.BatchNormStatsOp{Dims: 4}, stats, []G.Value{y}},
		{"BatchNorm", modeDoer{bn, ops.Mode{Train: true}}, dy, []G.Value{y, stats, gamma, beta, rmean, rvar}},
		{"SumChannels", ops.SumChannelsOp{}, db, []G.Value{y}},
	} {
		if _, err := c.op.UsePreallocDo(c.out, c.in...); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		allocs := testing.AllocsPerRun(20, func() { _, _ = c.op.UsePreallocDo(c.out, c.in...) })
		if allocs != 0 {
			t.Errorf("%s: %v allocations", c.name, allocs)
		}
	}
}

// modeDoer runs a ModeDoer's ModeDo in one mode, as UsePreallocDo.
type modeDoer struct {
	op   ops.ModeDoer
	mode ops.Mode
}

func (m modeDoer) UsePreallocDo(p G.Value, in ...G.Value) (G.Value, error) {
	return m.op.ModeDo(m.mode, p, in...)
}
