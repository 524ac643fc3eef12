package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// StepOp is the Heaviside step, y = 1 for x > 0 and 0 otherwise: the
// activation of the first artificial neurons.
//
// Its true derivative is 0 everywhere except at 0, where it does not exist,
// so gradient descent cannot train through it: with StraightThrough false
// the gradient is exactly 0. With StraightThrough true the backward pass
// (StepBackwardOp) uses the straight-through estimator dx = dy·[|x| <= 1]
// (the gradient of the hard tanh), which lets layers below a step be
// trained.
type StepOp struct {
	elementwise
	diffable
	StraightThrough bool
}

// Step returns the node step(x).
func Step(x *G.Node, straightThrough bool) (*G.Node, error) {
	return apply(StepOp{elementwise: elementwise{arity: 1}, StraightThrough: straightThrough}, x)
}

// UsePreallocDo computes step(x) into prealloc.
func (op StepOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, cpukernels.Step[float32], cpukernels.Step[float64])
}

// SymDiff returns StepBackward(x, dy).
func (op StepOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(StepBackwardOp{elementwise: elementwise{arity: 2}, StraightThrough: op.StraightThrough}, in[0], grad)
	return G.Nodes{dx}, err
}

func (op StepOp) String() string {
	if op.StraightThrough {
		return "Step(straight-through)"
	}
	return "Step"
}
