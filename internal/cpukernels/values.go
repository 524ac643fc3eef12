package cpukernels

import (
	"fmt"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Float is the set of element types the kernels support.
type Float interface{ ~float32 | ~float64 }

// Slice returns the elements of a float value of element type T, aliasing
// its memory: no copy, no allocation (tensor.Dense.Data allocates through
// reflection on every call, which a training step must not). It panics on
// a value that is not a tensor or a Gorgonia float scalar.
func Slice[T Float](v G.Value) []T {
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
	panic(fmt.Sprintf("cpukernels: elements of a %T", v))
}

// Float32s returns the elements of a float32 value (a tensor or a scalar)
// without copying or allocating; writes go to the value. It panics if v is
// not float32.
func Float32s(v G.Value) []float32 {
	if v.Dtype() != tensor.Float32 {
		panic(fmt.Sprintf("cpukernels: Float32s of a %v value", v.Dtype()))
	}
	return Slice[float32](v)
}

// Second returns the second value's elements, or nil when there is one
// value: the b of a unary element-wise kernel.
func Second[T Float](vs []G.Value) []T {
	if len(vs) < 2 {
		return nil
	}
	return Slice[T](vs[1])
}
