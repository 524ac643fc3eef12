package ops

import (
	"fmt"
	"slices"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// elementwise is embedded by ops whose inputs all have the result's shape
// and whose every output element depends only on the same element of each
// input. It holds the op's arity, so it gives the op's Arity, Type and
// InferShape.
type elementwise struct {
	pure
	arity int
}

// Arity returns the number of inputs.
func (e elementwise) Arity() int { return e.arity }

// Type is a → a (→ a ...): any tensor type, kept.
func (e elementwise) Type() hm.Type {
	ts := make([]hm.Type, e.arity+1)
	for i := range ts {
		ts[i] = typeA
	}
	return hm.NewFnType(ts...)
}

// InferShape returns the common shape of the inputs.
func (e elementwise) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != e.arity {
		return nil, fmt.Errorf("%w: element-wise op takes %d, got %d", ErrInputs, e.arity, len(ds))
	}
	s, err := G.DimSizersToShapes(ds)
	if err != nil {
		return nil, err
	}
	shape, err := sameShapes(s)
	if err != nil {
		return nil, err
	}
	return shape.Clone(), nil
}

// sameShapes is the shape rule of element-wise ops: every input has the
// first one's shape, which is the result's.
func sameShapes(s []tensor.Shape) (tensor.Shape, error) {
	for _, t := range s[1:] {
		if !t.Eq(s[0]) {
			return nil, fmt.Errorf("%w: element-wise op on shapes %v", ErrShape, slices.Clone(s)) // s may be a rule's array: keep it on the stack
		}
	}
	return s[0], nil
}

// mapDo runs an element-wise op: it checks the inputs, then calls the kernel
// for their dtype on the output (prealloc, or a new value).
func mapDo[O counted](op O, prealloc G.Value, vs []G.Value, param float64, k32 cpukernels.Map[float32], k64 cpukernels.Map[float64]) (G.Value, error) {
	out, dt, err := sameShapeOutput(op, prealloc, vs)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		k32(f32(out), f32(vs[0]), cpukernels.Second[float32](vs), float32(param))
	} else {
		k64(f64(out), f64(vs[0]), cpukernels.Second[float64](vs), param)
	}
	return out, nil
}

// sameShapeOutput checks the inputs of an op whose inputs and result all
// have one shape, and returns the value the result goes to (prealloc, or
// a new value) and its dtype.
func sameShapeOutput[O counted](op O, prealloc G.Value, vs []G.Value) (G.Value, tensor.Dtype, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, tensor.Dtype{}, err
	}
	shape := vs[0].Shape()
	for _, v := range vs[1:] {
		if !v.Shape().Eq(shape) {
			return nil, tensor.Dtype{}, fmt.Errorf("%w: %v on shapes %v and %v", ErrShape, op, shape.Clone(), v.Shape().Clone())
		}
	}
	dt, err := sameDtype(op, vs...)
	if err != nil {
		return nil, dt, err
	}
	out, err := output(op, prealloc, dt, shape)
	return out, dt, err
}
