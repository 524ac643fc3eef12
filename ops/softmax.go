package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// SoftmaxOp is the softmax along the last axis: for each row x of C
// values, y_c = e^(x_c − m) / Σ_k e^(x_k − m) with m = max_k x_k, which
// never overflows. Its gradient dx = y ⊙ (dy − Σ_c dy_c·y_c), per row, is
// computed from the output by SoftmaxBackwardOp.
//
// Training a classifier, prefer SoftmaxCrossEntropy on the logits to a
// softmax followed by a logarithm: it is exact where probabilities round
// to 0.
type SoftmaxOp struct{ fixed[softmax] }

// Softmax returns the node of the softmax of x along its last axis.
func Softmax(x *G.Node) (*G.Node, error) { return apply(SoftmaxOp{}, x) }

type softmax struct{}

func (softmax) spec() spec {
	return spec{name: "Softmax", arity: 1, rule: lastAxis, grad: fromOutput[SoftmaxBackwardOp],
		run: func(op ruled, p G.Value, vs []G.Value) (G.Value, error) {
			return rowsDo(op, p, vs, cpukernels.SoftmaxRows[float32], cpukernels.SoftmaxRows[float64])
		}}
}

// lastAxis is the shape rule of the ops that keep their inputs' shape, as
// element-wise ops do, but treat each run of elements along the last axis
// (a row of a batch×classes matrix) as a whole: one shape, with a last
// axis.
func lastAxis(in shapes) (tensor.Shape, error) {
	s := in[0]
	if in[1] != nil && !in[1].Eq(s) {
		return nil, fmt.Errorf("%w: element-wise op on shapes %v and %v", ErrShape, s, in[1])
	}
	if s.Dims() == 0 || s[s.Dims()-1] == 0 {
		return nil, fmt.Errorf("%w: softmax op needs classes along a last axis, got shape %v", ErrShape, s)
	}
	return s, nil
}

// rowsDo runs a last-axis op: it checks the inputs, then calls the loop
// for their dtype on the output (prealloc, or a new value) with the length
// of the last axis.
func rowsDo(op counted, prealloc G.Value, vs []G.Value, f32k func(dst, a, b []float32, cols int), f64k func(dst, a, b []float64, cols int)) (G.Value, error) {
	out, dt, err := sameShapeOutput(op, prealloc, vs)
	if err != nil {
		return nil, err
	}
	shape := vs[0].Shape()
	if shape.Dims() == 0 || shape[shape.Dims()-1] == 0 {
		return nil, fmt.Errorf("%w: %v needs classes along a last axis, got shape %v", ErrShape, op, shape.Clone())
	}
	cols := shape[shape.Dims()-1]
	if dt == tensor.Float32 {
		f32k(f32(out), f32(vs[0]), cpukernels.Second[float32](vs), cols)
	} else {
		f64k(f64(out), f64(vs[0]), cpukernels.Second[float64](vs), cols)
	}
	return out, nil
}
