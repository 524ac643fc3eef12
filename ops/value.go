package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// NewValue allocates a zeroed value of the given dtype and shape, as the
// ops' Do methods do; an empty shape gives a Gorgonia scalar. Executors use
// it to plan buffers the ops' UsePreallocDo accept.
func NewValue(dt tensor.Dtype, shape tensor.Shape) (G.Value, error) {
	if shape.IsScalar() {
		switch dt {
		case tensor.Float32:
			return G.NewF32(0), nil
		case tensor.Float64:
			return G.NewF64(0), nil
		}
		return nil, fmt.Errorf("%w: %v", ErrDtype, dt)
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.Of(dt)), nil
}

// output returns the value an op writes its result of dtype dt and the
// given shape into: prealloc after checking it fits, or a new value.
func output[O fmt.Stringer](op O, prealloc G.Value, dt tensor.Dtype, shape tensor.Shape) (G.Value, error) {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("%w: %v: %v", ErrDtype, op, dt)
	}
	if prealloc == nil {
		return NewValue(dt, shape)
	}
	if err := checkPrealloc(op, prealloc, dt, shape); err != nil {
		return nil, err
	}
	return prealloc, nil
}

// checkPrealloc verifies that prealloc can hold a result of dtype dt and
// the given shape.
func checkPrealloc[O fmt.Stringer](op O, prealloc G.Value, dt tensor.Dtype, shape tensor.Shape) error {
	if prealloc == nil {
		return fmt.Errorf("%w: %v: nil", ErrPrealloc, op)
	}
	if prealloc.Dtype() != dt {
		return fmt.Errorf("%w: %v: dtype %v, want %v", ErrPrealloc, op, prealloc.Dtype(), dt)
	}
	if shape.IsScalar() {
		switch prealloc.(type) {
		case *G.F32, *G.F64:
			return nil
		}
		if prealloc.Shape().TotalSize() == 1 {
			return nil
		}
		return fmt.Errorf("%w: %v: shape %v, want a scalar", ErrPrealloc, op, prealloc.Shape())
	}
	if !prealloc.Shape().Eq(shape) {
		return fmt.Errorf("%w: %v: shape %v, want %v", ErrPrealloc, op, prealloc.Shape(), shape.Clone())
	}
	return nil
}

// sameDtype checks that all inputs share one dtype and returns it.
func sameDtype[O fmt.Stringer](op O, vs ...G.Value) (tensor.Dtype, error) {
	dt := vs[0].Dtype()
	for _, v := range vs[1:] {
		if v.Dtype() != dt {
			return dt, fmt.Errorf("%w: %v: mixed dtypes %v and %v", ErrDtype, op, dt, v.Dtype())
		}
	}
	return dt, nil
}

// f32 and f64 are the elements of a value (cpukernels.Slice).
func f32(v G.Value) []float32 { return cpukernels.Slice[float32](v) }
func f64(v G.Value) []float64 { return cpukernels.Slice[float64](v) }

// scalar reads a scalar value (a Gorgonia scalar or a one-element tensor).
func scalar(v G.Value) (float64, error) {
	switch v := v.(type) {
	case *G.F32:
		return float64(*v), nil
	case *G.F64:
		return float64(*v), nil
	case tensor.Tensor:
		if v.Shape().TotalSize() != 1 {
			return 0, fmt.Errorf("%w: want a scalar, got shape %v", ErrShape, v.Shape())
		}
		switch d := v.Data().(type) {
		case []float32:
			return float64(d[0]), nil
		case []float64:
			return d[0], nil
		case float32:
			return float64(d), nil
		case float64:
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w: %T", errUnknownValue, v)
}

// setScalar stores x into a scalar value.
func setScalar(v G.Value, x float64) error {
	switch v := v.(type) {
	case *G.F32:
		*v = G.F32(x)
		return nil
	case *G.F64:
		*v = G.F64(x)
		return nil
	case *tensor.Dense:
		switch d := v.Data().(type) {
		case []float32:
			d[0] = float32(x)
			return nil
		case []float64:
			d[0] = x
			return nil
		}
	}
	return fmt.Errorf("%w: %T", errUnknownValue, v)
}
