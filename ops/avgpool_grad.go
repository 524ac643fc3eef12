package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// AvgPool2DBackwardOp computes an AvgPool2DOp's input gradient (N×C×H×W)
// from dy alone: the pooling is linear, so it needs no values of x, only
// its height and width.
type AvgPool2DBackwardOp struct {
	pure
	notDiffable
	Pool AvgPool2DOp
	H, W int // x's height and width
}

// Arity is 1.
func (op AvgPool2DBackwardOp) Arity() int { return 1 }

// Type is Tensor4 a → Tensor4 a.
func (op AvgPool2DBackwardOp) Type() hm.Type { return fnType(4, 4) }

// xShape is the shape of the pooling's input, from dy (N×C×OH×OW).
func (op AvgPool2DBackwardOp) xShape(dy tensor.Shape) (tensor.Shape, error) {
	if dy.Dims() != 4 {
		return nil, fmt.Errorf("%w: %v needs an N×C×OH×OW gradient, got %v", ErrShape, op, dy.Clone())
	}
	return tensor.Shape{dy[0], dy[1], op.H, op.W}, nil
}

// geometry is the pooling's geometry, after checking dy against it.
func (op AvgPool2DBackwardOp) geometry(in shapes) (cpukernels.Pool, error) {
	dy := in[0]
	x, err := op.xShape(dy)
	if err != nil {
		return cpukernels.Pool{}, err
	}
	g, err := poolGeometry(op.Pool, op.Pool.Kernel, op.Pool.Stride, x)
	if err != nil {
		return g, err
	}
	if dy[2] != g.OH || dy[3] != g.OW {
		return g, fmt.Errorf("%w: %v: gradient %v, want %v", ErrShape, op, dy.Clone(), pooledShape(g, x))
	}
	return g, nil
}

// rule: dy (N×C×OH×OW) of the pooling of an N×C×H×W x gives dx, N×C×H×W.
func (op AvgPool2DBackwardOp) rule(in shapes) (tensor.Shape, error) {
	if _, err := op.geometry(in); err != nil {
		return nil, err
	}
	return op.xShape(in[0])
}

// UsePreallocDo computes dx into prealloc.
func (op AvgPool2DBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, avgPoolBackward[float32], avgPoolBackward[float64])
}

func avgPoolBackward[T cpukernels.Float](g cpukernels.Pool, dx []T, in inputs[T]) {
	cpukernels.AvgPoolBackward(g, dx, in[0])
}

func (op AvgPool2DBackwardOp) String() string {
	k, s := op.Pool.Kernel, op.Pool.Stride
	return fmt.Sprintf("AvgPool2DBackward(%dx%d, stride %dx%d, input %dx%d)", k[0], k[1], s[0], s[1], op.H, op.W)
}
