package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// The activations without parameters. LeakyReLU and Step, which have one,
// are in their own files.
type (
	// ReLUOp is the rectified linear unit, y = max(x, 0). Its gradient
	// is dx = dy where x > 0 and 0 elsewhere (at x = 0 too), computed by
	// ReLUBackwardOp.
	ReLUOp struct{ fixedMap[relu] }

	// SigmoidOp is the logistic function y = 1/(1+e^-x), computed
	// without overflow for large |x|. Its gradient dx = dy·y·(1-y) is
	// computed from the output by SigmoidBackwardOp.
	SigmoidOp struct{ fixedMap[sigmoid] }

	// TanhOp is the hyperbolic tangent. Its gradient dx = dy·(1-y²) is
	// computed from the output by TanhBackwardOp.
	TanhOp struct{ fixedMap[tanh] }
)

// ReLU returns the node max(x, 0).
func ReLU(x *G.Node) (*G.Node, error) { return apply(ReLUOp{}, x) }

// Sigmoid returns the node σ(x).
func Sigmoid(x *G.Node) (*G.Node, error) { return apply(SigmoidOp{}, x) }

// Tanh returns the node tanh(x).
func Tanh(x *G.Node) (*G.Node, error) { return apply(TanhOp{}, x) }

type (
	relu    struct{}
	sigmoid struct{}
	tanh    struct{}
)

func (relu) spec() spec {
	return spec{name: "ReLU", arity: 1, k32: cpukernels.ReLU[float32], k64: cpukernels.ReLU[float64],
		grad: fromInput[ReLUBackwardOp]}
}

func (sigmoid) spec() spec {
	return spec{name: "Sigmoid", arity: 1, k32: cpukernels.Sigmoid[float32], k64: cpukernels.Sigmoid[float64],
		grad: fromOutput[SigmoidBackwardOp]}
}

func (tanh) spec() spec {
	return spec{name: "Tanh", arity: 1, k32: cpukernels.Tanh[float32], k64: cpukernels.Tanh[float64],
		grad: fromOutput[TanhBackwardOp]}
}

// fromInput and fromOutput are the gradients of a unary op computed by
// the backward op B from (x, dy) and from (y, dy).
func fromInput[B G.Op](in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	var backward B
	dx, err := apply(backward, in[0], dy)
	return G.Nodes{dx}, err
}

func fromOutput[B G.Op](_ G.Nodes, y, dy *G.Node) (G.Nodes, error) {
	var backward B
	dx, err := apply(backward, y, dy)
	return G.Nodes{dx}, err
}
