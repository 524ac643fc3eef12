package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

type (
	// AddOp is the element-wise sum a + b of two tensors of one shape.
	// Its gradients are dy for both.
	AddOp struct{ fixedMap[add] }

	// MulOp is the element-wise product a ⊙ b of two tensors of one
	// shape. Its gradients are dy ⊙ b and dy ⊙ a.
	MulOp struct{ fixedMap[mul] }
)

// Add returns the node a + b.
func Add(a, b *G.Node) (*G.Node, error) { return apply(AddOp{}, a, b) }

// Mul returns the node a ⊙ b.
func Mul(a, b *G.Node) (*G.Node, error) { return apply(MulOp{}, a, b) }

type (
	add struct{}
	mul struct{}
)

func (add) spec() spec {
	return spec{name: "Add", arity: 2, k32: cpukernels.Add[float32], k64: cpukernels.Add[float64],
		grad: func(_ G.Nodes, _, dy *G.Node) (G.Nodes, error) { return G.Nodes{dy, dy}, nil }}
}

func (mul) spec() spec {
	return spec{name: "Mul", arity: 2, k32: cpukernels.Mul[float32], k64: cpukernels.Mul[float64], grad: mulGrad}
}

func mulGrad(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	da, err := Mul(dy, in[1])
	if err != nil {
		return nil, err
	}
	db, err := Mul(dy, in[0])
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}
