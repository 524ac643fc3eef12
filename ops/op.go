package ops

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
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

// What every op here shares with the others, written once: the methods
// that do not depend on an op's parameters come from embedding pure (and
// notDiffable, elementwise); the ones that do (a Go method of an embedded
// struct cannot see the op around it) are one-line calls of the helpers
// below, each op giving its shape rule (rule), its name with its
// parameters (String) and its kernels.

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

// maxArity is the most inputs an op here takes (BatchNormOp's six).
const maxArity = 6

// shapes are the input shapes of one application of an op, held by value
// so that a shape rule runs before each Do without allocating.
type shapes [maxArity]tensor.Shape

// ruled is implemented by every op here: rule is its one shape rule,
// which InferShape applies when a node is built and prepare each time the
// op runs. It checks the shapes of the Arity() inputs and returns the
// result's shape, which the caller clones before keeping it.
type ruled interface {
	counted
	rule(in shapes) (tensor.Shape, error)
}

// counted is an op as its messages name it, with its number of inputs.
type counted interface {
	fmt.Stringer
	Arity() int
}

// shapesOf returns the shapes of the values given to an op.
func shapesOf(vs []G.Value) shapes {
	var in shapes
	for i, v := range vs {
		in[i] = v.Shape()
	}
	return in
}

// inferShape is the InferShape of every ruled op.
func inferShape[O ruled](op O, ds []G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, fmt.Errorf("%w: %v takes %d, got %d", ErrInputs, op, op.Arity(), len(ds))
	}
	s, err := G.DimSizersToShapes(ds)
	if err != nil {
		return nil, err
	}
	var in shapes
	copy(in[:], s)
	out, err := op.rule(in)
	if err != nil {
		return nil, err
	}
	return out.Clone(), nil
}

// prepare is the start of a ruled op's UsePreallocDo: it checks the
// number of values, their shapes against the rule and that the first
// typed of them share one dtype, and returns the value the result goes
// to (prealloc after checking it fits, or a new value) and that dtype.
func prepare[O ruled](op O, prealloc G.Value, vs []G.Value, typed int) (G.Value, tensor.Dtype, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, tensor.Dtype{}, err
	}
	shape, err := op.rule(shapesOf(vs))
	if err != nil {
		return nil, tensor.Dtype{}, err
	}
	dt, err := sameDtype(op, vs[:typed]...)
	if err != nil {
		return nil, dt, err
	}
	out, err := output(op, prealloc, dt, shape)
	return out, dt, err
}

// geometric is an op whose kernels take, besides the elements, a
// geometry of its inputs (a pooling's windows, a convolution's sizes, a
// batch normalisation's channels), which its shape rule checks.
type geometric[Geo any] interface {
	ruled
	geometry(in shapes) (Geo, error)
}

// inputs are the elements of an op's inputs, by value: passed to a
// kernel without allocating.
type inputs[T cpukernels.Float] [maxArity][]T

// geomDo is the UsePreallocDo of a geometric op: after prepare, the kernel
// for the dtype gets the geometry, the output's elements and the inputs'.
func geomDo[O geometric[Geo], Geo any](op O, p G.Value, vs []G.Value,
	k32 func(Geo, []float32, inputs[float32]), k64 func(Geo, []float64, inputs[float64])) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, len(vs))
	if err != nil {
		return nil, err
	}
	g, err := op.geometry(shapesOf(vs))
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		var in inputs[float32]
		for i, v := range vs {
			in[i] = f32(v)
		}
		k32(g, f32(out), in)
	} else {
		var in inputs[float64]
		for i, v := range vs {
			in[i] = f64(v)
		}
		k64(g, f64(out), in)
	}
	return out, nil
}

// checkArity checks the number of values given to Do.
func checkArity[O counted](op O, vs []G.Value) error {
	if len(vs) != op.Arity() {
		return fmt.Errorf("%w: %v takes %d, got %d", ErrInputs, op, op.Arity(), len(vs))
	}
	return nil
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

// diffable is embedded by ops differentiable with respect to every input.
type diffable struct{}

// DiffWRT reports every input differentiable.
func (diffable) DiffWRT(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

// apply wraps gorgonia.ApplyOp with the op's name in the error.
func apply(op G.Op, children ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", op, err)
	}
	return n, nil
}
