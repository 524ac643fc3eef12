package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// elementwise is embedded by ops whose inputs all have the result's shape
// and whose every output element depends only on the same element of each
// input.
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
	for _, t := range s[1:] {
		if !t.Eq(s[0]) {
			return nil, fmt.Errorf("%w: element-wise op on shapes %v", ErrShape, s)
		}
	}
	return s[0].Clone(), nil
}

// kernel is an element-wise loop over slices of one element type: dst and
// every input have the same length.
type kernel[T Float] func(dst []T, in ...[]T)

// mapDo runs an element-wise op: it checks the inputs, then calls the kernel
// for their dtype on the output (prealloc, or a new value).
func mapDo(op G.Op, prealloc G.Value, vs []G.Value, k32 kernel[float32], k64 kernel[float64]) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	shapes := make([]G.DimSizer, len(vs))
	for i, v := range vs {
		shapes[i] = v.Shape()
	}
	shape, err := op.InferShape(shapes...)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	dt, err := sameDtype(op, vs...)
	if err != nil {
		return nil, err
	}
	return run(op, prealloc, dt, shape,
		func(out G.Value) error { k32(slice[float32](out), slices[float32](vs)...); return nil },
		func(out G.Value) error { k64(slice[float64](out), slices[float64](vs)...); return nil })
}

func slices[T Float](vs []G.Value) [][]T {
	out := make([][]T, len(vs))
	for i, v := range vs {
		out[i] = slice[T](v)
	}
	return out
}
