package ops

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"unsafe"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sentinel errors, wrapped with the op and the offending shapes.
var (
	ErrShape        = errors.New("ops: shape mismatch")
	ErrDtype        = errors.New("ops: unsupported dtype")
	ErrNotDiffable  = errors.New("ops: op is not differentiable")
	ErrPrealloc     = errors.New("ops: preallocated value does not fit")
	ErrInputs       = errors.New("ops: wrong number of inputs")
	errUnknownValue = errors.New("ops: unsupported value type")
)

// Float is the set of element types the CPU kernels support.
type Float interface{ ~float32 | ~float64 }

var typeA = hm.TypeVariable('a')

// tensorT is the hm type of a tensor with the given number of dimensions;
// 0 means a scalar.
func tensorT(dims int) hm.Type {
	if dims == 0 {
		return typeA
	}
	return G.TensorType{Dims: dims, Of: typeA}
}

// fnType builds the type of an op from its argument and result dimensions.
func fnType(dims ...int) hm.Type {
	ts := make([]hm.Type, len(dims))
	for i, d := range dims {
		ts[i] = tensorT(d)
	}
	return hm.NewFnType(ts...)
}

// hashOf hashes an op by its String form, which spells out its parameters.
func hashOf(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	writeHash(h, op)
	return h.Sum32()
}

func writeHash(h hash.Hash, op fmt.Stringer) { fmt.Fprintf(h, "neurone.%s", op) }

// shapesOf turns InferShape's arguments into shapes.
func shapesOf(op fmt.Stringer, want int, ds []G.DimSizer) ([]tensor.Shape, error) {
	if len(ds) != want {
		return nil, fmt.Errorf("%w: %v takes %d, got %d", ErrInputs, op, want, len(ds))
	}
	return G.DimSizersToShapes(ds)
}

// pure is embedded by every op: none calls out of Go asynchronously, none
// overwrites its inputs, and all return fresh or preallocated values.
type pure struct{}

// ReturnsPtr reports that the op's result may be referenced, not copied.
func (pure) ReturnsPtr() bool { return true }

// CallsExtern reports false: BLAS calls are synchronous, so Gorgonia's
// machines need not batch or flush around them.
func (pure) CallsExtern() bool { return false }

// OverwritesInput reports -1: no op writes into its inputs.
func (pure) OverwritesInput() int { return -1 }

// notDiffable is embedded by backward ops, which have no gradient of their own.
type notDiffable struct{}

// DiffWRT reports that no input is differentiable.
func (notDiffable) DiffWRT(n int) []bool { return make([]bool, n) }

// SymDiff returns ErrNotDiffable.
func (notDiffable) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, ErrNotDiffable
}

func allTrue(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

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

// slice returns the elements of a float value of element type T, aliasing
// its memory: no copy, no allocation (tensor.Dense.Data allocates through
// reflection on every call, which a training step must not).
func slice[T Float](v G.Value) []T {
	switch v := v.(type) {
	case *tensor.Dense:
		raw := v.Raw // the tensor's bytes, promoted from its storage header
		var zero T
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw)/int(unsafe.Sizeof(zero)))
	case *G.F32:
		return unsafe.Slice((*T)(unsafe.Pointer(v)), 1)
	case *G.F64:
		return unsafe.Slice((*T)(unsafe.Pointer(v)), 1)
	}
	panic(fmt.Sprintf("%v: %T", errUnknownValue, v))
}

// Float32s returns the elements of a float32 value (a tensor or a scalar)
// without copying or allocating; writes go to the value. It panics if v is
// not float32.
func Float32s(v G.Value) []float32 {
	if v.Dtype() != tensor.Float32 {
		panic(fmt.Sprintf("ops: Float32s of a %v value", v.Dtype()))
	}
	return slice[float32](v)
}

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

// checkArity checks the number of values given to Do.
func checkArity[O G.Op](op O, vs []G.Value) error {
	if len(vs) != op.Arity() {
		return fmt.Errorf("%w: %v takes %d, got %d", ErrInputs, op, op.Arity(), len(vs))
	}
	return nil
}

// apply wraps gorgonia.ApplyOp with the op's name in the error.
func apply(op G.Op, children ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	return n, nil
}
