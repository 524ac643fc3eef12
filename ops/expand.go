package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// ExpandOp fills a tensor of a fixed shape with a scalar: SumOp's
// gradient. Its own gradient is the sum of the incoming gradient.
type ExpandOp struct {
	pure
	diffable
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

// rule: the op's shape.
func (op ExpandOp) rule(shapes) (tensor.Shape, error) { return op.Shape, nil }

// UsePreallocDo fills prealloc.
func (op ExpandOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 1)
	if err != nil {
		return nil, err
	}
	s, err := scalar(vs[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	if dt == tensor.Float32 {
		cpukernels.Fill(f32(out), float32(s))
	} else {
		cpukernels.Fill(f64(out), s)
	}
	return out, nil
}

// SymDiff returns Sum(dy).
func (op ExpandOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	ds, err := Sum(grad)
	return G.Nodes{ds}, err
}

func (op ExpandOp) String() string { return fmt.Sprintf("Expand%v", op.Shape) }
