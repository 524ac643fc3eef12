package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/neurone-dl/neurone/internal/cpukernels"
)

// LeakyReLUOp is y = x for x > 0 and Alpha·x otherwise. Its gradient is
// dx = dy for x > 0 and Alpha·dy otherwise, computed by LeakyReLUBackwardOp.
type LeakyReLUOp struct {
	elementwise
	diffable
	Alpha float64
}

// LeakyReLU returns the node leaky_relu(x) with the given negative slope.
func LeakyReLU(x *G.Node, alpha float64) (*G.Node, error) {
	return apply(LeakyReLUOp{elementwise: elementwise{arity: 1}, Alpha: alpha}, x)
}

// UsePreallocDo computes the leaky ReLU into prealloc.
func (op LeakyReLUOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, op.Alpha, cpukernels.LeakyReLU[float32], cpukernels.LeakyReLU[float64])
}

// SymDiff returns LeakyReLUBackward(x, dy).
func (op LeakyReLUOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(LeakyReLUBackwardOp{elementwise: elementwise{arity: 2}, Alpha: op.Alpha}, in[0], grad)
	return G.Nodes{dx}, err
}

// Kernel returns the float32 loop of Do (see cpukernels.Elementwise).
func (op LeakyReLUOp) Kernel() (cpukernels.Map[float32], float32) {
	return cpukernels.LeakyReLU[float32], float32(op.Alpha)
}

func (op LeakyReLUOp) String() string { return fmt.Sprintf("LeakyReLU(%g)", op.Alpha) }
