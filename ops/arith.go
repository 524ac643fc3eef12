package ops

import (
	"hash"

	G "gorgonia.org/gorgonia"
)

// AddOp is the element-wise sum a + b of two tensors of one shape. Its
// gradients are dy for both.
type AddOp struct{ elementwise }

// Add returns the node a + b.
func Add(a, b *G.Node) (*G.Node, error) { return apply(AddOp{elementwise{arity: 2}}, a, b) }

// Do computes a + b.
func (op AddOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes a + b into prealloc.
func (op AddOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, addKernel[float32], addKernel[float64])
}

func addKernel[T Float](dst, a, b []T, _ T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// DiffWRT reports both inputs differentiable.
func (op AddOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns dy for both inputs.
func (op AddOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad, grad}, nil
}

func (op AddOp) String() string        { return "Add" }
func (op AddOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op AddOp) Hashcode() uint32      { return hashOf(op) }

// MulOp is the element-wise product a ⊙ b of two tensors of one shape. Its
// gradients are dy ⊙ b and dy ⊙ a.
type MulOp struct{ elementwise }

// Mul returns the node a ⊙ b.
func Mul(a, b *G.Node) (*G.Node, error) { return apply(MulOp{elementwise{arity: 2}}, a, b) }

// Do computes a ⊙ b.
func (op MulOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes a ⊙ b into prealloc.
func (op MulOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, mulKernel[float32], mulKernel[float64])
}

func mulKernel[T Float](dst, a, b []T, _ T) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// DiffWRT reports both inputs differentiable.
func (op MulOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns dy ⊙ b and dy ⊙ a.
func (op MulOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	da, err := Mul(grad, in[1])
	if err != nil {
		return nil, err
	}
	db, err := Mul(grad, in[0])
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}

func (op MulOp) String() string        { return "Mul" }
func (op MulOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op MulOp) Hashcode() uint32      { return hashOf(op) }
