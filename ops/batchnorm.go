package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// BatchNormOp is batch normalisation over the channels (axis 1) of x, a
// batch of feature maps N×C×H×W or of features N×C: with inputs
// (x, stats, γ, β, running mean, running var), stats the batch's
// statistics (BatchNormStatsOp of x) and the last four of C values,
//
//	y = γ·(x − μ)/√(σ² + ε) + β   per channel
//
// where, while training, μ and σ² are the mean and (biased) variance of
// the channel over the batch (the N·H·W values), and in evaluation and
// prediction the running mean and variance. It implements ModeDoer: Do
// and UsePreallocDo compute the inference result, ModeDo the mode's.
//
// The batch's statistics are a node of their own, computed once for the
// forward pass, the gradients and the running statistics. The running
// statistics are not changed by the op: BatchNormRunningOp computes their
// new values from a training batch's, which a backend stores back after
// each training step (backend.Spec.Updates).
//
// Its gradients (BatchNormGradOp for x, BatchNormGammaGradOp for γ, the
// channel sums of dy for β) follow the mode too: while training μ and σ²
// depend on x, and BatchNormGradOp's dx includes that dependence, so no
// gradient flows through the statistics node; otherwise the op is affine.
// The running statistics have none.
type BatchNormOp struct {
	pure
	Eps  float64 // ε, added to the variance
	Dims int     // 2 (N×C) or 4 (N×C×H×W)
}

// BatchNorm returns the node of the batch normalisation of x with its
// batch statistics stats (BatchNormStats(x)), scale gamma, shift beta and
// the running statistics mean and variance.
func BatchNorm(x, stats, gamma, beta, mean, variance *G.Node, eps float64) (*G.Node, error) {
	if !(eps > 0) {
		return nil, fmt.Errorf("ops: batch normalisation: ε %v is not positive", eps)
	}
	return apply(BatchNormOp{Eps: eps, Dims: x.Dims()}, x, stats, gamma, beta, mean, variance)
}

// Arity is 6.
func (op BatchNormOp) Arity() int { return 6 }

// Type is Tensor d a → Matrix a → Vector a → Vector a → Vector a → Vector a → Tensor d a.
func (op BatchNormOp) Type() hm.Type { return fnType(op.Dims, 2, 1, 1, 1, 1, op.Dims) }

func (op BatchNormOp) geometry(in shapes) (cpukernels.Channels, error) {
	return bnCheck(op, in[0], in[1], in[2], in[3], in[4], in[5])
}

// rule: the result has the shape of x.
func (op BatchNormOp) rule(in shapes) (tensor.Shape, error) { return in[0], layoutErr(op.geometry(in)) }

// ModeDo normalises with the batch's statistics while training, with the
// running ones otherwise.
func (op BatchNormOp) ModeDo(mode Mode, p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, func(g cpukernels.Channels, y []float32, in inputs[float32]) {
		cpukernels.BatchNorm(g, op.Eps, mode.Train, y, in[0], in[1], in[2], in[3], in[4], in[5])
	}, func(g cpukernels.Channels, y []float64, in inputs[float64]) {
		cpukernels.BatchNorm(g, op.Eps, mode.Train, y, in[0], in[1], in[2], in[3], in[4], in[5])
	})
}

// DiffWRT reports x, γ and β differentiable; the batch statistics (whose
// effect dx includes) and the running ones not.
func (op BatchNormOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for _, i := range []int{0, 2, 3} {
		if i < n {
			d[i] = true
		}
	}
	return d
}

// SymDiff returns BatchNormGrad(x, stats, γ, mean, var, dy) for x,
// BatchNormGammaGrad(x, stats, mean, var, dy) for γ and the channel sums
// of dy for β.
func (op BatchNormOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(BatchNormGradOp{Eps: op.Eps, Dims: op.Dims}, in[0], in[1], in[2], in[4], in[5], grad)
	if err != nil {
		return nil, err
	}
	dg, err := apply(BatchNormGammaGradOp{Eps: op.Eps, Dims: op.Dims}, in[0], in[1], in[4], in[5], grad)
	if err != nil {
		return nil, err
	}
	var db *G.Node
	if op.Dims == 4 {
		db, err = apply(SumChannelsOp{}, grad)
	} else {
		db, err = apply(SumRowsOp{}, grad)
	}
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, nil, dg, db, nil, nil}, nil
}

func (op BatchNormOp) String() string { return fmt.Sprintf("BatchNorm(ε %g, %d-D)", op.Eps, op.Dims) }

// channelGeometry checks x (N×C or N×C×H×W) and returns its layout.
func channelGeometry[O fmt.Stringer](op O, x tensor.Shape) (cpukernels.Channels, error) {
	if d := x.Dims(); d != 2 && d != 4 {
		return cpukernels.Channels{}, fmt.Errorf("%w: %v needs N×C or N×C×H×W, got %v", ErrShape, op, x.Clone())
	}
	g := cpukernels.Channels{N: x[0], C: x[1], Inner: 1}
	if x.Dims() == 4 {
		g.Inner = x[2] * x[3]
	}
	return g, nil
}

// bnCheck checks x, its statistics (2×C) and the per-channel inputs, and
// returns x's layout.
func bnCheck[O fmt.Stringer](op O, x, stats tensor.Shape, channels ...tensor.Shape) (cpukernels.Channels, error) {
	g, err := channelGeometry(op, x)
	if err != nil {
		return g, err
	}
	if stats.Dims() != 2 || stats[0] != 2 || stats[1] != g.C {
		return g, fmt.Errorf("%w: %v: statistics %v for %d channels, want 2×%d", ErrShape, op, stats.Clone(), g.C, g.C)
	}
	for _, v := range channels {
		if v.TotalSize() != g.C || v.Dims() != 1 {
			return g, fmt.Errorf("%w: %v: %v for %d channels", ErrShape, op, v.Clone(), g.C)
		}
	}
	return g, nil
}

// layoutErr is the error of a layout check.
func layoutErr(_ cpukernels.Channels, err error) error { return err }
