package ops

import (
	"fmt"
	"hash"

	G "gorgonia.org/gorgonia"
)

// LeakyReLUOp is y = x for x > 0 and Alpha·x otherwise. Its gradient is
// dx = dy for x > 0 and Alpha·dy otherwise, computed by LeakyReLUBackwardOp.
type LeakyReLUOp struct {
	elementwise
	Alpha float64
}

// LeakyReLU returns the node leaky_relu(x) with the given negative slope.
func LeakyReLU(x *G.Node, alpha float64) (*G.Node, error) {
	return apply(LeakyReLUOp{elementwise{arity: 1}, alpha}, x)
}

// Do computes the leaky ReLU.
func (op LeakyReLUOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the leaky ReLU into prealloc.
func (op LeakyReLUOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, op.Alpha, leakyKernel[float32], leakyKernel[float64])
}

func leakyKernel[T Float](dst, x, _ []T, alpha T) {
	for i, v := range x[:len(dst)] {
		dst[i] = sel(v > 0, alpha*v, v)
	}
}

// DiffWRT reports x differentiable.
func (op LeakyReLUOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns LeakyReLUBackward(x, dy).
func (op LeakyReLUOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(LeakyReLUBackwardOp{elementwise{arity: 2}, notDiffable{}, op.Alpha}, in[0], grad)
	return G.Nodes{dx}, err
}

// Kernel returns the float32 loop of Do (see ElementwiseKernel).
func (op LeakyReLUOp) Kernel() (Float32Kernel, float32) {
	return leakyKernel[float32], float32(op.Alpha)
}

func (op LeakyReLUOp) String() string        { return fmt.Sprintf("LeakyReLU(%g)", op.Alpha) }
func (op LeakyReLUOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op LeakyReLUOp) Hashcode() uint32      { return hashOf(op) }

// LeakyReLUBackwardOp computes dx from (x, dy).
type LeakyReLUBackwardOp struct {
	elementwise
	notDiffable
	Alpha float64
}

// Do computes the gradient.
func (op LeakyReLUBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the gradient into prealloc.
func (op LeakyReLUBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, op.Alpha, leakyBackwardKernel[float32], leakyBackwardKernel[float64])
}

func leakyBackwardKernel[T Float](dst, x, dy []T, alpha T) {
	x, dy = x[:len(dst)], dy[:len(dst)]
	for i, v := range x {
		dst[i] = sel(v > 0, alpha*dy[i], dy[i])
	}
}

// Kernel returns the float32 loop of Do (see ElementwiseKernel).
func (op LeakyReLUBackwardOp) Kernel() (Float32Kernel, float32) {
	return leakyBackwardKernel[float32], float32(op.Alpha)
}

func (op LeakyReLUBackwardOp) String() string        { return fmt.Sprintf("LeakyReLUBackward(%g)", op.Alpha) }
func (op LeakyReLUBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op LeakyReLUBackwardOp) Hashcode() uint32      { return hashOf(op) }
