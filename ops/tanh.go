package ops

import (
	"hash"
	"math"

	G "gorgonia.org/gorgonia"
)

// TanhOp is the hyperbolic tangent. Its gradient dx = dy·(1-y²) is computed
// from the output by TanhBackwardOp.
type TanhOp struct{ elementwise }

// Tanh returns the node tanh(x).
func Tanh(x *G.Node) (*G.Node, error) { return apply(TanhOp{elementwise{arity: 1}}, x) }

// Do computes tanh(x).
func (op TanhOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes tanh(x) into prealloc.
func (op TanhOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, tanhKernel[float32], tanhKernel[float64])
}

func tanhKernel[T Float](dst, a, b []T, _ T) {
	for i, v := range a[:len(dst)] {
		dst[i] = T(math.Tanh(float64(v)))
	}
}

// DiffWRT reports x differentiable.
func (op TanhOp) DiffWRT(n int) []bool { return allTrue(n) }

// SymDiff returns TanhBackward(y, dy).
func (op TanhOp) SymDiff(_ G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := apply(TanhBackwardOp{elementwise: elementwise{arity: 2}}, out, grad)
	return G.Nodes{dx}, err
}

// Kernel returns the float32 loop of Do (see ElementwiseKernel).
func (op TanhOp) Kernel() (Float32Kernel, float32) { return tanhKernel[float32], 0 }

func (op TanhOp) String() string        { return "Tanh" }
func (op TanhOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op TanhOp) Hashcode() uint32      { return hashOf(op) }

// TanhBackwardOp computes dx = dy·(1-y²) from (y, dy).
type TanhBackwardOp struct {
	elementwise
	notDiffable
}

// Do computes the gradient.
func (op TanhBackwardOp) Do(vs ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vs...) }

// UsePreallocDo computes the gradient into prealloc.
func (op TanhBackwardOp) UsePreallocDo(p G.Value, vs ...G.Value) (G.Value, error) {
	return mapDo(op, p, vs, 0, tanhBackwardKernel[float32], tanhBackwardKernel[float64])
}

func tanhBackwardKernel[T Float](dst, a, b []T, _ T) {
	y, dy := a[:len(dst)], b[:len(dst)]
	for i, v := range y {
		dst[i] = dy[i] * (1 - v*v)
	}
}

// Kernel returns the float32 loop of Do (see ElementwiseKernel).
func (op TanhBackwardOp) Kernel() (Float32Kernel, float32) { return tanhBackwardKernel[float32], 0 }

func (op TanhBackwardOp) String() string        { return "TanhBackward" }
func (op TanhBackwardOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op TanhBackwardOp) Hashcode() uint32      { return hashOf(op) }
