package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SumOp adds up every element of a tensor into a scalar. Its gradient
// broadcasts the scalar gradient back to the input's shape (ExpandOp).
type SumOp struct {
	pure
	Dims int // number of dimensions of the input
}

// Sum returns the scalar node Σ x.
func Sum(x *G.Node) (*G.Node, error) { return apply(SumOp{Dims: x.Dims()}, x) }

// Arity is 1.
func (op SumOp) Arity() int { return 1 }

// Type is Tensor a → a.
func (op SumOp) Type() hm.Type { return hm.NewFnType(tensorT(op.Dims), typeA) }

// InferShape returns the scalar shape.
func (op SumOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapesOf(op, 1, ds); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

// Do computes the sum.
func (op SumOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the sum into prealloc.
func (op SumOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	dt := vs[0].Dtype()
	out, err := output(op, p, dt, tensor.ScalarShape())
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		return out, setScalar(out, sum(slice[float32](vs[0])))
	}
	return out, setScalar(out, sum(slice[float64](vs[0])))
}

// DiffWRT reports x differentiable.
func (op SumOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns Expand(dy) to the input's shape.
func (op SumOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := Expand(grad, in[0].Shape())
	return G.Nodes{dx}, err
}

func (op SumOp) String() string        { return fmt.Sprintf("Sum(%dD)", op.Dims) }
func (op SumOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op SumOp) Hashcode() uint32      { return hashOf(op) }

// ExpandOp fills a tensor of a fixed shape with a scalar. Its gradient is
// the sum of the incoming gradient.
type ExpandOp struct {
	pure
	Shape tensor.Shape
}

// Expand returns a node of the given shape with every element equal to the
// scalar node s.
func Expand(s *G.Node, shape tensor.Shape) (*G.Node, error) {
	return apply(ExpandOp{Shape: shape.Clone()}, s)
}

// Arity is 1.
func (op ExpandOp) Arity() int { return 1 }

// Type is a → Tensor a.
func (op ExpandOp) Type() hm.Type { return hm.NewFnType(typeA, tensorT(op.Shape.Dims())) }

// InferShape returns the op's shape.
func (op ExpandOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if _, err := shapesOf(op, 1, ds); err != nil {
		return nil, err
	}
	return op.Shape.Clone(), nil
}

// Do fills a new tensor.
func (op ExpandOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo fills prealloc.
func (op ExpandOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	if err := checkArity(op, vs); err != nil {
		return nil, err
	}
	s, err := scalar(vs[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	dt := vs[0].Dtype()
	out, err := output(op, p, dt, op.Shape)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		fill(slice[float32](out), float32(s))
	} else {
		fill(slice[float64](out), s)
	}
	return out, nil
}

func fill[T Float](dst []T, v T) {
	for i := range dst {
		dst[i] = v
	}
}

// DiffWRT reports the scalar differentiable.
func (op ExpandOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns Sum(dy).
func (op ExpandOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	ds, err := Sum(grad)
	return G.Nodes{ds}, err
}

func (op ExpandOp) String() string        { return fmt.Sprintf("Expand%v", op.Shape) }
func (op ExpandOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op ExpandOp) Hashcode() uint32      { return hashOf(op) }
