package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// BatchNormStatsOp computes the statistics of a batch x (N×C or
// N×C×H×W) that BatchNormOp normalises with while training: a 2×C matrix
// of each channel's mean (row 0) and biased variance (row 1), added in
// float64, the variance from the values' distances to the mean. It has no
// gradient: BatchNormGradOp accounts for the statistics' dependence on x.
type BatchNormStatsOp struct {
	pure
	notDiffable
	Dims int
}

// BatchNormStats returns the node of x's batch statistics.
func BatchNormStats(x *G.Node) (*G.Node, error) { return apply(BatchNormStatsOp{Dims: x.Dims()}, x) }

// Arity is 1.
func (op BatchNormStatsOp) Arity() int { return 1 }

// Type is Tensor d a → Matrix a.
func (op BatchNormStatsOp) Type() hm.Type { return fnType(op.Dims, 2) }

func (op BatchNormStatsOp) geometry(in shapes) (cpukernels.Channels, error) {
	return channelGeometry(op, in[0])
}

// rule: the statistics are 2×C.
func (op BatchNormStatsOp) rule(in shapes) (tensor.Shape, error) {
	g, err := op.geometry(in)
	return shape2(2, g.C), err
}

// UsePreallocDo computes the statistics into prealloc.
func (op BatchNormStatsOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, batchNormStats[float32], batchNormStats[float64])
}

func batchNormStats[T cpukernels.Float](g cpukernels.Channels, out []T, in inputs[T]) {
	cpukernels.BatchNormStats(g, out, in[0])
}

func (op BatchNormStatsOp) String() string { return fmt.Sprintf("BatchNormStats(%d-D)", op.Dims) }

// BatchNormRunningOp computes a running statistic of a BatchNormOp after
// a training batch, from (stats, r), stats the batch's statistics and r
// the running statistic so far:
//
//	r' = (1 − Momentum)·r + Momentum·s
//
// s the batch's per-channel mean, or, with Variance, its unbiased
// variance (σ²·M/(M−1) over the Count values of each channel), as
// PyTorch's BatchNorm keeps them.
type BatchNormRunningOp struct {
	pure
	notDiffable
	Momentum float64
	Variance bool
	Count    int // values per channel in a batch (N·H·W)
}

// BatchNormRunning returns the node of the running statistic r updated
// with the statistics stats of a batch x (see BatchNormRunningOp).
func BatchNormRunning(x, stats, r *G.Node, momentum float64, variance bool) (*G.Node, error) {
	if !(momentum >= 0 && momentum <= 1) {
		return nil, fmt.Errorf("ops: batch normalisation: momentum %v is not in [0, 1]", momentum)
	}
	g, err := channelGeometry(BatchNormRunningOp{}, x.Shape())
	if err != nil {
		return nil, err
	}
	return apply(BatchNormRunningOp{Momentum: momentum, Variance: variance, Count: g.N * g.Inner}, stats, r)
}

// Arity is 2.
func (op BatchNormRunningOp) Arity() int { return 2 }

// Type is Matrix a → Vector a → Vector a.
func (op BatchNormRunningOp) Type() hm.Type { return fnType(2, 1, 1) }

// rule: the statistics (2×C) and the running statistic (C).
func (op BatchNormRunningOp) rule(in shapes) (tensor.Shape, error) {
	stats, r := in[0], in[1]
	if stats.Dims() != 2 || stats[0] != 2 || !r.Eq(tensor.Shape{stats[1]}) {
		return nil, fmt.Errorf("%w: %v: statistics %v and running statistic %v", ErrShape, op, stats.Clone(), r.Clone())
	}
	return r, nil
}

// UsePreallocDo computes the updated statistic into prealloc.
func (op BatchNormRunningOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 2)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		cpukernels.BatchNormRunning(op.Momentum, op.Variance, op.Count, f32(out), f32(vs[0]), f32(vs[1]))
	} else {
		cpukernels.BatchNormRunning(op.Momentum, op.Variance, op.Count, f64(out), f64(vs[0]), f64(vs[1]))
	}
	return out, nil
}

func (op BatchNormRunningOp) String() string {
	what := "mean"
	if op.Variance {
		what = "variance"
	}
	return fmt.Sprintf("BatchNormRunning(%s, momentum %g, %d values)", what, op.Momentum, op.Count)
}
