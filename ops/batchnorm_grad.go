package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// BatchNormGradOp is a BatchNormOp's gradient with respect to x, from
// (x, stats, γ, running mean, running var, dy). While training, per channel,
// with x̂ = (x − μ)/√(σ² + ε) over the batch's M values,
//
//	dx = γ/√(σ² + ε) · (dy − Σdy/M − x̂·Σ(dy·x̂)/M)
//
// and otherwise dx = γ·dy/√(var + ε), the running variance's.
type BatchNormGradOp struct {
	pure
	notDiffable
	Eps  float64
	Dims int
}

// Arity is 6.
func (op BatchNormGradOp) Arity() int { return 6 }

// Type is Tensor d a → Matrix a → Vector a → Vector a → Vector a → Tensor d a → Tensor d a.
func (op BatchNormGradOp) Type() hm.Type { return fnType(op.Dims, 2, 1, 1, 1, op.Dims, op.Dims) }

func (op BatchNormGradOp) geometry(in shapes) (cpukernels.Channels, error) {
	return bnGradCheck(op, in[0], in[1], in[5], in[2], in[3], in[4])
}

// rule: dx has the shape of x.
func (op BatchNormGradOp) rule(in shapes) (tensor.Shape, error) {
	return in[0], layoutErr(op.geometry(in))
}

// ModeDo computes dx in mode.
func (op BatchNormGradOp) ModeDo(mode Mode, p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, func(g cpukernels.Channels, dx []float32, in inputs[float32]) {
		cpukernels.BatchNormGradX(g, op.Eps, mode.Train, dx, in[0], in[1], in[2], in[3], in[4], in[5])
	}, func(g cpukernels.Channels, dx []float64, in inputs[float64]) {
		cpukernels.BatchNormGradX(g, op.Eps, mode.Train, dx, in[0], in[1], in[2], in[3], in[4], in[5])
	})
}

func (op BatchNormGradOp) String() string {
	return fmt.Sprintf("BatchNormGrad(ε %g, %d-D)", op.Eps, op.Dims)
}

// bnGradCheck checks a gradient op's x, statistics, dy and per-channel
// inputs.
func bnGradCheck[O fmt.Stringer](op O, x, stats, dy tensor.Shape, channels ...tensor.Shape) (cpukernels.Channels, error) {
	g, err := bnCheck(op, x, stats, channels...)
	if err != nil {
		return g, err
	}
	if !dy.Eq(x) {
		return g, fmt.Errorf("%w: %v: gradient %v for x %v", ErrShape, op, dy.Clone(), x.Clone())
	}
	return g, nil
}

// BatchNormGammaGradOp is a BatchNormOp's gradient with respect to γ,
// from (x, stats, running mean, running var, dy): Σ dy·x̂ per channel, x̂
// normalised as the mode's forward pass normalises it.
type BatchNormGammaGradOp struct {
	pure
	notDiffable
	Eps  float64
	Dims int
}

// Arity is 5.
func (op BatchNormGammaGradOp) Arity() int { return 5 }

// Type is Tensor d a → Matrix a → Vector a → Vector a → Tensor d a → Vector a.
func (op BatchNormGammaGradOp) Type() hm.Type { return fnType(op.Dims, 2, 1, 1, op.Dims, 1) }

func (op BatchNormGammaGradOp) geometry(in shapes) (cpukernels.Channels, error) {
	return bnGradCheck(op, in[0], in[1], in[4], in[2], in[3])
}

// rule: dγ has one value per channel, (C).
func (op BatchNormGammaGradOp) rule(in shapes) (tensor.Shape, error) {
	if _, err := op.geometry(in); err != nil {
		return nil, err
	}
	return in[0][1:2], nil // (C), without allocating
}

// ModeDo computes dγ in mode.
func (op BatchNormGammaGradOp) ModeDo(mode Mode, p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, func(g cpukernels.Channels, dg []float32, in inputs[float32]) {
		cpukernels.BatchNormGradGamma(g, op.Eps, mode.Train, dg, in[0], in[1], in[2], in[3], in[4])
	}, func(g cpukernels.Channels, dg []float64, in inputs[float64]) {
		cpukernels.BatchNormGradGamma(g, op.Eps, mode.Train, dg, in[0], in[1], in[2], in[3], in[4])
	})
}

func (op BatchNormGammaGradOp) String() string {
	return fmt.Sprintf("BatchNormGammaGrad(ε %g, %d-D)", op.Eps, op.Dims)
}
