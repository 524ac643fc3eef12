package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// MaxPool2DBackwardOp computes a MaxPool2DOp's input gradient from
// (x, dy): it finds each window's maximum again, rather than keeping
// indices from the forward pass, so it needs no state between the two.
type MaxPool2DBackwardOp struct {
	pure
	notDiffable
	Pool MaxPool2DOp
}

// Arity is 2.
func (op MaxPool2DBackwardOp) Arity() int { return 2 }

// Type is Tensor4 a → Tensor4 a → Tensor4 a.
func (op MaxPool2DBackwardOp) Type() hm.Type { return fnType(4, 4, 4) }

// geometry is the pooling's geometry, after checking dy against x.
func (op MaxPool2DBackwardOp) geometry(in shapes) (cpukernels.Pool, error) {
	x, dy := in[0], in[1]
	g, err := op.Pool.geometry(in)
	if err != nil {
		return g, err
	}
	if dy.Dims() != 4 || dy[0] != x[0] || dy[1] != x[1] || dy[2] != g.OH || dy[3] != g.OW {
		return g, fmt.Errorf("%w: %v: gradient %v, want %v", ErrShape, op, dy.Clone(), pooledShape(g, x))
	}
	return g, nil
}

// rule: dx has the shape of x, after checking dy against it.
func (op MaxPool2DBackwardOp) rule(in shapes) (tensor.Shape, error) {
	_, err := op.geometry(in)
	return in[0], err
}

// UsePreallocDo computes dx into prealloc.
func (op MaxPool2DBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return geomDo(op, p, vs, maxPoolBackward[float32], maxPoolBackward[float64])
}

func maxPoolBackward[T cpukernels.Float](g cpukernels.Pool, dx []T, in inputs[T]) {
	cpukernels.MaxPoolBackward(g, dx, in[0], in[1])
}

func (op MaxPool2DBackwardOp) String() string {
	return "MaxPool2DBackward" + op.Pool.String()[len("MaxPool2D"):]
}
