package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// SumOp adds up every element of a tensor into a scalar, in float64. Its
// gradient broadcasts the scalar gradient back to the input's shape
// (ExpandOp).
type SumOp struct {
	pure
	diffable
	Dims int // number of dimensions of the input
}

// Sum returns the scalar node Σ x.
func Sum(x *G.Node) (*G.Node, error) { return apply(SumOp{Dims: x.Dims()}, x) }

// Arity is 1.
func (op SumOp) Arity() int { return 1 }

// Type is Tensor a → a.
func (op SumOp) Type() hm.Type { return hm.NewFnType(tensorT(op.Dims), typeA) }

// rule: any tensor sums to a scalar.
func (op SumOp) rule(shapes) (tensor.Shape, error) { return tensor.ScalarShape(), nil }

// UsePreallocDo computes the sum into prealloc.
func (op SumOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 1)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		return out, setScalar(out, cpukernels.Sum(f32(vs[0])))
	}
	return out, setScalar(out, cpukernels.Sum(f64(vs[0])))
}

// SymDiff returns Expand(dy) to the input's shape.
func (op SumOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := Expand(grad, in[0].Shape())
	return G.Nodes{dx}, err
}

func (op SumOp) String() string { return fmt.Sprintf("Sum(%dD)", op.Dims) }
