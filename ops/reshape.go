package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReshapeOp gives a tensor another shape with the same number of elements,
// in the same row-major order: Flatten turns N×C×H×W feature maps into the
// N×(C·H·W) matrix a dense layer takes. Its gradient is dy reshaped back.
//
// The result holds exactly the input's elements, so an executor may alias
// the input's memory instead of running the op (the CPU executor does, and
// a device backend should); Do and UsePreallocDo copy, as ops here never
// return their input.
type ReshapeOp struct {
	pure
	diffable
	From, To tensor.Shape
}

// Reshape returns the node x with shape to.
func Reshape(x *G.Node, to tensor.Shape) (*G.Node, error) {
	if x.Shape().TotalSize() != to.TotalSize() {
		return nil, fmt.Errorf("%w: cannot reshape %v to %v", ErrShape, x.Shape(), to)
	}
	return apply(ReshapeOp{From: x.Shape().Clone(), To: to.Clone()}, x)
}

// Flatten returns x (N×...) reshaped to an N×(product of the rest) matrix.
func Flatten(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() < 2 {
		return nil, fmt.Errorf("%w: cannot flatten %v: no batch dimension", ErrShape, s)
	}
	return Reshape(x, tensor.Shape{s[0], s.TotalSize() / max(s[0], 1)})
}

// Arity is 1.
func (op ReshapeOp) Arity() int { return 1 }

// Type is Tensor_From a → Tensor_To a.
func (op ReshapeOp) Type() hm.Type { return fnType(op.From.Dims(), op.To.Dims()) }

// rule: From becomes To.
func (op ReshapeOp) rule(in shapes) (tensor.Shape, error) {
	if !in[0].Eq(op.From) {
		return nil, fmt.Errorf("%w: %v applied to %v", ErrShape, op, in[0].Clone())
	}
	return op.To, nil
}

// UsePreallocDo copies x into prealloc, of shape To.
func (op ReshapeOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	out, dt, err := prepare(op, p, vs, 1)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		copy(f32(out), f32(vs[0]))
	} else {
		copy(f64(out), f64(vs[0]))
	}
	return out, nil
}

// SymDiff returns dy reshaped to From.
func (op ReshapeOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := Reshape(grad, op.From)
	return G.Nodes{dx}, err
}

func (op ReshapeOp) String() string { return fmt.Sprintf("Reshape(%v→%v)", op.From, op.To) }
