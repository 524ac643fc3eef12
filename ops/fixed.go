package ops

import (
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// An op without parameters (Add, ReLU, BiasAdd, SumRows, Softmax, their
// gradients, ...) is the same op whatever its value: everything about it
// is fixed by its Go type. Such an op embeds fixed[K] (or fixedMap[K]), K
// a zero-size type whose spec describes the op, and fixed[K] gives it
// every method of gorgonia.Op, gorgonia.SDOp and
// gorgonia.UsePreallocDoer, written once for all of them. Its zero value
// is the op.

// spec describes an op without parameters.
type spec struct {
	name  string
	arity int
	typ   func() hm.Type // nil: a → a (→ a), an element-wise op's
	// rule checks the input shapes and returns the result's shape;
	// nil: every input has the result's shape (element-wise).
	rule func(in shapes) (tensor.Shape, error)
	// run computes the result into prealloc (UsePreallocDo), op naming
	// the op in errors; nil: map k32 or k64 over the elements.
	run     func(op ruled, prealloc G.Value, vs []G.Value) (G.Value, error)
	k32     cpukernels.Map[float32]
	k64     cpukernels.Map[float64]
	diffWRT func(n int) []bool                                 // nil: every input when grad is set, none otherwise
	grad    func(in G.Nodes, out, dy *G.Node) (G.Nodes, error) // nil: not differentiable
}

// kind is the type that describes an op without parameters.
type kind interface{ spec() spec }

// fixed gives an op described by K the methods of a Gorgonia op.
type fixed[K kind] struct{ pure }

func (fixed[K]) spec() spec { var k K; return k.spec() }

// Arity is the number of inputs.
func (op fixed[K]) Arity() int { return op.spec().arity }

// Type is the op's type.
func (op fixed[K]) Type() hm.Type {
	s := op.spec()
	if s.typ != nil {
		return s.typ()
	}
	ts := make([]hm.Type, s.arity+1)
	for i := range ts {
		ts[i] = typeA
	}
	return hm.NewFnType(ts...)
}

// InferShape applies the op's shape rule.
func (op fixed[K]) InferShape(ds ...G.DimSizer) (tensor.Shape, error) { return inferShape(op, ds) }

func (op fixed[K]) rule(in shapes) (tensor.Shape, error) {
	s := op.spec()
	if s.rule == nil {
		return sameShapes(in[:s.arity])
	}
	return s.rule(in)
}

// Do computes the result into a new value.
func (op fixed[K]) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the result into prealloc.
func (op fixed[K]) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	s := op.spec()
	if s.run == nil {
		return mapDo(op, p, vs, 0, s.k32, s.k64)
	}
	return s.run(op, p, vs)
}

// DiffWRT reports which inputs are differentiable.
func (op fixed[K]) DiffWRT(n int) []bool {
	s := op.spec()
	switch {
	case s.diffWRT != nil:
		return s.diffWRT(n)
	case s.grad != nil:
		return diffable{}.DiffWRT(n)
	}
	return notDiffable{}.DiffWRT(n)
}

// SymDiff builds the gradients of the inputs from ops of this package.
func (op fixed[K]) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if s := op.spec(); s.grad != nil {
		return s.grad(in, out, grad)
	}
	return nil, ErrNotDiffable
}

// String is the op's name.
func (op fixed[K]) String() string { return op.spec().name }

// WriteHash writes the op's identity to h.
func (op fixed[K]) WriteHash(h hash.Hash) { writeHash(h, op) }

// Hashcode returns the op's hash.
func (op fixed[K]) Hashcode() uint32 { return hashOf(op) }

// fixedMap is fixed for an element-wise op whose float32 loop an executor
// may run itself (cpukernels.Elementwise).
type fixedMap[K kind] struct{ fixed[K] }

// Kernel returns the float32 loop of Do.
func (op fixedMap[K]) Kernel() (cpukernels.Map[float32], float32) { return op.spec().k32, 0 }
